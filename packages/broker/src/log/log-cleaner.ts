// The log cleaner (Kafka's LogCleaner, simplified to one loop): log compaction for logs whose
// cleanup.policy includes compact. It keeps, for every key, the record with the highest offset.
//
// A log is split at its cleaner checkpoint (per log dir, cleaner-offset-checkpoint): below it the
// "clean" section, already compacted; from it the "dirty" section, appended since. Only closed
// segments are ever cleaned, never the active one, and a dirty segment is cleanable only when all its
// records are at least min.compaction.lag.ms old. A log is worth cleaning when dirty bytes / (clean
// + dirty bytes) >= min.cleanable.dirty.ratio, or when its oldest dirty record is older than
// max.compaction.lag.ms.
//
// One clean: (1) scan the cleanable dirty segments and map each key to its last offset; (2) rewrite
// every closed segment from the first up to the end of that range, keeping a record when no later
// offset has its key; (3) swap each rewritten segment in (segment-swap.ts) and move the checkpoint to
// the end of the range. Offsets never change (gaps are left), batch headers keep their producer fields
// and lastOffsetDelta (batch-filter.ts). What else is dropped:
//   - records without a key (a compacted topic refuses them at append; older data may hold some);
//   - tombstones (null value) once their segment is older than the delete horizon: the largest
//     timestamp of the last clean segment minus delete.retention.ms (Kafka uses the segment files'
//     mtimes; Sluice uses their largest record timestamps, which fall back to the mtime). A consumer
//     that had read up to the clean point has thus had delete.retention.ms to see a tombstone;
//   - batches left empty, except those of idempotent producers (producerId >= 0), which stay as
//     empty batches so the producer state rebuilt from the log keeps their sequence numbers.
// Control batches (transaction markers) are kept whole: Sluice has no transactions to settle.
//
// Reading and writing run under the log's shared read lock, beside appends and reads; only the
// swap takes the exclusive lock, as retention does, so readers in flight finish on the old files.
// Bounds: one clean at a time; at most MAX_KEYS_PER_CLEAN keys (whole segments, so a little more)
// and MAX_DIRTY_BYTES_PER_CLEAN dirty bytes per clean, the rest waiting for the next one; at most
// MAX_LOGS_PER_PASS logs per pass. The shared lock is held for a whole clean: a truncation waiting
// for it holds new reads off meanwhile (the lock prefers writers), which the byte bound keeps short.
import { join } from 'node:path';
import {
  isControlBatch,
  KafkaError,
  LOG_OVERHEAD,
  RECORD_BATCH_HEADER_BYTES,
  readBatchHeader,
} from '@sluice/protocol';
import type { Logger } from 'pino';
import type { CleanerRecord } from './batch-filter.ts';
import { parseBatch, rebuildBatch } from './batch-filter.ts';
import { CheckpointFormatError, readOffsetCheckpoint, writeOffsetCheckpoint } from './checkpoint-file.ts';
import { Mutex } from './locks.ts';
import { DEFAULT_CLEANER_CONFIG, isCompacted } from './log-config.ts';
import { CLEANER_CHECKPOINT_FILE, topicPartitionKey } from './log-files.ts';
import type { LogSegment } from './log-segment.ts';
import type { PartitionLog } from './partition-log.ts';
import { CleanedSegmentWriter, segmentMtimeMs } from './segment-swap.ts';

/** Keys mapped in one clean: ~100 bytes each in a JS Map, so about 100 MiB at most. */
export const MAX_KEYS_PER_CLEAN = 1_000_000;
/** Dirty bytes scanned in one clean; a larger dirty section is cleaned over several passes. */
export const MAX_DIRTY_BYTES_PER_CLEAN = 512 * 1024 * 1024;
/** Logs cleaned in one pass of the background loop, dirtiest first. */
export const MAX_LOGS_PER_PASS = 4;
/** Kafka's log.cleaner.backoff.ms default: the pause between two passes. */
export const DEFAULT_CLEANER_BACKOFF_MS = 15_000;
/** Bytes read from a segment at a time while cleaning. */
const READ_CHUNK_BYTES = 1024 * 1024;

