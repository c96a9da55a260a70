// `sluice consumer-groups` without a cluster: its flags (Kafka's checks), ISO-8601 durations and
// date-times, the tables in Kafka 2.7's column layout, and the offsets each reset strategy plans.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { parseFlags, UsageError } from '../../src/cli/args.ts';
import {
  CONSUMER_GROUPS_HELP,
  checkFlags,
  consumerGroupsCommand,
  parseStates,
  resetStrategyOf,
  SPECS,
  splitStateFlag,
} from '../../src/cli/consumer-groups.ts';
import {
  formatGroupStates,
  formatMembers,
  formatNewOffsets,
  formatOffsets,
  formatRow,
  formatState,
} from '../../src/cli/consumer-groups-output.ts';
import type { CommandIO } from '../../src/cli/io.ts';
import { parseIsoDateTime, parseIsoDuration } from '../../src/cli/iso-time.ts';
import {
  type OffsetLookups,
  parseTopicScope,
  partitionKey,
  planReset,
  type TopicPartitionRef,
} from '../../src/cli/offset-reset.ts';

function check(args: string[]): string {
  const split = splitStateFlag(args);
  return checkFlags(parseFlags(split.args, SPECS), split.state);
}

function capture(): CommandIO & { stdout: string; stderr: string } {
  const io = {
    stdout: '',
    stderr: '',
    out(text: string) {
      io.stdout += text;
    },
    err(text: string) {
      io.stderr += text;
    },
    signal: new AbortController().signal,
  };
  return io;
}

describe('consumer-groups flags', () => {
  test('exactly one action', () => {
    assert.throws(() => check(['--group', 'g']), /exactly one action/);
    assert.throws(() => check(['--list', '--describe', '--group', 'g']), /exactly one action/);
    assert.equal(check(['--list']), 'list');
  });

  test('describe, delete and reset need --group or --all-groups, not both', () => {
    assert.throws(
      () => check(['--describe']),
      /Option --describe takes one of these options: --group, --all-groups/,
    );
    assert.throws(() => check(['--delete', '--group', 'g', '--all-groups']), /--delete takes one of/);
    assert.equal(check(['--describe', '--all-groups']), 'describe');
    assert.equal(check(['--delete', '--group', 'a', '--group', 'b']), 'delete');
  });

  test('describe modes are exclusive; --state takes a value only with --list', () => {
    assert.throws(() => check(['--describe', '--group', 'g', '--members', '--state']), /at most one/);
    assert.equal(check(['--describe', '--group', 'g', '--state']), 'describe');
    assert.equal(check(['--list', '--state', 'Stable,Empty']), 'list');
    assert.throws(() => check(['--describe', '--group', 'g', '--state=Stable']), /no value with --describe/);
    assert.throws(() => check(['--list', '--members']), /--members can only be used with --describe/);
  });

  test('--state with or without a value', () => {
    assert.deepEqual(splitStateFlag(['--list', '--state']), { args: ['--list'], state: true });
    assert.deepEqual(splitStateFlag(['--list', '--state', 'Empty', '--bootstrap-server', 'x']), {
      args: ['--list', '--bootstrap-server', 'x'],
      state: 'Empty',
    });
    assert.deepEqual(splitStateFlag(['--state=stable', '--list']), { args: ['--list'], state: 'stable' });
    assert.deepEqual(splitStateFlag(['--list']), { args: ['--list'] });
    assert.deepEqual(parseStates('stable, EMPTY'), ['Stable', 'Empty']);
    assert.throws(() => parseStates('Sleeping'), /Invalid state 'Sleeping'/);
  });

  test('reset needs one scope, one strategy and at most one of --dry-run, --execute', () => {
    const base = ['--reset-offsets', '--group', 'g'];
    assert.throws(
      () => check([...base, '--to-earliest']),
      /One of the reset scopes should be defined: --all-topics, --topic\./,
    );
    assert.throws(() => check([...base, '--all-topics', '--topic', 't']), /One of the reset scopes/);
    assert.throws(
      () => check([...base, '--all-topics', '--to-earliest', '--dry-run', '--execute']),
      /only accepts one of --execute and --dry-run/,
    );
    assert.equal(check([...base, '--all-topics', '--to-earliest']), 'reset-offsets');
    assert.throws(
      () => check(['--describe', '--group', 'g', '--to-earliest']),
      /--to-earliest can only be used/,
    );
    assert.throws(() => check(['--describe', '--group', 'g', '--topic', 't']), /--topic can only be used/);
  });

  test('each strategy flag', () => {
    const strategy = (args: string[]) => resetStrategyOf(parseFlags(args, SPECS), 1_000_000_000);
    assert.deepEqual(strategy(['--to-earliest']), { kind: 'earliest' });
    assert.deepEqual(strategy(['--to-latest']), { kind: 'latest' });
    assert.deepEqual(strategy(['--to-current']), { kind: 'current' });
    assert.deepEqual(strategy(['--to-offset', '42']), { kind: 'offset', offset: 42 });
    assert.deepEqual(strategy(['--shift-by', '-3']), { kind: 'shift', by: -3 });
    assert.deepEqual(strategy(['--by-duration', 'PT1M']), {
      kind: 'timestamp',
      timestampMs: 1_000_000_000 - 60_000,
    });
    assert.deepEqual(strategy(['--to-datetime', '1970-01-01T00:00:01.500']), {
      kind: 'timestamp',
      timestampMs: 1_500,
    });
    assert.throws(() => strategy([]), /exactly one of/);
    assert.throws(() => strategy(['--to-earliest', '--to-latest']), /exactly one of/);
    assert.throws(() => strategy(['--to-offset', 'x']), /not an integer/);
    assert.throws(() => strategy(['--to-offset', '-1']), /not an offset/);
  });

  test('--help lists every flag and the --timeout default', async () => {
    for (const spec of SPECS) assert.match(CONSUMER_GROUPS_HELP, new RegExp(`--${spec.name}\\b`));
    assert.match(CONSUMER_GROUPS_HELP, /--timeout .*\(default: 5000\)/);
    const io = capture();
    assert.equal(await consumerGroupsCommand(['--help'], io), 0);
    assert.equal(io.stdout, CONSUMER_GROUPS_HELP);
  });

  test('bad values fail before connecting', async () => {
    await assert.rejects(
      consumerGroupsCommand(['--list'], capture()),
      (err: Error) => err instanceof UsageError && /--bootstrap-server/.test(err.message),
    );
    await assert.rejects(
      consumerGroupsCommand(
        [
          '--reset-offsets',
          '--bootstrap-server',
          '127.0.0.1:1',
          '--group',
          'g',
          '--all-topics',
          '--by-duration',
          '1h',
        ],
        capture(),
      ),
      /Invalid duration '1h'/,
    );
    await assert.rejects(
      consumerGroupsCommand(['--list', '--no-such-flag'], capture()),
      /not a recognized option/,
    );
  });
});

