// Producer throughput: one producer, 100-byte records, a 6-partition topic, acks=1, 3 brokers on this
// machine (the Kafka tutorial's figure for scale: about 250,000 records/s, 50 MB/s). Printed with its
// ratio to the loopback-socket baseline for the same bytes (sdk-common.ts).
// Size: SLUICE_BENCH_PRODUCE_RECORDS (default 2,000,000); SLUICE_BENCH_LINGER_MS (default 5);
// SLUICE_BENCH_BATCH_BYTES (batch.size, default 16384 as Kafka's).
import { envSize } from './log-common.ts';
import {
  benchCluster,
  loopbackBytesPerSecond,
  mb,
  type ProducerWorkload,
  sdkProducerThroughput,
} from './sdk-common.ts';

const workload: ProducerWorkload = {
  records: envSize('SLUICE_BENCH_PRODUCE_RECORDS', 2_000_000),
  recordBytes: 100,
  partitions: 6,
  lingerMs: envSize('SLUICE_BENCH_LINGER_MS', 5),
  batchBytes: envSize('SLUICE_BENCH_BATCH_BYTES', 16_384),
};

const { cluster, stop } = await benchCluster(3);
try {
  const { recordsPerSecond, bytesPerSecond } = await sdkProducerThroughput(
    cluster.bootstrap,
    'bench',
    workload,
  );
  const baseline = await loopbackBytesPerSecond(workload.records * workload.recordBytes, 16_384);
  console.log(
    `producer: ${workload.records} x ${workload.recordBytes} B, ${workload.partitions} partitions, acks=1, ` +
      `linger.ms=${workload.lingerMs}, batch.size=${workload.batchBytes}, 3 brokers: ` +
      `${Math.round(recordsPerSecond)} records/s, ${mb(bytesPerSecond)} MB/s of values; ` +
      `loopback socket ${mb(baseline)} MB/s; ratio ${(bytesPerSecond / baseline).toFixed(3)}`,
  );
} finally {
  await stop();
}
