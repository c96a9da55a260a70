// Bounds the open file descriptors of segment .log files across all logs of a log manager. The active
// segment of each log keeps its descriptor (it is pinned); a closed segment opens its file lazily on
// the first read and goes back to closed when the pool is over its limit and the file has been the
// least recently used with no read in flight. Thousands of closed segments then cost no descriptors.
import type { FileHandle } from 'node:fs/promises';
import { open } from 'node:fs/promises';

export const DEFAULT_MAX_OPEN_SEGMENT_FILES = 256;

export class FileHandlePool {
  readonly maxOpen: number;
  /** Open files, least recently used first (Map keeps insertion order). */
  readonly #open = new Map<PooledFile, true>();

  constructor(maxOpen = DEFAULT_MAX_OPEN_SEGMENT_FILES) {
    if (!Number.isSafeInteger(maxOpen) || maxOpen < 1)
      throw new RangeError(`maxOpen=${maxOpen} must be >= 1`);
    this.maxOpen = maxOpen;
  }

  get openCount(): number {
    return this.#open.size;
  }

  /** A file of this pool; nothing is opened yet. */
  file(path: string): PooledFile {
    return new PooledFile(this, path);
  }

  /** @internal */
  touched(file: PooledFile): void {
    this.#open.delete(file);
    this.#open.set(file, true);
  }

  /** @internal */
  opened(file: PooledFile): void {
    this.#open.set(file, true);
    if (this.#open.size <= this.maxOpen) return;
    for (const candidate of this.#open.keys()) {
      if (this.#open.size <= this.maxOpen) break;
      if (candidate !== file && candidate.isIdle) {
        this.#open.delete(candidate);
        candidate.closeIdle();
      }
    }
  }

  /** @internal */
  closed(file: PooledFile): void {
    this.#open.delete(file);
  }
}

/** One segment file: a reference-counted descriptor, opened on demand read-write. */
export class PooledFile {
  readonly #pool: FileHandlePool;
  #path: string;
  #handle: FileHandle | null = null;
  #opening: Promise<FileHandle> | null = null;
  #users = 0;
  #pinned = false;
  #closed = false;
  #final: Promise<void> | null = null;
  /** Resolved when the last user leaves; set while close() waits for users. */
  #drained: (() => void) | null = null;
  /** Closing a descriptor is asynchronous; a reopen waits for it. */
  #closing: Promise<void> = Promise.resolve();

  constructor(pool: FileHandlePool, path: string) {
    this.#pool = pool;
    this.#path = path;
  }

  get path(): string {
    return this.#path;
  }

  get isIdle(): boolean {
    return this.#users === 0 && !this.#pinned && this.#handle !== null;
  }

  /** Runs `use` with the open descriptor; the descriptor stays open until `use` settles. */
  async with<T>(use: (handle: FileHandle) => Promise<T>): Promise<T> {
    if (this.#closed) throw new Error(`segment file ${this.#path} is closed`);
    this.#users++;
    try {
      const handle = await this.#acquire();
      return await use(handle);
    } finally {
      this.#users--;
      if (this.#users === 0 && this.#drained !== null) this.#drained();
    }
  }

  async #acquire(): Promise<FileHandle> {
    if (this.#handle !== null) {
      this.#pool.touched(this);
      return this.#handle;
    }
    if (this.#opening === null) {
      this.#opening = (async () => {
        await this.#closing;
        const handle = await open(this.#path, 'r+');
        this.#handle = handle;
        this.#pool.opened(this);
        return handle;
      })().finally(() => {
        this.#opening = null;
      });
    }
    return this.#opening;
  }

  /** Keeps the descriptor open until unpin() (the active segment). */
  async pin(): Promise<void> {
    this.#pinned = true;
    await this.with(async () => {});
  }

  unpin(): void {
    this.#pinned = false;
  }

  /** Called by the pool on an idle file. */
  closeIdle(): void {
    const handle = this.#handle;
    if (handle === null) return;
    this.#handle = null;
    this.#closing = handle.close().catch(() => {});
  }

  /** Closes for good (segment closed or deleted); waits for reads in flight to finish first. */
  close(): Promise<void> {
    this.#final ??= this.#closeNow();
    return this.#final;
  }

  async #closeNow(): Promise<void> {
    this.#closed = true;
    this.#pinned = false;
    if (this.#opening !== null) await this.#opening.catch(() => {});
    if (this.#users > 0) {
      await new Promise<void>((resolve) => {
        this.#drained = resolve;
      });
      this.#drained = null;
    }
    const handle = this.#handle;
    this.#handle = null;
    this.#pool.closed(this);
    if (handle !== null) await handle.close();
    await this.#closing;
  }

  renamedTo(path: string): void {
    this.#path = path;
  }
}