export interface CleanResult {
  /** False when the log was not cleaned (nothing cleanable, or not worth it, or it lost a race). */
  cleaned: boolean;
  /** The new cleaner checkpoint: offsets below it are clean. */
  cleanedUpTo: number;
  segmentsRewritten: number;
  segmentsRemoved: number;
  recordsRemoved: number;
  bytesBefore: number;
  bytesAfter: number;
}

export interface HostedLogRef {
  log: PartitionLog;
  /** The log dir (the parent of the partition's directory), where the checkpoint file lives. */
  logDir: string;
}

/** What a log looks like to the cleaner right now. */
interface CleanPlan {
  /** Closed segments from the first to the last cleanable dirty one. */
  segments: LogSegment[];
  /** Index in `segments` of the first dirty segment. */
  firstDirty: number;
  /** Where the clean ends: the base offset of the segment after the last cleanable one. */
  endOffset: number;
  cleanBytes: number;
  dirtyBytes: number;
  /** The oldest dirty record is older than max.compaction.lag.ms. */
  overdue: boolean;
}

/** Whole batches of a segment, in order, with a parsed header each; read a chunk at a time. */
async function* batchesOf(
  segment: LogSegment,
): AsyncGenerator<{ buffer: Buffer; position: number; size: number }> {
  let offset = segment.baseOffset;
  for (;;) {
    const chunk = await segment.read(offset, READ_CHUNK_BYTES, Number.MAX_SAFE_INTEGER);
    if (chunk === null || chunk.length === 0) return;
    let position = 0;
    while (position + RECORD_BATCH_HEADER_BYTES <= chunk.length) {
      const header = readBatchHeader(chunk, position);
      const size = LOG_OVERHEAD + header.batchLength;
      yield { buffer: chunk, position, size };
      offset = header.baseOffset + header.lastOffsetDelta + 1;
      position += size;
    }
  }
}

export class LogCleaner {
  readonly #logger: Logger;
  readonly #now: () => number;
  readonly #maxKeys: number;
  readonly #maxDirtyBytes: number;
  /** Per log dir: topic-partition -> cleaner checkpoint, loaded from the file on first use. */
  readonly #checkpoints = new Map<string, Map<string, number>>();
  readonly #mutex = new Mutex();

  constructor(options: { logger: Logger; now?: () => number; maxKeys?: number; maxDirtyBytes?: number }) {
    this.#logger = options.logger;
    this.#now = options.now ?? Date.now;
    this.#maxKeys = options.maxKeys ?? MAX_KEYS_PER_CLEAN;
    this.#maxDirtyBytes = options.maxDirtyBytes ?? MAX_DIRTY_BYTES_PER_CLEAN;
  }

