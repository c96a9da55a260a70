// Producer throughput: one producer, 100-byte records, a 6-partition topic, acks=1, 3 brokers on this
// machine (the Kafka tutorial's figure for scale: about 250,000 records/s, 50 MB/s). Printed with its
// ratio to the loopback-socket baseline for the same bytes (sdk-common.ts).
// Size: SLUICE_BENCH_PRODUCE_RECORDS (default 2,000,000); SLUICE_BENCH_LINGER_MS (default 5);
// SLUICE_BENCH_BATCH_BYTES (batch.size, default 16384 as Kafka's).
import { Sluice } from '@sluice/client';
import { envSize } from './log-common.ts';
import { benchCluster, loopbackBytesPerSecond, mb } from './sdk-common.ts';

const RECORDS = envSize('SLUICE_BENCH_PRODUCE_RECORDS', 2_000_000);
const RECORD_BYTES = 100;
const LINGER_MS = envSize('SLUICE_BENCH_LINGER_MS', 5);
const BATCH_BYTES = envSize('SLUICE_BENCH_BATCH_BYTES', 16_384);

const { cluster, stop } = await benchCluster(3);
const sluice = new Sluice({ bootstrap: cluster.bootstrap });
try {
  await sluice.admin().createTopic({ topic: 'bench', numPartitions: 6, replicationFactor: 1 });
  const producer = sluice.producer({ acks: 1, lingerMs: LINGER_MS, batchSizeBytes: BATCH_BYTES });
  const value = Buffer.alloc(RECORD_BYTES, 'x');
  await producer.send({ topic: 'bench', value }); // metadata and connections
  let errors = 0;
  const onReport = (err: Error | null) => {
    if (err) errors++;
  };
  const start = performance.now();
  for (let i = 0; i < RECORDS; i++) await producer.produce({ topic: 'bench', value }, onReport);
  await producer.flush();
  const seconds = (performance.now() - start) / 1000;
  if (errors > 0) throw new Error(`${errors} records failed`);
  const recordsPerSecond = RECORDS / seconds;
  const bytesPerSecond = (RECORDS * RECORD_BYTES) / seconds;
  const baseline = await loopbackBytesPerSecond(RECORDS * RECORD_BYTES, 16_384);
  console.log(
    `producer: ${RECORDS} x ${RECORD_BYTES} B, 6 partitions, acks=1, linger.ms=${LINGER_MS}, batch.size=${BATCH_BYTES}, 3 brokers: ` +
      `${Math.round(recordsPerSecond)} records/s, ${mb(bytesPerSecond)} MB/s of values; ` +
      `loopback socket ${mb(baseline)} MB/s; ratio ${(bytesPerSecond / baseline).toFixed(3)}`,
  );
  await producer.close();
} finally {
  await sluice.close();
  await stop();
}
