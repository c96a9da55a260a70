// Sluice against real Apache Kafka 2.7.2, one producer workload, three targets, in the same run on
// this machine: (1) a 3-broker Kafka 2.7.2 cluster driven by Kafka's own kafka-producer-perf-test (the
// Java client); (2) a 3-broker Sluice cluster driven by the same Java tool over its Kafka listener;
// (3) the same Sluice cluster driven by the SDK producer over gRPC, as sdk-producer.ts does. The first
// two differ only in the brokers, so their ratio is Sluice's brokers against Kafka's; the third adds
// the SDK client. Each figure is printed with its ratio to the loopback-socket baseline for the same
// bytes (sdk-common.ts), then the ratios Sluice/Kafka.
// Workload: 100-byte values, null keys, a 6-partition topic of replication factor 1 spread over the
// 3 brokers, acks=1, linger.ms=5, batch.size=16384. The targets run one after another, never two
// clusters at once: on a small machine each would take CPU from the other. MB are 10^6 bytes of values
// throughout (the perf tool prints MiB; its records/s are used and multiplied out).
// Fairness: the Java producer runs with the JVM flags Kafka's own scripts ship
// (KAFKA_JVM_PERFORMANCE_OPTS: G1 and the full JIT; the test suite's tools use a fast-starting C1-only
// JIT instead), and every target first runs the same workload once, untimed, on a topic of its own, so
// that the brokers' JITs (JVM and V8 alike) are warm when the clock runs.
// Size: SLUICE_BENCH_REFERENCE_RECORDS (default 2,000,000). Needs the Kafka jars:
// bash scripts/kafka-reference.sh.
import { readPartitionState, ZooKeeperClient } from '@sluice/coordinator';
import {
  KAFKA_REFERENCE_VERSION,
  KafkaReferenceCluster,
  kafkaReferenceMissing,
  runKafkaTool,
} from '../test/kafka-reference.ts';
import { envSize } from './log-common.ts';
import {
  benchCluster,
  loopbackBytesPerSecond,
  mb,
  type ProducerThroughput,
  type ProducerWorkload,
  sdkProducerThroughput,
} from './sdk-common.ts';

const workload: ProducerWorkload = {
  records: envSize('SLUICE_BENCH_REFERENCE_RECORDS', 2_000_000),
  recordBytes: 100,
  partitions: 6,
  lingerMs: 5,
  batchBytes: 16_384,
};
const BROKERS = 3;
/** The longest a perf-test run may take: 2,000,000 records at a tenth of Kafka's pace fit easily. */
const PERF_TEST_TIMEOUT_MS = 600_000;
const TOPIC_TIMEOUT_MS = 30_000;
const LEADER_POLL_MS = 50;
const LOOPBACK_CHUNK_BYTES = 16_384;
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

