// Sluice against real Apache Kafka 2.7.2, one consumer workload, three targets, in the same run on this
// machine: (1) a 3-broker Kafka 2.7.2 cluster read by Kafka's own kafka-consumer-perf-test (the Java
// consumer); (2) a 3-broker Sluice cluster read by the same Java tool over its Kafka listener; (3) the
// same Sluice cluster and topic read by the SDK partition consumer over gRPC, as sdk-consumer.ts reads.
// The first two differ only in the brokers, so their ratio is Sluice's brokers against Kafka's; the
// third adds the SDK client. Each figure is printed with its ratio to the loopback-socket baseline for
// the same bytes of values in 1 MiB writes (sdk-common.ts), then the ratios Sluice/Kafka.
// Workload: a topic of 1 partition, replication factor 1, on the 3 brokers, holding
// SLUICE_BENCH_REFERENCE_CONSUME_BYTES (default 512 MiB) of 100-byte values with null keys, read once
// from offset 0 by one consumer fetching up to 8 MiB of the partition at a time. Each cluster's topic is
// filled, untimed, by kafka-producer-perf-test with the producer benchmark's settings (acks=1,
// linger.ms=5, batch.size=16384), so both hold batches of the same shape. The targets run one after
// another, never two clusters at once. MB are 10^6 bytes of values throughout (the perf tool prints
// MiB; its records/s are used and multiplied out).
// Fairness: the Java tools run with the JVM flags Kafka's own scripts ship (KAFKA_JVM_PERFORMANCE_OPTS),
// and every target first reads the whole topic once, untimed, so that the brokers' JITs (JVM and V8
// alike) are warm and the log is in the page cache when the clock runs. The Java tool's clock runs from
// subscribe() to the last record, so it counts the group join (both clusters join with
// group.initial.rebalance.delay.ms=0) but not the JVM's start; the SDK's clock runs from the first
// fetch, metadata included. Neither consumer checks CRCs (the Java tool sets check.crcs=false).
// Needs the Kafka jars: bash scripts/kafka-reference.sh.
import { KAFKA_REFERENCE_VERSION, kafkaReferenceMissing } from '../test/kafka-reference.ts';
import {
  javaProducerThroughput,
  kafkaTool,
  PERF_TEST_TIMEOUT_MS,
  printFigure,
  printSluiceOverKafka,
  throwIfInterrupted,
  withKafkaReference,
  withSluiceCluster,
} from './kafka-reference-common.ts';
import { envSize, MiB } from './log-common.ts';
import {
  loopbackBytesPerSecond,
  mb,
  type ProducerWorkload,
  sdkConsumerThroughput,
  type Throughput,
} from './sdk-common.ts';

const RECORD_BYTES = 100;
const TOTAL_BYTES = envSize('SLUICE_BENCH_REFERENCE_CONSUME_BYTES', 512 * MiB);
/** What the topic holds: written, untimed, by the Java producer as kafka-reference-producer.ts drives it. */
const fill: ProducerWorkload = {
  records: Math.floor(TOTAL_BYTES / RECORD_BYTES),
  recordBytes: RECORD_BYTES,
  partitions: 1,
  lingerMs: 5,
  batchBytes: 16_384,
};
const valueBytes = fill.records * RECORD_BYTES;
const BROKERS = 3;
const TOPIC = 'bench';
/** max.partition.fetch.bytes of every consumer: sdk-consumer.ts's (the Java tool's default is 1 MiB). */
const FETCH_BYTES = 8 * MiB;
/** The longest the Java consumer waits for its next record (the first: after the group join). */
const RECORD_WAIT_MS = 60_000;
const LOOPBACK_CHUNK_BYTES = MiB;
/**
 * The reference cluster's group settings (test/kafka-reference.ts), given to Sluice's brokers too: with
 * Kafka's default initial rebalance delay of 3 s, the Java consumer's clock would count 3 s of waiting
 * for other members on Sluice alone.
 */
const GROUP_PROPERTIES = { 'group.initial.rebalance.delay.ms': '0', 'offsets.topic.replication.factor': '1' };

/**
 * The perf tool's result: a header (`start.time, end.time, data.consumed.in.MB, MB.sec,
 * data.consumed.in.nMsg, nMsg.sec, rebalance.time.ms, ...`) and one data line; a field by its name.
 * MB.sec and nMsg.sec count from subscribe() to the last record. Kafka 2.7.2's rebalance.time.ms and
 * the fetch.* figures derived from it are wrong after a first join (it never records when the join
 * began and prints about the epoch's milliseconds), so they are not used.
 */