describe('ISO-8601 durations (--by-duration)', () => {
  test('days, hours, minutes, seconds with fractions and signs, either case', () => {
    assert.equal(parseIsoDuration('PT0S'), 0);
    assert.equal(parseIsoDuration('PT10M'), 600_000);
    assert.equal(parseIsoDuration('P1D'), 86_400_000);
    assert.equal(parseIsoDuration('P1DT2H3M4S'), 86_400_000 + 7_200_000 + 180_000 + 4_000);
    assert.equal(parseIsoDuration('pt1.5s'), 1_500);
    assert.equal(parseIsoDuration('PT0,25S'), 250);
    assert.equal(parseIsoDuration('-PT1H'), -3_600_000);
    assert.equal(parseIsoDuration('PT-6H3M'), -6 * 3_600_000 + 180_000);
    assert.equal(parseIsoDuration('PT-0.5S'), -500);
  });

  test('rejects what Java rejects', () => {
    for (const bad of ['', 'P', 'PT', 'P1DT', '1H', 'PT1H1D', 'P1W', 'PT1.5M', 'PTS', 'P1Y']) {
      assert.throws(() => parseIsoDuration(bad), UsageError, bad);
    }
  });
});

describe('ISO-8601 date-times (--to-datetime)', () => {
  test('UTC unless a zone is given', () => {
    assert.equal(parseIsoDateTime('2026-11-25T06:00:00.000'), Date.UTC(2026, 10, 25, 6));
    assert.equal(parseIsoDateTime('2026-11-25T06:00:00'), Date.UTC(2026, 10, 25, 6));
    assert.equal(parseIsoDateTime('2026-11-25T06:00:00.5Z'), Date.UTC(2026, 10, 25, 6, 0, 0, 500));
    assert.equal(parseIsoDateTime('2026-11-25T06:00:00.000+01:00'), Date.UTC(2026, 10, 25, 5));
    assert.equal(parseIsoDateTime('2026-11-25T06:00:00.000-0230'), Date.UTC(2026, 10, 25, 8, 30));
  });

  test('rejects malformed and impossible dates', () => {
    for (const bad of [
      '2026-11-25',
      '2026-11-25 06:00:00',
      '2026-02-30T00:00:00',
      '2026-11-25T24:00:00',
      'now',
    ]) {
      assert.throws(() => parseIsoDateTime(bad), UsageError, bad);
    }
  });
});

