// Parity with Apache Kafka 2.7.2, judged by Kafka's own command-line tools: one scenario (kafka-topics,
// the console producer and consumer, kafka-consumer-groups, the producer and consumer perf tests) runs
// through --bootstrap-server against a 3-broker Sluice cluster and against a real single-broker Kafka
// 2.7.2, and the two runs must print the same things, modulo broker ids, config lists and timings. The
// jars come from scripts/kafka-reference.sh; test/kafka-reference.ts runs them.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { type RunResult, startCluster, type TestCluster, waitFor } from '../helpers.ts';
import { KafkaReferenceBroker, kafkaReferenceMissing, runKafkaTool } from '../kafka-reference.ts';

const TOPIC = 'topic123';
const PERF_TOPIC = 'perf-parity';
const GROUP = 'parity-group';
const PARTITIONS = 3;
const KEYED_LINES = 1_000;
const KEYS = 37;
const PERF_RECORDS = 20_000;
const CONSUMER_TIMEOUT_MS = 30_000;
const DELETE_TIMEOUT_MS = 30_000;

interface ScenarioResult {
  create: RunResult;
  list: RunResult;
  describe: RunResult;
  produce: RunResult;
  consume: RunResult;
  groups: RunResult;
  describeGroup: RunResult;
  perf: RunResult;
  consumerPerf: RunResult;
  delete: RunResult;
  /** The first --list after the delete that no longer shows the topic, or why none came. */
  listAfterDelete: RunResult | Error;
}

/** `key-<i mod KEYS>:value-<i>` lines: the value's number gives the line's place in the input. */
function keyedInput(): string {
  return Array.from({ length: KEYED_LINES }, (_, i) => `key-${i % KEYS}:value-${i}\n`).join('');
}

function lines(text: string): string[] {
  return text.split('\n').filter((line) => line.length > 0);
}

/** The same steps, through Kafka's tools only, against whatever serves `bootstrap`. */
async function scenario(bootstrap: string): Promise<ScenarioResult> {
  const server = ['--bootstrap-server', bootstrap];
  const create = await runKafkaTool('kafka-topics', [
    ...server,
    '--create',
    '--topic',
    TOPIC,
    '--partitions',
    String(PARTITIONS),
    '--replication-factor',
    '1',
  ]);
  const [list, describe] = await Promise.all([
    runKafkaTool('kafka-topics', [...server, '--list']),
    runKafkaTool('kafka-topics', [...server, '--describe', '--topic', TOPIC]),
  ]);
  const produce = await runKafkaTool(
    'kafka-console-producer',
    [...server, '--topic', TOPIC, '--property', 'parse.key=true', '--property', 'key.separator=:'],
    { input: keyedInput() },
  );
  // The perf test writes to a topic of its own (auto-created), so it cannot change what is consumed.
  const [consume, perf] = await Promise.all([
    runKafkaTool('kafka-console-consumer', [
      ...server,
      '--topic',
      TOPIC,
      '--group',
      GROUP,
      '--from-beginning',
      '--max-messages',
      String(KEYED_LINES),
      '--timeout-ms',
      String(CONSUMER_TIMEOUT_MS),
      '--property',
      'print.key=true',
      '--property',
      'print.partition=true',
      '--property',
      'print.offset=true',
    ]),
    runKafkaTool('kafka-producer-perf-test', [
      '--topic',
      PERF_TOPIC,
      '--num-records',
      String(PERF_RECORDS),
      '--record-size',
      '100',
      '--throughput',
      '-1',
      '--producer-props',
      `bootstrap.servers=${bootstrap}`,
    ]),
  ]);
  // The consumer committed on close and left: the group is empty, with its offsets.
  const [groups, describeGroup] = await Promise.all([
    runKafkaTool('kafka-consumer-groups', [...server, '--list']),
    runKafkaTool('kafka-consumer-groups', [...server, '--describe', '--group', GROUP]),
  ]);
  // The consumer perf test reads the perf topic in a group of its own, so the deletion of the other
  // topic and --list are untouched by it.
  const deleteAndList = async (): Promise<[RunResult, RunResult | Error]> => {
    const deleted = await runKafkaTool('kafka-topics', [...server, '--delete', '--topic', TOPIC]);
    const listed = await waitFor(
      async () => {
        const result = await runKafkaTool('kafka-topics', [...server, '--list']);
        return result.code === 0 && !lines(result.stdout).includes(TOPIC) ? result : null;
      },
      { timeoutMs: DELETE_TIMEOUT_MS, intervalMs: 200, message: `${TOPIC} gone from --list at ${bootstrap}` },
    ).catch((err: unknown) => (err instanceof Error ? err : new Error(String(err))));
    return [deleted, listed];
  };
  const [consumerPerf, [deleted, listAfterDelete]] = await Promise.all([
    runKafkaTool('kafka-consumer-perf-test', [
      ...server,
      '--topic',
      PERF_TOPIC,
      '--messages',
      String(PERF_RECORDS),
      '--timeout',
      String(CONSUMER_TIMEOUT_MS),
    ]),
    deleteAndList(),
  ]);
  return {
    create,
    list,
    describe,
    produce,
    consume,
    groups,
    describeGroup,
    perf,
    consumerPerf,
    delete: deleted,
    listAfterDelete,
  };
}

