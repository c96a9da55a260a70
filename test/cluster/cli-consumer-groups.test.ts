// `sluice consumer-groups` and `sluice console-consumer --group` against a real 3-broker cluster: a
// group consumes part of a topic while more is produced, then the tool lists it, describes its offsets
// and lag, resets its offsets with every strategy (dry run and execute), refuses while a member is
// active, deletes it, and fails with Kafka's messages on the error paths.
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { after, before, describe, it } from 'node:test';
import { type RunResult, runSluice, startCluster, type TestCluster, waitFor } from '../helpers.ts';

const TOPIC = 'cg-orders';
const PARTITIONS = 3;
const OFFSETS_HEADER =
  'GROUP           TOPIC           PARTITION  CURRENT-OFFSET  LOG-END-OFFSET  LAG             CONSUMER-ID     HOST            CLIENT-ID';

function sluice(args: readonly string[], input = '', timeoutMs = 60_000): Promise<RunResult> {
  return runSluice(args, { input, timeoutMs });
}

interface Row {
  group: string;
  topic: string;
  partition: number;
  current: string;
  logEnd: string;
  lag: string;
  consumerId: string;
  host: string;
  clientId: string;
}

/** The rows of a --describe --offsets table (stdout), by partition. */
function offsetRows(stdout: string): Row[] {
  const lines = stdout.split('\n').filter((l) => l.trim() !== '');
  assert.match(
    lines[0] ?? '',
    /^GROUP\s+TOPIC\s+PARTITION\s+CURRENT-OFFSET\s+LOG-END-OFFSET\s+LAG\s+CONSUMER-ID\s+HOST\s+CLIENT-ID$/,
  );
  return lines
    .slice(1)
    .map((line) => {
      const [group, topic, partition, current, logEnd, lag, consumerId, host, clientId] = line.split(
        /\s+/,
      ) as string[];
      return {
        group: group as string,
        topic: topic as string,
        partition: Number(partition),
        current: current as string,
        logEnd: logEnd as string,
        lag: lag as string,
        consumerId: consumerId as string,
        host: host as string,
        clientId: clientId as string,
      };
    })
    .sort((a, b) => a.partition - b.partition);
}

/** The NEW-OFFSET rows of a --reset-offsets answer, by partition. */
function newOffsets(stdout: string): Map<number, number> {
  const lines = stdout.split('\n').filter((l) => l.trim() !== '');
  assert.match(lines[0] ?? '', /^GROUP {26}TOPIC {26}PARTITION {2}NEW-OFFSET {5}$/);
  return new Map(
    lines.slice(1).map((line) => {
      const [, , partition, offset] = line.trim().split(/\s+/);
      return [Number(partition), Number(offset)];
    }),
  );
}

const sum = (values: readonly string[]) => values.reduce((n, v) => n + (v === '-' ? 0 : Number(v)), 0);

