// The files of a segment being replaced by the log cleaner, and the protocol that makes the
// replacement crash-safe (Kafka's .cleaned / .swap scheme, one segment at a time):
//
//   1. write   <base>.log.cleaned, .index.cleaned, .timeindex.cleaned; fsync all three
//   2. commit  rename the two indexes .cleaned -> .swap, then the log .cleaned -> .swap; fsync the dir.
//              The log's .swap is the commit point: from then on the cleaned segment wins.
//   3. install the original files are deleted (or renamed .deleted), then the indexes .swap -> final,
//              then the log .swap -> final; fsync the dir.
//
// At load, recoverInterruptedCleaning settles whatever a crash left: *.cleaned files are an
// uncommitted clean and are removed; a .log.swap means the clean committed, so every .swap of that
// base offset is renamed over the original; index .swap files without a .log.swap were not committed
// (step 2 renames the log last, step 3 renames it last too) and are removed.
//
// CleanedSegmentWriter builds the cleaned files: the batches given, back to back, with both indexes
// built the way LogSegment builds them on append (one offset entry per index.interval.bytes, the time
// index recording each new maximum, and the largest timestamp written last, as on roll).
import type { FileHandle } from 'node:fs/promises';
import { open, readdir, rename, stat, utimes } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { removeIfExists, syncDirectory } from './checkpoint-file.ts';
import { CLEANED_FILE_SUFFIX, LOG_FILE_SUFFIX, SWAP_FILE_SUFFIX, segmentFilePaths } from './log-files.ts';
import { OffsetIndex } from './offset-index.ts';
import { NO_TIMESTAMP, TimeIndex } from './time-index.ts';

/** The three final paths of a segment; the cleaner's files add a suffix to each. */
function segmentPaths(dir: string, baseOffset: number): string[] {
  const paths = segmentFilePaths(dir, baseOffset);
  // The log last: renaming it is the commit (step 2) and the end of the install (step 3).
  return [paths.index, paths.timeIndex, paths.log];
}

export class CleanedSegmentWriter {
  readonly dir: string;
  readonly baseOffset: number;
  readonly #handle: FileHandle;
  readonly #offsetIndex: OffsetIndex;
  readonly #timeIndex: TimeIndex;
  readonly #indexIntervalBytes: number;
  #size = 0;
  #bytesSinceLastIndexEntry = 0;
  #maxTimestampSoFar = NO_TIMESTAMP;
  #offsetOfMaxTimestampSoFar: number;

  private constructor(
    dir: string,
    baseOffset: number,
    handle: FileHandle,
    indexBytes: number,
    indexIntervalBytes: number,
  ) {
    const paths = segmentFilePaths(dir, baseOffset);
    this.dir = dir;
    this.baseOffset = baseOffset;
    this.#handle = handle;
    this.#offsetIndex = new OffsetIndex(paths.index + CLEANED_FILE_SUFFIX, baseOffset, indexBytes, true);
    this.#timeIndex = new TimeIndex(paths.timeIndex + CLEANED_FILE_SUFFIX, baseOffset, indexBytes, true);
    this.#indexIntervalBytes = indexIntervalBytes;
    this.#offsetOfMaxTimestampSoFar = baseOffset;
  }

  /** Starts the cleaned files of the segment at `baseOffset` (leftovers of an earlier try are emptied). */
  static async create(
    dir: string,
    baseOffset: number,
    indexBytes: number,
    indexIntervalBytes: number,
  ): Promise<CleanedSegmentWriter> {
    const handle = await open(segmentFilePaths(dir, baseOffset).log + CLEANED_FILE_SUFFIX, 'w');
    return new CleanedSegmentWriter(dir, baseOffset, handle, indexBytes, indexIntervalBytes);
  }

  get size(): number {
    return this.#size;
  }

