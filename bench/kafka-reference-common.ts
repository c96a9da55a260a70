// Shared by the benchmarks that measure Sluice against a real Apache Kafka 2.7.2 cluster on this machine
// (kafka-reference-producer.ts, kafka-reference-consumer.ts): one cluster up at a time, stopped however
// the run ends, a signal included; Kafka's tools run with the JVM flags Kafka ships; the Java producer
// (kafka-producer-perf-test) that creates a topic, fills it and checks that every record landed; and
// the lines that print each figure against the loopback baseline and Sluice's against Kafka's.
import type { DevCluster } from '@sluice/client/dev-cluster';
import { readPartitionState, ZooKeeperClient } from '@sluice/coordinator';
import { KafkaReferenceCluster, runKafkaTool } from '../test/kafka-reference.ts';
import { benchCluster, mb, type ProducerWorkload, type Throughput } from './sdk-common.ts';

/** The longest a perf-test run may take: 2,000,000 records at a tenth of Kafka's pace fit easily. */
export const PERF_TEST_TIMEOUT_MS = 600_000;
const TOPIC_TIMEOUT_MS = 30_000;
const LEADER_POLL_MS = 50;
/** What Kafka 2.7's kafka-run-class.sh gives every tool and the broker unless told otherwise. */
const KAFKA_JVM_PERFORMANCE_OPTS =
  '-server -XX:+UseG1GC -XX:MaxGCPauseMillis=20 -XX:InitiatingHeapOccupancyPercent=35 ' +
  '-XX:+ExplicitGCInvokesConcurrent -XX:MaxInlineLevel=15';

/**
 * A signal skips finally blocks: the handler aborts the Kafka tool in flight and stops the cluster that
 * is up, then exits. A cluster still starting is stopped by withCluster as soon as it is up, and the
 * run ends there with the abort.
 */
const interrupted = new AbortController();
let stopRunningCluster: (() => Promise<void>) | undefined;
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
  process.once(signal, () => {
    process.stderr.write(`interrupted by ${signal}: stopping the cluster\n`);
    interrupted.abort(new Error(`interrupted by ${signal}`));
    if (stopRunningCluster) void stopRunningCluster().finally(() => process.exit(1));
  });
}

/** Throws once a signal has asked the run to end: called between steps that nothing else aborts. */
export function throwIfInterrupted(): void {
  interrupted.signal.throwIfAborted();
}

/** Runs `work` on a cluster that `start` brings up, and stops it however `work` ends. */
async function withCluster<C, T>(
  start: () => Promise<C>,
  stop: (cluster: C) => Promise<void>,
  work: (cluster: C) => Promise<T>,
): Promise<T> {
  throwIfInterrupted();
  const cluster = await start();
  const stopOnce = once(() => stop(cluster));
  stopRunningCluster = stopOnce;
  try {
    throwIfInterrupted();
    return await work(cluster);
  } finally {
    await stopOnce();
    stopRunningCluster = undefined;
  }
}

function once(fn: () => Promise<void>): () => Promise<void> {
  let running: Promise<void> | undefined;
  return () => {
    running ??= fn();
    return running;
  };
}

/**
 * Runs one of Kafka's tools with Kafka's shipped JVM flags, killed by a signal to this process or after
 * timeoutMs (runKafkaTool's default when absent); its standard output, or a throw when it fails.
 */
export async function kafkaTool(name: string, args: string[], timeoutMs?: number): Promise<string> {
  const result = await runKafkaTool(name, args, {
    signal: interrupted.signal,
    env: { KAFKA_JVM_PERFORMANCE_OPTS },
    ...(timeoutMs === undefined ? {} : { timeoutMs }),
  });
  if (result.code !== 0) {
    throw new Error(`${name} exited with ${result.code}: ${result.stderr.slice(0, 4000)}`);
  }
  return result.stdout;
}

/** Runs `work` on a real Kafka 2.7.2 cluster of `brokers`, stopped however `work` ends. */
export function withKafkaReference<T>(
  brokers: number,
  work: (cluster: KafkaReferenceCluster) => Promise<T>,
): Promise<T> {
  return withCluster(
    () => KafkaReferenceCluster.start({ brokers }),
    (cluster) => cluster.stop(),
    work,
  );
}

/**
 * Runs `work` on a Sluice cluster of `brokers` (bench/sdk-common.ts), each with a Kafka listener too,
 * stopped however `work` ends. `kafkaBootstrap` lists the Kafka listeners, comma-separated: for
 * --bootstrap-server and bootstrap.servers.
 */
export function withSluiceCluster<T>(
  brokers: number,
  brokerProperties: Record<string, string>,
  work: (cluster: DevCluster, kafkaBootstrap: string) => Promise<T>,
): Promise<T> {
  return withCluster(
    () => benchCluster(brokers, { kafkaListener: true, brokerProperties }),
    (started) => started.stop(),
    ({ cluster }) => {
      const kafkaBootstrap = cluster.brokers.map((broker) => {
        if (broker.kafkaAddress === undefined) throw new Error(`broker ${broker.id} has no Kafka listener`);
        return broker.kafkaAddress;
      });
      return work(cluster, kafkaBootstrap.join(','));
    },
  );
}

