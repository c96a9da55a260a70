// The log of one partition (Kafka's Log): an ordered list of segments of which the last is active, the
// offsets that bound it (log start, log end, high watermark, recovery point), its leader-epoch cache,
// the state of the idempotent producers writing to it, and every operation on it: append as leader
// (offsets assigned) or follower (offsets kept), read, lookup by time, flush, truncation at either end,
// retention, recovery at load, and the hooks the log cleaner swaps compacted segments in through
// (log-cleaner.ts).
//
// Concurrency. Appends, truncation, retention and close go through one queue and run one at a time;
// consecutive leader appends waiting in the queue are written together with one pwritev. Reads do
// not queue: they take the shared side of a read-write lock that only truncation and segment deletion
// take exclusively, and read at positions below a size snapshot, so they run beside appends. Flushes
// hold a mutex that maintenance also takes, so a flush never races a truncation.
//
// Failures. An I/O error (anything with an errno code) takes the log offline: it is reported once to
// onStorageError (the log manager then takes the whole log dir offline) and every call afterwards
// fails with KafkaError KAFKA_STORAGE_ERROR. Nothing is thrown past the caller, nothing crashes.
import { mkdir, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { RecordBatchHeader } from '@sluice/protocol';
import {
  batchesIn,
  batchSizeAt,
  ErrorCode,
  KafkaError,
  RECORD_BATCH_HEADER_BYTES,
  setBaseOffset,
  setLogAppendTime,
  setPartitionLeaderEpoch,
  validateRecordBatch,
} from '@sluice/protocol';
import type { Logger } from 'pino';
import { allRecordsHaveKeys } from './batch-filter.ts';
import { removeIfExists } from './checkpoint-file.ts';
import { FileHandlePool } from './file-handle-pool.ts';
import { IndexCorruptError } from './index-file.ts';
import { IndexMemoryBudget } from './index-memory-budget.ts';
import { LeaderEpochCache } from './leader-epoch-cache.ts';
import { Mutex, ReadWriteLock } from './locks.ts';
import type { LogConfig } from './log-config.ts';
import { hasDeletePolicy, isCompacted, validateLogConfig } from './log-config.ts';
import {
  DELETED_FILE_SUFFIX,
  LEADER_EPOCH_CHECKPOINT_FILE,
  parseProducerSnapshotFileName,
  parseSegmentFileName,
  TEMP_FILE_SUFFIX,
} from './log-files.ts';
import type { AppendedBatch, SegmentResources } from './log-segment.ts';
import { CorruptSegmentError, LogSegment } from './log-segment.ts';
import { ProducerSnapshots } from './producer-snapshots.ts';
import { ProducerStateManager } from './producer-state.ts';
import {
  commitCleanedSegment,
  discardCleanedSegment,
  installSwappedSegment,
  recoverInterruptedCleaning,
} from './segment-swap.ts';
import { NO_TIMESTAMP } from './time-index.ts';

/** ListOffsets' special timestamps. */
export const LATEST_TIMESTAMP = -1;
export const EARLIEST_TIMESTAMP = -2;

/** Leader appends written together at most: bounds the pwritev and the latency of the first. */
const MAX_GROUPED_BATCHES = 256;
const MAX_GROUPED_BYTES = 8 * 1024 * 1024;

const EMPTY = Buffer.alloc(0);
/** Bytes read per step while building producer state from the log (a larger batch comes whole). */
const PRODUCER_STATE_SCAN_BYTES = 4 * 1024 * 1024;

export interface PartitionLogOptions {
  dir: string;
  topic: string;
  partition: number;
  config: LogConfig;
  logger: Logger;
  now?: () => number;
  /** From recovery-point-offset-checkpoint: segments from the one holding it on are recovered after an unclean stop. */
  recoveryPoint?: number;
  /** From log-start-offset-checkpoint. */
  logStartOffset?: number;
  /** From replication-offset-checkpoint. */
  highWatermark?: number;
  /** The log dir had .kafka_cleanshutdown: nothing to recover. */
  hadCleanShutdown?: boolean;
  handles?: FileHandlePool;
  indexBudget?: IndexMemoryBudget;
  /** Told once, when an I/O error takes this log offline. */
  onStorageError?: (error: Error) => void;
}

export interface LeaderAppendResult {
  baseOffset: number;
  lastOffset: number;
  /** The broker time stamped into the batch under LogAppendTime; -1 under CreateTime. */
  logAppendTimeMs: number;
  maxTimestamp: number;
}

export interface ReadResult {
  records: Buffer;
  logStartOffset: number;
  logEndOffset: number;
}

interface LeaderAppendJob {
  kind: 'leader';
  batch: Buffer;
  header: RecordBatchHeader;
  leaderEpoch: number;
  resolve: (result: LeaderAppendResult) => void;
  reject: (error: unknown) => void;
}

interface OperationJob {
  kind: 'operation';
  run: () => Promise<void>;
  reject: (error: unknown) => void;
}

type Job = LeaderAppendJob | OperationJob;

function isSystemError(err: unknown): err is NodeJS.ErrnoException {
  return err instanceof Error && typeof (err as NodeJS.ErrnoException).code === 'string';
}

function outOfRange(message: string): KafkaError {
  return new KafkaError(ErrorCode.OFFSET_OUT_OF_RANGE, message);
}

export class PartitionLog {
  readonly topic: string;
  readonly partition: number;
  readonly dir: string;
  readonly #logger: Logger;
  readonly #now: () => number;
  readonly #resources: SegmentResources;
  readonly #onStorageError: ((error: Error) => void) | undefined;
  #config: LogConfig;
  #segments: LogSegment[] = [];
  #epochCache: LeaderEpochCache;
  #logStartOffset = 0;
  #logEndOffset = 0;
  #highWatermark = 0;
  #recoveryPoint = 0;
  #lastFlushMs: number;
  #offline: Error | null = null;
  #closed = false;
  readonly #jobs: Job[] = [];
  #draining = false;
  readonly #readLock = new ReadWriteLock();
  readonly #flushLock = new Mutex();
  readonly #backgroundFlushes = new Set<Promise<void>>();
  /** The idempotent producers' state once built (producerState()); dropped when the log is truncated. */
  #producerState: ProducerStateManager | undefined;
  #producerStateBuild: Promise<ProducerStateManager> | undefined;
  /** Its snapshot files, opened at load. */
  #producerSnapshots: ProducerSnapshots | undefined;

  private constructor(options: PartitionLogOptions) {
    validateLogConfig(options.config);
    this.topic = options.topic;
    this.partition = options.partition;
    this.dir = options.dir;
    this.#config = { ...options.config };
    this.#logger = options.logger.child({ topic: options.topic, partition: options.partition });
    this.#now = options.now ?? Date.now;
    this.#onStorageError = options.onStorageError;
    this.#resources = {
      handles: options.handles ?? new FileHandlePool(),
      indexBudget: options.indexBudget ?? new IndexMemoryBudget(),
      logger: this.#logger,
      indexIntervalBytes: () => this.#config.indexIntervalBytes,
    };
    this.#epochCache = new LeaderEpochCache(join(options.dir, LEADER_EPOCH_CHECKPOINT_FILE), this.#logger);
    this.#lastFlushMs = this.#now();
  }

  /** Opens (creating if needed) the log in `options.dir`, recovering it if the last stop was unclean. */
  static async open(options: PartitionLogOptions): Promise<PartitionLog> {
    const log = new PartitionLog(options);
    await mkdir(options.dir, { recursive: true });
    try {
      await log.#load(options);
    } catch (err) {
      // A failed load (a dir failing as it is read, say) must not leave descriptors behind.
      await Promise.allSettled(log.#segments.map((segment) => segment.close()));
      throw err;
    }
    return log;
  }

  // -------------------------------------------------------------------------------------------------
  // State

  get logStartOffset(): number {
    return this.#logStartOffset;
  }

  get logEndOffset(): number {
    return this.#logEndOffset;
  }

  get highWatermark(): number {
    return this.#highWatermark;
  }

  get recoveryPoint(): number {
    return this.#recoveryPoint;
  }

  get config(): Readonly<LogConfig> {
    return this.#config;
  }

  get latestEpoch(): number | undefined {
    return this.#epochCache.latestEpoch;
  }

  get isOffline(): boolean {
    return this.#offline !== null;
  }

  get isClosed(): boolean {
    return this.#closed;
  }

  get segmentCount(): number {
    return this.#segments.length;
  }

  /** Bytes in all segments. */
  get size(): number {
    let size = 0;
    for (const segment of this.#segments) size += segment.size;
    return size;
  }

  /** Base offsets of the segments, oldest first (for tests and tools). */
  get segmentBaseOffsets(): number[] {
    return this.#segments.map((segment) => segment.baseOffset);
  }

  get lastFlushMs(): number {
    return this.#lastFlushMs;
  }

  /** Epoch entries (epoch, start offset), oldest first. */
  get epochEntries(): ReadonlyArray<{ epoch: number; startOffset: number }> {
    return this.#epochCache.entries;
  }

  /**
   * Sets the high watermark, clamped to [log start offset, log end offset] as Kafka does. The
   * replication layer owns its value; the log keeps it to bound reads and checkpoint it.
   */
  setHighWatermark(offset: number): void {
    if (!Number.isSafeInteger(offset)) throw new RangeError(`high watermark ${offset} is not an integer`);
    this.#highWatermark = Math.min(Math.max(offset, this.#logStartOffset), this.#logEndOffset);
  }

  /** Takes effect for the next append, roll and retention check; index size applies to new segments. */
  updateConfig(config: LogConfig): void {
    validateLogConfig(config);
    this.#config = { ...config };
  }

  get #active(): LogSegment {
    return this.#segments.at(-1)!;
  }

  #checkUsable(): void {
    if (this.#closed) {
      throw new KafkaError(
        ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
        `log ${this.topic}-${this.partition} is closed`,
      );
    }
    if (this.#offline !== null) {
      throw new KafkaError(
        ErrorCode.KAFKA_STORAGE_ERROR,
        `log ${this.topic}-${this.partition} is offline after an I/O error: ${this.#offline.message}`,
      );
    }
  }

  // -------------------------------------------------------------------------------------------------
  // Failures

  /** Turns an error from the storage into what callers see; I/O errors take the log offline. */
  #storageFailure(err: unknown): unknown {
    if (err instanceof KafkaError) return err;
    if (this.#offline !== null || this.#closed) {
      // Whatever broke while the log was being taken offline or closed: say that.
      try {
        this.#checkUsable();
      } catch (usable) {
        return usable;
      }
    }
    if (err instanceof CorruptSegmentError) {
      this.#logger.error({ err: err.message }, 'corrupt data in a segment; not served');
      return new KafkaError(ErrorCode.KAFKA_STORAGE_ERROR, err.message, { cause: err });
    }
    if (!isSystemError(err)) return err;
    const first = this.#offline === null;
    this.markOffline(err);
    if (first) this.#onStorageError?.(err);
    return new KafkaError(
      ErrorCode.KAFKA_STORAGE_ERROR,
      `I/O error on log ${this.topic}-${this.partition} in ${this.dir}: ${err.message}`,
      { cause: err },
    );
  }

  async #io<T>(fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      throw this.#storageFailure(err);
    }
  }

  /**
   * Takes the log offline (its log dir failed): queued work fails with KAFKA_STORAGE_ERROR, file
   * descriptors are released, nothing more is written. Idempotent.
   */
  markOffline(cause: Error): void {
    if (this.#offline !== null) return;
    this.#offline = cause;
    this.#logger.error({ err: cause.message, dir: this.dir }, 'log is offline after an I/O error');
    const error = new KafkaError(
      ErrorCode.KAFKA_STORAGE_ERROR,
      `log ${this.topic}-${this.partition} is offline after an I/O error: ${cause.message}`,
    );
    for (const job of this.#jobs.splice(0)) job.reject(error);
    for (const segment of this.#segments) segment.close().catch(() => {});
  }

  // -------------------------------------------------------------------------------------------------
  // The queue

  #enqueue<T>(fn: () => Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.#jobs.push({
        kind: 'operation',
        run: async () => {
          try {
            resolve(await fn());
          } catch (err) {
            reject(err);
          }
        },
        reject,
      });
      this.#drain();
    });
  }

  /** Queued work that changes segments under the exclusive read lock and the flush lock. */
  #enqueueMaintenance<T>(fn: () => Promise<T>): Promise<T> {
    return this.#enqueue(() =>
      this.#readLock.exclusive(() =>
        this.#flushLock.run(() =>
          this.#io(async () => {
            this.#checkUsable();
            return fn();
          }),
        ),
      ),
    );
  }

  #drain(): void {
    if (this.#draining) return;
    this.#draining = true;
    void (async () => {
      try {
        while (this.#jobs.length > 0) {
          const job = this.#jobs[0]!;
          if (job.kind === 'operation') {
            this.#jobs.shift();
            await job.run();
            continue;
          }
          const group: LeaderAppendJob[] = [];
          let bytes = 0;
          while (this.#jobs.length > 0 && group.length < MAX_GROUPED_BATCHES) {
            const next = this.#jobs[0]!;
            if (next.kind !== 'leader' || (group.length > 0 && bytes + next.batch.length > MAX_GROUPED_BYTES))
              break;
            this.#jobs.shift();
            group.push(next);
            bytes += next.batch.length;
          }
          await this.#appendLeaderGroup(group);
        }
      } finally {
        this.#draining = false;
      }
    })();
  }

  // -------------------------------------------------------------------------------------------------
  // Appending

  /**
   * Appends one record batch produced to this leader: validated (size, CRC-32C, magic, record count,
   * max.message.bytes), then given the next offsets and `leaderEpoch` (and the broker's time under
   * LogAppendTime) in place; the producer's bytes are otherwise written as they came. `batch` is
   * modified and must not be reused by the caller.
   */
  appendAsLeader(batch: Buffer, leaderEpoch: number): Promise<LeaderAppendResult> {
    try {
      this.#checkUsable();
      if (!Number.isSafeInteger(leaderEpoch) || leaderEpoch < 0 || leaderEpoch > 2 ** 31 - 1) {
        throw new RangeError(`leader epoch ${leaderEpoch} is invalid`);
      }
      const header = this.#validateOne(batch);
      return new Promise<LeaderAppendResult>((resolve, reject) => {
        this.#jobs.push({ kind: 'leader', batch, header, leaderEpoch, resolve, reject });
        this.#drain();
      });
    } catch (err) {
      return Promise.reject(err);
    }
  }

  #validateOne(batch: Buffer): RecordBatchHeader {
    if (batch.length < RECORD_BATCH_HEADER_BYTES) {
      throw new KafkaError(
        ErrorCode.CORRUPT_MESSAGE,
        `record batch of ${batch.length} bytes is shorter than a header`,
      );
    }
    const size = batchSizeAt(batch, 0);
    if (size !== batch.length) {
      throw new KafkaError(
        ErrorCode.CORRUPT_MESSAGE,
        `expected exactly one record batch of ${batch.length} bytes, its header says ${size ?? 'nothing'}`,
      );
    }
    const header = validateRecordBatch(batch, 0, size, this.#config.maxMessageBytes);
    this.#checkFitsSegment(size);
    // The cleaner could only drop a keyless record, so Kafka refuses it up front, with this code.
    if (isCompacted(this.#config) && !allRecordsHaveKeys(batch, 0, size)) {
      throw new KafkaError(
        ErrorCode.CORRUPT_MESSAGE,
        `compacted topic ${this.topic} cannot accept a record without a key`,
      );
    }
    return header;
  }

  #checkFitsSegment(size: number): void {
    if (size > this.#config.segmentBytes) {
      throw new KafkaError(
        ErrorCode.RECORD_LIST_TOO_LARGE,
        `record batch of ${size} bytes is larger than segment.bytes=${this.#config.segmentBytes}`,
      );
    }
  }

  async #appendLeaderGroup(group: LeaderAppendJob[]): Promise<void> {
    const results: LeaderAppendResult[] = [];
    try {
      await this.#io(async () => {
        this.#checkUsable();
        const config = this.#config;
        const logAppendTime = config.messageTimestampType === 'LogAppendTime';
        let epochChanged = false;
        let i = 0;
        while (i < group.length) {
          const nowMs = this.#now();
          let segment = this.#active;
          const buffers: Buffer[] = [];
          const batches: AppendedBatch[] = [];
          let bytes = 0;
          let nextOffset = this.#logEndOffset;
          // The job a roll was made for is not checked again: a fresh segment always takes one batch.
          let rolledFor = -1;
          while (i < group.length) {
            const job = group[i]!;
            const lastOffset = nextOffset + job.header.lastOffsetDelta;
            const maxTimestamp = logAppendTime ? nowMs : job.header.maxTimestamp;
            const size = job.batch.length;
            if (
              rolledFor !== i &&
              segment.shouldRoll({
                bytes: bytes + size,
                indexEntries: batches.length + 1,
                maxTimestamp,
                lastOffset,
                nowMs,
                segmentBytes: config.segmentBytes,
                segmentMs: config.segmentMs,
              })
            ) {
              if (batches.length > 0) break;
              segment = await this.#roll(nextOffset);
              rolledFor = i;
            }
            setBaseOffset(job.batch, 0, nextOffset);
            setPartitionLeaderEpoch(job.batch, 0, job.leaderEpoch);
            if (logAppendTime) setLogAppendTime(job.batch, 0, nowMs);
            buffers.push(job.batch);
            batches.push({ baseOffset: nextOffset, lastOffset, maxTimestamp, size });
            results.push({
              baseOffset: nextOffset,
              lastOffset,
              logAppendTimeMs: logAppendTime ? nowMs : NO_TIMESTAMP,
              maxTimestamp,
            });
            bytes += size;
            nextOffset = lastOffset + 1;
            i++;
          }
          await segment.append(buffers, batches);
          this.#logEndOffset = nextOffset;
          const producerState = this.#producerState;
          for (let k = i - batches.length; k < i; k++) {
            const job = group[k]!;
            producerState?.update(job.header, results[k]!.baseOffset);
            const latest = this.#epochCache.latestEpoch;
            if (latest === undefined || job.leaderEpoch > latest) {
              epochChanged = this.#epochCache.assign(job.leaderEpoch, results[k]!.baseOffset) || epochChanged;
            }
          }
        }
        if (epochChanged) await this.#epochCache.persist();
        await this.#maybeFlushByCount();
      });
    } catch (err) {
      for (const job of group) job.reject(err);
      return;
    }
    for (let k = 0; k < group.length; k++) group[k]!.resolve(results[k]!);
  }

  /**
   * Appends batches fetched from the leader, offsets and epochs kept as the leader wrote them. Each
   * batch is validated (CRC, structure, max.message.bytes); offsets must increase from one batch to
   * the next and start at or after the log end offset (gaps are allowed, as compaction leaves them).
   * A trailing partial batch, which a fetch response may end with, is ignored.
   */
  appendAsFollower(batches: Buffer): Promise<{ lastOffset: number }> {
    try {
      this.#checkUsable();
      const found: Array<{ position: number; size: number; header: RecordBatchHeader }> = [];
      let position = 0;
      let previousLast = -1;
      for (;;) {
        const size = batchSizeAt(batches, position);
        if (size === null || size > batches.length - position) break;
        const header = validateRecordBatch(batches, position, size, this.#config.maxMessageBytes, {
          allowOffsetGaps: true,
        });
        this.#checkFitsSegment(size);
        if (header.baseOffset <= previousLast) {
          throw new KafkaError(
            ErrorCode.INVALID_RECORD,
            `follower batch offsets are not increasing: ${header.baseOffset} after ${previousLast}`,
          );
        }
        previousLast = header.baseOffset + header.lastOffsetDelta;
        found.push({ position, size, header });
        position += size;
      }
      if (found.length === 0) return Promise.resolve({ lastOffset: this.#logEndOffset - 1 });
      return this.#enqueue(() => this.#io(() => this.#appendFollower(batches, found)));
    } catch (err) {
      return Promise.reject(err);
    }
  }

  async #appendFollower(
    buffer: Buffer,
    found: Array<{ position: number; size: number; header: RecordBatchHeader }>,
  ): Promise<{ lastOffset: number }> {
    this.#checkUsable();
    const first = found[0]!.header;
    if (first.baseOffset < this.#logEndOffset) {
      throw outOfRange(
        `follower append at offset ${first.baseOffset} is below the log end offset ${this.#logEndOffset}`,
      );
    }
    const config = this.#config;
    let epochChanged = false;
    let i = 0;
    while (i < found.length) {
      const nowMs = this.#now();
      let segment = this.#active;
      const batches: AppendedBatch[] = [];
      const from = found[i]!.position;
      let bytes = 0;
      let rolledFor = -1;
      while (i < found.length) {
        const { size, header } = found[i]!;
        const lastOffset = header.baseOffset + header.lastOffsetDelta;
        if (
          rolledFor !== i &&
          segment.shouldRoll({
            bytes: bytes + size,
            indexEntries: batches.length + 1,
            maxTimestamp: header.maxTimestamp,
            lastOffset,
            nowMs,
            segmentBytes: config.segmentBytes,
            segmentMs: config.segmentMs,
          })
        ) {
          if (batches.length > 0) break;
          segment = await this.#roll(header.baseOffset);
          rolledFor = i;
        }
        batches.push({ baseOffset: header.baseOffset, lastOffset, maxTimestamp: header.maxTimestamp, size });
        bytes += size;
        i++;
      }
      await segment.append([buffer.subarray(from, from + bytes)], batches);
      this.#logEndOffset = batches.at(-1)!.lastOffset + 1;
      // A follower keeps its producers' state too, so that it can lead without building it again.
      const producerState = this.#producerState;
      for (let k = i - batches.length; k < i; k++) {
        const { header } = found[k]!;
        producerState?.update(header, header.baseOffset);
        const latest = this.#epochCache.latestEpoch;
        if (
          header.partitionLeaderEpoch >= 0 &&
          (latest === undefined || header.partitionLeaderEpoch > latest)
        ) {
          epochChanged =
            this.#epochCache.assign(header.partitionLeaderEpoch, header.baseOffset) || epochChanged;
        }
      }
    }
    if (epochChanged) await this.#epochCache.persist();
    await this.#maybeFlushByCount();
    return { lastOffset: this.#logEndOffset - 1 };
  }

  /**
   * The state of the idempotent producers writing to this log (Kafka's ProducerStateManager): built on
   * first use from the latest snapshot and the batch headers after it, inside the queue so that no
   * append or truncation interleaves; then kept by every append, leader or follower; snapshotted when a
   * segment rolls and at a clean close; dropped when the log is truncated, and built again on next use.
   */
  producerState(): Promise<ProducerStateManager> {
    if (this.#producerState !== undefined) return Promise.resolve(this.#producerState);
    if (this.#producerStateBuild === undefined) {
      const build = this.#enqueue(async () => {
        this.#checkUsable();
        if (this.#producerState !== undefined) return this.#producerState;
        const state = await this.#scanProducerState();
        this.#producerState = state;
        return state;
      });
      this.#producerStateBuild = build;
      const forget = () => {
        if (this.#producerStateBuild === build) this.#producerStateBuild = undefined;
      };
      build.then(forget, forget);
    }
    return this.#producerStateBuild;
  }

  async #scanProducerState(): Promise<ProducerStateManager> {
    const state = new ProducerStateManager();
    const end = this.#logEndOffset;
    const snapshot = await this.#io(() => this.#snapshots.latestAtOrBelow(end));
    for (const entry of snapshot?.entries ?? []) state.loadSnapshotEntry(entry);
    let offset = Math.max(this.#logStartOffset, snapshot?.offset ?? 0);
    this.#logger.info(
      {
        snapshotOffset: snapshot?.offset ?? null,
        producers: state.producerCount,
        scanFrom: offset,
        scanTo: end,
      },
      'building producer state',
    );
    while (offset < end) {
      const { records } = await this.read(offset, PRODUCER_STATE_SCAN_BYTES);
      let next = offset;
      for (const { header } of batchesIn(records)) {
        state.update(header, header.baseOffset);
        next = header.baseOffset + header.lastOffsetDelta + 1;
      }
      if (next <= offset) break; // nothing whole came back: the end, or a batch larger than the read
      offset = next;
    }
    return state;
  }

  get #snapshots(): ProducerSnapshots {
    if (this.#producerSnapshots === undefined) throw new Error('partition log: snapshots used before load');
    return this.#producerSnapshots;
  }

  /** Snapshots the producer state at the log end offset, when it is built and not snapshotted there yet. */
  async #snapshotProducerState(): Promise<void> {
    const state = this.#producerState;
    const offset = this.#logEndOffset;
    if (state === undefined || this.#snapshots.offsets.includes(offset)) return;
    await this.#snapshots.write(offset, state.snapshotEntries());
  }

  /**
   * Starts a new active segment at `baseOffset` (Kafka's roll). The old one is sealed and flushed in
   * the background, moving the recovery point to the new segment's base offset. An empty active
   * segment is replaced rather than kept.
   */
  async #roll(baseOffset: number): Promise<LogSegment> {
    const old = this.#active;
    const start = Math.max(baseOffset, this.#logEndOffset);
    // The state covers everything below the new segment: a later build scans from here at most.
    await this.#snapshotProducerState();
    if (old.size === 0) {
      this.#segments.pop();
      await old.delete(0);
    } else {
      old.seal();
    }
    const segment = await LogSegment.create(
      this.dir,
      start,
      this.#config.segmentIndexBytes,
      this.#resources,
      this.#now(),
    );
    this.#segments.push(segment);
    this.#logger.debug({ baseOffset: start }, 'rolled new log segment');
    if (old.size > 0) this.#flushInBackground(start);
    return segment;
  }

  #flushInBackground(offset: number): void {
    const flush = this.#io(() => this.#flushTo(offset)).catch((err: unknown) => {
      if (!(err instanceof KafkaError)) this.#logger.error({ err }, 'background flush failed');
    });
    this.#backgroundFlushes.add(flush);
    void flush.finally(() => this.#backgroundFlushes.delete(flush));
  }

  async #maybeFlushByCount(): Promise<void> {
    if (this.#logEndOffset - this.#recoveryPoint >= this.#config.flushMessages)
      await this.#flushTo(this.#logEndOffset);
  }

  // -------------------------------------------------------------------------------------------------
  // Flushing

  /** fsyncs everything appended so far and moves the recovery point to the log end offset. */
  async flush(): Promise<void> {
    this.#checkUsable();
    await this.#io(() => this.#flushTo(this.#logEndOffset));
  }

  /** Flushes if flush.ms has passed since the last flush and something is unflushed (log manager timer). */
  async flushIfDue(nowMs: number): Promise<void> {
    if (this.#offline !== null || this.#closed) return;
    if (nowMs - this.#lastFlushMs < this.#config.flushMs) return;
    if (this.#recoveryPoint >= this.#logEndOffset) {
      this.#lastFlushMs = nowMs;
      return;
    }
    await this.flush();
  }

  /** Flushes the segments holding offsets [recovery point, offset) and moves the recovery point. */
  #flushTo(offset: number): Promise<void> {
    return this.#flushLock.run(async () => {
      if (this.#offline !== null) return;
      const segments = this.#segments;
      const from = this.#recoveryPoint;
      if (offset <= from) {
        this.#lastFlushMs = this.#now();
        return;
      }
      const start = Math.max(0, this.#floorSegmentIndex(from));
      for (let i = start; i < segments.length; i++) {
        const segment = segments[i]!;
        if (segment.baseOffset >= offset && i > start) break;
        await segment.flush();
      }
      if (offset > this.#recoveryPoint) this.#recoveryPoint = Math.min(offset, this.#logEndOffset);
      this.#lastFlushMs = this.#now();
    });
  }

  // -------------------------------------------------------------------------------------------------
  // Reading

  /** Index of the last segment whose base offset is <= offset, or -1. */
  #floorSegmentIndex(offset: number): number {
    const segments = this.#segments;
    let low = 0;
    let high = segments.length - 1;
    let found = -1;
    while (low <= high) {
      const mid = (low + high) >>> 1;
      if (segments[mid]!.baseOffset <= offset) {
        found = mid;
        low = mid + 1;
      } else {
        high = mid - 1;
      }
    }
    return found;
  }

  /**
   * Whole batches from the one holding `fetchOffset`, up to `maxBytes` (the first batch whole even if
   * larger, as Kafka), from one segment, none at or past `maxOffsetExclusive` (pass the high
   * watermark for consumers). OFFSET_OUT_OF_RANGE below the log start offset or past the log end.
   */
  read(fetchOffset: number, maxBytes: number, maxOffsetExclusive?: number): Promise<ReadResult> {
    try {
      this.#checkUsable();
    } catch (err) {
      return Promise.reject(err);
    }
    return this.#readLock.shared(() =>
      this.#io(async () => {
        this.#checkUsable();
        const logStartOffset = this.#logStartOffset;
        const logEndOffset = this.#logEndOffset;
        if (
          !Number.isSafeInteger(fetchOffset) ||
          fetchOffset < logStartOffset ||
          fetchOffset > logEndOffset
        ) {
          throw outOfRange(
            `offset ${fetchOffset} is out of range [${logStartOffset}, ${logEndOffset}] for ${this.topic}-${this.partition}`,
          );
        }
        const limit =
          maxOffsetExclusive === undefined ? logEndOffset : Math.min(maxOffsetExclusive, logEndOffset);
        const segments = this.#segments;
        if (fetchOffset < limit) {
          for (let i = Math.max(0, this.#floorSegmentIndex(fetchOffset)); i < segments.length; i++) {
            const records = await segments[i]!.read(fetchOffset, maxBytes, limit);
            if (records !== null) return { records, logStartOffset, logEndOffset };
          }
        }
        return { records: EMPTY, logStartOffset, logEndOffset };
      }),
    );
  }

  /**
   * ListOffsets by time: the first offset whose record timestamp is >= `timestampMs`, with that
   * timestamp; null when no record is that late. -1 (latest) and -2 (earliest) answer the log end and
   * log start offsets with timestamp -1.
   */
  offsetForTimestamp(timestampMs: number): Promise<{ offset: number; timestamp: number } | null> {
    try {
      this.#checkUsable();
    } catch (err) {
      return Promise.reject(err);
    }
    if (timestampMs === LATEST_TIMESTAMP)
      return Promise.resolve({ offset: this.#logEndOffset, timestamp: NO_TIMESTAMP });
    if (timestampMs === EARLIEST_TIMESTAMP) {
      return Promise.resolve({ offset: this.#logStartOffset, timestamp: NO_TIMESTAMP });
    }
    return this.#readLock.shared(() =>
      this.#io(async () => {
        this.#checkUsable();
        const startingOffset = this.#logStartOffset;
        for (const segment of this.#segments) {
          if ((await segment.largestTimestamp()) < timestampMs) continue;
          const found = await segment.findOffsetByTimestamp(timestampMs, startingOffset);
          if (found !== null) return found;
        }
        return null;
      }),
    );
  }

  /** OffsetsForLeaderEpoch: see LeaderEpochCache.endOffsetFor. */
  endOffsetForEpoch(epoch: number): { epoch: number; endOffset: number } {
    this.#checkUsable();
    return this.#epochCache.endOffsetFor(epoch, this.#logEndOffset);
  }

  // -------------------------------------------------------------------------------------------------
  // Truncation and retention

  /**
   * Removes every batch whose last offset is >= `offset` (a batch holding it goes whole, so the log end
   * offset may end below `offset`). A no-op at or past the log end; below the first segment it is
   * truncateFullyAndStartAt(offset). Epochs starting at or after the new end are dropped.
   */
  truncateTo(offset: number): Promise<void> {
    if (!Number.isSafeInteger(offset) || offset < 0)
      return Promise.reject(new RangeError(`truncateTo(${offset})`));
    return this.#enqueueMaintenance(async () => {
      if (offset >= this.#logEndOffset) return;
      if (offset < this.#segments[0]!.baseOffset) {
        await this.#truncateFully(offset);
        return;
      }
      const before = this.#logEndOffset;
      const deletable = this.#segments.filter((segment) => segment.baseOffset > offset);
      await this.#deleteSegments(deletable);
      const active = this.#active;
      if (!active.isActive) await active.activate();
      const { firstRemovedOffset } = await active.truncateTo(offset, this.#now());
      this.#logEndOffset = firstRemovedOffset === null ? offset : Math.min(offset, firstRemovedOffset);
      this.#highWatermark = Math.min(this.#highWatermark, this.#logEndOffset);
      this.#recoveryPoint = Math.min(this.#recoveryPoint, this.#logEndOffset);
      this.#logStartOffset = Math.min(this.#logStartOffset, this.#logEndOffset);
      if (this.#epochCache.truncateFromEnd(this.#logEndOffset)) await this.#epochCache.persist();
      this.#producerState = undefined;
      await this.#snapshots.deleteAbove(this.#logEndOffset);
      this.#logger.info({ from: before, to: this.#logEndOffset, requested: offset }, 'truncated log');
    });
  }

  /** Deletes every segment and starts an empty log at `offset` (a follower far behind its leader). */
  truncateFullyAndStartAt(offset: number): Promise<void> {
    if (!Number.isSafeInteger(offset) || offset < 0) {
      return Promise.reject(new RangeError(`truncateFullyAndStartAt(${offset})`));
    }
    return this.#enqueueMaintenance(() => this.#truncateFully(offset));
  }

  async #truncateFully(offset: number): Promise<void> {
    const before = this.#logEndOffset;
    await this.#deleteSegments(this.#segments.slice());
    this.#segments = [
      await LogSegment.create(this.dir, offset, this.#config.segmentIndexBytes, this.#resources, this.#now()),
    ];
    this.#logStartOffset = offset;
    this.#logEndOffset = offset;
    this.#highWatermark = offset;
    this.#recoveryPoint = offset;
    this.#epochCache.clear();
    await this.#epochCache.persist();
    this.#producerState = undefined;
    await this.#snapshots.deleteAll();
    this.#logger.info({ from: before, startOffset: offset }, 'truncated log fully');
  }

  /** Removes segments from the list and deletes their files (with file.delete.delay.ms). */
  async #deleteSegments(segments: readonly LogSegment[]): Promise<void> {
    if (segments.length === 0) return;
    const doomed = new Set(segments);
    this.#segments = this.#segments.filter((segment) => !doomed.has(segment));
    for (const segment of segments) await segment.delete(this.#config.fileDeleteDelayMs ?? 0);
  }

  /**
   * DeleteRecords: moves the log start offset up to `offset` (at most the high watermark), and deletes
   * the segments wholly below it. Returns the new log start offset.
   */
  deleteRecordsBefore(offset: number): Promise<number> {
    return this.#enqueueMaintenance(async () => {
      if (offset > this.#highWatermark) {
        throw outOfRange(
          `cannot delete records before ${offset}: the high watermark is ${this.#highWatermark}`,
        );
      }
      if (offset > this.#logStartOffset) {
        this.#logStartOffset = offset;
        await this.#afterLogStartMoved();
      }
      await this.#deleteSegments(this.#segmentsBelowLogStart());
      return this.#logStartOffset;
    });
  }

  #segmentsBelowLogStart(): LogSegment[] {
    const result: LogSegment[] = [];
    const segments = this.#segments;
    for (let i = 0; i + 1 < segments.length; i++) {
      if (segments[i + 1]!.baseOffset > this.#logStartOffset) break;
      result.push(segments[i]!);
    }
    return result;
  }

  async #afterLogStartMoved(): Promise<void> {
    if (this.#highWatermark < this.#logStartOffset) this.#highWatermark = this.#logStartOffset;
    if (this.#recoveryPoint < this.#logStartOffset) this.#recoveryPoint = this.#logStartOffset;
    if (this.#epochCache.truncateFromStart(this.#logStartOffset)) await this.#epochCache.persist();
  }

  /**
   * Retention: deletes closed segments (never the active one), oldest first, while they are older than
   * retention.ms, while the log is larger than retention.bytes, or while they lie wholly below the log
   * start offset; then moves the log start offset to the first remaining segment. Returns the number
   * of segments deleted. The log manager calls it on its retention timer.
   */
  deleteOldSegments(): Promise<number> {
    if (this.#offline !== null || this.#closed) return Promise.resolve(0);
    return this.#enqueue(async () => {
      if (this.#offline !== null || this.#closed) return 0;
      // Decide with reads only (time index tails), then delete under the locks.
      const doomed = await this.#io(() => this.#retentionCandidates());
      if (doomed.length === 0) return 0;
      await this.#readLock.exclusive(() =>
        this.#flushLock.run(() =>
          this.#io(async () => {
            this.#checkUsable();
            const bytes = doomed.reduce((sum, segment) => sum + segment.size, 0);
            await this.#deleteSegments(doomed);
            const first = this.#segments[0]!.baseOffset;
            if (first > this.#logStartOffset) {
              this.#logStartOffset = first;
              await this.#afterLogStartMoved();
            }
            this.#logger.info(
              { segments: doomed.length, bytes, logStartOffset: this.#logStartOffset },
              'deleted segments by retention',
            );
          }),
        ),
      );
      return doomed.length;
    });
  }

  async #retentionCandidates(): Promise<LogSegment[]> {
    const segments = this.#segments;
    const closed = segments.slice(0, -1);
    const config = this.#config;
    let count = this.#segmentsBelowLogStart().length;
    // cleanup.policy=compact alone keeps segments whatever their age and size (the log cleaner bounds them).
    if (!hasDeletePolicy(config)) return closed.slice(0, count);
    if (config.retentionMs >= 0) {
      const nowMs = this.#now();
      let byTime = 0;
      while (
        byTime < closed.length &&
        nowMs - (await closed[byTime]!.largestTimestamp()) > config.retentionMs
      )
        byTime++;
      count = Math.max(count, byTime);
    }
    if (config.retentionBytes >= 0) {
      let excess = this.size - config.retentionBytes;
      let bySize = 0;
      while (bySize < closed.length && excess - closed[bySize]!.size >= 0) {
        excess -= closed[bySize]!.size;
        bySize++;
      }
      count = Math.max(count, bySize);
    }
    return closed.slice(0, count);
  }

  // -------------------------------------------------------------------------------------------------
  // The log cleaner's access (log-cleaner.ts)

  /**
   * Runs `fn` with the closed segments under the shared read lock: it may read them (and write files
   * beside them) while appends and reads go on, and no segment is deleted or truncated meanwhile.
   * `fn` must not call read() or any queued method of this log.
   */
  withClosedSegments<T>(
    fn: (view: {
      segments: readonly LogSegment[];
      logStartOffset: number;
      activeBaseOffset: number;
    }) => Promise<T>,
  ): Promise<T> {
    return this.#readLock.shared(() =>
      this.#io(async () => {
        this.#checkUsable();
        return fn({
          segments: this.#segments.slice(0, -1),
          logStartOffset: this.#logStartOffset,
          activeBaseOffset: this.#active.baseOffset,
        });
      }),
    );
  }

  /**
   * Replaces closed segments by the cleaned files written beside them (see segment-swap.ts), oldest
   * first, each committed and installed on its own: `cleaned` false means the segment has no record
   * left and goes. Under the exclusive lock, so no read is in flight on a replaced segment. If any of
   * the segments is no longer in the log (retention or truncation won the race), nothing is replaced,
   * the cleaned files are removed and the answer is false.
   */
  replaceCleanedSegments(
    replacements: ReadonlyArray<{ segment: LogSegment; cleaned: boolean }>,
  ): Promise<boolean> {
    return this.#enqueueMaintenance(async () => {
      const current = new Set(this.#segments.slice(0, -1));
      if (!replacements.every(({ segment }) => current.has(segment))) {
        for (const { segment, cleaned } of replacements)
          if (cleaned) await discardCleanedSegment(this.dir, segment.baseOffset);
        return false;
      }
      const delayMs = this.#config.fileDeleteDelayMs ?? 0;
      for (const { segment, cleaned } of replacements) {
        const at = this.#segments.indexOf(segment);
        if (!cleaned) {
          this.#segments.splice(at, 1);
          await segment.delete(delayMs);
          continue;
        }
        await commitCleanedSegment(this.dir, segment.baseOffset);
        await segment.delete(delayMs);
        await installSwappedSegment(this.dir, segment.baseOffset);
        this.#segments[at] = await LogSegment.open(
          this.dir,
          segment.baseOffset,
          this.#config.segmentIndexBytes,
          this.#resources,
          this.#now(),
        );
      }
      return true;
    });
  }

  // -------------------------------------------------------------------------------------------------
  // Loading and recovery

  async #load(options: PartitionLogOptions): Promise<void> {
    await recoverInterruptedCleaning(this.dir, this.#logger);
    const names = await readdir(this.dir);
    const logs: number[] = [];
    const indexFiles = new Map<number, string[]>();
    const snapshotOffsets: number[] = [];
    for (const name of names) {
      if (name.endsWith(DELETED_FILE_SUFFIX) || name.endsWith(TEMP_FILE_SUFFIX)) {
        await removeIfExists(join(this.dir, name));
        continue;
      }
      const snapshotOffset = parseProducerSnapshotFileName(name);
      if (snapshotOffset !== null) snapshotOffsets.push(snapshotOffset);
      const parsed = parseSegmentFileName(name);
      if (parsed === null) continue;
      if (parsed.kind === 'log') logs.push(parsed.baseOffset);
      else indexFiles.set(parsed.baseOffset, [...(indexFiles.get(parsed.baseOffset) ?? []), name]);
    }
    logs.sort((a, b) => a - b);
    const logSet = new Set(logs);
    for (const [baseOffset, files] of indexFiles) {
      if (logSet.has(baseOffset)) continue;
      for (const name of files) await removeIfExists(join(this.dir, name));
      this.#logger.warn({ baseOffset }, 'removed index files without a segment');
    }
    const nowMs = this.#now();
    for (const baseOffset of logs) {
      this.#segments.push(
        await LogSegment.open(this.dir, baseOffset, this.#config.segmentIndexBytes, this.#resources, nowMs),
      );
    }
    this.#epochCache = await LeaderEpochCache.load(
      join(this.dir, LEADER_EPOCH_CHECKPOINT_FILE),
      this.#logger,
    );

    let logStartOffset = options.logStartOffset ?? 0;
    let logEndOffset: number;
    if (this.#segments.length === 0) {
      this.#segments.push(
        await LogSegment.create(
          this.dir,
          logStartOffset,
          this.#config.segmentIndexBytes,
          this.#resources,
          nowMs,
        ),
      );
      logEndOffset = logStartOffset;
    } else if (options.hadCleanShutdown === true) {
      logEndOffset = await this.#activateLast();
    } else {
      logEndOffset = await this.#recover(options.recoveryPoint ?? 0);
    }
    if (logEndOffset < logStartOffset) {
      this.#logger.warn(
        { logEndOffset, logStartOffset },
        'log end offset is below the log start offset (segments deleted from disk?); starting empty',
      );
      await this.#deleteSegments(this.#segments.slice());
      this.#segments = [
        await LogSegment.create(
          this.dir,
          logStartOffset,
          this.#config.segmentIndexBytes,
          this.#resources,
          nowMs,
        ),
      ];
      logEndOffset = logStartOffset;
    }
    logStartOffset = Math.max(logStartOffset, this.#segments[0]!.baseOffset);
    this.#logStartOffset = logStartOffset;
    this.#logEndOffset = logEndOffset;
    this.#recoveryPoint = logEndOffset;
    this.#highWatermark = Math.min(Math.max(options.highWatermark ?? 0, logStartOffset), logEndOffset);
    this.#epochCache.truncateFromEnd(logEndOffset);
    this.#epochCache.truncateFromStart(logStartOffset);
    await this.#epochCache.persist(); // only writes when recovery or the cuts above changed it
    // A snapshot past the end describes records that recovery cut off: it must never be loaded.
    this.#producerSnapshots = new ProducerSnapshots(this.dir, this.#logger, snapshotOffsets);
    await this.#producerSnapshots.deleteAbove(logEndOffset);
    this.#logger.debug(
      {
        segments: this.#segments.length,
        logStartOffset,
        logEndOffset,
        clean: options.hadCleanShutdown === true,
      },
      'loaded log',
    );
  }

  /** After a clean shutdown: trust the indexes, find the end of the last segment. */
  async #activateLast(): Promise<number> {
    const last = this.#active;
    try {
      return (await last.activate()).nextOffset;
    } catch (err) {
      if (!(err instanceof IndexCorruptError) && !(err instanceof CorruptSegmentError)) throw err;
      this.#logger.warn(
        { err: err.message, segment: last.path },
        'active segment is inconsistent; recovering it',
      );
      return this.#recover(last.baseOffset);
    }
  }

  /**
   * After an unclean stop: every segment from the one holding the recovery point on is re-validated
   * and re-indexed; at the first bad batch the segment is cut there and every later segment deleted,
   * with the offset and the bytes dropped logged. Recovered segments are fsynced, so the recovery point
   * can be the new log end offset.
   */
  async #recover(recoveryPoint: number): Promise<number> {
    const segments = this.#segments;
    const start = Math.max(0, this.#floorSegmentIndex(recoveryPoint));
    let nextOffset = segments[start]!.baseOffset;
    for (let i = start; i < segments.length; i++) {
      const segment = segments[i]!;
      this.#epochCache.truncateFromEnd(segment.baseOffset);
      const result = await segment.recover(this.#config.maxMessageBytes, (header) => {
        const latest = this.#epochCache.latestEpoch;
        if (
          header.partitionLeaderEpoch >= 0 &&
          (latest === undefined || header.partitionLeaderEpoch > latest)
        ) {
          this.#epochCache.assign(header.partitionLeaderEpoch, header.baseOffset);
        }
      });
      nextOffset = result.nextOffset;
      const isLast = result.truncatedBytes > 0 || i === segments.length - 1;
      if (!isLast) segment.seal();
      await segment.flush();
      if (result.truncatedBytes > 0) {
        const later = segments.slice(i + 1);
        const laterBytes = later.reduce((sum, s) => sum + s.size, 0);
        this.#logger.warn(
          {
            segment: segment.path,
            offset: result.nextOffset,
            position: result.validBytes,
            bytesDropped: result.truncatedBytes + laterBytes,
            laterSegmentsDropped: later.length,
            reason: result.reason,
          },
          `recovery truncated the log at offset ${result.nextOffset}, dropping ${result.truncatedBytes + laterBytes} bytes`,
        );
        await this.#deleteSegments(later);
        break;
      }
    }
    this.#logger.info(
      { fromSegment: segments[start]!.baseOffset, logEndOffset: nextOffset },
      'recovered log after an unclean shutdown',
    );
    // The last segment is always among the recovered ones: its indexes are in memory.
    await this.#active.activateRecovered();
    return nextOffset;
  }

  // -------------------------------------------------------------------------------------------------
  // Closing

  /** Waits for queued work, flushes, writes the epoch checkpoint and releases every descriptor. */
  async close(): Promise<void> {
    if (this.#closed) return;
    if (this.#offline !== null) {
      this.#closed = true;
      await Promise.allSettled(this.#segments.map((segment) => segment.close()));
      return;
    }
    await this.#enqueue(async () => {
      await Promise.allSettled([...this.#backgroundFlushes]);
      try {
        if (this.#offline === null) {
          await this.#io(() => this.#flushTo(this.#logEndOffset));
          await this.#io(() => this.#epochCache.persist());
          await this.#io(() => this.#snapshotProducerState());
        }
      } finally {
        this.#closed = true;
        await Promise.allSettled(this.#segments.map((segment) => segment.close()));
      }
    });
  }

  /** Closes and removes every file of the log (the directory is the log manager's to remove). */
  async deleteFiles(): Promise<void> {
    this.#closed = true;
    for (const job of this.#jobs.splice(0)) {
      job.reject(
        new KafkaError(
          ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
          `log ${this.topic}-${this.partition} was deleted`,
        ),
      );
    }
    await Promise.allSettled([...this.#backgroundFlushes]);
    await Promise.allSettled(this.#segments.map((segment) => segment.close()));
  }
}