describe('tables in Kafka 2.7 layout', () => {
  test('formatRow pads like %-Ns and leaves an unpadded last column', () => {
    assert.equal(formatRow([5, 3, undefined], ['ab', 'toolong', 'x']), 'ab    toolong x');
  });

  test('--describe --offsets: 15-wide minimum columns, fixed numeric columns, - for the unknown', () => {
    const out = formatOffsets([
      {
        group: 'g',
        topic: 't',
        partition: 0,
        currentOffset: 5,
        logEndOffset: 12,
        consumerId: 'console-consumer-g-1a2b',
        host: '/127.0.0.1',
        clientId: 'console-consumer-g',
      },
      { group: 'g', topic: 't', partition: 1, currentOffset: 3 },
    ]);
    const lines = out.split('\n');
    assert.equal(lines[0], '');
    assert.equal(
      lines[1],
      'GROUP           TOPIC           PARTITION  CURRENT-OFFSET  LOG-END-OFFSET  LAG             CONSUMER-ID             HOST            CLIENT-ID',
    );
    assert.equal(
      lines[2],
      'g               t               0          5               12              7               console-consumer-g-1a2b /127.0.0.1      console-consumer-g',
    );
    assert.equal(
      lines[3],
      'g               t               1          3               -               -               -                       -               -',
    );
    assert.equal(lines[4], '');
    assert.equal(lines.length, 5);
  });

  test('--describe --members, with ASSIGNMENT under --verbose and GROUP-INSTANCE-ID when used', () => {
    const member = {
      group: 'g',
      consumerId: 'c-1',
      groupInstanceId: null,
      host: '/127.0.0.1',
      clientId: 'cli',
      assignment: [
        { topic: 'b', partitions: [2, 0] },
        { topic: 'a', partitions: [1] },
      ],
    };
    assert.equal(
      formatMembers([member], false),
      '\nGROUP           CONSUMER-ID     HOST            CLIENT-ID       #PARTITIONS     \n' +
        'g               c-1             /127.0.0.1      cli             3               \n',
    );
    assert.equal(
      formatMembers([member], true).split('\n')[2],
      'g               c-1             /127.0.0.1      cli             3               a(1), b(0,2)',
    );
    const header = formatMembers([{ ...member, groupInstanceId: 'i-1' }], false).split('\n')[1];
    assert.equal(
      header,
      'GROUP           CONSUMER-ID     GROUP-INSTANCE-ID HOST            CLIENT-ID       #PARTITIONS     ',
    );
  });

  test('--describe --state and --list --state', () => {
    assert.equal(
      formatState([
        {
          group: 'g',
          coordinator: { id: 2, host: '127.0.0.1', port: 9093 },
          assignor: 'range',
          state: 'Stable',
          members: 2,
        },
      ]),
      '\nGROUP                     COORDINATOR (ID)          ASSIGNMENT-STRATEGY  STATE           #MEMBERS\n' +
        'g                         127.0.0.1:9093 (2)        range                Stable          2\n',
    );
    // Kafka 2.7.2's own output for an empty group: a blank ASSIGNMENT-STRATEGY.
    assert.equal(
      formatState([
        {
          group: 'orders-audit',
          coordinator: { id: 0, host: '127.0.0.1', port: 42793 },
          assignor: '',
          state: 'Empty',
          members: 0,
        },
      ]),
      '\nGROUP                     COORDINATOR (ID)          ASSIGNMENT-STRATEGY  STATE           #MEMBERS\n' +
        'orders-audit              127.0.0.1:42793 (0)                            Empty           0\n',
    );
    assert.equal(
      formatGroupStates([{ groupId: 'a-rather-long-group-id', state: 'Empty' }]),
      'GROUP                  STATE\na-rather-long-group-id Empty\n',
    );
  });

  test('--reset-offsets: fixed 30/30/10/15 columns', () => {
    assert.equal(
      formatNewOffsets([{ group: 'g', topic: 't', partition: 0, offset: 7 }]),
      `\n${'GROUP'.padEnd(30)} ${'TOPIC'.padEnd(30)} ${'PARTITION'.padEnd(10)} ${'NEW-OFFSET'.padEnd(15)}\n` +
        `${'g'.padEnd(30)} ${'t'.padEnd(30)} ${'0'.padEnd(10)} ${'7'.padEnd(15)}\n`,
    );
  });
});

