// What the offset index and the time index share: fixed-size big-endian entries kept in memory while
// the index is in use and persisted to its file on flush, roll and close.
//
// Kafka memory-maps each index and preallocates it to segment.index.bytes, trimming it on roll and
// close. Node has no mmap, so Sluice chooses a simpler scheme: an index file always holds exactly its
// entries (no preallocation, nothing to trim), the active segment's entries live in a Buffer that
// grows by doubling up to segment.index.bytes, and new entries reach the file when the log is flushed,
// when the segment rolls and at close. That is as safe as Kafka's: an index is only trusted at start
// up for segments below the recovery point, and the recovery point only moves after a flush, which
// persists the indexes first; every segment past it has its indexes rebuilt.
//
// A closed segment's index is read whole from its file on first use (one read, no handle kept open)
// and can be dropped again from memory under the IndexMemoryBudget; this is what keeps memory bounded
// with thousands of segments.
import { constants } from 'node:fs';
import { open, readFile } from 'node:fs/promises';

/** An index file whose contents cannot be right: the segment's index is rebuilt from its log. */
export class IndexCorruptError extends Error {
  constructor(path: string, detail: string) {
    super(`Corrupt index ${path}: ${detail}`);
    this.name = 'IndexCorruptError';
  }
}

const INITIAL_CAPACITY_ENTRIES = 64;

export abstract class IndexFile {
  readonly baseOffset: number;
  readonly entryBytes: number;
  /** The most entries segment.index.bytes allows. */
  readonly maxEntries: number;
  #path: string;
  /** Entries in file format; its length is the capacity, `#count` entries are valid. Null = not loaded. */
  #buffer: Buffer | null;
  #count: number;
  /** Entries [0, #persisted) are in the file exactly as in memory. */
  #persisted: number;
  /** Entries the file holds; more than #persisted after an in-memory truncation not yet written. */
  #fileEntries: number;
  /** Written to the file without an fsync since. */
  #unsynced = false;
  #loading: Promise<Buffer> | null = null;
  #persisting: Promise<void> = Promise.resolve();

  /**
   * `loaded` false: the index is read from its file on first use. `loaded` true: it starts empty in
   * memory, and the file (created by the caller, or left over) is rewritten on the next persist.
   */
  protected constructor(
    path: string,
    baseOffset: number,
    maxIndexBytes: number,
    entryBytes: number,
    loaded: boolean,
  ) {
    this.#path = path;
    this.baseOffset = baseOffset;
    this.entryBytes = entryBytes;
    this.maxEntries = Math.floor(maxIndexBytes / entryBytes);
    this.#buffer = loaded
      ? Buffer.alloc(Math.min(INITIAL_CAPACITY_ENTRIES, this.maxEntries) * entryBytes)
      : null;
    this.#count = 0;
    this.#persisted = 0;
    // Unknown when starting empty: force a truncation of whatever the file holds.
    this.#fileEntries = loaded ? Number.MAX_SAFE_INTEGER : 0;
  }

  get path(): string {
    return this.#path;
  }

  get isLoaded(): boolean {
    return this.#buffer !== null;
  }

  /** Entries in the index; only meaningful once loaded (the active segment's index always is). */
  get entries(): number {
    return this.#count;
  }

  /** Bytes of memory held while loaded. */
  get memoryBytes(): number {
    return this.#buffer?.length ?? 0;
  }

  get isDirty(): boolean {
    return this.#persisted !== this.#count || this.#fileEntries !== this.#count;
  }

  /** Checks a freshly read file's entries; throws IndexCorruptError. */
  protected abstract checkEntries(buffer: Buffer, count: number): void;

