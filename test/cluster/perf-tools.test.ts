// `sluice producer-perf-test` and `sluice consumer-perf-test` against a real broker: Kafka's output
// lines to the character, records really stored, the throttle, and the error paths.
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Sluice } from '@sluice/client';
import { type RunResult, runSluice, startCluster, type TestCluster } from '../helpers.ts';

function sluice(
  args: readonly string[],
  options: { timeoutMs?: number; onSpawn?: (child: ChildProcess) => void } = {},
): Promise<RunResult> {
  return runSluice(args, options);
}

/** Kafka's ProducerPerformance summary line, every number in its printf format. */
const SUMMARY =
  /^(\d+) records sent, (\d+\.\d{6}) records\/sec \((\d+\.\d{2}) MB\/sec\), (\d+\.\d{2}) ms avg latency, (\d+\.\d{2}) ms max latency, (\d+) ms 50th, (\d+) ms 95th, (\d+) ms 99th, (\d+) ms 99\.9th\.$/;
const PROGRESS =
  /^\d+ records sent, \d+\.\d records\/sec \(\d+\.\d{2} MB\/sec\), \d+\.\d ms avg latency, \d+\.\d ms max latency\.$/;
const CONSUMER_HEADER =
  'start.time, end.time, data.consumed.in.MB, MB.sec, data.consumed.in.nMsg, nMsg.sec, rebalance.time.ms, fetch.time.ms, fetch.MB.sec, fetch.nMsg.sec';
const DATE = '\\d{4}-\\d{2}-\\d{2} \\d{2}:\\d{2}:\\d{2}:\\d{3}';
const CONSUMER_ROW = new RegExp(
  `^(${DATE}), (${DATE}), (\\d+\\.\\d{4}), (\\d+\\.\\d{4}), (\\d+), (\\d+\\.\\d{4}), (\\d+), (\\d+), (\\d+\\.\\d{4}), (\\d+\\.\\d{4})$`,
);

/** Reads every record of the topic with the SDK, until `expected` have arrived and no more come. */
async function readAll(client: Sluice, topic: string, expected: number): Promise<Buffer[]> {
  const [info] = await client.admin().describeTopics([topic]);
  const values: Buffer[] = [];
  const consumers = (info?.partitions ?? []).map((p) =>
    client.consumer({ topic, partition: p.partition, from: 'oldest', maxWaitMs: 100 }),
  );
  // Bounded: stop 1 s after the expected count (to catch extras), or after 20 s in any case.
  const deadline = setTimeout(() => {
    for (const c of consumers) c.close();
  }, 20_000);
  let settle: NodeJS.Timeout | undefined;
  await Promise.all(
    consumers.map(async (consumer) => {
      for await (const batch of consumer.batches()) {
        for (const record of batch) if (record.value) values.push(record.value);
        if (values.length >= expected && settle === undefined) {
          settle = setTimeout(() => {
            for (const c of consumers) c.close();
          }, 1_000);
        }
      }
    }),
  );
  clearTimeout(deadline);
  clearTimeout(settle);
  return values;
}

/** Resolves when the topic's partition 0 has records (bounded: rejects after 20 s). */
async function firstRecords(client: Sluice, topic: string): Promise<void> {
  const consumer = client.consumer({ topic, partition: 0, from: 'oldest', maxWaitMs: 100 });
  const deadline = setTimeout(() => consumer.close(), 20_000);
  try {
    for await (const _batch of consumer.batches()) return;
    throw new Error(`no records in ${topic} within 20 s`);
  } finally {
    clearTimeout(deadline);
    consumer.close();
  }
}