  /**
   * One pass of the background loop: the compacted logs worth cleaning, dirtiest first, at most
   * MAX_LOGS_PER_PASS. Returns how many were cleaned. Errors of one log (it went offline, say) are
   * logged and the pass goes on.
   */
  async runPass(logs: Iterable<HostedLogRef>): Promise<number> {
    const candidates: Array<{ ref: HostedLogRef; ratio: number }> = [];
    for (const ref of logs) {
      const { log } = ref;
      if (log.isOffline || log.isClosed || !isCompacted(log.config)) continue;
      try {
        const plan = await this.#plan(ref);
        if (plan === null || !this.#worthCleaning(log, plan)) continue;
        candidates.push({ ref, ratio: plan.dirtyBytes / (plan.cleanBytes + plan.dirtyBytes) });
      } catch (err) {
        this.#failed(log, err);
      }
    }
    candidates.sort((a, b) => b.ratio - a.ratio);
    let cleaned = 0;
    for (const { ref } of candidates.slice(0, MAX_LOGS_PER_PASS)) {
      try {
        if ((await this.clean(ref, false)).cleaned) cleaned++;
      } catch (err) {
        this.#failed(ref.log, err);
      }
    }
    return cleaned;
  }

  /**
   * Cleans one log now. `force` ignores min.cleanable.dirty.ratio (not min.compaction.lag.ms, and
   * never the active segment). Throws KafkaError when the log is offline or closed.
   */
  clean(ref: HostedLogRef, force: boolean): Promise<CleanResult> {
    return this.#mutex.run(async () => {
      const { log } = ref;
      const notCleaned = (cleanedUpTo: number): CleanResult => ({
        cleaned: false,
        cleanedUpTo,
        segmentsRewritten: 0,
        segmentsRemoved: 0,
        recordsRemoved: 0,
        bytesBefore: 0,
        bytesAfter: 0,
      });
      const checkpoint = (await this.#checkpointsOf(ref.logDir)).get(this.#key(log)) ?? 0;
      if (!isCompacted(log.config)) return notCleaned(checkpoint);
      const plan = await this.#plan(ref);
      if (plan === null || (!force && !this.#worthCleaning(log, plan))) return notCleaned(checkpoint);
      const result = await this.#cleanSegments(log, plan);
      if (!result.cleaned) return { ...result, cleanedUpTo: checkpoint };
      await this.#setCheckpoint(ref, result.cleanedUpTo);
      this.#logger.info(
        { topic: log.topic, partition: log.partition, ...result },
        'log cleaner compacted a log',
      );
      return result;
    });
  }

  /** Forgets a deleted log's checkpoint (the file is rewritten on the next clean in that dir). */
  forget(topic: string, partition: number, logDir: string): void {
    this.#checkpoints.get(logDir)?.delete(topicPartitionKey(topic, partition));
  }

  /** The cleaner checkpoint of a log (for tests and tools); 0 when it was never cleaned. */
  async checkpointOf(ref: HostedLogRef): Promise<number> {
    return (await this.#checkpointsOf(ref.logDir)).get(this.#key(ref.log)) ?? 0;
  }

  // -------------------------------------------------------------------------------------------------

  #key(log: PartitionLog): string {
    return topicPartitionKey(log.topic, log.partition);
  }

  #failed(log: PartitionLog, err: unknown): void {
    if (err instanceof KafkaError) {
      this.#logger.warn({ topic: log.topic, partition: log.partition, err: err.message }, 'log not cleaned');
      return;
    }
    this.#logger.error({ topic: log.topic, partition: log.partition, err }, 'log cleaner failed');
  }