  /** The entries as loaded in memory, reading the file first if needed. */
  protected async loadedBuffer(): Promise<Buffer> {
    if (this.#buffer !== null) return this.#buffer;
    if (this.#loading === null) {
      this.#loading = this.#load().finally(() => {
        this.#loading = null;
      });
    }
    return this.#loading;
  }

  async #load(): Promise<Buffer> {
    let data: Buffer;
    try {
      data = await readFile(this.#path);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT')
        throw new IndexCorruptError(this.#path, 'file is missing');
      throw err;
    }
    if (data.length % this.entryBytes !== 0) {
      throw new IndexCorruptError(this.#path, `size ${data.length} is not a multiple of ${this.entryBytes}`);
    }
    // More than maxEntries is possible (segment.index.bytes lowered since) and still valid.
    const count = data.length / this.entryBytes;
    this.checkEntries(data, count);
    this.#buffer = data;
    this.#count = count;
    this.#persisted = count;
    this.#fileEntries = count;
    return data;
  }

  /** Loads the index (if not loaded) so that synchronous methods can be used; for the active segment. */
  async load(): Promise<void> {
    await this.loadedBuffer();
  }

  /** The loaded buffer; a programming error if the index is not loaded. */
  protected get loaded(): Buffer {
    const buffer = this.#buffer;
    if (buffer === null) throw new Error(`index ${this.#path} used before it was loaded`);
    return buffer;
  }

  /** Room for one more entry, growing the buffer; returns the byte position of the new entry. */
  protected reserveEntry(): number {
    let buffer = this.loaded;
    const position = this.#count * this.entryBytes;
    if (position + this.entryBytes > buffer.length) {
      const capacity = Math.min(
        Math.max(buffer.length * 2, INITIAL_CAPACITY_ENTRIES * this.entryBytes),
        this.maxEntries * this.entryBytes,
      );
      if (capacity < position + this.entryBytes) throw new Error(`index ${this.#path} is full`);
      const grown = Buffer.alloc(capacity);
      buffer.copy(grown, 0, 0, position);
      this.#buffer = grown;
      buffer = grown;
    }
    this.#count++;
    return position;
  }

  /** Keeps the first `count` entries. */
  protected truncateEntries(count: number): void {
    this.loaded;
    if (count >= this.#count) return;
    this.#count = count;
    if (this.#persisted > count) this.#persisted = count;
  }

  /** Empties the index in memory (before a rebuild); the file is rewritten on the next persist. */
  reset(): void {
    this.#buffer = Buffer.alloc(Math.min(INITIAL_CAPACITY_ENTRIES, this.maxEntries) * this.entryBytes);
    this.#count = 0;
    this.#persisted = 0;
    this.#fileEntries = Number.MAX_SAFE_INTEGER;
  }

  /**
   * Writes the entries not yet in the file (truncating the file first if entries were removed), and
   * fsyncs it when `sync`. Persists run one at a time; entries appended meanwhile wait for the next.
   */
  persist(sync: boolean): Promise<void> {
    const run = this.#persisting.then(() => this.#persistNow(sync));
    this.#persisting = run.catch(() => {});
    return run;
  }

  async #persistNow(sync: boolean): Promise<void> {
    const buffer = this.#buffer;
    if (buffer === null) return;
    const count = this.#count;
    const from = this.#persisted;
    if (from === count && this.#fileEntries === count && (!sync || !this.#unsynced)) return;
    // O_APPEND is not used: pwrite at a position needs a plain write-only descriptor.
    const handle = await open(this.#path, constants.O_WRONLY | constants.O_CREAT);
    try {
      if (this.#fileEntries !== from) await handle.truncate(from * this.entryBytes);
      let written = 0;
      const length = (count - from) * this.entryBytes;
      while (written < length) {
        const { bytesWritten } = await handle.write(
          buffer,
          from * this.entryBytes + written,
          length - written,
          from * this.entryBytes + written,
        );
        written += bytesWritten;
      }
      if (sync) await handle.sync();
      this.#unsynced = !sync;
    } finally {
      await handle.close();
    }
    // A truncation cannot run meanwhile (the log holds its flush lock for both), appends only add.
    this.#persisted = count;
    this.#fileEntries = count;
  }

  /** Drops the in-memory entries of a closed segment's index; false if it has unsaved entries. */
  unload(): boolean {
    if (this.#buffer === null) return true;
    if (this.isDirty || this.#loading !== null) return false;
    this.#buffer = null;
    return true;
  }

  /** Frees the capacity beyond the entries (on roll: the index will not grow again). */
  trimToSize(): void {
    const buffer = this.#buffer;
    if (buffer === null) return;
    const size = this.#count * this.entryBytes;
    if (buffer.length > size) this.#buffer = Buffer.from(buffer.subarray(0, size));
  }

  /** Follows a rename of the file (segment deletion with a delay). */
  renamedTo(path: string): void {
    this.#path = path;
  }
}
