// The leader-epoch cache of one partition (KIP-101): for each leader epoch seen in the log, the offset
// of its first batch, kept in <partition dir>/leader-epoch-checkpoint in Kafka's format ("0", a count,
// then "epoch startOffset" lines). It answers OffsetsForLeaderEpoch (endOffsetFor), which is how a
// follower finds where its log diverges from the new leader's, and it is cut back whenever the log is
// truncated at either end. Changes are made in memory by the log (which serialises them) and written
// to the checkpoint with persist().
import type { Logger } from 'pino';
import { CheckpointFormatError, readCheckpointFile, writeCheckpointFile } from './checkpoint-file.ts';

export interface EpochEntry {
  epoch: number;
  startOffset: number;
}

/** Kafka's UNDEFINED_EPOCH and UNDEFINED_EPOCH_OFFSET: the answer for an epoch nothing is known of. */
export const UNDEFINED_EPOCH = -1;
export const UNDEFINED_EPOCH_OFFSET = -1;

export class LeaderEpochCache {
  readonly path: string;
  readonly #logger: Logger;
  /** Ascending in both epoch and start offset. */
  #entries: EpochEntry[] = [];
  #dirty = false;
  #writing: Promise<void> = Promise.resolve();

  constructor(path: string, logger: Logger, entries: readonly EpochEntry[] = []) {
    this.path = path;
    this.#logger = logger;
    this.#entries = entries.map((entry) => ({ ...entry }));
  }

  /** Reads the checkpoint; a missing file is an empty cache, a malformed one is logged and ignored. */
  static async load(path: string, logger: Logger): Promise<LeaderEpochCache> {
    let lines: string[] | null;
    try {
      lines = await readCheckpointFile(path);
    } catch (err) {
      if (!(err instanceof CheckpointFormatError)) throw err;
      logger.warn({ err: err.message }, 'ignoring malformed leader-epoch-checkpoint');
      const cache = new LeaderEpochCache(path, logger);
      cache.#dirty = true;
      return cache;
    }
    const entries: EpochEntry[] = [];
    for (const line of lines ?? []) {
      const fields = line.trim().split(/\s+/);
      const epoch = Number(fields[0]);
      const startOffset = Number(fields[1]);
      const previous = entries.at(-1);
      if (
        fields.length !== 2 ||
        !Number.isSafeInteger(epoch) ||
        !Number.isSafeInteger(startOffset) ||
        epoch < 0 ||
        startOffset < 0 ||
        (previous !== undefined && (epoch <= previous.epoch || startOffset < previous.startOffset))
      ) {
        logger.warn({ path, line }, 'ignoring malformed leader-epoch-checkpoint');
        const cache = new LeaderEpochCache(path, logger);
        cache.#dirty = true;
        return cache;
      }
      entries.push({ epoch, startOffset });
    }
    return new LeaderEpochCache(path, logger, entries);
  }

  get entries(): readonly EpochEntry[] {
    return this.#entries;
  }

  get latestEpoch(): number | undefined {
    return this.#entries.at(-1)?.epoch;
  }

  get earliestEntry(): EpochEntry | undefined {
    return this.#entries[0];
  }

  /**
   * Records that `epoch` starts at `startOffset`. A no-op for the latest epoch at or after its start;
   * otherwise entries that the new one contradicts (an epoch >= it, or a start offset >= its) are
   * dropped first, as Kafka's assign does. Returns whether anything changed.
   */
  assign(epoch: number, startOffset: number): boolean {
    if (!Number.isSafeInteger(epoch) || epoch < 0 || !Number.isSafeInteger(startOffset) || startOffset < 0) {
      throw new RangeError(`leader epoch entry (${epoch}, ${startOffset}) is invalid`);
    }
    const latest = this.#entries.at(-1);
    if (latest !== undefined && latest.epoch === epoch && startOffset >= latest.startOffset) return false;
    const kept = this.#entries.filter((entry) => entry.epoch < epoch && entry.startOffset < startOffset);
    if (kept.length !== this.#entries.length) {
      this.#logger.warn(
        { epoch, startOffset, removed: this.#entries.slice(kept.length) },
        'leader epoch entry contradicts later entries; removing them',
      );
    }
    kept.push({ epoch, startOffset });
    this.#entries = kept;
    this.#dirty = true;
    return true;
  }

  /**
   * Kafka's endOffsetForEpoch: the epoch to use and the offset where it ends. The latest epoch ends at
   * the log end offset; an older one ends where the next known epoch starts, answered with the largest
   * known epoch <= the requested one; an epoch before everything known answers the start of the first
   * later epoch; undefined or unknown-and-too-new epochs answer (-1, -1).
   */
  endOffsetFor(requestedEpoch: number, logEndOffset: number): { epoch: number; endOffset: number } {
    const undefinedAnswer = { epoch: UNDEFINED_EPOCH, endOffset: UNDEFINED_EPOCH_OFFSET };
    if (requestedEpoch === UNDEFINED_EPOCH) return undefinedAnswer;
    const entries = this.#entries;
    const latest = entries.at(-1);
    if (latest === undefined) return undefinedAnswer;
    if (latest.epoch === requestedEpoch) return { epoch: requestedEpoch, endOffset: logEndOffset };
    const higher = entries.findIndex((entry) => entry.epoch > requestedEpoch);
    if (higher < 0) return undefinedAnswer;
    const higherEntry = entries[higher]!;
    if (higher === 0) return { epoch: requestedEpoch, endOffset: higherEntry.startOffset };
    return { epoch: entries[higher - 1]!.epoch, endOffset: higherEntry.startOffset };
  }

  /** Drops the entries starting at or after `endOffset` (the log was truncated to it). */
  truncateFromEnd(endOffset: number): boolean {
    const kept = this.#entries.filter((entry) => entry.startOffset < endOffset);
    if (kept.length === this.#entries.length) return false;
    this.#entries = kept;
    this.#dirty = true;
    return true;
  }

  /**
   * The log now starts at `startOffset`: entries wholly before it go, and the last of them that starts
   * before it is kept, moved to start there (its epoch still covers the first offsets of the log).
   */
  truncateFromStart(startOffset: number): boolean {
    const entries = this.#entries;
    let firstKept = 0;
    while (firstKept < entries.length && entries[firstKept]!.startOffset <= startOffset) firstKept++;
    if (firstKept === 0) return false;
    const floor = entries[firstKept - 1]!;
    if (firstKept === 1 && floor.startOffset === startOffset) return false;
    this.#entries = [{ epoch: floor.epoch, startOffset }, ...entries.slice(firstKept)];
    this.#dirty = true;
    return true;
  }

  clear(): void {
    if (this.#entries.length === 0) return;
    this.#entries = [];
    this.#dirty = true;
  }

  /** Writes the checkpoint if the entries changed since the last write; one write at a time. */
  persist(): Promise<void> {
    const run = this.#writing.then(async () => {
      if (!this.#dirty) return;
      this.#dirty = false;
      const snapshot = this.#entries;
      try {
        await writeCheckpointFile(
          this.path,
          snapshot.map((entry) => `${entry.epoch} ${entry.startOffset}`),
        );
      } catch (err) {
        this.#dirty = true;
        throw err;
      }
    });
    this.#writing = run.catch(() => {});
    return run;
  }
}