function assertSucceeded(result: RunResult, what: string): void {
  assert.equal(result.code, 0, `${what} exited with ${result.code}; stderr: ${result.stderr}`);
}

/**
 * --describe with broker ids and config lists taken out, after checking, per partition line, that the
 * leader is one of the replicas and the ISR a subset of them.
 */
function describeShape(stdout: string): string[] {
  return lines(stdout).map((line) => {
    const partition = /\tLeader: (-?\d+)\tReplicas: ([\d,]*)\tIsr: ([\d,]*)/.exec(line);
    if (partition) {
      const replicas = partition[2]!.split(',');
      assert.ok(replicas.includes(partition[1]!), `leader is a replica: ${line}`);
      for (const isr of partition[3]!.split(','))
        assert.ok(replicas.includes(isr), `ISR ⊆ replicas: ${line}`);
    }
    return line
      .replace(/Configs: .*$/, 'Configs: <configs>')
      .replace(/(Leader|Replicas|Isr): [-\d,]+/g, (_, field: string) => `${field}: <ids>`);
  });
}

interface ConsumedRecord {
  partition: number;
  offset: number;
  key: string;
  value: string;
}

/** print.partition, print.offset and print.key lines: `Partition:0\tOffset:5\tkey\tvalue`. */
function parseConsumed(stdout: string): ConsumedRecord[] {
  return lines(stdout).map((line) => {
    const match = /^Partition:(\d+)\tOffset:(\d+)\t([^\t]*)\t(.*)$/.exec(line);
    assert.ok(match, `a print.partition/print.offset/print.key line: ${JSON.stringify(line)}`);
    return { partition: Number(match[1]), offset: Number(match[2]), key: match[3]!, value: match[4]! };
  });
}

/**
 * What the console consumer printed is what the console producer read, once each: every key in one
 * partition, and in each partition offsets 0, 1, 2, ... in the order the lines were given.
 */
function assertConsumedMatchesInput(records: ConsumedRecord[], target: string): void {
  assert.deepEqual(
    records.map((r) => `${r.key}:${r.value}`).sort(),
    lines(keyedInput()).sort(),
    `${target}: the multiset of key:value lines consumed is the one produced`,
  );
  const partitionOfKey = new Map<string, number>();
  for (const r of records) {
    assert.equal(
      partitionOfKey.get(r.key) ?? r.partition,
      r.partition,
      `${target}: ${r.key} in one partition`,
    );
    partitionOfKey.set(r.key, r.partition);
  }
  for (let partition = 0; partition < PARTITIONS; partition++) {
    const inPartition = records.filter((r) => r.partition === partition).sort((a, b) => a.offset - b.offset);
    assert.deepEqual(
      inPartition.map((r) => r.offset),
      inPartition.map((_, i) => i),
      `${target}: partition ${partition} has offsets 0..n-1`,
    );
    const inputOrder = inPartition.map((r) => Number(r.value.slice('value-'.length)));
    assert.deepEqual(
      inputOrder,
      [...inputOrder].sort((a, b) => a - b),
      `${target}: partition ${partition} keeps the input order`,
    );
  }
}

