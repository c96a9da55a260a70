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
import { KAFKA_REFERENCE_VERSION, kafkaReferenceMissing } from '../test/kafka-reference.ts';
import {
  javaProducerThroughput,
  printFigure,
  printSluiceOverKafka,
  throwIfInterrupted,
  withKafkaReference,
  withSluiceCluster,
} from './kafka-reference-common.ts';
import { envSize } from './log-common.ts';
import {
  loopbackBytesPerSecond,
  mb,
  type ProducerWorkload,
  sdkProducerThroughput,
  type Throughput,
} from './sdk-common.ts';

const workload: ProducerWorkload = {
  records: envSize('SLUICE_BENCH_REFERENCE_RECORDS', 2_000_000),
  recordBytes: 100,
  partitions: 6,
  lingerMs: 5,
  batchBytes: 16_384,
};
const BROKERS = 3;
const LOOPBACK_CHUNK_BYTES = 16_384;

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
const report = (target: string, figure: Throughput): void =>
  printFigure(target, figure, baselineBytesPerSecond, '');

/** The Java producer's run of the workload on a new topic (kafka-reference-common.ts). */
const javaRun = (bootstrap: string, zookeeperConnect: string, topic: string): Promise<Throughput> =>
  javaProducerThroughput(bootstrap, zookeeperConnect, topic, workload, BROKERS);

const kafka = await withKafkaReference(BROKERS, async (cluster) => {
  await javaRun(cluster.bootstrap, cluster.zookeeperConnect, 'warm-up-java');
  return javaRun(cluster.bootstrap, cluster.zookeeperConnect, 'bench-java');
});
report(`kafka ${KAFKA_REFERENCE_VERSION} + java producer`, kafka);

const [sluiceJava, sluiceSdk] = await withSluiceCluster(BROKERS, {}, async (cluster, kafkaBootstrap) => {
  await javaRun(kafkaBootstrap, cluster.zookeeper.connectString, 'warm-up-java');
  const java = await javaRun(kafkaBootstrap, cluster.zookeeper.connectString, 'bench-java');
  report('sluice + java producer (Kafka listener)', java);
  throwIfInterrupted();
  await sdkProducerThroughput(cluster.bootstrap, 'warm-up-sdk', workload);
  const sdk = await sdkProducerThroughput(cluster.bootstrap, 'bench-sdk', workload);
  report('sluice + sdk producer (gRPC)', sdk);
  return [java, sdk];
});

printSluiceOverKafka('producer', kafka, sluiceJava, sluiceSdk);
