// Shared helpers of the log tests: temporary directories, loggers that record what they log, record
// batches built with the protocol codec, and a quick way to open a partition log.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BatchOptions } from '@sluice/protocol';
import { batchesIn, decodeRecords, encodeRecordBatch } from '@sluice/protocol';
import type { Logger } from 'pino';
import pino from 'pino';
import type { LogConfig } from '../../src/log/log-config.ts';
import { DEFAULT_LOG_CONFIG } from '../../src/log/log-config.ts';
import type { PartitionLogOptions } from '../../src/log/partition-log.ts';
import { PartitionLog } from '../../src/log/partition-log.ts';

export interface LogLine {
  level: number;
  msg: string;
  [field: string]: unknown;
}

/** A pino logger that keeps every line it writes, parsed. */
export function recordingLogger(level: pino.LevelWithSilent = 'debug'): { logger: Logger; lines: LogLine[] } {
  const lines: LogLine[] = [];
  const logger = pino({ level }, { write: (line: string) => lines.push(JSON.parse(line) as LogLine) });
  return { logger, lines };
}

export const silentLogger: Logger = pino({ level: 'silent' });

/** A fresh directory under the OS temp dir; removed by the returned cleanup. */
export async function tempDir(
  prefix = 'sluice-log-',
): Promise<{ path: string; cleanup: () => Promise<void> }> {
  const path = await mkdtemp(join(tmpdir(), prefix));
  return { path, cleanup: () => rm(path, { recursive: true, force: true }) };
}

/** Kafka's defaults with small segments for tests, and no delayed deletes. */
export function testConfig(overrides: Partial<LogConfig> = {}): LogConfig {
  return { ...DEFAULT_LOG_CONFIG, fileDeleteDelayMs: 0, ...overrides };
}

/** A batch of one record per value; timestamps default to 1000, 1001, ... */
export function batchOf(
  values: readonly string[],
  options: BatchOptions & { timestamps?: readonly number[] } = {},
): Buffer {
  const { timestamps, ...batchOptions } = options;
  return encodeRecordBatch(
    values.map((value, i) => ({ value: Buffer.from(value), timestamp: timestamps?.[i] ?? 1000 + i })),
    batchOptions,
  );
}

export interface DecodedRecordView {
  offset: number;
  timestamp: number;
  value: string | null;
  leaderEpoch: number;
}

/** Every record of a buffer of whole batches. */
export function recordsOf(buffer: Buffer): DecodedRecordView[] {
  const result: DecodedRecordView[] = [];
  for (const { position, header } of batchesIn(buffer)) {
    for (const record of decodeRecords(buffer, position)) {
      result.push({
        offset: record.offset,
        timestamp: record.timestamp,
        value: record.value === null ? null : record.value.toString(),
        leaderEpoch: header.partitionLeaderEpoch,
      });
    }
  }
  return result;
}

/** Base offsets of the batches of a buffer. */
export function baseOffsetsOf(buffer: Buffer): number[] {
  return Array.from(batchesIn(buffer), ({ header }) => header.baseOffset);
}

export async function openLog(
  dir: string,
  config: Partial<LogConfig> = {},
  options: Partial<PartitionLogOptions> = {},
): Promise<PartitionLog> {
  return PartitionLog.open({
    dir,
    topic: 't',
    partition: 0,
    config: testConfig(config),
    logger: silentLogger,
    hadCleanShutdown: true,
    ...options,
  });
}

/** Reads every record from `from` to the log end, one read at a time. */
export async function readAll(
  log: PartitionLog,
  from = log.logStartOffset,
  maxBytes = 1 << 20,
): Promise<DecodedRecordView[]> {
  const result: DecodedRecordView[] = [];
  let offset = from;
  while (offset < log.logEndOffset) {
    const { records } = await log.read(offset, maxBytes);
    const decoded = recordsOf(records);
    if (decoded.length === 0) break;
    for (const record of decoded) if (record.offset >= offset) result.push(record);
    offset = decoded.at(-1)!.offset + 1;
  }
  return result;
}

/** Asserts that `promise` rejects with a KafkaError of the given error name. */
export async function rejectsWithCode(promise: Promise<unknown>, errorName: string): Promise<void> {
  try {
    await promise;
  } catch (err) {
    const name = (err as { errorName?: string }).errorName;
    if (name !== errorName) throw new Error(`expected ${errorName}, got ${String(err)}`, { cause: err });
    return;
  }
  throw new Error(`expected ${errorName}, but it resolved`);
}