/**
 * The data.consumed.in.MB and data.consumed.in.nMsg cells of kafka-consumer-perf-test's CSV line
 * (`start.time, end.time, data.consumed.in.MB, MB.sec, data.consumed.in.nMsg, ...`).
 */
function consumerPerfConsumed(stdout: string): { megabytes: string; records: number } {
  const [header = '', row = ''] = lines(stdout);
  const names = header.split(', ');
  const cells = row.split(', ');
  const cell = (name: string) => cells[names.indexOf(name)] ?? '';
  assert.equal(cells.length, names.length, `a consumer perf-test header and row: ${JSON.stringify(stdout)}`);
  return { megabytes: cell('data.consumed.in.MB'), records: Number(cell('data.consumed.in.nMsg')) };
}

/**
 * kafka-consumer-groups --describe as rows of cells, header first, rows sorted: the tool prints the
 * partitions in no fixed order.
 */
function groupTable(stdout: string): string[][] {
  const [header = [], ...rows] = lines(stdout).map((line) => line.trim().split(/\s+/));
  return [header, ...rows.sort((a, b) => a.join(' ').localeCompare(b.join(' ')))];
}

/** `20000 records sent, 21482.3 records/sec (2.05 MB/sec), ...`: the count in the final line. */
function perfRecordsSent(stdout: string): number {
  const last = lines(stdout).at(-1) ?? '';
  const match = /^(\d+) records sent, /.exec(last);
  assert.ok(match, `a final perf-test summary line: ${JSON.stringify(last)}`);
  return Number(match[1]);
}

