// Offset lookup latency in a log of 1,000 segments: a fetch of one batch at a random offset (find the
// segment, binary search its sparse index, one pread from the index entry) and a ListOffsets by
// timestamp, p50 and p99, first after a restart (indexes and descriptors opened lazily, within their
// budgets: 256 open segment files, 64 MiB of index) and then warm. The physical baseline is one pread
// of a batch at a known position in an already open segment file.
// Sizes: SLUICE_BENCH_SEGMENTS (default 1000), SLUICE_BENCH_SEGMENT_BYTES (default 1m),
// SLUICE_BENCH_LOOKUPS (default 20000).

import type { FileHandle } from 'node:fs/promises';
import { open, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { FileHandlePool } from '../packages/broker/src/log/file-handle-pool.ts';
import { PartitionLog } from '../packages/broker/src/log/partition-log.ts';
import {
  benchConfig,
  envSize,
  fixed,
  MiB,
  makeBatches,
  nowMs,
  percentile,
  scratchDir,
  settle,
  silent,
} from './log-common.ts';

const SEGMENTS = envSize('SLUICE_BENCH_SEGMENTS', 1000);
const SEGMENT_BYTES = envSize('SLUICE_BENCH_SEGMENT_BYTES', MiB);
const LOOKUPS = envSize('SLUICE_BENCH_LOOKUPS', 20_000);

const config = benchConfig({ segmentBytes: SEGMENT_BYTES });
const openLog = (dir: string, maxOpenFiles = 256): Promise<PartitionLog> =>
  PartitionLog.open({
    dir,
    topic: 'bench',
    partition: 0,
    config,
    logger: silent,
    hadCleanShutdown: true,
    handles: new FileHandlePool(maxOpenFiles),
  });

let seed = 12345;
const random = (): number => {
  seed = (seed * 1103515245 + 12345) % 2 ** 31;
  return seed / 2 ** 31;
};

async function measure(count: number, op: () => Promise<unknown>): Promise<number[]> {
  const samples: number[] = [];
  for (let i = 0; i < count; i++) {
    const start = nowMs();
    await op();
    samples.push(nowMs() - start);
  }
  return samples.sort((a, b) => a - b);
}

const describe = (samples: number[]): string =>
  `p50 ${fixed(percentile(samples, 50) * 1000, 0)} µs, p99 ${fixed(percentile(samples, 99) * 1000, 0)} µs`;

const scratch = await scratchDir('lookup');
try {
  const dir = join(scratch.path, 'log');
  const writer = await openLog(dir);
  const batches = makeBatches(256, 1024, 16 * 1024);
  const total = Math.ceil((SEGMENTS * SEGMENT_BYTES) / batches[0]!.length) - 1;
  let next = 0;
  await Promise.all(
    Array.from({ length: 32 }, async () => {
      while (next < total) await writer.appendAsLeader(batches[next++ % batches.length]!, 0);
    }),
  );
  const endOffset = writer.logEndOffset;
  const segmentCount = writer.segmentCount;
  await writer.close();
  await settle();

  const log = await openLog(dir);
  const randomOffset = (): number => Math.floor(random() * endOffset);
  // Batch timestamps are 1_700_000_000_000 + index in the pool of 256: any value in that range.
  const randomTimestamp = (): number => 1_700_000_000_000 + Math.floor(random() * 256);
  const fetchOne = (): Promise<unknown> => log.read(randomOffset(), 1);
  const coldFetch = await measure(Math.min(LOOKUPS, 2000), fetchOne);
  const warmFetch = await measure(LOOKUPS, fetchOne);
  const byTime = await measure(Math.min(LOOKUPS, 2000), () => log.offsetForTimestamp(randomTimestamp()));
  await log.close();
  const unbounded = await openLog(dir, 100_000);
  await measure(Math.min(LOOKUPS, 2000), () => unbounded.read(randomOffset(), 1));
  const allOpen = await measure(LOOKUPS, () => unbounded.read(randomOffset(), 1));
  await unbounded.close();

  const files = (await readdir(dir)).filter((name) => name.endsWith('.log')).sort();
  const handles: FileHandle[] = [];
  for (const name of files) handles.push(await open(join(dir, name), 'r'));
  const batchBytes = batches[0]!.length;
  const perSegment = Math.floor(SEGMENT_BYTES / batchBytes);
  const raw = await measure(LOOKUPS, async () => {
    const handle = handles[Math.floor(random() * handles.length)]!;
    await handle.read(
      Buffer.allocUnsafe(batchBytes),
      0,
      batchBytes,
      Math.floor(random() * perSegment) * batchBytes,
    );
  });
  for (const handle of handles) await handle.close();
  const rawOpening = await measure(Math.min(LOOKUPS, 5000), async () => {
    const handle = await open(join(dir, files[Math.floor(random() * files.length)]!), 'r');
    await handle.read(
      Buffer.allocUnsafe(batchBytes),
      0,
      batchBytes,
      Math.floor(random() * perSegment) * batchBytes,
    );
    await handle.close();
  });

  console.log(
    `offset lookup in a log of ${segmentCount} segments (${fixed(SEGMENT_BYTES / MiB, 1)} MiB each), ${endOffset} offsets:`,
  );
  console.log(
    `  fetch of one batch at a random offset, first ${coldFetch.length} after restart: ${describe(coldFetch)}`,
  );
  console.log(
    `  fetch of one batch at a random offset, warm (256 descriptors for ${segmentCount} segments): ${describe(warmFetch)}`,
  );
  console.log(
    `  fetch of one batch at a random offset, warm, a descriptor per segment: ${describe(allOpen)}`,
  );
  console.log(`  ListOffsets by timestamp (first matching segment, time index, scan): ${describe(byTime)}`);
  console.log(`  raw pread of one batch at a known position, file already open: ${describe(raw)}`);
  console.log(`  raw open + pread + close of one batch:                        ${describe(rawOpening)}`);
  console.log(
    `  ratio log/raw, descriptors bounded vs open+pread+close: p50 ${fixed(percentile(warmFetch, 50) / percentile(rawOpening, 50), 2)}, ` +
      `p99 ${fixed(percentile(warmFetch, 99) / percentile(rawOpening, 99), 2)}`,
  );
  console.log(
    `  ratio log/raw, every descriptor open vs pread: p50 ${fixed(percentile(allOpen, 50) / percentile(raw, 50), 2)}, ` +
      `p99 ${fixed(percentile(allOpen, 99) / percentile(raw, 99), 2)}`,
  );
  console.log(
    `  ratio log/raw (warm, bounded vs pread): p50 ${fixed(percentile(warmFetch, 50) / percentile(raw, 50), 2)}, ` +
      `p99 ${fixed(percentile(warmFetch, 99) / percentile(raw, 99), 2)}`,
  );
} finally {
  await scratch.cleanup();
}