function consumerPerfResult(stdout: string): (field: string) => number {
  const lines = stdout.split('\n');
  const header = lines.findIndex((line) => line.startsWith('start.time,'));
  const names = (lines[header] ?? '').split(',').map((name) => name.trim());
  const values = (lines[header + 1] ?? '').split(',').map((value) => value.trim());
  if (header < 0 || values.length !== names.length) {
    throw new Error(`no result line from kafka-consumer-perf-test: ${JSON.stringify(stdout.slice(0, 2000))}`);
  }
  return (field) => {
    const value = Number(values[names.indexOf(field)]);
    if (!Number.isFinite(value)) throw new Error(`kafka-consumer-perf-test printed no number for ${field}`);
    return value;
  };
}

/**
 * Reads the whole topic once with Kafka's kafka-consumer-perf-test in `group`, a group new to the
 * cluster (auto.offset.reset=earliest: from offset 0), and checks that it read every record and every
 * byte of value.
 */
async function javaConsumerThroughput(bootstrap: string, group: string): Promise<Throughput> {
  const field = consumerPerfResult(
    await kafkaTool(
      'kafka-consumer-perf-test',
      [
        '--bootstrap-server',
        bootstrap,
        '--topic',
        TOPIC,
        '--group',
        group,
        '--messages',
        String(fill.records),
        '--fetch-size',
        String(FETCH_BYTES),
        '--timeout',
        String(RECORD_WAIT_MS),
      ],
      PERF_TEST_TIMEOUT_MS,
    ),
  );
  const records = field('data.consumed.in.nMsg');
  if (records !== fill.records) {
    throw new Error(`kafka-consumer-perf-test read ${records} records, not ${fill.records}`);
  }
  // MiB to 4 decimals: a value of another size would move it by far more than the rounding.
  const consumedMiB = field('data.consumed.in.MB');
  if (Math.abs(consumedMiB - valueBytes / MiB) > 0.0001) {
    throw new Error(`kafka-consumer-perf-test read ${consumedMiB} MiB of values, not ${valueBytes / MiB}`);
  }
  const recordsPerSecond = field('nMsg.sec');
  return { recordsPerSecond, bytesPerSecond: recordsPerSecond * RECORD_BYTES };
}

/** The SDK partition consumer's read of the whole topic from offset 0, every byte of value checked. */
async function sdkConsumerRun(bootstrap: string[]): Promise<Throughput> {
  const run = await sdkConsumerThroughput(bootstrap, TOPIC, fill.records, FETCH_BYTES);
  if (run.valueBytes !== valueBytes) {
    throw new Error(`the SDK consumer read ${run.valueBytes} bytes of values, not ${valueBytes}`);
  }
  return run;
}

const missing = kafkaReferenceMissing();
if (missing !== null) throw new Error(missing);

const baselineBytesPerSecond = await loopbackBytesPerSecond(valueBytes, LOOPBACK_CHUNK_BYTES);
console.log(
  `consumer: ${fill.records} x ${RECORD_BYTES} B (${mb(valueBytes)} MB of values), null keys, 1 partition, ` +
    `replication factor 1, ${BROKERS} brokers, read once from offset 0, ` +
    `max.partition.fetch.bytes=${FETCH_BYTES}; filled by kafka-producer-perf-test with acks=1, ` +
    `linger.ms=${fill.lingerMs}, batch.size=${fill.batchBytes}; loopback socket ${mb(baselineBytesPerSecond)} MB/s`,
);
const report = (target: string, figure: Throughput): void =>
  printFigure(target, figure, baselineBytesPerSecond, ' of values');

const kafka = await withKafkaReference(BROKERS, async (cluster) => {
  await javaProducerThroughput(cluster.bootstrap, cluster.zookeeperConnect, TOPIC, fill, BROKERS);
  await javaConsumerThroughput(cluster.bootstrap, 'warm-up-java');
  return javaConsumerThroughput(cluster.bootstrap, 'bench-java');
});
report(`kafka ${KAFKA_REFERENCE_VERSION} + java consumer`, kafka);

const [sluiceJava, sluiceSdk] = await withSluiceCluster(
  BROKERS,
  GROUP_PROPERTIES,
  async (cluster, kafkaBootstrap) => {
    await javaProducerThroughput(kafkaBootstrap, cluster.zookeeper.connectString, TOPIC, fill, BROKERS);
    await javaConsumerThroughput(kafkaBootstrap, 'warm-up-java');
    const java = await javaConsumerThroughput(kafkaBootstrap, 'bench-java');
    report('sluice + java consumer (Kafka listener)', java);
    throwIfInterrupted();
    await sdkConsumerRun(cluster.bootstrap);
    const sdk = await sdkConsumerRun(cluster.bootstrap);
    report('sluice + sdk consumer (gRPC)', sdk);
    return [java, sdk];
  },
);

printSluiceOverKafka('consumer', kafka, sluiceJava, sluiceSdk);