describe('sluice producer-perf-test and consumer-perf-test', () => {
  let test: TestCluster;
  let bootstrap: string;
  let client: Sluice;

  before(async () => {
    test = await startCluster({ brokers: 1 });
    bootstrap = test.cluster.bootstrap.join(',');
    client = new Sluice({ bootstrap: test.cluster.bootstrap });
    await client.admin().createTopic({ topic: 'perf', numPartitions: 3, replicationFactor: 1 });
  });

  after(async () => {
    await client?.close();
    await test?.stop();
  });

  it("sends 20000 records unthrottled and prints Kafka's summary line", async () => {
    const run = await sluice([
      'producer-perf-test',
      '--topic',
      'perf',
      '--num-records',
      '20000',
      '--record-size',
      '100',
      '--throughput',
      '-1',
      '--producer-props',
      `bootstrap.servers=${bootstrap}`,
      'acks=1',
    ]);
    assert.equal(run.code, 0, run.stderr);
    assert.equal(run.stderr, '');
    const lines = run.stdout.trimEnd().split('\n');
    for (const line of lines.slice(0, -1)) assert.match(line, PROGRESS);
    const summary = SUMMARY.exec(lines.at(-1) ?? '');
    assert.ok(summary, `summary line: ${lines.at(-1)}`);
    assert.equal(summary[1], '20000');
    const [avg, max, p50, p95, p99, p999] = summary.slice(4).map(Number) as number[];
    assert.ok((avg as number) <= (max as number));
    assert.ok((p50 as number) <= (p95 as number) && (p95 as number) <= (p99 as number));
    assert.ok((p99 as number) <= (p999 as number) && (p999 as number) <= (max as number));

    const values = await readAll(client, 'perf', 20_000);
    assert.equal(values.length, 20_000);
    for (const value of values) assert.match(value.toString('latin1'), /^[A-Z]{100}$/);
  });

  it("reads them back and prints Kafka's header and a row with nMsg = 20000", async () => {
    const run = await sluice([
      'consumer-perf-test',
      '--bootstrap-server',
      bootstrap,
      '--topic',
      'perf',
      '--messages',
      '20000',
      '--timeout',
      '5000',
    ]);
    assert.equal(run.code, 0, run.stderr);
    const [header, row, ...rest] = run.stdout.trimEnd().split('\n');
    assert.equal(header, CONSUMER_HEADER);
    assert.deepEqual(rest, []);
    const fields = CONSUMER_ROW.exec(row ?? '');
    assert.ok(fields, `row: ${row}`);
    assert.equal(fields[3], '1.9073', '20000 x 100 bytes in MB');
    assert.equal(fields[5], '20000');
    assert.equal(fields[7], '0', 'rebalance.time.ms: no group to join');
    const startMs = new Date(fields[1]?.replace(/:(\d{3})$/, '.$1') ?? '').getTime();
    const endMs = new Date(fields[2]?.replace(/:(\d{3})$/, '.$1') ?? '').getTime();
    assert.equal(Number(fields[8]), endMs - startMs, 'fetch.time.ms is the whole run');
  });

  it('prints per-interval rows with --show-detailed-stats and warns when --timeout ends the run', async () => {
    const run = await sluice([
      'consumer-perf-test',
      '--bootstrap-server',
      bootstrap,
      '--topic',
      'perf',
      '--messages',
      '30000',
      '--timeout',
      '500',
      '--show-detailed-stats',
      '--reporting-interval',
      '1',
      '--group',
      'ignored',
    ]);
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stderr, /consumer groups are not in Sluice yet/);
    const lines = run.stdout.trimEnd().split('\n');
    assert.equal(
      lines[0],
      'time, threadId, data.consumed.in.MB, MB.sec, data.consumed.in.nMsg, nMsg.sec, rebalance.time.ms, fetch.time.ms, fetch.MB.sec, fetch.nMsg.sec',
    );
    assert.match(
      lines.at(-1) ?? '',
      /^WARNING: Exiting before consuming the expected number of messages: timeout \(500 ms\) exceeded\./,
    );
    const rows = lines.slice(1, -1);
    assert.ok(rows.length >= 1);
    for (const row of rows) {
      assert.match(
        row,
        new RegExp(
          `^${DATE}, 0, \\d+\\.\\d{4}, \\d+\\.\\d{4}, \\d+, \\d+\\.\\d{4}, 0, \\d+, \\d+\\.\\d{4}, \\d+\\.\\d{4}$`,
        ),
      );
    }
  });

  it('throttles to --throughput records/s', async () => {
    await client.admin().createTopic({ topic: 'paced', numPartitions: 1, replicationFactor: 1 });
    const run = await sluice([
      'producer-perf-test',
      '--topic',
      'paced',
      '--num-records',
      '4000',
      '--record-size',
      '10',
      '--throughput',
      '2000',
      '--producer-props',
      `bootstrap.servers=${bootstrap}`,
    ]);
    assert.equal(run.code, 0, run.stderr);
    const summary = SUMMARY.exec(run.stdout.trimEnd().split('\n').at(-1) ?? '');
    assert.ok(summary, run.stdout);
    const recordsPerSec = Number(summary[2]);
    // The last record is due 1.9995 s after the first: the run cannot be faster than ~2000 records/s.
    assert.ok(recordsPerSec <= 2_100, `${recordsPerSec} records/s`);
    assert.ok(recordsPerSec >= 1_000, `${recordsPerSec} records/s`);
    assert.ok(run.elapsedMs >= 1_500, `${run.elapsedMs} ms`);
  });

  it('takes payloads from --payload-file and settings from --producer.config', async () => {
    const payloadFile = join(test.dataDir, 'payloads.txt');
    await writeFile(payloadFile, 'alpha;beta;gamma;');
    const configFile = join(test.dataDir, 'producer.properties');
    await writeFile(configFile, `bootstrap.servers=${bootstrap}\ncompression.type=gzip\n`);
    const run = await sluice([
      'producer-perf-test',
      '--topic',
      'payloads',
      '--num-records',
      '300',
      '--payload-file',
      payloadFile,
      '--payload-delimiter',
      ';',
      '--throughput',
      '-1',
      '--producer.config',
      configFile,
      '--print-metrics',
    ]);
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stderr, /^WARNING: The configuration 'compression\.type' was supplied but is not used/m);
    const lines = run.stdout.split('\n');
    assert.equal(lines[0], `Reading payloads from: ${payloadFile}`);
    assert.equal(lines[1], 'Number of messages read: 3');
    assert.ok(lines.some((l) => SUMMARY.test(l)));
    assert.match(run.stdout, /^Metric Name +Value$/m);
    assert.match(
      run.stdout,
      /^producer-metrics:record-send-total:\{client-id=perf-producer-client\} +: 300\.000$/m,
    );
    const values = await readAll(client, 'payloads', 300);
    assert.equal(values.length, 300);
    assert.deepEqual([...new Set(values.map((v) => v.toString()))].sort(), ['alpha', 'beta', 'gamma']);
  });

  it('stops cleanly on Ctrl-C with the summary so far', async () => {
    await client.admin().createTopic({ topic: 'interrupted', numPartitions: 1, replicationFactor: 1 });
    const running = sluice(
      [
        'producer-perf-test',
        '--topic',
        'interrupted',
        '--num-records',
        '100000',
        '--record-size',
        '10',
        '--throughput',
        '500',
        '--producer-props',
        `bootstrap.servers=${bootstrap}`,
      ],
      {
        onSpawn: (child) => {
          // Interrupt once records are arriving: the run is under way (it would take 200 s).
          void firstRecords(client, 'interrupted').then(() => child.kill('SIGINT'));
        },
      },
    );
    const run = await running;
    assert.equal(run.code, 130, run.stderr);
    const summary = SUMMARY.exec(run.stdout.trimEnd().split('\n').at(-1) ?? '');
    assert.ok(summary, run.stdout);
    assert.ok(Number(summary[1]) > 0 && Number(summary[1]) < 100_000, summary[1]);
  });

  it('fails with one line for a missing --topic, bad --producer-props, unknown topic and unreachable broker', async () => {
    const base = ['--num-records', '10', '--record-size', '10', '--throughput', '-1'];
    const noTopic = await sluice([
      'producer-perf-test',
      ...base,
      '--producer-props',
      `bootstrap.servers=${bootstrap}`,
    ]);
    assert.equal(noTopic.code, 1);
    assert.match(noTopic.stderr, /^Missing required argument --topic$/m);

    const badProp = await sluice([
      'producer-perf-test',
      '--topic',
      'perf',
      ...base,
      '--producer-props',
      'acks',
    ]);
    assert.equal(badProp.code, 1);
    assert.match(badProp.stderr, /^Invalid property: acks$/m);

    const noServers = await sluice([
      'producer-perf-test',
      '--topic',
      'perf',
      ...base,
      '--producer-props',
      'acks=1',
    ]);
    assert.equal(noServers.code, 1);
    assert.match(noServers.stderr, /Missing required configuration "bootstrap\.servers"/);

    const badAcks = await sluice([
      'producer-perf-test',
      '--topic',
      'perf',
      ...base,
      '--producer-props',
      `bootstrap.servers=${bootstrap}`,
      'acks=2',
      'batch.size=big',
    ]);
    assert.equal(badAcks.code, 1);
    assert.match(
      badAcks.stderr,
      /^Invalid value big for configuration batch\.size: Not a number of type INT/m,
    );

    const unknownTopic = await sluice([
      'consumer-perf-test',
      '--bootstrap-server',
      bootstrap,
      '--topic',
      'nope',
      '--messages',
      '10',
    ]);
    assert.equal(unknownTopic.code, 1);
    assert.match(unknownTopic.stderr, /^Error: .*nope/m);
    assert.doesNotMatch(unknownTopic.stderr, /\s+at /);
    assert.equal(unknownTopic.stdout, '', 'no header without a topic');

    const producerUnreachable = await sluice([
      'producer-perf-test',
      '--topic',
      'perf',
      ...base,
      '--producer-props',
      'bootstrap.servers=127.0.0.1:1',
      'max.block.ms=1000',
    ]);
    assert.equal(producerUnreachable.code, 1);
    assert.match(producerUnreachable.stderr, /^Error: Connection to 127\.0\.0\.1:1/m);
    assert.doesNotMatch(producerUnreachable.stderr, /\s+at /);
    assert.ok(producerUnreachable.elapsedMs < 15_000, 'bounded by max.block.ms');

    const consumerUnreachable = await sluice([
      'consumer-perf-test',
      '--bootstrap-server',
      '127.0.0.1:1',
      '--topic',
      'perf',
      '--messages',
      '10',
      '--verbose',
    ]);
    assert.equal(consumerUnreachable.code, 1);
    assert.match(consumerUnreachable.stderr, /Connection to 127\.0\.0\.1:1/);
    assert.match(consumerUnreachable.stderr, /\s+at /, '--verbose adds the stack trace');
  });
});
