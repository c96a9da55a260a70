// Bounds the memory held by closed segments' indexes across all logs of a log manager: a closed
// segment's offset or time index is read into memory on first lookup and registered here; past the
// budget the least recently used ones are dropped (they are re-read on their next lookup). The active
// segments' indexes are not counted: they are bounded by segment.index.bytes each.
import type { IndexFile } from './index-file.ts';

export const DEFAULT_INDEX_MEMORY_BYTES = 64 * 1024 * 1024;

export class IndexMemoryBudget {
  readonly maxBytes: number;
  /** Loaded closed indexes, least recently used first, with the bytes each was counted for. */
  readonly #loaded = new Map<IndexFile, number>();
  #bytes = 0;

  constructor(maxBytes = DEFAULT_INDEX_MEMORY_BYTES) {
    this.maxBytes = maxBytes;
  }

  get bytes(): number {
    return this.#bytes;
  }

  get loadedCount(): number {
    return this.#loaded.size;
  }

  /** Marks a closed segment's index as just used, then drops the least recently used past the budget. */
  touch(index: IndexFile): void {
    const counted = this.#loaded.get(index);
    if (counted !== undefined) {
      this.#loaded.delete(index);
      this.#bytes -= counted;
    }
    const bytes = index.memoryBytes;
    this.#loaded.set(index, bytes);
    this.#bytes += bytes;
    if (this.#bytes <= this.maxBytes) return;
    for (const [candidate, candidateBytes] of this.#loaded) {
      if (this.#bytes <= this.maxBytes) break;
      if (candidate === index) continue;
      if (candidate.unload()) {
        this.#loaded.delete(candidate);
        this.#bytes -= candidateBytes;
      }
    }
  }

  /** The index is no longer a closed one (segment deleted or active again). */
  forget(index: IndexFile): void {
    const counted = this.#loaded.get(index);
    if (counted === undefined) return;
    this.#loaded.delete(index);
    this.#bytes -= counted;
  }
}
