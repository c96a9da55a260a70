// One segment of a partition log: <base offset>.log holding whole record batches back to back, with
// its sparse offset index and time index. The active segment (the last one) takes appends and keeps
// its file descriptor and its indexes in memory; every other segment is read-only, opens its file
// through the FileHandlePool on the first read and loads its indexes on the first lookup (bounded by
// the IndexMemoryBudget). Reads are positional (pread) on a size snapshot, so they never see a batch
// that is still being written and never move a file position that a write relies on.
//
// Reads check each batch's CRC-32C the first time its bytes are served from this segment object:
// bytes appended by this process were validated on append, bytes recovered were validated by
// recovery, and the rest (closed segments loaded after a clean shutdown) are checked on their first
// read, so a byte corrupted on disk while the broker was down is never served as data.
import type { FileHandle } from 'node:fs/promises';
import { open, rename, stat } from 'node:fs/promises';
import type { RecordBatchHeader } from '@sluice/protocol';
import {
  ATTRIBUTES_OFFSET,
  CRC_OFFSET,
  crc32c,
  decodeRecords,
  LAST_OFFSET_DELTA_OFFSET,
  LOG_OVERHEAD,
  MAGIC_OFFSET,
  MAX_TIMESTAMP_OFFSET,
  RECORD_BATCH_HEADER_BYTES,
  RECORD_BATCH_MAGIC,
  validateRecordBatch,
} from '@sluice/protocol';
import type { Logger } from 'pino';
import { removeIfExists } from './checkpoint-file.ts';
import type { FileHandlePool, PooledFile } from './file-handle-pool.ts';
import { IndexCorruptError } from './index-file.ts';
import type { IndexMemoryBudget } from './index-memory-budget.ts';
import { DELETED_FILE_SUFFIX, segmentFilePaths } from './log-files.ts';
import { OffsetIndex } from './offset-index.ts';
import { NO_TIMESTAMP, TimeIndex } from './time-index.ts';

/** Bytes read at a time when walking batch headers (offset translation, timestamp search, tail scan). */
const HEADER_SCAN_CHUNK_BYTES = 64 * 1024;
/** Bytes read at a time by recovery, which validates every batch. */
const RECOVERY_CHUNK_BYTES = 8 * 1024 * 1024;
/** Recovery takes a larger batch than this (and than max.message.bytes) as a corrupt length field. */
const RECOVERY_MIN_BATCH_LIMIT_BYTES = 64 * 1024 * 1024;
const INT32_MAX = 2 ** 31 - 1;

/** What a segment borrows from its log: the shared pools, a logger, and the live index.interval.bytes. */
export interface SegmentResources {
  handles: FileHandlePool;
  indexBudget: IndexMemoryBudget;
  logger: Logger;
  indexIntervalBytes: () => number;
}

/** What the log knows of a batch it appends: enough to index it without reading it again. */
export interface AppendedBatch {
  baseOffset: number;
  lastOffset: number;
  maxTimestamp: number;
  size: number;
}

export interface RollCheck {
  /** Bytes about to be written, including any already grouped with this batch. */
  bytes: number;
  /** Index entries the pending group may add (an upper bound). */
  indexEntries: number;
  maxTimestamp: number;
  lastOffset: number;
  nowMs: number;
  segmentBytes: number;
  segmentMs: number;
}

export interface RecoveryResult {
  validBytes: number;
  truncatedBytes: number;
  /** The offset after the last valid batch (the base offset when none is valid). */
  nextOffset: number;
  /** Why the tail was dropped, when it was. */
  reason: string | null;
}

/** A batch found by scanning headers. */
interface BatchLocation {
  position: number;
  size: number;
  baseOffset: number;
  lastOffset: number;
}

/** Bytes of a closed segment that cannot be served (bad header or CRC): a storage error for the reader. */
export class CorruptSegmentError extends Error {
  readonly position: number;
  constructor(path: string, position: number, detail: string) {
    super(`Corrupt data in ${path} at position ${position}: ${detail}`);
    this.name = 'CorruptSegmentError';
    this.position = position;
  }
}

function headerLastOffset(buffer: Buffer, at: number): number {
  return readOffset(buffer, at) + buffer.readInt32BE(at + LAST_OFFSET_DELTA_OFFSET);
}

function readOffset(buffer: Buffer, at: number): number {
  return buffer.readInt32BE(at) * 2 ** 32 + buffer.readUInt32BE(at + 4);
}

function readMaxTimestamp(buffer: Buffer, at: number): number {
  return (
    buffer.readInt32BE(at + MAX_TIMESTAMP_OFFSET) * 2 ** 32 +
    buffer.readUInt32BE(at + MAX_TIMESTAMP_OFFSET + 4)
  );
}