/** Runs `work` on a cluster that `start` brings up, and stops it however `work` ends. */
async function withCluster<C, T>(
  start: () => Promise<C>,
  stop: (cluster: C) => Promise<void>,
  work: (cluster: C) => Promise<T>,
): Promise<T> {
  interrupted.signal.throwIfAborted();
  const cluster = await start();
  const stopOnce = once(() => stop(cluster));
  stopRunningCluster = stopOnce;
  try {
    interrupted.signal.throwIfAborted();
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

/** Waits until every partition of `topic` has a leader in ZooKeeper (Kafka's layout, kept by Sluice). */
async function waitForLeaders(zookeeperConnect: string, topic: string): Promise<number[]> {
  const zk = await ZooKeeperClient.connect({
    connectString: zookeeperConnect,
    sessionTimeoutMs: 10_000,
    connectionTimeoutMs: 10_000,
  });
  try {
    const deadline = Date.now() + TOPIC_TIMEOUT_MS;
    while (Date.now() < deadline) {
      const states = await Promise.all(
        Array.from({ length: workload.partitions }, (_, partition) =>
          readPartitionState(zk, topic, partition),
        ),
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
 * Creates `topic` with Kafka's kafka-topics, waits for its leaders, times the workload with Kafka's
 * kafka-producer-perf-test, and checks with GetOffsetShell that every record landed: the tool counts
 * failed sends as sent and only prints their stack traces.
 */
async function javaProducerThroughput(
  bootstrap: string,
  zookeeperConnect: string,
  topic: string,
): Promise<ProducerThroughput> {
  const tool = async (name: string, args: string[], timeoutMs?: number): Promise<string> => {
    const result = await runKafkaTool(name, args, {
      signal: interrupted.signal,
      env: { KAFKA_JVM_PERFORMANCE_OPTS },
      ...(timeoutMs === undefined ? {} : { timeoutMs }),
    });
    if (result.code !== 0) {
      throw new Error(`${name} exited with ${result.code}: ${result.stderr.slice(0, 4000)}`);
    }
    return result.stdout;
  };
  await tool('kafka-topics', [
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
  const leaders = await waitForLeaders(zookeeperConnect, topic);
  if (new Set(leaders).size !== BROKERS) {
    throw new Error(`${topic}: leaders ${leaders.join(',')} do not cover the ${BROKERS} brokers`);
  }
  const perf = perfSummary(
    await tool(
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
  const offsets = await tool('kafka.tools.GetOffsetShell', [
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

const missing = kafkaReferenceMissing();
if (missing !== null) throw new Error(missing);

const baselineBytesPerSecond = await loopbackBytesPerSecond(
  workload.records * workload.recordBytes,
  LOOPBACK_CHUNK_BYTES,
);
console.log(
  `producer: ${workload.records} x ${workload.recordBytes} B, null keys, ${workload.partitions} partitions, ` +
    `replication factor 1, acks=1, linger.ms=${workload.lingerMs}, batch.size=${workload.batchBytes}, ` +
    `${BROKERS} brokers; loopback socket ${mb(baselineBytesPerSecond)} MB/s`,
);
const report = (target: string, figure: ProducerThroughput): void => {
  console.log(
    `${target}: ${Math.round(figure.recordsPerSecond)} records/s, ${mb(figure.bytesPerSecond)} MB/s; ` +
      `ratio to loopback ${(figure.bytesPerSecond / baselineBytesPerSecond).toFixed(3)}`,
  );
};

const kafka = await withCluster(
  () => KafkaReferenceCluster.start({ brokers: BROKERS }),
  (cluster) => cluster.stop(),
  async (cluster) => {
    await javaProducerThroughput(cluster.bootstrap, cluster.zookeeperConnect, 'warm-up-java');
    return javaProducerThroughput(cluster.bootstrap, cluster.zookeeperConnect, 'bench-java');
  },
);
report(`kafka ${KAFKA_REFERENCE_VERSION} + java producer`, kafka);

const [sluiceJava, sluiceSdk] = await withCluster(
  () => benchCluster(BROKERS, { kafkaListener: true }),
  (started) => started.stop(),
  async ({ cluster }) => {
    const kafkaBootstrap = cluster.brokers.map((broker) => {
      if (broker.kafkaAddress === undefined) throw new Error(`broker ${broker.id} has no Kafka listener`);
      return broker.kafkaAddress;
    });
    await javaProducerThroughput(kafkaBootstrap.join(','), cluster.zookeeper.connectString, 'warm-up-java');
    const java = await javaProducerThroughput(
      kafkaBootstrap.join(','),
      cluster.zookeeper.connectString,
      'bench-java',
    );
    report('sluice + java producer (Kafka listener)', java);
    interrupted.signal.throwIfAborted();
    await sdkProducerThroughput(cluster.bootstrap, 'warm-up-sdk', workload);
    const sdk = await sdkProducerThroughput(cluster.bootstrap, 'bench-sdk', workload);
    report('sluice + sdk producer (gRPC)', sdk);
    return [java, sdk];
  },
);

console.log(
  `sluice/kafka: java producer ${(sluiceJava.bytesPerSecond / kafka.bytesPerSecond).toFixed(3)}, ` +
    `sdk producer ${(sluiceSdk.bytesPerSecond / kafka.bytesPerSecond).toFixed(3)}`,
);