describe('Kafka 2.7.2 tools: Sluice answers as Kafka does', { timeout: 180_000 }, () => {
  let sluice: TestCluster | undefined;
  let kafka: KafkaReferenceBroker | undefined;
  let onSluice: ScenarioResult;
  let onKafka: ScenarioResult;

  before(async () => {
    const missing = kafkaReferenceMissing();
    // Fails loudly rather than skipping: .ci/run fetches the jars.
    assert.equal(missing, null, missing ?? '');
    const started = await Promise.allSettled([
      startCluster({ brokers: 3, kafkaListener: true }),
      KafkaReferenceBroker.start(),
    ]);
    if (started[0].status === 'fulfilled') sluice = started[0].value;
    if (started[1].status === 'fulfilled') kafka = started[1].value;
    for (const outcome of started) if (outcome.status === 'rejected') throw outcome.reason;
    assert.ok(sluice && kafka);
    const bootstrap = sluice.cluster.brokers.map((b) => b.kafkaAddress ?? '').join(',');
    // Independent targets: the two runs overlap to halve the JVM start-up time the test waits for.
    [onSluice, onKafka] = await Promise.all([scenario(bootstrap), scenario(kafka.bootstrap)]);
  });
  after(async () => {
    await Promise.allSettled([sluice?.stop(), kafka?.stop()]);
  });

  it('kafka-topics --create, --list and --describe print the same', () => {
    for (const [target, run] of [
      ['Sluice', onSluice],
      ['Kafka', onKafka],
    ] as const) {
      assertSucceeded(run.create, `${target}: kafka-topics --create`);
      assertSucceeded(run.list, `${target}: kafka-topics --list`);
      assertSucceeded(run.describe, `${target}: kafka-topics --describe`);
    }
    assert.equal(onKafka.create.stdout, `Created topic ${TOPIC}.\n`);
    assert.equal(onSluice.create.stdout, onKafka.create.stdout);
    assert.deepEqual(lines(onKafka.list.stdout), [TOPIC]);
    assert.deepEqual(lines(onSluice.list.stdout), lines(onKafka.list.stdout));
    const kafkaShape = describeShape(onKafka.describe.stdout);
    assert.equal(kafkaShape.length, 1 + PARTITIONS);
    assert.deepEqual(describeShape(onSluice.describe.stdout), kafkaShape);
  });

  it('the console producer reads every keyed line on both', () => {
    assertSucceeded(onKafka.produce, 'Kafka: kafka-console-producer');
    assertSucceeded(onSluice.produce, 'Sluice: kafka-console-producer');
    assert.equal(onSluice.produce.stdout, onKafka.produce.stdout);
  });

  it('the console consumer reads the same records, at the same partitions and offsets', () => {
    const consumed: ConsumedRecord[][] = [];
    for (const [target, run] of [
      ['Sluice', onSluice],
      ['Kafka', onKafka],
    ] as const) {
      assertSucceeded(run.consume, `${target}: kafka-console-consumer`);
      assert.match(run.consume.stderr, new RegExp(`Processed a total of ${KEYED_LINES} messages`));
      const records = parseConsumed(run.consume.stdout);
      assertConsumedMatchesInput(records, target);
      consumed.push(records);
    }
    // The producer's partitioner is the client's, so the placement is the same on both.
    const placed = (rs: ConsumedRecord[]) =>
      rs.map((r) => `${r.partition}/${r.offset} ${r.key}:${r.value}`).sort();
    assert.deepEqual(placed(consumed[0]!), placed(consumed[1]!));
  });

  it('kafka-consumer-groups --list and --describe show the same group and committed offsets', () => {
    for (const [target, run] of [
      ['Sluice', onSluice],
      ['Kafka', onKafka],
    ] as const) {
      assertSucceeded(run.groups, `${target}: kafka-consumer-groups --list`);
      assertSucceeded(run.describeGroup, `${target}: kafka-consumer-groups --describe`);
    }
    assert.deepEqual(lines(onKafka.groups.stdout), [GROUP]);
    assert.deepEqual(lines(onSluice.groups.stdout), lines(onKafka.groups.stdout));
    const kafkaTable = groupTable(onKafka.describeGroup.stdout);
    assert.equal(kafkaTable.length, 1 + PARTITIONS);
    assert.deepEqual(groupTable(onSluice.describeGroup.stdout), kafkaTable);
    assert.equal(onSluice.describeGroup.stderr, onKafka.describeGroup.stderr);
  });

  it(`kafka-producer-perf-test sends ${PERF_RECORDS} records to both`, () => {
    assertSucceeded(onKafka.perf, 'Kafka: kafka-producer-perf-test');
    assertSucceeded(onSluice.perf, 'Sluice: kafka-producer-perf-test');
    assert.equal(perfRecordsSent(onKafka.perf.stdout), PERF_RECORDS);
    assert.equal(perfRecordsSent(onSluice.perf.stdout), PERF_RECORDS);
  });

  it(`kafka-consumer-perf-test reads the ${PERF_RECORDS} records back from both`, () => {
    assertSucceeded(onKafka.consumerPerf, 'Kafka: kafka-consumer-perf-test');
    assertSucceeded(onSluice.consumerPerf, 'Sluice: kafka-consumer-perf-test');
    const onKafkaConsumed = consumerPerfConsumed(onKafka.consumerPerf.stdout);
    assert.equal(onKafkaConsumed.records, PERF_RECORDS);
    assert.deepEqual(consumerPerfConsumed(onSluice.consumerPerf.stdout), onKafkaConsumed);
  });

  it('kafka-topics --delete removes the topic from --list on both', (t) => {
    assertSucceeded(onKafka.delete, 'Kafka: kafka-topics --delete');
    assertSucceeded(onSluice.delete, 'Sluice: kafka-topics --delete');
    assert.equal(onSluice.delete.stdout, onKafka.delete.stdout);
    for (const [target, listed] of [
      ['Sluice', onSluice.listAfterDelete],
      ['Kafka', onKafka.listAfterDelete],
    ] as const) {
      assert.ok(!(listed instanceof Error), `${target}: ${listed instanceof Error ? listed.message : ''}`);
    }
    // The offsets topic, made by the group's first commit, is listed on both.
    const remaining = (run: ScenarioResult) => lines((run.listAfterDelete as RunResult).stdout);
    assert.deepEqual(remaining(onKafka), ['__consumer_offsets', PERF_TOPIC]);
    assert.deepEqual(remaining(onSluice), remaining(onKafka));
    // Where the wall time went (each step is at least one JVM start).
    for (const [target, run] of [
      ['Sluice', onSluice],
      ['Kafka', onKafka],
    ] as const) {
      const steps = Object.entries(run)
        .filter(([, result]) => !(result instanceof Error))
        .map(([step, result]) => `${step} ${(result as RunResult).elapsedMs} ms`);
      t.diagnostic(`${target}: ${steps.join(', ')}`);
    }
  });
});
