// Recovery time of a 1 GiB log after SIGKILL: a child process appends through a LogManager until the
// log holds the target size, says so, and is killed; the recovery-point checkpoint still says 0, so
// the restart re-validates everything (CRC-32C, record structure, offsets), rebuilds the indexes and
// fsyncs. Baseline: a raw sequential read of the same segment files, which recovery cannot beat.
// Cold runs drop the page cache (root only); the warm run repeats recovery from the page cache.
// Sizes: SLUICE_BENCH_RECOVERY_BYTES (default 1g).
import { spawn } from 'node:child_process';
import { open, readdir, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { CLEAN_SHUTDOWN_FILE, RECOVERY_POINT_CHECKPOINT_FILE } from '../packages/broker/src/log/log-files.ts';
import { LogManager } from '../packages/broker/src/log/log-manager.ts';
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

const TOTAL_BYTES = envSize('SLUICE_BENCH_RECOVERY_BYTES', GiB);
const options = (dir: string) => ({
  logDirs: [dir],
  defaultConfig: benchConfig(),
  logger: silent,
  retentionCheckIntervalMs: 3_600_000,
  flushCheckpointIntervalMs: 3_600_000,
});

if (process.argv[2] === '--writer') {
  // The child: fill the log, report, then wait to be killed.
  const manager = await LogManager.open(options(process.argv[3]!));
  const log = await manager.getOrCreateLog('bench', 0);
  const batches = makeBatches(256, 1024, 16 * 1024);
  const count = Math.ceil(TOTAL_BYTES / batches[0]!.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: 32 }, async () => {
      while (next < count) await log.appendAsLeader(batches[next++ % batches.length]!, 0);
    }),
  );
  process.stdout.write(`done ${log.logEndOffset}\n`);
  setInterval(() => {}, 60_000);
} else {
  const scratch = await scratchDir('recovery');
  try {
    const dir = join(scratch.path, 'logs');
    const child = spawn(process.execPath, [import.meta.filename, '--writer', dir], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const written = await new Promise<number>((resolve, reject) => {
      createInterface({ input: child.stdout }).on('line', (line) => {
        if (line.startsWith('done ')) {
          child.kill('SIGKILL');
          resolve(Number(line.slice(5)));
        }
      });
      child.on('exit', (code, signal) => {
        if (signal !== 'SIGKILL') reject(new Error(`writer exited (${code}, ${signal})`));
      });
    });
    await new Promise((resolve) => child.on('close', resolve));
    await settle();
    const logDir = join(dir, 'bench-0');
    const bytes = await sizeOf(logDir);

    const recover = async (): Promise<number> => {
      const start = nowMs();
      const manager = await LogManager.open(options(dir));
      const elapsed = nowMs() - start;
      const end = manager.getLog('bench', 0)!.logEndOffset;
      if (end !== written) throw new Error(`recovered to ${end}, expected ${written}`);
      await manager.close();
      // Make the next start unclean again, from recovery point 0.
      await unlink(join(dir, CLEAN_SHUTDOWN_FILE));
      await unlink(join(dir, RECOVERY_POINT_CHECKPOINT_FILE));
      return elapsed;
    };
    const cold = await dropCaches();
    const coldRecovery = await recover();
    await dropCaches();
    const coldRaw = await rawRead(logDir);
    const warmRecovery = await recover();
    const warmRaw = await rawRead(logDir);
    console.log(
      `recovery of ${fixed(bytes / GiB, 2)} GiB (${written} offsets) after SIGKILL, from recovery point 0:`,
    );
    console.log(
      `  ${cold ? 'cold' : 'warm (page cache could not be dropped)'}: recovery ${fixed(coldRecovery / 1000, 2)} s ` +
        `(${fixed(mbPerSecond(bytes, coldRecovery))} MB/s); raw sequential read ${fixed(coldRaw / 1000, 2)} s ` +
        `(${fixed(mbPerSecond(bytes, coldRaw))} MB/s); ratio raw/recovery ${fixed(coldRaw / coldRecovery, 2)}`,
    );
    console.log(
      `  warm: recovery ${fixed(warmRecovery / 1000, 2)} s (${fixed(mbPerSecond(bytes, warmRecovery))} MB/s); ` +
        `raw sequential read ${fixed(warmRaw / 1000, 2)} s (${fixed(mbPerSecond(bytes, warmRaw))} MB/s); ` +
        `ratio raw/recovery ${fixed(warmRaw / warmRecovery, 2)}`,
    );
  } finally {
    await scratch.cleanup();
  }
}

async function sizeOf(dir: string): Promise<number> {
  let total = 0;
  for (const name of await readdir(dir)) {
    if (!name.endsWith('.log')) continue;
    const handle = await open(join(dir, name), 'r');
    total += (await handle.stat()).size;
    await handle.close();
  }
  return total;
}

async function rawRead(dir: string): Promise<number> {
  const files = (await readdir(dir)).filter((name) => name.endsWith('.log')).sort();
  const start = nowMs();
  for (const name of files) {
    const handle = await open(join(dir, name), 'r');
    let position = 0;
    for (;;) {
      const { bytesRead } = await handle.read(Buffer.allocUnsafe(8 * MiB), 0, 8 * MiB, position);
      if (bytesRead === 0) break;
      position += bytesRead;
    }
    await handle.close();
  }
  return nowMs() - start;
}
