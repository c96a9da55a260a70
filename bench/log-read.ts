// Read throughput of a partition log from its start (fetches of max.partition.fetch.bytes = 1 MiB,
// whole batches, served with pread) against a raw sequential read of the same segment files in 1 MiB
// preads. Cold runs drop the page cache first (root only; otherwise they say warm). The first read
// after a restart also checks every batch's CRC-32C (see LogSegment); later reads do not.
// Sizes: SLUICE_BENCH_READ_BYTES (default 1g), SLUICE_BENCH_FETCH_BYTES (default 1m).
import { open, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { PartitionLog } from '../packages/broker/src/log/partition-log.ts';
import {
  benchConfig,
  dropCaches,
  envSize,
  fixed,
  GiB,
  MiB,
  makeBatches,
  mbPerSecond,
  nowMs,
  scratchDir,
  settle,
  silent,
} from './log-common.ts';

const TOTAL_BYTES = envSize('SLUICE_BENCH_READ_BYTES', GiB);
const FETCH_BYTES = envSize('SLUICE_BENCH_FETCH_BYTES', MiB);

const openLog = (dir: string): Promise<PartitionLog> =>
  PartitionLog.open({
    dir,
    topic: 'bench',
    partition: 0,
    config: benchConfig(),
    logger: silent,
    hadCleanShutdown: true,
  });

async function readLog(log: PartitionLog): Promise<{ ms: number; bytes: number }> {
  const start = nowMs();
  let offset = 0;
  let bytes = 0;
  while (offset < log.logEndOffset) {
    const { records } = await log.read(offset, FETCH_BYTES);
    bytes += records.length;
    // The next fetch offset is what a consumer would compute: after the last batch returned.
    let position = 0;
    let last = offset;
    while (position < records.length) {
      last = Number(records.readBigInt64BE(position)) + records.readInt32BE(position + 23);
      position += 12 + records.readInt32BE(position + 8);
    }
    offset = last + 1;
  }
  return { ms: nowMs() - start, bytes };
}

async function readRaw(dir: string): Promise<{ ms: number; bytes: number }> {
  const files = (await readdir(dir)).filter((name) => name.endsWith('.log')).sort();
  const start = nowMs();
  let bytes = 0;
  for (const name of files) {
    const handle = await open(join(dir, name), 'r');
    let position = 0;
    for (;;) {
      // A fresh buffer per read, as the log allocates one per fetch.
      const { bytesRead } = await handle.read(Buffer.allocUnsafe(MiB), 0, MiB, position);
      if (bytesRead === 0) break;
      position += bytesRead;
      bytes += bytesRead;
    }
    await handle.close();
  }
  return { ms: nowMs() - start, bytes };
}

const scratch = await scratchDir('read');
try {
  const dir = join(scratch.path, 'log');
  const writer = await openLog(dir);
  const batches = makeBatches(256, 1024, 16 * 1024);
  const count = Math.ceil(TOTAL_BYTES / batches[0]!.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: 32 }, async () => {
      while (next < count) await writer.appendAsLeader(batches[next++ % batches.length]!, 0);
    }),
  );
  await writer.close();
  await settle();

  const cold = await dropCaches();
  const temperature = cold ? 'cold (page cache dropped)' : 'warm (could not drop the page cache: not root?)';
  let log = await openLog(dir);
  const firstRead = await readLog(log);
  await log.close();
  await dropCaches();
  const rawCold = await readRaw(dir);
  log = await openLog(dir);
  await readLog(log); // verifies CRCs once
  // Warm runs are noisy on a VM: five of each, interleaved, best of five.
  let warm = 0;
  let raw2 = 0;
  for (let run = 0; run < 5; run++) {
    const logRun = await readLog(log);
    warm = Math.max(warm, mbPerSecond(logRun.bytes, logRun.ms));
    const rawRun = await readRaw(dir);
    raw2 = Math.max(raw2, mbPerSecond(rawRun.bytes, rawRun.ms));
  }
  await log.close();
  const first = mbPerSecond(firstRead.bytes, firstRead.ms);
  const raw1 = mbPerSecond(rawCold.bytes, rawCold.ms);
  console.log(
    `read ${fixed(firstRead.bytes / GiB, 2)} GiB from offset 0 in ${fixed(FETCH_BYTES / MiB, 1)} MiB fetches:`,
  );
  console.log(
    `  ${temperature}, first read after restart (CRC-checked): log ${fixed(first)} MB/s, raw ${fixed(raw1)} MB/s, ratio ${fixed(first / raw1, 2)}`,
  );
  console.log(
    `  warm, repeat read (already checked):                  log ${fixed(warm)} MB/s, raw ${fixed(raw2)} MB/s, ratio ${fixed(warm / raw2, 2)}`,
  );
} finally {
  await scratch.cleanup();
}