describe('reset strategies', () => {
  const partitions: TopicPartitionRef[] = [
    { topic: 't', partition: 0 },
    { topic: 't', partition: 1 },
  ];
  /** Partition 0 holds offsets 10..19 (timestamps 1000 + offset), partition 1 is empty at 5. */
  const lookups: OffsetLookups = {
    earliest: async (tps) => new Map(tps.map((tp) => [partitionKey(tp), tp.partition === 0 ? 10 : 5])),
    latest: async (tps) => new Map(tps.map((tp) => [partitionKey(tp), tp.partition === 0 ? 20 : 5])),
    forTimestamp: async (tps, ts) =>
      new Map(
        tps.map((tp) => [partitionKey(tp), tp.partition === 0 && ts <= 1019 ? Math.max(10, ts - 1000) : -1]),
      ),
    committed: new Map([
      ['t-0', 15],
      ['t-1', 5],
    ]),
  };
  const offsets = async (strategy: Parameters<typeof planReset>[1], l = lookups) =>
    (await planReset(partitions, strategy, l)).offsets.map((o) => o.offset);

  test('earliest, latest, current', async () => {
    assert.deepEqual(await offsets({ kind: 'earliest' }), [10, 5]);
    assert.deepEqual(await offsets({ kind: 'latest' }), [20, 5]);
    assert.deepEqual(await offsets({ kind: 'current' }), [15, 5]);
    const noCommit = { ...lookups, committed: new Map([['t-0', 12]]) };
    assert.deepEqual(await offsets({ kind: 'current' }, noCommit), [12, 5]);
  });

  test('an explicit offset or shift is kept within [earliest, latest], with a warning', async () => {
    assert.deepEqual(await offsets({ kind: 'offset', offset: 17 }), [17, 5]);
    const low = await planReset(partitions, { kind: 'offset', offset: 3 }, lookups);
    assert.deepEqual(
      low.offsets.map((o) => o.offset),
      [10, 5],
    );
    assert.match(
      low.warnings[0] ?? '',
      /New offset \(3\) is lower than earliest offset for topic partition t-0\. Value will be set to 10/,
    );
    assert.deepEqual(await offsets({ kind: 'shift', by: -2 }), [13, 5]);
    const high = await planReset(partitions, { kind: 'shift', by: 100 }, lookups);
    assert.deepEqual(
      high.offsets.map((o) => o.offset),
      [20, 5],
    );
    assert.match(high.warnings.join('\n'), /higher than latest offset for topic partition t-0/);
  });

  test('a shift needs a committed offset', async () => {
    const noCommit = { ...lookups, committed: new Map<string, number>() };
    await assert.rejects(
      planReset(partitions, { kind: 'shift', by: 1 }, noCommit),
      /Cannot shift offset for partition t-0 since there is no current committed offset/,
    );
  });

  test('a timestamp finds the first later record, else (silently, as Kafka 2.7) the latest offset', async () => {
    const plan = await planReset(partitions, { kind: 'timestamp', timestampMs: 1013 }, lookups);
    assert.deepEqual(
      plan.offsets.map((o) => o.offset),
      [13, 5],
    );
    assert.deepEqual(plan.warnings, []);
    assert.deepEqual(await offsets({ kind: 'timestamp', timestampMs: 5000 }), [20, 5]);
  });

  test('--topic scope', () => {
    assert.deepEqual(parseTopicScope('orders'), { topic: 'orders' });
    assert.deepEqual(parseTopicScope('orders:0,2'), { topic: 'orders', partitions: [0, 2] });
    assert.throws(() => parseTopicScope('orders:x'), UsageError);
    assert.throws(() => parseTopicScope(':1'), UsageError);
  });
});
