// Append throughput of a partition log (validation, offset assignment, grouped writes) against a raw
// sequential write of the same bytes to the same disk, with the same fsync policy (none: left to the
// OS, Kafka's default), for 1 KiB and 100 B records in 16 KiB batches.
// Sizes: SLUICE_BENCH_APPEND_BYTES (default 1g) per case, SLUICE_BENCH_IN_FLIGHT (default 32).
import { open, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { PartitionLog } from '../packages/broker/src/log/partition-log.ts';
import {
  benchConfig,
  envSize,
  fixed,
  GiB,
  makeBatches,
  mbPerSecond,
  nowMs,
  scratchDir,
  settle,
  silent,
} from './log-common.ts';

const TOTAL_BYTES = envSize('SLUICE_BENCH_APPEND_BYTES', GiB);
const IN_FLIGHT = envSize('SLUICE_BENCH_IN_FLIGHT', 32);
const BATCH_BYTES = 16 * 1024;
/** Distinct batches cycled through: more than can be in flight, since an append stamps its batch. */
const POOL = Math.max(256, IN_FLIGHT * 4);

async function rawWrite(
  dir: string,
  batches: Buffer[],
  count: number,
  chunk: 'batch' | '1MiB',
): Promise<number> {
  const handle = await open(join(dir, `raw-${chunk}.bin`), 'w');
  const start = nowMs();
  let position = 0;
  if (chunk === 'batch') {
    for (let i = 0; i < count; i++) {
      const batch = batches[i % batches.length]!;
      await handle.write(batch, 0, batch.length, position);
      position += batch.length;
    }
  } else {
    const group: Buffer[] = [];
    let groupBytes = 0;
    for (let i = 0; i < count; i++) {
      const batch = batches[i % batches.length]!;
      group.push(batch);
      groupBytes += batch.length;
      if (groupBytes >= 1024 * 1024 || i === count - 1) {
        await handle.writev(group, position);
        position += groupBytes;
        group.length = 0;
        groupBytes = 0;
      }
    }
  }
  const elapsed = nowMs() - start;
  await handle.close();
  return elapsed;
}

async function logAppend(dir: string, batches: Buffer[], count: number, inFlight: number): Promise<number> {
  const log = await PartitionLog.open({
    dir,
    topic: 'bench',
    partition: 0,
    config: benchConfig(),
    logger: silent,
  });
  const start = nowMs();
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < count) {
      const i = next++;
      await log.appendAsLeader(batches[i % batches.length]!, 0);
    }
  };
  await Promise.all(Array.from({ length: inFlight }, worker));
  const elapsed = nowMs() - start;
  await log.close();
  return elapsed;
}

async function runCase(recordBytes: number): Promise<void> {
  const batches = makeBatches(POOL, recordBytes, BATCH_BYTES);
  const batchBytes = batches[0]!.length;
  const recordsPerBatch = Math.floor((BATCH_BYTES - 61) / (recordBytes + 8));
  const count = Math.max(1, Math.floor(TOTAL_BYTES / batchBytes));
  const bytes = count * batchBytes;
  const records = count * recordsPerBatch;
  const scratch = await scratchDir('append');
  try {
    // Warm up the JIT, and fault in as much page cache as the runs need (a fresh VM page is slow the
    // first time), then run each phase twice, interleaved, each from a synced state; best of two.
    await logAppend(join(scratch.path, 'warm'), batches, Math.min(count, 2000), IN_FLIGHT);
    await rawWrite(scratch.path, batches, count * 2, '1MiB');
    await rm(join(scratch.path, 'raw-1MiB.bin'));
    let raw1M = Number.POSITIVE_INFINITY;
    let pipelined = Number.POSITIVE_INFINITY;
    let rawBatch = Number.POSITIVE_INFINITY;
    let single = Number.POSITIVE_INFINITY;
    const singleCount = Math.min(count, Math.ceil(count / 4));
    for (let round = 0; round < 2; round++) {
      await settle();
      raw1M = Math.min(raw1M, await rawWrite(scratch.path, batches, count, '1MiB'));
      await settle();
      pipelined = Math.min(
        pipelined,
        await logAppend(join(scratch.path, `log${round}`), batches, count, IN_FLIGHT),
      );
      await settle();
      rawBatch = Math.min(rawBatch, await rawWrite(scratch.path, batches, count, 'batch'));
      await settle();
      single = Math.min(
        single,
        await logAppend(join(scratch.path, `single${round}`), batches, singleCount, 1),
      );
      for (const name of [`log${round}`, `single${round}`])
        await rm(join(scratch.path, name), { recursive: true });
    }
    const singleBytes = singleCount * batchBytes;
    const logMBs = mbPerSecond(bytes, pipelined);
    const rawMBs = mbPerSecond(bytes, rawBatch);
    const raw1MMBs = mbPerSecond(bytes, raw1M);
    const singleMBs = mbPerSecond(singleBytes, single);
    console.log(
      `append ${recordBytes} B records, ${recordsPerBatch}/batch (${batchBytes} B batches), ${fixed(bytes / GiB, 2)} GiB:`,
    );
    console.log(
      `  log, ${IN_FLIGHT} appends in flight: ${fixed(logMBs)} MB/s, ${fixed(records / (pipelined / 1000) / 1e6, 2)} M records/s`,
    );
    console.log(`  log, one append at a time:        ${fixed(singleMBs)} MB/s`);
    console.log(`  raw sequential write, one ${batchBytes} B write per batch: ${fixed(rawMBs)} MB/s`);
    console.log(`  raw sequential write, 1 MiB writes:                 ${fixed(raw1MMBs)} MB/s`);
    console.log(
      `  ratio log/raw: ${fixed(logMBs / rawMBs, 2)} (vs per-batch writes), ${fixed(logMBs / raw1MMBs, 2)} (vs 1 MiB writes); ` +
        `one at a time ${fixed(singleMBs / rawMBs, 2)}`,
    );
  } finally {
    await scratch.cleanup();
  }
}

console.log(
  'fsync policy: none for both (flush.messages/flush.ms unset, as Kafka); writes land in the page cache.',
);
await runCase(1024);
await runCase(100);