  /** Appends one whole batch whose last offset and max timestamp are given. */
  async append(batch: Buffer, lastOffset: number, maxTimestamp: number): Promise<void> {
    const position = this.#size;
    let written = 0;
    while (written < batch.length) {
      const { bytesWritten } = await this.#handle.write(
        batch,
        written,
        batch.length - written,
        position + written,
      );
      written += bytesWritten;
    }
    if (maxTimestamp > this.#maxTimestampSoFar) {
      this.#maxTimestampSoFar = maxTimestamp;
      this.#offsetOfMaxTimestampSoFar = lastOffset;
    }
    // A cleaned segment is never larger than its original, so its index fits in the same budget;
    // the isFull checks only guard a segment.index.bytes lowered since.
    if (this.#bytesSinceLastIndexEntry > this.#indexIntervalBytes && !this.#offsetIndex.isFull) {
      this.#offsetIndex.append(lastOffset, position);
      if (!this.#timeIndex.isFull)
        this.#timeIndex.maybeAppend(this.#maxTimestampSoFar, this.#offsetOfMaxTimestampSoFar);
      this.#bytesSinceLastIndexEntry = 0;
    }
    this.#bytesSinceLastIndexEntry += batch.length;
    this.#size = position + batch.length;
  }

  /**
   * Writes the last time index entry, fsyncs the three files and closes the log. The log file takes
   * `mtimeMs` (the original's), so that time-based retention of timestamp-less data is not reset by
   * a clean.
   */
  async finish(mtimeMs: number): Promise<void> {
    if (this.#maxTimestampSoFar >= 0) {
      this.#timeIndex.maybeAppend(this.#maxTimestampSoFar, this.#offsetOfMaxTimestampSoFar, true);
    }
    await this.#offsetIndex.persist(true);
    await this.#timeIndex.persist(true);
    await this.#handle.sync();
    await this.#handle.close();
    const seconds = mtimeMs / 1000;
    await utimes(segmentFilePaths(this.dir, this.baseOffset).log + CLEANED_FILE_SUFFIX, seconds, seconds);
  }

  /** Closes and removes the cleaned files (the clean is given up or had nothing to change). */
  async abandon(): Promise<void> {
    await this.#handle.close().catch(() => {});
    await discardCleanedSegment(this.dir, this.baseOffset);
  }
}

/** Removes the .cleaned files of the segment at `baseOffset`, if any. */
export async function discardCleanedSegment(dir: string, baseOffset: number): Promise<void> {
  for (const path of segmentPaths(dir, baseOffset)) await removeIfExists(path + CLEANED_FILE_SUFFIX);
}

/** Step 2: .cleaned -> .swap, the log last. After this the cleaned segment survives a crash. */
export async function commitCleanedSegment(dir: string, baseOffset: number): Promise<void> {
  for (const path of segmentPaths(dir, baseOffset)) {
    await rename(path + CLEANED_FILE_SUFFIX, path + SWAP_FILE_SUFFIX);
  }
  await syncDirectory(dir);
}

/** Step 3, once the original files are gone: .swap -> final, the log last. */
export async function installSwappedSegment(dir: string, baseOffset: number): Promise<void> {
  for (const path of segmentPaths(dir, baseOffset)) {
    try {
      await rename(path + SWAP_FILE_SUFFIX, path);
    } catch (err) {
      // An index is already in place when a crash interrupted an install after renaming it; the
      // log, renamed last, is never missing while its .swap is what brought us here.
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT' || path.endsWith(LOG_FILE_SUFFIX)) throw err;
    }
  }
  await syncDirectory(dir);
}

/** The modification time of a segment's log file, in milliseconds. */
export async function segmentMtimeMs(dir: string, baseOffset: number): Promise<number> {
  return (await stat(segmentFilePaths(dir, baseOffset).log)).mtimeMs;
}

const SWAP_LOG_PATTERN = /^(\d{20})\.log\.swap$/;

/** Settles the files of a clean interrupted by a crash (see the top of this file); run before loading. */
export async function recoverInterruptedCleaning(dir: string, logger: Logger): Promise<void> {
  const names = await readdir(dir);
  const committed = new Set<string>();
  for (const name of names) {
    const match = SWAP_LOG_PATTERN.exec(name);
    if (match !== null) committed.add(match[1]!);
  }
  for (const stem of committed) {
    const baseOffset = Number(stem);
    logger.warn({ baseOffset }, 'completing a log cleaner swap interrupted by a crash');
    await installSwappedSegment(dir, baseOffset);
  }
  for (const name of names) {
    const stem = name.slice(0, 20);
    const uncommittedSwap = name.endsWith(SWAP_FILE_SUFFIX) && !committed.has(stem);
    if (name.endsWith(CLEANED_FILE_SUFFIX) || uncommittedSwap) {
      logger.warn({ file: name }, 'removing a file of a log clean interrupted by a crash');
      await removeIfExists(join(dir, name));
    }
  }
}