/**
 * Prints a figure and its ratio to the loopback baseline measured in the same run:
 * `<target>: N records/s, M MB/s<what>; ratio to loopback R`.
 */
export function printFigure(
  target: string,
  figure: Throughput,
  baselineBytesPerSecond: number,
  what: string,
): void {
  console.log(
    `${target}: ${Math.round(figure.recordsPerSecond)} records/s, ${mb(figure.bytesPerSecond)} MB/s${what}; ` +
      `ratio to loopback ${(figure.bytesPerSecond / baselineBytesPerSecond).toFixed(3)}`,
  );
}

/** The closing line: `sluice/kafka: java <client> A, sdk <client> B`, bytes per second over Kafka's. */
export function printSluiceOverKafka(
  client: 'producer' | 'consumer',
  kafka: Throughput,
  sluiceJava: Throughput,
  sluiceSdk: Throughput,
): void {
  console.log(
    `sluice/kafka: java ${client} ${(sluiceJava.bytesPerSecond / kafka.bytesPerSecond).toFixed(3)}, ` +
      `sdk ${client} ${(sluiceSdk.bytesPerSecond / kafka.bytesPerSecond).toFixed(3)}`,
  );
}

/** Waits until every partition of `topic` has a leader in ZooKeeper (Kafka's layout, kept by Sluice). */
async function waitForLeaders(
  zookeeperConnect: string,
  topic: string,
  partitions: number,
): Promise<number[]> {
  const zk = await ZooKeeperClient.connect({
    connectString: zookeeperConnect,
    sessionTimeoutMs: 10_000,
    connectionTimeoutMs: 10_000,
  });
  try {
    const deadline = Date.now() + TOPIC_TIMEOUT_MS;
    while (Date.now() < deadline) {
      const states = await Promise.all(
        Array.from({ length: partitions }, (_, partition) => readPartitionState(zk, topic, partition)),
      );
      const leaders = states.map((state) => state?.leader ?? -1);
      if (leaders.every((leader) => leader >= 0)) return leaders;
      await new Promise((resolve) => setTimeout(resolve, LEADER_POLL_MS));
    }
    throw new Error(`${topic}: not every partition had a leader after ${TOPIC_TIMEOUT_MS} ms`);
  } finally {
    zk.close();
  }
}

/** `2000000 records sent, 127885.41 records/sec (12.20 MB/sec), ...`: the perf tool's final line. */
function perfSummary(stdout: string): { records: number; recordsPerSecond: number } {
  const last = stdout.trim().split('\n').at(-1) ?? '';
  const match = /^(\d+) records sent, ([\d.]+) records\/sec /.exec(last);
  if (!match) throw new Error(`no summary line from kafka-producer-perf-test: ${JSON.stringify(last)}`);
  return { records: Number(match[1]), recordsPerSecond: Number(match[2]) };
}

/**
 * Creates `topic` with Kafka's kafka-topics, waits for its leaders (spread over as many of the `brokers`
 * as it has partitions), times `workload` with Kafka's kafka-producer-perf-test, and checks with
 * GetOffsetShell that every record landed: the tool counts failed sends as sent and only prints their
 * stack traces.
 */
export async function javaProducerThroughput(
  bootstrap: string,
  zookeeperConnect: string,
  topic: string,
  workload: ProducerWorkload,
  brokers: number,
): Promise<Throughput> {
  await kafkaTool('kafka-topics', [
    '--bootstrap-server',
    bootstrap,
    '--create',
    '--topic',
    topic,
    '--partitions',
    String(workload.partitions),
    '--replication-factor',
    '1',
  ]);
  const leaders = await waitForLeaders(zookeeperConnect, topic, workload.partitions);
  const spread = Math.min(workload.partitions, brokers);
  if (new Set(leaders).size !== spread) {
    throw new Error(
      `${topic}: leaders ${leaders.join(',')} do not cover ${spread} of the ${brokers} brokers`,
    );
  }
  const perf = perfSummary(
    await kafkaTool(
      'kafka-producer-perf-test',
      [
        '--topic',
        topic,
        '--num-records',
        String(workload.records),
        '--record-size',
        String(workload.recordBytes),
        '--throughput',
        '-1',
        '--producer-props',
        'acks=1',
        `linger.ms=${workload.lingerMs}`,
        `batch.size=${workload.batchBytes}`,
        `bootstrap.servers=${bootstrap}`,
      ],
      PERF_TEST_TIMEOUT_MS,
    ),
  );
  if (perf.records !== workload.records) {
    throw new Error(`kafka-producer-perf-test sent ${perf.records} records, not ${workload.records}`);
  }
  // `topic:partition:offset` per partition; the log end offsets add up to the records written.
  const offsets = await kafkaTool('kafka.tools.GetOffsetShell', [
    '--broker-list',
    bootstrap,
    '--topic',
    topic,
    '--time',
    '-1',
  ]);
  const landed = offsets
    .trim()
    .split('\n')
    .reduce((sum, line) => sum + Number(line.split(':').at(-1)), 0);
  if (landed !== workload.records)
    throw new Error(`${topic} holds ${landed} records, not ${workload.records}`);
  return {
    recordsPerSecond: perf.recordsPerSecond,
    bytesPerSecond: perf.recordsPerSecond * workload.recordBytes,
  };
}