  #worthCleaning(log: PartitionLog, plan: CleanPlan): boolean {
    const ratio = log.config.minCleanableDirtyRatio ?? DEFAULT_CLEANER_CONFIG.minCleanableDirtyRatio;
    return plan.overdue || plan.dirtyBytes / (plan.cleanBytes + plan.dirtyBytes) >= ratio;
  }

  async #checkpointsOf(logDir: string): Promise<Map<string, number>> {
    let offsets = this.#checkpoints.get(logDir);
    if (offsets === undefined) {
      try {
        offsets = await readOffsetCheckpoint(join(logDir, CLEANER_CHECKPOINT_FILE));
      } catch (err) {
        if (!(err instanceof CheckpointFormatError)) throw err;
        // Only a missed clean is at stake: the whole log is then dirty once.
        this.#logger.warn({ err: err.message }, `ignoring malformed ${CLEANER_CHECKPOINT_FILE}`);
        offsets = new Map();
      }
      this.#checkpoints.set(logDir, offsets);
    }
    return offsets;
  }

  async #setCheckpoint(ref: HostedLogRef, offset: number): Promise<void> {
    const offsets = await this.#checkpointsOf(ref.logDir);
    offsets.set(this.#key(ref.log), offset);
    const entries = Array.from(offsets, ([key, value]) => {
      const dash = key.lastIndexOf('-');
      return { topic: key.slice(0, dash), partition: Number(key.slice(dash + 1)), offset: value };
    });
    await writeOffsetCheckpoint(join(ref.logDir, CLEANER_CHECKPOINT_FILE), entries);
  }

  /** Splits the log into clean and cleanable dirty segments; null when nothing is cleanable. */
  async #plan(ref: HostedLogRef): Promise<CleanPlan | null> {
    const { log } = ref;
    const config = log.config;
    const minLagMs = config.minCompactionLagMs ?? DEFAULT_CLEANER_CONFIG.minCompactionLagMs;
    const maxLagMs = config.maxCompactionLagMs ?? DEFAULT_CLEANER_CONFIG.maxCompactionLagMs;
    const stored = (await this.#checkpointsOf(ref.logDir)).get(this.#key(log)) ?? 0;
    const nowMs = this.#now();
    return log.withClosedSegments(async ({ segments, logStartOffset, activeBaseOffset }) => {
      // A checkpoint outside the closed segments (the log was truncated or recreated since) makes
      // the whole log dirty again: a clean too many, never a record lost.
      const firstDirtyOffset = stored < logStartOffset || stored > activeBaseOffset ? logStartOffset : stored;
      const endOf = (i: number): number => segments[i + 1]?.baseOffset ?? activeBaseOffset;
      let firstDirty = 0;
      while (firstDirty < segments.length && endOf(firstDirty) <= firstDirtyOffset) firstDirty++;
      // Everything closed is clean: the dirty data is all in the active segment.
      if (firstDirty >= segments.length) return null;
      let last = firstDirty;
      let dirtyBytes = 0;
      while (last < segments.length) {
        const segment = segments[last]!;
        if (minLagMs > 0 && nowMs - (await segment.largestTimestamp()) < minLagMs) break;
        if (last > firstDirty && dirtyBytes + segment.size > this.#maxDirtyBytes) break;
        dirtyBytes += segment.size;
        last++;
      }
      if (last === firstDirty || dirtyBytes === 0) return null;
      let cleanBytes = 0;
      for (let i = 0; i < firstDirty; i++) cleanBytes += segments[i]!.size;
      const overdue = nowMs - (await this.#firstBatchTimestamp(segments[firstDirty]!)) > maxLagMs;
      return {
        segments: segments.slice(0, last),
        firstDirty,
        endOffset: endOf(last - 1),
        cleanBytes,
        dirtyBytes,
        overdue,
      };
    });
  }

  /** The max timestamp of a segment's first batch (Kafka's measure of when a segment's data began). */
  async #firstBatchTimestamp(segment: LogSegment): Promise<number> {
    const first = await segment.read(segment.baseOffset, 1, Number.MAX_SAFE_INTEGER);
    if (first === null || first.length < RECORD_BATCH_HEADER_BYTES) return Number.MAX_SAFE_INTEGER;
    return readBatchHeader(first, 0).maxTimestamp;
  }

  async #cleanSegments(log: PartitionLog, plan: CleanPlan): Promise<CleanResult> {
    const config = log.config;
    const deleteRetentionMs = config.deleteRetentionMs ?? DEFAULT_CLEANER_CONFIG.deleteRetentionMs;
    const result: CleanResult = {
      cleaned: false,
      cleanedUpTo: plan.endOffset,
      segmentsRewritten: 0,
      segmentsRemoved: 0,
      recordsRemoved: 0,
      bytesBefore: 0,
      bytesAfter: 0,
    };
    const replacements: Array<{ segment: LogSegment; cleaned: boolean }> = [];
    const writers: CleanedSegmentWriter[] = [];
    let lostRace = false;
    try {
      await log.withClosedSegments(async ({ segments }) => {
        // The plan was made under an earlier lock: give up if a segment went meanwhile.
        const live = new Set(segments);
        if (!plan.segments.every((segment) => live.has(segment))) {
          lostRace = true;
          return;
        }
        const { lastOffsets, segmentsMapped } = await this.#buildOffsetMap(
          plan.segments.slice(plan.firstDirty),
        );
        // Segments past the key budget wait for the next clean; the checkpoint stops before them.
        const mappedEnd = plan.firstDirty + segmentsMapped;
        const next = plan.segments[mappedEnd];
        if (next !== undefined) {
          plan.segments.length = mappedEnd;
          result.cleanedUpTo = next.baseOffset;
        }
        const lastClean = plan.segments[plan.firstDirty - 1];
        const deleteHorizonMs =
          lastClean === undefined
            ? Number.NEGATIVE_INFINITY
            : (await lastClean.largestTimestamp()) - deleteRetentionMs;
        for (let i = 0; i < plan.segments.length; i++) {
          const segment = plan.segments[i]!;
          const retainTombstones = (await segment.largestTimestamp()) > deleteHorizonMs;
          const writer = await CleanedSegmentWriter.create(
            log.dir,
            segment.baseOffset,
            config.segmentIndexBytes,
            config.indexIntervalBytes,
          );
          writers.push(writer);
          let removed = 0;
          for await (const { buffer, position, size } of batchesOf(segment)) {
            const header = readBatchHeader(buffer, position);
            const lastOffset = header.baseOffset + header.lastOffsetDelta;
            if (isControlBatch(header.attributes)) {
              await writer.append(
                buffer.subarray(position, position + size),
                lastOffset,
                header.maxTimestamp,
              );
              continue;
            }
            const parsed = parseBatch(buffer, position, size);
            const kept = parsed.records.filter((record) =>
              this.#retain(record, lastOffsets, retainTombstones),
            );
            removed += parsed.records.length - kept.length;
            if (kept.length === parsed.records.length) {
              await writer.append(
                buffer.subarray(position, position + size),
                lastOffset,
                header.maxTimestamp,
              );
            } else if (kept.length > 0 || header.producerId >= 0) {
              const rebuilt = rebuildBatch(buffer, position, parsed, kept);
              await writer.append(rebuilt, lastOffset, readBatchHeader(rebuilt, 0).maxTimestamp);
            }
          }
          if (removed === 0) {
            // Nothing to drop here: the segment stays as it is.
            writers.pop();
            await writer.abandon();
            continue;
          }
          result.recordsRemoved += removed;
          result.bytesBefore += segment.size;
          result.bytesAfter += writer.size;
          // The first segment stays even when empty, so that the log start offset does not move.
          const keep = writer.size > 0 || i === 0;
          if (keep) await writer.finish(await segmentMtimeMs(log.dir, segment.baseOffset));
          else {
            writers.pop();
            await writer.abandon();
          }
          replacements.push({ segment, cleaned: keep });
        }
      });
    } catch (err) {
      for (const writer of writers) await writer.abandon().catch(() => {});
      throw err;
    }
    if (lostRace) return result;
    if (replacements.length > 0 && !(await log.replaceCleanedSegments(replacements))) return result;
    result.cleaned = true;
    result.segmentsRewritten = replacements.filter((r) => r.cleaned).length;
    result.segmentsRemoved = replacements.length - result.segmentsRewritten;
    return result;
  }

  /**
   * Key -> the last offset it has in the dirty segments, whole segments at a time until the map holds
   * more than the key budget (the first segment is always mapped, so every clean makes progress).
   */
  async #buildOffsetMap(
    dirty: readonly LogSegment[],
  ): Promise<{ lastOffsets: Map<string, number>; segmentsMapped: number }> {
    const lastOffsets = new Map<string, number>();
    let segmentsMapped = 0;
    for (const segment of dirty) {
      if (segmentsMapped > 0 && lastOffsets.size >= this.#maxKeys) break;
      for await (const { buffer, position, size } of batchesOf(segment)) {
        const header = readBatchHeader(buffer, position);
        if (isControlBatch(header.attributes)) continue;
        for (const record of parseBatch(buffer, position, size).records) {
          if (record.key !== null) lastOffsets.set(record.key, record.offset);
        }
      }
      segmentsMapped++;
    }
    return { lastOffsets, segmentsMapped };
  }

  #retain(record: CleanerRecord, lastOffsets: Map<string, number>, retainTombstones: boolean): boolean {
    if (record.key === null) return false;
    const last = lastOffsets.get(record.key);
    if (last !== undefined && record.offset < last) return false;
    return !record.isTombstone || retainTombstones;
  }
}
