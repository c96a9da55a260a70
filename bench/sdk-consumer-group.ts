// Consumer group throughput: one member of a new group reading SLUICE_BENCH_GROUP_BYTES (default
// 256 MiB) of 100-byte records from the start of a one-partition topic (auto.offset.reset=earliest),
// on a 3-broker cluster on this machine, once record by record (`for await` over records(), each record
// an iteration step, positions and auto-commit kept per record) and once a chunk of max.poll.records at
// a time (batches()). The clock starts at the first record, so the group join is not counted. The
// partition is filled first (sdk-common.ts fillPartition, not part of the figure). Printed with the
// ratio to the partition consumer reading the same topic in the same run (the group's cost on top of
// plain fetching) and to the loopback-socket baseline for the same bytes.
import { Sluice } from '@sluice/client';
import { envSize, MiB } from './log-common.ts';
import {
  benchCluster,
  fillPartition,
  loopbackBytesPerSecond,
  mb,
  sdkConsumerThroughput,
} from './sdk-common.ts';

const TOTAL_BYTES = envSize('SLUICE_BENCH_GROUP_BYTES', 256 * MiB);
const RECORD_BYTES = 100;
const FETCH_BYTES = 8 * 1024 * 1024;

/** Records per second of one new group member reading `records` records of `topic` from the start. */
async function groupRecordsPerSecond(
  bootstrap: string[],
  topic: string,
  records: number,
  mode: 'records' | 'batches',
): Promise<number> {
  const sluice = new Sluice({ bootstrap });
  const group = sluice.consumerGroup({
    groupId: `bench-${mode}`,
    topics: [topic],
    autoOffsetReset: 'earliest',
    maxPartitionFetchBytes: FETCH_BYTES,
  });
  try {
    let read = 0;
    let startMs = 0;
    if (mode === 'records') {
      for await (const _record of group.records()) {
        if (read === 0) startMs = performance.now();
        if (++read >= records) break;
      }
    } else {
      for await (const batch of group.batches()) {
        if (read === 0) startMs = performance.now();
        read += batch.length;
        if (read >= records) break;
      }
    }
    const seconds = (performance.now() - startMs) / 1000;
    if (read !== records) throw new Error(`the group read ${read} records, not ${records}`);
    return records / seconds;
  } finally {
    await group.close();
    await sluice.close();
  }
}

const { cluster, stop } = await benchCluster(3);
try {
  const { records, logBytes } = await fillPartition(cluster, 'bench', TOTAL_BYTES, RECORD_BYTES);
  const plain = await sdkConsumerThroughput(cluster.bootstrap, 'bench', records, FETCH_BYTES);
  const baseline = await loopbackBytesPerSecond(logBytes, 1024 * 1024);
  console.log(
    `consumer group: ${records} x ${RECORD_BYTES} B, 1 partition, from offset 0, 3 brokers; ` +
      `partition consumer ${Math.round(plain.recordsPerSecond)} records/s; loopback socket ${mb(baseline)} MB/s`,
  );
  for (const mode of ['records', 'batches'] as const) {
    const recordsPerSecond = await groupRecordsPerSecond(cluster.bootstrap, 'bench', records, mode);
    const bytesPerSecond = (recordsPerSecond * logBytes) / records;
    console.log(
      `${mode}(): ${Math.round(recordsPerSecond)} records/s, ${mb(bytesPerSecond)} MB/s of batches; ` +
        `ratio to the partition consumer ${(recordsPerSecond / plain.recordsPerSecond).toFixed(3)}, ` +
        `to loopback ${(bytesPerSecond / baseline).toFixed(3)}`,
    );
  }
} finally {
  await stop();
}