/** Batch size from the header at `at`, or null when the length field cannot be a batch. */
function sizeAt(buffer: Buffer, at: number): number | null {
  const batchLength = buffer.readInt32BE(at + 8);
  if (batchLength < RECORD_BATCH_HEADER_BYTES - LOG_OVERHEAD) return null;
  return LOG_OVERHEAD + batchLength;
}

/** The stored CRC and magic of the batch at `at` check out against its bytes. */
function batchIntact(buffer: Buffer, at: number, size: number): boolean {
  return (
    buffer.readInt8(at + MAGIC_OFFSET) === RECORD_BATCH_MAGIC &&
    crc32c(buffer, at + ATTRIBUTES_OFFSET, at + size) === buffer.readUInt32BE(at + CRC_OFFSET)
  );
}

/** pread until `length` bytes or end of file; returns the bytes read. */
async function readFully(handle: FileHandle, position: number, length: number): Promise<Buffer> {
  const buffer = Buffer.allocUnsafe(length);
  let done = 0;
  while (done < length) {
    const { bytesRead } = await handle.read(buffer, done, length - done, position + done);
    if (bytesRead === 0) break;
    done += bytesRead;
  }
  return done === length ? buffer : buffer.subarray(0, done);
}

/** pwrite(v) until every byte of `buffers` is written at `position`. */
async function writeFully(handle: FileHandle, buffers: readonly Buffer[], position: number): Promise<void> {
  if (buffers.length === 1) {
    const buffer = buffers[0]!;
    let done = 0;
    while (done < buffer.length) {
      const { bytesWritten } = await handle.write(buffer, done, buffer.length - done, position + done);
      done += bytesWritten;
    }
    return;
  }
  let pending = buffers.slice();
  let at = position;
  while (pending.length > 0) {
    let { bytesWritten } = await handle.writev(pending, at);
    at += bytesWritten;
    while (pending.length > 0 && bytesWritten >= pending[0]!.length) {
      bytesWritten -= pending[0]!.length;
      pending.shift();
    }
    if (bytesWritten > 0) pending = [pending[0]!.subarray(bytesWritten), ...pending.slice(1)];
  }
}

export class LogSegment {
  readonly baseOffset: number;
  readonly offsetIndex: OffsetIndex;
  readonly timeIndex: TimeIndex;
  readonly #resources: SegmentResources;
  readonly #file: PooledFile;
  #logPath: string;
  /** Bytes of whole batches in the file; reads never look past it. */
  #size: number;
  #flushedSize: number;
  #active = false;
  #deleted = false;
  #bytesSinceLastIndexEntry = 0;
  #maxTimestampSoFar = NO_TIMESTAMP;
  #offsetOfMaxTimestampSoFar: number;
  /** Closed segments: largest timestamp, once read from the time index (or the file's mtime). */
  #largestTimestamp: number | undefined;
  /** The first batch's max timestamp, on which segment.ms is judged (Kafka's rollingBasedTimestamp). */
  #rollingBasedTimestamp: number | undefined;
  #createdMs: number;
  /** Bytes [0, verifiedUpTo) and [appendedFrom, size) have had their CRCs checked. */
  #verifiedUpTo = 0;
  #appendedFrom: number;
  #rebuilding: Promise<void> | null = null;
  /**
   * Where recent reads ended: (next offset, position). A consumer or follower reading on asks for
   * exactly that offset next, and its read then starts at the right byte with no index lookup and no
   * bytes read twice. A few entries, for a few readers of the same segment; cleared on truncation.
   */
  readonly #readEnds: Array<{ offset: number; position: number }> = [];

  private constructor(
    dir: string,
    baseOffset: number,
    size: number,
    indexBytes: number,
    resources: SegmentResources,
    fresh: boolean,
    nowMs: number,
  ) {
    const paths = segmentFilePaths(dir, baseOffset);
    this.baseOffset = baseOffset;
    this.#logPath = paths.log;
    this.#size = size;
    this.#flushedSize = fresh ? 0 : size;
    this.#appendedFrom = size;
    this.#resources = resources;
    this.#file = resources.handles.file(paths.log);
    this.offsetIndex = new OffsetIndex(paths.index, baseOffset, indexBytes, fresh);
    this.timeIndex = new TimeIndex(paths.timeIndex, baseOffset, indexBytes, fresh);
    this.#offsetOfMaxTimestampSoFar = baseOffset;
    this.#createdMs = nowMs;
  }

