// Shared by the bench/log-*.ts benchmarks: sizes from the environment, a scratch directory on the
// disk under test, the page cache dropped when we are allowed to, batches built once, and printing.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encodeRecordBatch } from '@sluice/protocol';
import pino from 'pino';
import type { LogConfig } from '../packages/broker/src/log/log-config.ts';
import { DEFAULT_LOG_CONFIG } from '../packages/broker/src/log/log-config.ts';

export const GiB = 1024 * 1024 * 1024;
export const MiB = 1024 * 1024;

/** An integer setting from the environment, e.g. SLUICE_BENCH_BYTES=64m. Suffixes k, m, g. */
export function envSize(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const match = /^(\d+)([kmg]?)$/i.exec(raw.trim());
  if (match === null) throw new Error(`${name}=${raw} is not a size (like 64m)`);
  const unit = { '': 1, k: 1024, m: MiB, g: GiB }[match[2]!.toLowerCase() as '' | 'k' | 'm' | 'g'];
  return Number(match[1]) * unit;
}

export const silent = pino({ level: 'silent' });

export function benchConfig(overrides: Partial<LogConfig> = {}): LogConfig {
  return { ...DEFAULT_LOG_CONFIG, retentionMs: -1, fileDeleteDelayMs: 0, ...overrides };
}

/** A scratch directory on the disk under test (SLUICE_BENCH_DIR, else the OS temp dir). */
export async function scratchDir(name: string): Promise<{ path: string; cleanup: () => Promise<void> }> {
  const path = await mkdtemp(join(process.env.SLUICE_BENCH_DIR ?? tmpdir(), `sluice-${name}-`));
  return { path, cleanup: () => rm(path, { recursive: true, force: true }) };
}

/** Drops the page cache (root only); false when not allowed, and the numbers are then warm. */
export async function dropCaches(): Promise<boolean> {
  try {
    const { execFileSync } = await import('node:child_process');
    execFileSync('sync');
    await writeFile('/proc/sys/vm/drop_caches', '3\n');
    return true;
  } catch {
    return false;
  }
}

/** Writes back every dirty page (sync(1)) so that the next phase starts from the same state. */
export async function settle(): Promise<void> {
  const { execFileSync } = await import('node:child_process');
  execFileSync('sync');
}

/**
 * `count` distinct batches of records of `recordBytes` each, filling about `batchBytes`: built once,
 * as a producer would have, so the measurements are of the broker's side only.
 */
export function makeBatches(count: number, recordBytes: number, batchBytes: number): Buffer[] {
  const perBatch = Math.max(1, Math.floor((batchBytes - 61) / (recordBytes + 8)));
  const batches: Buffer[] = [];
  for (let b = 0; b < count; b++) {
    const records = Array.from({ length: perBatch }, (_, i) => {
      const value = Buffer.alloc(recordBytes, 97 + ((b + i) % 26));
      return { value, timestamp: 1_700_000_000_000 + b };
    });
    batches.push(encodeRecordBatch(records));
  }
  return batches;
}

export function mbPerSecond(bytes: number, ms: number): number {
  return bytes / MiB / (ms / 1000);
}

export function fixed(value: number, digits = 1): string {
  return value.toFixed(digits);
}

/** Percentile (0-100) of a sorted array. */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

export function nowMs(): number {
  return performance.now();
}
