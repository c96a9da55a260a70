// The sparse time index of one segment (<base offset>.timeindex): 12-byte entries (timestamp int64,
// offset relative to the base offset as int32) with strictly increasing timestamps: an entry says
// "the records up to this offset hold timestamps up to this one". It answers ListOffsets by time with
// one binary search and a short scan; its last entry is the segment's largest timestamp, which
// time-based retention reads. Storage and loading are IndexFile's.
import { IndexCorruptError, IndexFile } from './index-file.ts';

export const TIME_INDEX_ENTRY_BYTES = 12;
/** Kafka's RecordBatch.NO_TIMESTAMP. */
export const NO_TIMESTAMP = -1;
const TWO_POW_32 = 2 ** 32;

export interface TimestampOffset {
  timestamp: number;
  offset: number;
}

function readTimestamp(buffer: Buffer, at: number): number {
  return buffer.readInt32BE(at) * TWO_POW_32 + buffer.readUInt32BE(at + 4);
}

export class TimeIndex extends IndexFile {
  constructor(path: string, baseOffset: number, maxIndexBytes: number, loaded: boolean) {
    super(path, baseOffset, maxIndexBytes, TIME_INDEX_ENTRY_BYTES, loaded);
  }

  /** Full one entry early, as Kafka's: the last slot is kept for the entry written when the segment rolls. */
  get isFull(): boolean {
    return this.entries >= this.maxEntries - 1;
  }

  protected checkEntries(buffer: Buffer, count: number): void {
    let previousTimestamp = Number.NEGATIVE_INFINITY;
    let previousOffset = -1;
    for (let i = 0; i < count; i++) {
      const timestamp = readTimestamp(buffer, i * TIME_INDEX_ENTRY_BYTES);
      const relative = buffer.readInt32BE(i * TIME_INDEX_ENTRY_BYTES + 8);
      if (relative < 0 || relative < previousOffset || timestamp <= previousTimestamp) {
        throw new IndexCorruptError(this.path, `entry ${i} (${timestamp}, ${relative}) is out of order`);
      }
      previousTimestamp = timestamp;
      previousOffset = relative;
    }
  }

  #entryAt(buffer: Buffer, i: number): TimestampOffset {
    const at = i * TIME_INDEX_ENTRY_BYTES;
    return { timestamp: readTimestamp(buffer, at), offset: this.baseOffset + buffer.readInt32BE(at + 8) };
  }

  /** The last entry, or (NO_TIMESTAMP, base offset) when empty. The index must be loaded. */
  lastEntry(): TimestampOffset {
    if (this.entries === 0) return { timestamp: NO_TIMESTAMP, offset: this.baseOffset };
    return this.#entryAt(this.loaded, this.entries - 1);
  }

  /** lastEntry(), loading the index if needed. */
  async lastEntryLoaded(): Promise<TimestampOffset> {
    const buffer = await this.loadedBuffer();
    const count = Math.min(this.entries, buffer.length / TIME_INDEX_ENTRY_BYTES);
    if (count === 0) return { timestamp: NO_TIMESTAMP, offset: this.baseOffset };
    return this.#entryAt(buffer, count - 1);
  }

  /**
   * Adds (timestamp, offset) when the timestamp is larger than the last entry's: the index only ever
   * records a new maximum. `skipFullCheck` is for the entry written on roll into the reserved slot.
   */
  maybeAppend(timestamp: number, offset: number, skipFullCheck = false): void {
    if (this.entries > 0) {
      const last = this.lastEntry();
      if (timestamp <= last.timestamp) return;
      if (offset < last.offset) {
        throw new Error(
          `time index ${this.path}: offset ${offset} after ${last.offset} with a larger timestamp`,
        );
      }
    }
    if (this.isFull && !skipFullCheck) throw new Error(`time index ${this.path} is full`);
    if (this.entries >= this.maxEntries) return; // only reachable with skipFullCheck on a config change
    const at = this.reserveEntry();
    const buffer = this.loaded;
    buffer.writeBigInt64BE(BigInt(timestamp), at);
    buffer.writeInt32BE(offset - this.baseOffset, at + 8);
  }

  /**
   * The entry with the largest timestamp <= target, or (NO_TIMESTAMP, base offset) when there is none.
   * No record in a batch before the one ending at its offset has a timestamp >= target, so the search
   * for the first such record can start from there.
   */
  async lookup(targetTimestamp: number): Promise<TimestampOffset> {
    const buffer = await this.loadedBuffer();
    const count = Math.min(this.entries, buffer.length / TIME_INDEX_ENTRY_BYTES);
    let low = 0;
    let high = count - 1;
    let found = -1;
    while (low <= high) {
      const mid = (low + high) >>> 1;
      if (readTimestamp(buffer, mid * TIME_INDEX_ENTRY_BYTES) <= targetTimestamp) {
        found = mid;
        low = mid + 1;
      } else {
        high = mid - 1;
      }
    }
    return found < 0 ? { timestamp: NO_TIMESTAMP, offset: this.baseOffset } : this.#entryAt(buffer, found);
  }

  /** Removes every entry whose offset is >= offset. The index must be loaded. */
  truncateTo(offset: number): void {
    const buffer = this.loaded;
    let keep = this.entries;
    while (
      keep > 0 &&
      this.baseOffset + buffer.readInt32BE((keep - 1) * TIME_INDEX_ENTRY_BYTES + 8) >= offset
    )
      keep--;
    this.truncateEntries(keep);
  }
}