  /** A new, empty, active segment: its three files are created (emptied if left over). */
  static async create(
    dir: string,
    baseOffset: number,
    indexBytes: number,
    resources: SegmentResources,
    nowMs: number,
  ): Promise<LogSegment> {
    const segment = new LogSegment(dir, baseOffset, 0, indexBytes, resources, true, nowMs);
    for (const path of [segment.#logPath, segment.offsetIndex.path, segment.timeIndex.path]) {
      const handle = await open(path, 'w');
      await handle.close();
    }
    segment.#active = true;
    await segment.#file.pin();
    return segment;
  }

  /** An existing segment, closed: nothing is opened or read until it is used. */
  static async open(
    dir: string,
    baseOffset: number,
    indexBytes: number,
    resources: SegmentResources,
    nowMs: number,
  ): Promise<LogSegment> {
    const paths = segmentFilePaths(dir, baseOffset);
    const { size } = await stat(paths.log);
    return new LogSegment(dir, baseOffset, size, indexBytes, resources, false, nowMs);
  }

  get size(): number {
    return this.#size;
  }

  get path(): string {
    return this.#logPath;
  }

  get isActive(): boolean {
    return this.#active;
  }

  // -------------------------------------------------------------------------------------------------
  // Becoming active and closed

  /**
   * Makes a loaded closed segment the active one after a clean shutdown: indexes in memory, file
   * pinned, the end offset and largest timestamp found by scanning past the last index entries.
   * Throws IndexCorruptError or CorruptSegmentError when the segment must be recovered instead.
   */
  async activate(): Promise<{ nextOffset: number }> {
    await this.offsetIndex.load();
    await this.timeIndex.load();
    this.#resources.indexBudget.forget(this.offsetIndex);
    this.#resources.indexBudget.forget(this.timeIndex);
    const lastEntry = this.offsetIndex.lastEntry();
    if (this.offsetIndex.entries > 0 && lastEntry.position >= this.#size) {
      throw new IndexCorruptError(
        this.offsetIndex.path,
        `entry position ${lastEntry.position} past the log size ${this.#size}`,
      );
    }
    const tail = await this.#scanTail();
    if (this.offsetIndex.entries > 0 && lastEntry.offset >= tail.nextOffset) {
      throw new IndexCorruptError(
        this.offsetIndex.path,
        `entry offset ${lastEntry.offset} past the log end ${tail.nextOffset}`,
      );
    }
    if (this.timeIndex.entries > 0 && this.timeIndex.lastEntry().offset >= tail.nextOffset) {
      throw new IndexCorruptError(this.timeIndex.path, `entry offset past the log end ${tail.nextOffset}`);
    }
    this.#active = true;
    this.#bytesSinceLastIndexEntry = 0;
    await this.#file.pin();
    return { nextOffset: tail.nextOffset };
  }

  /** Makes a segment active that recovery has just rebuilt (its indexes are in memory). */
  async activateRecovered(): Promise<void> {
    this.#resources.indexBudget.forget(this.offsetIndex);
    this.#resources.indexBudget.forget(this.timeIndex);
    this.#active = true;
    await this.#file.pin();
  }

  /**
   * Closes the segment for appends when the log rolls (Kafka's onBecomeInactiveSegment), or ends the
   * recovery of a segment that is not the last: the time index gets the segment's largest timestamp.
   */
  seal(): void {
    const wasActive = this.#active;
    this.timeIndex.maybeAppend(this.#maxTimestampSoFar, this.#offsetOfMaxTimestampSoFar, true);
    this.offsetIndex.trimToSize();
    this.timeIndex.trimToSize();
    this.#largestTimestamp = this.#maxTimestampSoFar >= 0 ? this.#maxTimestampSoFar : undefined;
    this.#active = false;
    if (wasActive) this.#file.unpin();
    this.#resources.indexBudget.touch(this.offsetIndex);
    this.#resources.indexBudget.touch(this.timeIndex);
  }

  // -------------------------------------------------------------------------------------------------
  // Appending

  /** Kafka's shouldRoll: full by size, old by segment.ms, an index full, or an offset that won't fit. */
  shouldRoll(check: RollCheck): boolean {
    const reachedRollMs =
      this.#size > 0 && this.#timeWaitedForRoll(check.nowMs, check.maxTimestamp) > check.segmentMs;
    return (
      this.#size > check.segmentBytes - check.bytes ||
      reachedRollMs ||
      this.offsetIndex.entries + check.indexEntries > this.offsetIndex.maxEntries ||
      this.timeIndex.entries + check.indexEntries > this.timeIndex.maxEntries - 1 ||
      !this.offsetIndex.canHold(check.lastOffset)
    );
  }

  #timeWaitedForRoll(nowMs: number, maxTimestamp: number): number {
    const first = this.#rollingBasedTimestamp;
    return first !== undefined && first >= 0 ? maxTimestamp - first : nowMs - this.#createdMs;
  }

  /**
   * Writes `buffers` (whole batches described by `batches`, in order) at the end of the file in one
   * write, then indexes them. The caller has validated them and checked shouldRoll.
   */
  async append(buffers: readonly Buffer[], batches: readonly AppendedBatch[]): Promise<void> {
    if (!this.#active) throw new Error(`append to closed segment ${this.#logPath}`);
    const start = this.#size;
    await this.#file.with((handle) => writeFully(handle, buffers, start));
    const interval = this.#resources.indexIntervalBytes();
    let position = start;
    for (const batch of batches) {
      this.#indexBatch(batch, position, interval);
      position += batch.size;
    }
    // Appended bytes fall in [appendedFrom, size): validated before they were written.
    this.#size = position;
  }

  /** The index bookkeeping of one batch at `position`, shared by append, recovery and rebuild. */
  #indexBatch(batch: AppendedBatch, position: number, indexIntervalBytes: number): void {
    if (this.#rollingBasedTimestamp === undefined) this.#rollingBasedTimestamp = batch.maxTimestamp;
    if (batch.maxTimestamp > this.#maxTimestampSoFar) {
      this.#maxTimestampSoFar = batch.maxTimestamp;
      this.#offsetOfMaxTimestampSoFar = batch.lastOffset;
    }
    // Appends never find an index full (shouldRoll saw to it), but a rebuild can: its entries need
    // not fall where the original ones did. A sparser index is still right, only less precise.
    if (this.#bytesSinceLastIndexEntry > indexIntervalBytes && !this.offsetIndex.isFull) {
      this.offsetIndex.append(batch.lastOffset, position);
      if (!this.timeIndex.isFull) {
        this.timeIndex.maybeAppend(this.#maxTimestampSoFar, this.#offsetOfMaxTimestampSoFar);
      }
      this.#bytesSinceLastIndexEntry = 0;
    }
    this.#bytesSinceLastIndexEntry += batch.size;
  }

  /** fsyncs the log file (if it grew since) and writes and fsyncs the indexes. */
  async flush(): Promise<void> {
    if (this.#deleted) return;
    const size = this.#size;
    if (size !== this.#flushedSize) {
      await this.#file.with((handle) => handle.sync());
      this.#flushedSize = size;
    }
    await this.offsetIndex.persist(true);
    await this.timeIndex.persist(true);
  }

  // -------------------------------------------------------------------------------------------------
  // Reading

  async #readAt(position: number, length: number): Promise<Buffer> {
    return this.#file.with((handle) => readFully(handle, position, length));
  }

  /** The offset index entry to start a scan for `offset` from, rebuilding a corrupt index once. */
  async #indexLookup(offset: number): Promise<number> {
    try {
      const { position } = await this.offsetIndex.lookup(offset);
      if (!this.#active) this.#resources.indexBudget.touch(this.offsetIndex);
      return position;
    } catch (err) {
      if (!(err instanceof IndexCorruptError)) throw err;
      await this.#rebuildIndexes(err);
      return (await this.offsetIndex.lookup(offset)).position;
    }
  }

  /**
   * Walks batch headers from `position` to `end`, calling `visit` with each; stops when it returns
   * true (and returns that batch) or at the end (null). A length field that cannot be right, or a
   * batch running past `end`, is a CorruptSegmentError.
   */
  async #walkHeaders(
    position: number,
    end: number,
    visit: (header: Buffer, at: number, location: BatchLocation) => boolean,
  ): Promise<BatchLocation | null> {
    let chunk: Buffer = Buffer.alloc(0);
    let chunkStart = position;
    let at = position;
    while (at < end) {
      if (at + RECORD_BATCH_HEADER_BYTES > chunkStart + chunk.length) {
        chunkStart = at;
        chunk = await this.#readAt(at, Math.min(HEADER_SCAN_CHUNK_BYTES, end - at));
        if (chunk.length < RECORD_BATCH_HEADER_BYTES) {
          throw new CorruptSegmentError(
            this.#logPath,
            at,
            `only ${chunk.length} bytes where a batch header belongs`,
          );
        }
      }
      const relative = at - chunkStart;
      const size = sizeAt(chunk, relative);
      if (size === null || at + size > end) {
        throw new CorruptSegmentError(
          this.#logPath,
          at,
          `batch length ${chunk.readInt32BE(relative + 8)} does not fit`,
        );
      }
      const location = {
        position: at,
        size,
        baseOffset: readOffset(chunk, relative),
        lastOffset: headerLastOffset(chunk, relative),
      };
      if (visit(chunk, relative, location)) return location;
      at += size;
    }
    return null;
  }

  /** The first batch whose last offset is >= offset, or null if the segment has none. */
  async translateOffset(offset: number): Promise<BatchLocation | null> {
    const end = this.#size;
    const start = await this.#indexLookup(offset);
    return this.#walkHeaders(start, end, (_chunk, _at, location) => location.lastOffset >= offset);
  }

  #isVerified(position: number, size: number): boolean {
    return position + size <= this.#verifiedUpTo || position >= this.#appendedFrom;
  }

  /**
   * Whole batches from the one holding `offset`: up to `maxBytes`, but always the first batch whole
   * (Kafka's minOneMessage), and none whose last offset is >= `maxOffsetExclusive`. Null when the
   * segment holds no batch at or after `offset`; an empty buffer when the first such batch is at or
   * beyond `maxOffsetExclusive`. One pread serves the index gap and the data; a second one only for a
   * first batch larger than the limit.
   */
  async read(offset: number, maxBytes: number, maxOffsetExclusive: number): Promise<Buffer | null> {
    const end = this.#size;
    const hint = this.#readEnds.find((entry) => entry.offset === offset);
    let position =
      hint !== undefined && hint.position <= end ? hint.position : await this.#indexLookup(offset);
    // Enough to skip from the index entry to the batch (usually less than an interval and a batch).
    const slack =
      hint !== undefined
        ? RECORD_BATCH_HEADER_BYTES
        : this.#resources.indexIntervalBytes() + 16 * 1024 + RECORD_BATCH_HEADER_BYTES;
    let buffer: Buffer = Buffer.alloc(0);
    let bufferStart = position;
    let firstSize = 0;
    for (;;) {
      if (position >= end) return null;
      if (position + RECORD_BATCH_HEADER_BYTES > bufferStart + buffer.length) {
        bufferStart = position;
        buffer = await this.#readAt(position, Math.min(end - position, Math.max(maxBytes, 0) + slack));
        if (buffer.length < RECORD_BATCH_HEADER_BYTES) {
          throw new CorruptSegmentError(
            this.#logPath,
            position,
            `only ${buffer.length} bytes where a batch header belongs`,
          );
        }
      }
      const at = position - bufferStart;
      const size = sizeAt(buffer, at);
      if (size === null || position + size > end) {
        throw new CorruptSegmentError(
          this.#logPath,
          position,
          `batch length ${buffer.readInt32BE(at + 8)} does not fit`,
        );
      }
      if (headerLastOffset(buffer, at) >= offset) {
        if (headerLastOffset(buffer, at) >= maxOffsetExclusive) return Buffer.alloc(0);
        firstSize = size;
        break;
      }
      position += size;
    }
    const startPosition = position;
    const limit = startPosition + Math.max(maxBytes, 0);
    const bufferEnd = bufferStart + buffer.length;
    if (startPosition + firstSize > bufferEnd) {
      // The first batch is larger than what was read: fetch exactly it.
      const batch = await this.#readAt(startPosition, firstSize);
      this.#checkServed(batch, 0, startPosition, firstSize, true);
      this.#markVerified(startPosition, startPosition + firstSize);
      this.#rememberReadEnd(headerLastOffset(batch, 0) + 1, startPosition + firstSize);
      return batch;
    }
    let at = startPosition;
    let lastBatchAt = startPosition;
    while (at + RECORD_BATCH_HEADER_BYTES <= bufferEnd) {
      const relative = at - bufferStart;
      const size = sizeAt(buffer, relative);
      if (size === null || at + size > end) {
        if (at === startPosition) throw new CorruptSegmentError(this.#logPath, at, 'bad batch length');
        break;
      }
      if (at + size > bufferEnd || (at + size > limit && at > startPosition)) break;
      if (at > startPosition && headerLastOffset(buffer, relative) >= maxOffsetExclusive) break;
      if (!this.#checkServed(buffer, relative, at, size, at === startPosition)) break;
      lastBatchAt = at;
      at += size;
    }
    this.#markVerified(startPosition, at);
    if (at > startPosition)
      this.#rememberReadEnd(headerLastOffset(buffer, lastBatchAt - bufferStart) + 1, at);
    return buffer.subarray(startPosition - bufferStart, at - bufferStart);
  }

  /** CRC check of a batch about to be served; a bad first batch throws, a later one ends the read. */
  #checkServed(buffer: Buffer, at: number, position: number, size: number, first: boolean): boolean {
    if (this.#isVerified(position, size) || batchIntact(buffer, at, size)) return true;
    const detail = `record batch at offset ${readOffset(buffer, at)} failed its CRC check`;
    if (first) throw new CorruptSegmentError(this.#logPath, position, detail);
    this.#resources.logger.error({ segment: this.#logPath, position }, detail);
    return false;
  }

  #rememberReadEnd(offset: number, position: number): void {
    const ends = this.#readEnds;
    const existing = ends.findIndex((entry) => entry.offset === offset);
    if (existing >= 0) ends.splice(existing, 1);
    ends.unshift({ offset, position });
    if (ends.length > 4) ends.pop();
  }

  #markVerified(from: number, to: number): void {
    if (from <= this.#verifiedUpTo && to > this.#verifiedUpTo) this.#verifiedUpTo = to;
    if (this.#verifiedUpTo >= this.#appendedFrom) {
      // All verified: later appends start a new appended suffix.
      this.#verifiedUpTo = this.#size;
      this.#appendedFrom = this.#size;
    }
  }

  // -------------------------------------------------------------------------------------------------
  // Timestamps

  /** The largest timestamp in the segment (the file's mtime when no batch has one), for retention. */
  async largestTimestamp(): Promise<number> {
    if (this.#active) return this.#maxTimestampSoFar >= 0 ? this.#maxTimestampSoFar : this.#createdMs;
    if (this.#largestTimestamp !== undefined) return this.#largestTimestamp;
    let timestamp: number;
    try {
      timestamp = (await this.timeIndex.lastEntryLoaded()).timestamp;
      this.#resources.indexBudget.touch(this.timeIndex);
    } catch (err) {
      if (!(err instanceof IndexCorruptError)) throw err;
      await this.#rebuildIndexes(err);
      timestamp = this.timeIndex.lastEntry().timestamp;
    }
    if (timestamp < 0) timestamp = Math.trunc((await stat(this.#logPath)).mtimeMs);
    this.#largestTimestamp = timestamp;
    return timestamp;
  }

  /**
   * The first record at or after `startingOffset` whose timestamp is >= `timestamp`: one time index
   * lookup, one offset index lookup, then a header scan of at most an index interval or so, and the
   * records of one batch decoded.
   */
  async findOffsetByTimestamp(
    timestamp: number,
    startingOffset: number,
  ): Promise<{ offset: number; timestamp: number } | null> {
    let fromOffset: number;
    try {
      fromOffset = (await this.timeIndex.lookup(timestamp)).offset;
      if (!this.#active) this.#resources.indexBudget.touch(this.timeIndex);
    } catch (err) {
      if (!(err instanceof IndexCorruptError)) throw err;
      await this.#rebuildIndexes(err);
      fromOffset = (await this.timeIndex.lookup(timestamp)).offset;
    }
    const end = this.#size;
    let from = await this.#indexLookup(Math.max(fromOffset, startingOffset));
    // A batch can qualify by its max timestamp and still hold no record at or after startingOffset
    // with a late enough timestamp; the scan then goes on, as Kafka's searchForTimestamp does.
    for (;;) {
      const found = await this.#walkHeaders(
        from,
        end,
        (chunk, at, location) =>
          location.lastOffset >= startingOffset && readMaxTimestamp(chunk, at) >= timestamp,
      );
      if (found === null) return null;
      const batch = await this.#readAt(found.position, found.size);
      if (
        batch.length < found.size ||
        !(this.#isVerified(found.position, found.size) || batchIntact(batch, 0, found.size))
      ) {
        throw new CorruptSegmentError(this.#logPath, found.position, 'record batch failed its CRC check');
      }
      for (const record of decodeRecords(batch, 0)) {
        if (record.timestamp >= timestamp && record.offset >= startingOffset) {
          return { offset: record.offset, timestamp: record.timestamp };
        }
      }
      from = found.position + found.size;
    }
  }

  // -------------------------------------------------------------------------------------------------
  // Recovery and rebuilding

  /**
   * Scans from the earliest position that can hold a batch after the last index entries to the end:
   * the next offset, and the largest timestamp (Kafka's readNextOffset and loadLargestTimestamp).
   */
  async #scanTail(): Promise<{ nextOffset: number }> {
    const lastTime = this.timeIndex.lastEntry();
    this.#maxTimestampSoFar = lastTime.timestamp;
    this.#offsetOfMaxTimestampSoFar = lastTime.offset;
    const start = Math.min(
      this.offsetIndex.lookupSync(lastTime.offset).position,
      this.offsetIndex.lastEntry().position,
    );
    let nextOffset = this.baseOffset;
    if (this.#size > 0) {
      const first = await this.#readAt(0, RECORD_BATCH_HEADER_BYTES);
      if (first.length === RECORD_BATCH_HEADER_BYTES)
        this.#rollingBasedTimestamp = readMaxTimestamp(first, 0);
    }
    await this.#walkHeaders(start, this.#size, (chunk, at, location) => {
      nextOffset = location.lastOffset + 1;
      const maxTimestamp = readMaxTimestamp(chunk, at);
      if (maxTimestamp > this.#maxTimestampSoFar) {
        this.#maxTimestampSoFar = maxTimestamp;
        this.#offsetOfMaxTimestampSoFar = location.lastOffset;
      }
      return false;
    });
    return { nextOffset };
  }

  /**
   * Re-validates every batch (CRC, structure, offsets increasing and within the segment's range) and
   * rebuilds both indexes; the file is cut at the first batch that fails, and everything after it is
   * reported as dropped. `onBatch` sees each valid batch (the leader-epoch cache is rebuilt from it).
   */
  async recover(
    maxMessageBytes: number,
    onBatch: (header: RecordBatchHeader) => void,
  ): Promise<RecoveryResult> {
    const indexIntervalBytes = this.#resources.indexIntervalBytes();
    const fileSize = (await stat(this.#logPath)).size;
    this.offsetIndex.reset();
    this.timeIndex.reset();
    this.#maxTimestampSoFar = NO_TIMESTAMP;
    this.#offsetOfMaxTimestampSoFar = this.baseOffset;
    this.#bytesSinceLastIndexEntry = 0;
    this.#rollingBasedTimestamp = undefined;
    const batchLimit = Math.max(maxMessageBytes, RECOVERY_MIN_BATCH_LIMIT_BYTES);
    let nextOffset = this.baseOffset;
    let position = 0;
    let chunk: Buffer = Buffer.alloc(0);
    let chunkStart = 0;
    // The next chunk is read while this one is validated, so the disk and the CRC work overlap.
    let prefetch: { start: number; data: Promise<Buffer> } | null = null;
    const ensure = async (at: number, need: number): Promise<void> => {
      const chunkEnd = chunkStart + chunk.length;
      if (at + need <= chunkEnd) return;
      const leftover = chunk.subarray(at - chunkStart);
      const next =
        prefetch !== null && prefetch.start === chunkEnd
          ? await prefetch.data
          : await this.#readAt(chunkEnd, Math.min(RECOVERY_CHUNK_BYTES, fileSize - chunkEnd));
      prefetch = null;
      chunk = leftover.length > 0 ? Buffer.concat([leftover, next]) : next;
      chunkStart = at;
      if (at + need > chunkStart + chunk.length) {
        const more = await this.#readAt(chunkStart + chunk.length, at + need - (chunkStart + chunk.length));
        chunk = Buffer.concat([chunk, more]);
      }
      const start = chunkStart + chunk.length;
      if (start < fileSize) {
        const data = this.#readAt(start, Math.min(RECOVERY_CHUNK_BYTES, fileSize - start));
        data.catch(() => {}); // awaited later, or abandoned when recovery stops early
        prefetch = { start, data };
      }
    };
    let reason: string | null = null;
    while (position < fileSize) {
      const remaining = fileSize - position;
      if (remaining < LOG_OVERHEAD) {
        reason = `torn batch: ${remaining} bytes at the end`;
        break;
      }
      await ensure(position, LOG_OVERHEAD);
      const declared = LOG_OVERHEAD + chunk.readInt32BE(position - chunkStart + 8);
      if (declared < RECORD_BATCH_HEADER_BYTES || declared > batchLimit) {
        reason = `batch length ${declared - LOG_OVERHEAD} cannot be right`;
        break;
      }
      if (declared > remaining) {
        reason = `torn batch: ${remaining} of ${declared} bytes present`;
        break;
      }
      await ensure(position, declared);
      let header: RecordBatchHeader;
      try {
        header = validateRecordBatch(chunk, position - chunkStart, declared, undefined, {
          allowOffsetGaps: true,
        });
      } catch (err) {
        reason = (err as Error).message;
        break;
      }
      const lastOffset = header.baseOffset + header.lastOffsetDelta;
      if (header.baseOffset < nextOffset || lastOffset - this.baseOffset > INT32_MAX) {
        reason = `batch offsets ${header.baseOffset}..${lastOffset} out of order after ${nextOffset - 1}`;
        break;
      }
      this.#indexBatch(
        { baseOffset: header.baseOffset, lastOffset, maxTimestamp: header.maxTimestamp, size: declared },
        position,
        indexIntervalBytes,
      );
      onBatch(header);
      nextOffset = lastOffset + 1;
      position += declared;
    }
    this.#readEnds.length = 0;
    const truncatedBytes = fileSize - position;
    if (truncatedBytes > 0) await this.#file.with((handle) => handle.truncate(position));
    this.#size = position;
    this.#flushedSize = -1;
    this.#verifiedUpTo = position;
    this.#appendedFrom = position;
    if (position === 0) this.#rollingBasedTimestamp = undefined;
    return { validBytes: position, truncatedBytes, nextOffset, reason };
  }

  /** Rebuilds a closed segment's indexes from its log after its index file was found corrupt. */
  async #rebuildIndexes(cause: IndexCorruptError): Promise<void> {
    if (this.#rebuilding === null) {
      this.#rebuilding = (async () => {
        this.#resources.logger.warn(
          { segment: this.#logPath, err: cause.message },
          'rebuilding segment indexes',
        );
        this.offsetIndex.reset();
        this.timeIndex.reset();
        this.#maxTimestampSoFar = NO_TIMESTAMP;
        this.#offsetOfMaxTimestampSoFar = this.baseOffset;
        this.#bytesSinceLastIndexEntry = 0;
        const interval = this.#resources.indexIntervalBytes();
        await this.#walkHeaders(0, this.#size, (chunk, at, location) => {
          this.#indexBatch(
            {
              baseOffset: location.baseOffset,
              lastOffset: location.lastOffset,
              maxTimestamp: readMaxTimestamp(chunk, at),
              size: location.size,
            },
            location.position,
            interval,
          );
          return false;
        });
        if (!this.#active)
          this.timeIndex.maybeAppend(this.#maxTimestampSoFar, this.#offsetOfMaxTimestampSoFar, true);
        await this.offsetIndex.persist(true);
        await this.timeIndex.persist(true);
      })().finally(() => {
        this.#rebuilding = null;
      });
    }
    await this.#rebuilding;
  }

  // -------------------------------------------------------------------------------------------------
  // Truncation, deletion, closing

  /**
   * Removes every batch whose last offset is >= offset (a batch holding `offset` goes whole). Returns
   * the bytes removed and the base offset of the first removed batch, or null if nothing was.
   * The segment must be active.
   */
  async truncateTo(
    offset: number,
    nowMs: number,
  ): Promise<{ bytesTruncated: number; firstRemovedOffset: number | null }> {
    const found = await this.translateOffset(offset);
    if (found === null) return { bytesTruncated: 0, firstRemovedOffset: null };
    const bytesTruncated = this.#size - found.position;
    this.#readEnds.length = 0;
    await this.#file.with((handle) => handle.truncate(found.position));
    this.offsetIndex.truncateToPosition(found.position);
    this.timeIndex.truncateTo(offset);
    this.#size = found.position;
    this.#flushedSize = -1;
    if (this.#verifiedUpTo > found.position) this.#verifiedUpTo = found.position;
    if (this.#appendedFrom > found.position) this.#appendedFrom = found.position;
    this.#bytesSinceLastIndexEntry = 0;
    if (found.position === 0) {
      this.#createdMs = nowMs;
      this.#rollingBasedTimestamp = undefined;
    }
    this.#largestTimestamp = undefined;
    await this.#scanTail();
    await this.offsetIndex.persist(true);
    await this.timeIndex.persist(true);
    return { bytesTruncated, firstRemovedOffset: found.baseOffset };
  }

  /** Releases the descriptor and the index memory; the files stay. */
  async close(): Promise<void> {
    this.#active = false;
    this.#resources.indexBudget.forget(this.offsetIndex);
    this.#resources.indexBudget.forget(this.timeIndex);
    await this.#file.close();
  }

  /**
   * Closes the segment and removes its files: at once, or after `delayMs` having renamed them
   * *.deleted (Kafka's file.delete.delay.ms; leftovers are removed when the log is next loaded).
   */
  async delete(delayMs: number): Promise<void> {
    this.#deleted = true;
    await this.close();
    const paths = [this.#logPath, this.offsetIndex.path, this.timeIndex.path];
    if (delayMs <= 0) {
      for (const path of paths) await removeIfExists(path);
      return;
    }
    const renamed: string[] = [];
    for (const path of paths) {
      try {
        await rename(path, path + DELETED_FILE_SUFFIX);
        renamed.push(path + DELETED_FILE_SUFFIX);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      }
    }
    const timer = setTimeout(() => {
      for (const path of renamed) removeIfExists(path).catch(() => {});
    }, delayMs);
    timer.unref();
  }
}
