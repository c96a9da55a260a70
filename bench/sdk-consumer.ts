// Consumer throughput: one partition consumer reading SLUICE_BENCH_CONSUME_BYTES (default 1 GiB) of
// 100-byte records from the start of a partition, on a 3-broker cluster on this machine (the Kafka
// tutorial's figure for scale: about 550,000 records/s). The partition is filled first with ~1 MiB
// batches sent straight over gRPC (not part of the figure). Printed with its ratio to the
// loopback-socket baseline for the same bytes (sdk-common.ts).
import * as grpc from '@grpc/grpc-js';
import { Sluice } from '@sluice/client';
import { encodeRecordBatch, sluiceProto } from '@sluice/protocol';
import { envSize, GiB } from './log-common.ts';
import { benchCluster, loopbackBytesPerSecond, mb, sdkConsumerThroughput } from './sdk-common.ts';

const TOTAL_BYTES = envSize('SLUICE_BENCH_CONSUME_BYTES', GiB);
const RECORD_BYTES = 100;
const RECORDS_PER_BATCH = 8_000; // ~1 MiB batches on disk
const FETCH_BYTES = 8 * 1024 * 1024;

const { cluster, stop } = await benchCluster(3);
const sluice = new Sluice({ bootstrap: cluster.bootstrap });
try {
  await sluice.admin().createTopic({ topic: 'bench', numPartitions: 1, replicationFactor: 1 });
  const value = Buffer.alloc(RECORD_BYTES, 'x');
  const batch = encodeRecordBatch(Array.from({ length: RECORDS_PER_BATCH }, () => ({ key: null, value })));
  const batches = Math.ceil(TOTAL_BYTES / batch.length);
  // Fill: the same pre-encoded batch, appended over and over by plain gRPC Produce calls (the broker
  // assigns offsets; its bytes are what the consumer will read).
  const [described] = await sluice.admin().describeTopics(['bench']);
  const leader = cluster.broker(described?.partitions[0]?.leader ?? 1).grpcAddress;
  const Service = sluiceProto().sluice.v1.Sluice;
  const raw = new Service(leader, grpc.credentials.createInsecure(), {
    'grpc.max_send_message_length': 64 * 1024 * 1024,
  });
  const produceOnce = () =>
    new Promise<void>((resolve, reject) => {
      raw.Produce(
        {
          acks: 1,
          timeout_ms: 30_000,
          topics: [{ name: 'bench', partitions: [{ index: 0, records: batch }] }],
        },
        (err, response) => {
          const code = response?.responses[0]?.partitions[0]?.error_code ?? -1;
          if (err || code !== 0) reject(err ?? new Error(`produce error ${code}`));
          else resolve();
        },
      );
    });
  for (let b = 0; b < batches; b += 4) {
    await Promise.all(Array.from({ length: Math.min(4, batches - b) }, produceOnce));
  }
  raw.close();
  const records = batches * RECORDS_PER_BATCH;
  // Throws unless it read every record: the figures below count all of them.
  const { valueBytes, seconds } = await sdkConsumerThroughput(
    cluster.bootstrap,
    'bench',
    records,
    FETCH_BYTES,
  );
  const logBytes = batches * batch.length;
  const baseline = await loopbackBytesPerSecond(logBytes, 1024 * 1024);
  console.log(
    `consumer: ${records} records (${mb(logBytes)} MB of batches, ${mb(valueBytes)} MB of values) from offset 0: ` +
      `${Math.round(records / seconds)} records/s, ${mb(logBytes / seconds)} MB/s of batches; ` +
      `loopback socket ${mb(baseline)} MB/s; ratio ${(logBytes / seconds / baseline).toFixed(3)}`,
  );
} finally {
  await sluice.close();
  await stop();
}
