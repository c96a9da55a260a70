// Consumer throughput: one partition consumer reading SLUICE_BENCH_CONSUME_BYTES (default 1 GiB) of
// 100-byte records from the start of a partition, on a 3-broker cluster on this machine (the Kafka
// tutorial's figure for scale: about 550,000 records/s). The partition is filled first with ~1 MiB
// batches sent straight over gRPC (not part of the figure). Printed with its ratio to the
// loopback-socket baseline for the same bytes (sdk-common.ts).
import { envSize, GiB } from './log-common.ts';
import {
  benchCluster,
  fillPartition,
  loopbackBytesPerSecond,
  mb,
  sdkConsumerThroughput,
} from './sdk-common.ts';

const TOTAL_BYTES = envSize('SLUICE_BENCH_CONSUME_BYTES', GiB);
const RECORD_BYTES = 100;
const FETCH_BYTES = 8 * 1024 * 1024;

const { cluster, stop } = await benchCluster(3);
try {
  const { records, logBytes } = await fillPartition(cluster, 'bench', TOTAL_BYTES, RECORD_BYTES);
  // Throws unless it read every record: the figures below count all of them.
  const { valueBytes, seconds } = await sdkConsumerThroughput(
    cluster.bootstrap,
    'bench',
    records,
    FETCH_BYTES,
  );
  const baseline = await loopbackBytesPerSecond(logBytes, 1024 * 1024);
  console.log(
    `consumer: ${records} records (${mb(logBytes)} MB of batches, ${mb(valueBytes)} MB of values) from offset 0: ` +
      `${Math.round(records / seconds)} records/s, ${mb(logBytes / seconds)} MB/s of batches; ` +
      `loopback socket ${mb(baseline)} MB/s; ratio ${(logBytes / seconds / baseline).toFixed(3)}`,
  );
} finally {
  await stop();
}