describe('sluice consumer-groups', () => {
  let test: TestCluster;
  let bootstrap: string;

  const groups = (...args: string[]) => sluice(['consumer-groups', '--bootstrap-server', bootstrap, ...args]);
  const produce = (lines: string[]) =>
    sluice(['console-producer', '--bootstrap-server', bootstrap, '--topic', TOPIC], `${lines.join('\n')}\n`);
  const describeOffsets = async (group: string) => {
    const result = await groups('--describe', '--group', group);
    assert.equal(result.code, 0, result.stderr);
    return { ...result, rows: offsetRows(result.stdout) };
  };

  before(async () => {
    test = await startCluster({ brokers: 3 });
    bootstrap = test.cluster.bootstrap.join(',');
    const created = await sluice([
      'topics',
      '--create',
      '--bootstrap-server',
      bootstrap,
      '--topic',
      TOPIC,
      '--partitions',
      String(PARTITIONS),
      '--replication-factor',
      '1',
    ]);
    assert.equal(created.code, 0, created.stderr);
    const produced = await produce(Array.from({ length: 30 }, (_, i) => `first-${i}`));
    assert.equal(produced.code, 0, produced.stderr);
  });

  after(async () => {
    await test?.stop();
  });

  it('console-consumer --group consumes part of the topic and commits what it printed', async () => {
    const consumed = await sluice([
      'console-consumer',
      '--bootstrap-server',
      bootstrap,
      '--topic',
      TOPIC,
      '--group',
      'cg-a',
      '--from-beginning',
      '--max-messages',
      '10',
      '--timeout-ms',
      '30000',
    ]);
    assert.equal(consumed.code, 0, consumed.stderr);
    assert.equal(consumed.stdout.trimEnd().split('\n').length, 10);
    assert.match(consumed.stderr, /Processed a total of 10 messages/);
    const more = await produce(Array.from({ length: 15 }, (_, i) => `second-${i}`));
    assert.equal(more.code, 0, more.stderr);
  });

  it('--list shows the group, with its state under --state', async () => {
    const listed = await groups('--list');
    assert.equal(listed.code, 0, listed.stderr);
    assert.match(listed.stdout, /^cg-a$/m);
    const states = await groups('--list', '--state');
    assert.equal(states.code, 0, states.stderr);
    assert.match(states.stdout, /^GROUP {11}STATE\n/);
    assert.match(states.stdout, /^cg-a {12}Empty$/m);
    const stable = await groups('--list', '--state', 'Stable');
    assert.doesNotMatch(stable.stdout, /cg-a/);
  });

  it('--describe shows CURRENT-OFFSET, LOG-END-OFFSET and LAG of a group with no active members', async () => {
    const { stdout, stderr, rows } = await describeOffsets('cg-a');
    assert.match(stderr, /^\nConsumer group 'cg-a' has no active members\.\n/);
    assert.ok(stdout.startsWith(`\n${OFFSETS_HEADER}\n`), stdout);
    assert.ok(rows.length > 0 && rows.length <= PARTITIONS, stdout);
    for (const row of rows) {
      assert.equal(row.group, 'cg-a');
      assert.equal(row.topic, TOPIC);
      assert.equal(Number(row.lag), Number(row.logEnd) - Number(row.current));
      assert.deepEqual([row.consumerId, row.host, row.clientId], ['-', '-', '-']);
    }
    assert.equal(sum(rows.map((r) => r.current)), 10, stdout);
    // Every partition with a committed offset is listed; those with none are not (no member owns them).
    const everyPartition = await groups(
      '--reset-offsets',
      '--group',
      'cg-a',
      '--topic',
      TOPIC,
      '--to-latest',
      '--dry-run',
    );
    const ends = newOffsets(everyPartition.stdout);
    assert.equal(
      [...ends.values()].reduce((a, b) => a + b, 0),
      45,
    );
    for (const row of rows) assert.equal(Number(row.logEnd), ends.get(row.partition));

    const members = await groups('--describe', '--group', 'cg-a', '--members');
    assert.equal(members.code, 0, members.stderr);
    assert.equal(members.stdout, '');
    assert.match(members.stderr, /Consumer group 'cg-a' has no active members\./);
    const state = await groups('--describe', '--group', 'cg-a', '--state');
    assert.equal(state.code, 0, state.stderr);
    assert.match(
      state.stdout,
      /^GROUP {21}COORDINATOR \(ID\) {10}ASSIGNMENT-STRATEGY {2}STATE {11}#MEMBERS$/m,
    );
    assert.match(state.stdout, /^cg-a {22}\S+:\d+ \(\d\) +Empty {11}0$/m);
  });

  it('--reset-offsets with each strategy: --dry-run changes nothing, --execute commits', async () => {
    const before = (await describeOffsets('cg-a')).rows;
    const reset = async (...args: string[]) => {
      const result = await groups('--reset-offsets', '--group', 'cg-a', ...args);
      assert.equal(result.code, 0, result.stderr);
      return { ...result, offsets: newOffsets(result.stdout) };
    };

    const warned = await groups('--reset-offsets', '--group', 'cg-a', '--all-topics', '--to-earliest');
    assert.equal(warned.code, 0, warned.stderr);
    assert.match(warned.stderr, /WARN: No action will be performed as the --execute option is missing/);
    const earliest = await reset('--all-topics', '--to-earliest', '--dry-run');
    assert.equal(earliest.stderr, '');
    assert.deepEqual([...earliest.offsets.keys()].sort(), before.map((r) => r.partition).sort());
    for (const offset of earliest.offsets.values()) assert.equal(offset, 0);
    assert.deepEqual((await describeOffsets('cg-a')).rows, before, 'a dry run changes nothing');

    const latest = await reset('--topic', TOPIC, '--to-latest', '--execute');
    assert.equal(latest.offsets.size, PARTITIONS);
    const afterLatest = (await describeOffsets('cg-a')).rows;
    assert.equal(afterLatest.length, PARTITIONS);
    for (const row of afterLatest) {
      assert.equal(row.current, row.logEnd);
      assert.equal(row.lag, '0');
      assert.equal(Number(row.current), latest.offsets.get(row.partition));
    }

    const current = await reset('--all-topics', '--to-current', '--dry-run');
    for (const row of afterLatest) assert.equal(current.offsets.get(row.partition), Number(row.current));

    const shifted = await reset('--all-topics', '--shift-by', '-2', '--execute');
    const afterShift = (await describeOffsets('cg-a')).rows;
    for (const row of afterShift) {
      const end = latest.offsets.get(row.partition) as number;
      assert.equal(Number(row.current), Math.max(0, end - 2));
      assert.equal(shifted.offsets.get(row.partition), Number(row.current));
      assert.equal(row.lag, String(end - Number(row.current)));
    }

    const toOffset = await reset(`--topic`, `${TOPIC}:0`, '--to-offset', '1', '--execute');
    assert.deepEqual([...toOffset.offsets.keys()], [0]);
    const end0 = latest.offsets.get(0) as number;
    assert.equal(toOffset.offsets.get(0), Math.min(1, end0));
    const beyond = await reset('--topic', `${TOPIC}:0`, '--to-offset', '1000000', '--dry-run');
    assert.equal(beyond.offsets.get(0), end0);
    assert.match(
      beyond.stderr,
      /^\[\S+\] WARN New offset \(1000000\) is higher than latest offset for topic partition cg-orders-0\. Value will be set to \d+$/m,
    );

    const hourAgo = await reset('--all-topics', '--by-duration', 'PT1H', '--dry-run');
    for (const offset of hourAgo.offsets.values()) assert.equal(offset, 0);
    const now = await reset('--all-topics', '--by-duration', 'PT0S', '--dry-run');
    for (const [partition, offset] of now.offsets) assert.equal(offset, latest.offsets.get(partition));
    const longAgo = await reset('--all-topics', '--to-datetime', '2000-01-01T00:00:00.000', '--execute');
    for (const offset of longAgo.offsets.values()) assert.equal(offset, 0);
    const rewound = (await describeOffsets('cg-a')).rows;
    assert.equal(sum(rewound.map((r) => r.current)), 0);
    assert.equal(sum(rewound.map((r) => r.lag)), 45);
  });

  it('console-consumer --group resumes from the committed offsets, --from-beginning notwithstanding', async () => {
    const first = await sluice([
      'console-consumer',
      '--bootstrap-server',
      bootstrap,
      '--topic',
      TOPIC,
      '--group',
      'cg-b',
      '--from-beginning',
      '--max-messages',
      '20',
      '--timeout-ms',
      '30000',
    ]);
    assert.equal(first.code, 0, first.stderr);
    const rest = await sluice([
      'console-consumer',
      '--bootstrap-server',
      bootstrap,
      '--topic',
      TOPIC,
      '--group',
      'cg-b',
      '--from-beginning',
      '--max-messages',
      '25',
      '--timeout-ms',
      '30000',
    ]);
    assert.equal(rest.code, 0, rest.stderr);
    const seen = [...first.stdout.trimEnd().split('\n'), ...rest.stdout.trimEnd().split('\n')].sort();
    assert.equal(seen.length, 45);
    assert.equal(new Set(seen).size, 45, 'no record read twice');
    const { rows } = await describeOffsets('cg-b');
    assert.equal(sum(rows.map((r) => r.lag)), 0);
  });

  it('console-consumer --group --whitelist subscribes the group to every matching topic', async () => {
    for (const topic of ['cgw-1', 'cgw-2']) {
      const produced = await sluice(
        ['console-producer', '--bootstrap-server', bootstrap, '--topic', topic],
        `${topic}-a\n${topic}-b\n`,
      );
      assert.equal(produced.code, 0, produced.stderr);
    }
    const consumed = await sluice([
      'console-consumer',
      '--bootstrap-server',
      bootstrap,
      '--whitelist',
      'cgw-.*',
      '--group',
      'cg-w',
      '--from-beginning',
      '--max-messages',
      '4',
      '--timeout-ms',
      '30000',
    ]);
    assert.equal(consumed.code, 0, consumed.stderr);
    assert.deepEqual(consumed.stdout.trimEnd().split('\n').sort(), [
      'cgw-1-a',
      'cgw-1-b',
      'cgw-2-a',
      'cgw-2-b',
    ]);
    const { rows } = await describeOffsets('cg-w');
    for (const topic of ['cgw-1', 'cgw-2']) {
      const ofTopic = rows.filter((r) => r.topic === topic);
      assert.equal(sum(ofTopic.map((r) => r.current)), 2, topic);
      assert.equal(sum(ofTopic.map((r) => r.lag)), 0, topic);
    }
  });

  it('refuses to reset or delete a group with an active member, whose partitions --describe shows', async () => {
    let child: ChildProcess | undefined;
    const running = runSluice(
      [
        'console-consumer',
        '--bootstrap-server',
        bootstrap,
        '--topic',
        TOPIC,
        '--group',
        'cg-a',
        '--timeout-ms',
        '120000',
      ],
      {
        timeoutMs: 150_000,
        onSpawn: (c) => {
          child = c;
        },
      },
    );
    try {
      await waitFor(
        async () => {
          const state = await groups('--describe', '--group', 'cg-a', '--state');
          return /\sStable\s+1$/m.test(state.stdout);
        },
        { timeoutMs: 60_000, intervalMs: 500, message: 'cg-a to be Stable with one member' },
      );
      const members = await groups('--describe', '--group', 'cg-a', '--members', '--verbose');
      assert.equal(members.code, 0, members.stderr);
      assert.match(members.stdout, /^GROUP\s+CONSUMER-ID\s+HOST\s+CLIENT-ID\s+#PARTITIONS\s+ASSIGNMENT$/m);
      assert.match(
        members.stdout,
        new RegExp(`^cg-a\\s+\\S+\\s+\\S+\\s+consumer-cg-a-1\\s+3\\s+${TOPIC}\\(0,1,2\\)$`, 'm'),
      );
      const { rows, stderr } = await describeOffsets('cg-a');
      assert.equal(stderr, '');
      assert.equal(rows.length, PARTITIONS);
      for (const row of rows) assert.notEqual(row.consumerId, '-');

      const refused = await groups(
        '--reset-offsets',
        '--group',
        'cg-a',
        '--all-topics',
        '--to-latest',
        '--execute',
      );
      assert.equal(refused.code, 1);
      assert.match(
        refused.stderr,
        /^Error: Assignments can only be reset if the group 'cg-a' is inactive, but the current state is Stable\.$/m,
      );
      const notDeleted = await groups('--delete', '--group', 'cg-a');
      assert.equal(notDeleted.code, 1);
      assert.match(notDeleted.stderr, /^Error: Deletion of some consumer groups failed:$/m);
      assert.match(notDeleted.stderr, /^\* Group 'cg-a' could not be deleted due to: \w+: /m);
    } finally {
      child?.kill('SIGINT');
    }
    const stopped = await running;
    assert.equal(stopped.code, 0, stopped.stderr);
    // It printed the 45 records (the group was rewound to 0) and committed them on exit.
    assert.equal(stopped.stdout.trimEnd().split('\n').length, 45);
    const { rows } = await describeOffsets('cg-a');
    assert.equal(sum(rows.map((r) => r.current)), 45);
  });

  it('--delete removes the group; an unknown group gets Kafka messages', async () => {
    const deleted = await groups('--delete', '--group', 'cg-b');
    assert.equal(deleted.code, 0, deleted.stderr);
    assert.equal(deleted.stdout, "Deletion of requested consumer groups ('cg-b') was successful.\n");
    const listed = await groups('--list');
    assert.doesNotMatch(listed.stdout, /^cg-b$/m);

    const gone = await groups('--describe', '--group', 'cg-b');
    assert.equal(gone.code, 1);
    assert.match(gone.stderr, /^Error: Consumer group 'cg-b' does not exist\.$/m);
    assert.doesNotMatch(gone.stderr, /\s+at /);
    const again = await groups('--delete', '--group', 'cg-b');
    assert.equal(again.code, 1);
    assert.match(again.stderr, /^\* Group 'cg-b' could not be deleted due to: GroupIdNotFoundError: /m);
  });

  it('fails with one line for a bad flag, bad values and an unreachable broker', async () => {
    const badFlag = await groups('--list', '--no-such-flag');
    assert.equal(badFlag.code, 1);
    assert.match(badFlag.stderr, /^--no-such-flag is not a recognized option$/m);
    const noGroup = await groups('--describe');
    assert.equal(noGroup.code, 1);
    assert.match(noGroup.stderr, /Option --describe takes one of these options: --group, --all-groups/);
    const badDuration = await groups(
      '--reset-offsets',
      '--group',
      'cg-a',
      '--all-topics',
      '--by-duration',
      '10m',
    );
    assert.equal(badDuration.code, 1);
    assert.match(badDuration.stderr, /Invalid duration '10m'/);
    const missingServer = await sluice(['consumer-groups', '--list']);
    assert.equal(missingServer.code, 1);
    assert.match(missingServer.stderr, /Missing required argument --bootstrap-server/);

    const unreachable = await sluice(['consumer-groups', '--list', '--bootstrap-server', '127.0.0.1:1']);
    assert.equal(unreachable.code, 1);
    assert.match(unreachable.stderr, /^Error: Connection to 127\.0\.0\.1:1/m);
    assert.doesNotMatch(unreachable.stderr, /\s+at /);
    const verbose = await sluice([
      'consumer-groups',
      '--describe',
      '--group',
      'g',
      '--bootstrap-server',
      '127.0.0.1:1',
      '--verbose',
    ]);
    assert.equal(verbose.code, 1);
    assert.match(verbose.stderr, /\s+at /);
  });
});
