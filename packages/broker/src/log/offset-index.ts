// The sparse offset index of one segment (<base offset>.index): 8-byte entries (offset relative to the
// segment's base offset as int32, file position as int32), one about every index.interval.bytes of
// log, each naming the last offset of a batch and the position where that batch starts. A lookup
// gives the position from which to scan for an offset, so a fetch reads at most one interval (plus a
// batch) that it does not need, and never scans the segment.
import { IndexCorruptError, IndexFile } from './index-file.ts';

export const OFFSET_INDEX_ENTRY_BYTES = 8;
const INT32_MAX = 2 ** 31 - 1;

export interface OffsetPosition {
  offset: number;
  position: number;
}

export class OffsetIndex extends IndexFile {
  /** See IndexFile: `loaded` true starts empty in memory (new segment or rebuild). */
  constructor(path: string, baseOffset: number, maxIndexBytes: number, loaded: boolean) {
    super(path, baseOffset, maxIndexBytes, OFFSET_INDEX_ENTRY_BYTES, loaded);
  }

  get isFull(): boolean {
    return this.entries >= this.maxEntries;
  }

  /** True if `offset` can be stored relative to this index's base offset. */
  canHold(offset: number): boolean {
    const relative = offset - this.baseOffset;
    return relative >= 0 && relative <= INT32_MAX;
  }

  protected checkEntries(buffer: Buffer, count: number): void {
    let previousOffset = -1;
    let previousPosition = -1;
    for (let i = 0; i < count; i++) {
      const relative = buffer.readInt32BE(i * OFFSET_INDEX_ENTRY_BYTES);
      const position = buffer.readInt32BE(i * OFFSET_INDEX_ENTRY_BYTES + 4);
      if (relative < 0 || position < 0 || relative <= previousOffset || position < previousPosition) {
        throw new IndexCorruptError(this.path, `entry ${i} (${relative}, ${position}) is out of order`);
      }
      previousOffset = relative;
      previousPosition = position;
    }
  }

  /** Adds an entry; offsets must increase and positions must not decrease. */
  append(offset: number, position: number): void {
    if (!this.canHold(offset)) throw new Error(`offset ${offset} does not fit index ${this.path}`);
    if (this.entries > 0) {
      const last = this.lastEntry();
      if (offset <= last.offset || position < last.position) {
        throw new Error(
          `index ${this.path}: entry (${offset}, ${position}) after (${last.offset}, ${last.position})`,
        );
      }
    }
    const at = this.reserveEntry();
    const buffer = this.loaded;
    buffer.writeInt32BE(offset - this.baseOffset, at);
    buffer.writeInt32BE(position, at + 4);
  }

  /** The last entry, or (base offset, 0) when empty. The index must be loaded. */
  lastEntry(): OffsetPosition {
    if (this.entries === 0) return { offset: this.baseOffset, position: 0 };
    return this.#entryAt(this.loaded, this.entries - 1);
  }

  #entryAt(buffer: Buffer, i: number): OffsetPosition {
    const at = i * OFFSET_INDEX_ENTRY_BYTES;
    return { offset: this.baseOffset + buffer.readInt32BE(at), position: buffer.readInt32BE(at + 4) };
  }

  /** Index of the last entry whose offset is <= target, or -1. */
  #floorIndex(buffer: Buffer, count: number, target: number): number {
    const relative = target - this.baseOffset;
    let low = 0;
    let high = count - 1;
    let found = -1;
    while (low <= high) {
      const mid = (low + high) >>> 1;
      if (buffer.readInt32BE(mid * OFFSET_INDEX_ENTRY_BYTES) <= relative) {
        found = mid;
        low = mid + 1;
      } else {
        high = mid - 1;
      }
    }
    return found;
  }

  /**
   * The entry with the largest offset <= target: where a scan for `target` may start. (base offset, 0)
   * when there is none. Loads the index from its file if needed.
   */
  async lookup(target: number): Promise<OffsetPosition> {
    const buffer = await this.loadedBuffer();
    return this.lookupLoaded(buffer, target);
  }

  /** lookup() on an index known to be loaded. */
  lookupSync(target: number): OffsetPosition {
    return this.lookupLoaded(this.loaded, target);
  }

  private lookupLoaded(buffer: Buffer, target: number): OffsetPosition {
    // A closed index that was dropped and reloaded has as many entries as its buffer.
    const count = Math.min(this.entries, buffer.length / OFFSET_INDEX_ENTRY_BYTES);
    if (target < this.baseOffset) return { offset: this.baseOffset, position: 0 };
    const i = this.#floorIndex(buffer, count, target);
    return i < 0 ? { offset: this.baseOffset, position: 0 } : this.#entryAt(buffer, i);
  }

  /** Removes every entry whose offset is >= offset. The index must be loaded. */
  truncateTo(offset: number): void {
    const i = this.#floorIndex(this.loaded, this.entries, offset - 1);
    this.truncateEntries(i + 1);
  }

  /** Removes every entry whose position is >= position (a log truncated at that position). */
  truncateToPosition(position: number): void {
    const buffer = this.loaded;
    let keep = this.entries;
    while (keep > 0 && buffer.readInt32BE((keep - 1) * OFFSET_INDEX_ENTRY_BYTES + 4) >= position) keep--;
    this.truncateEntries(keep);
  }
}
