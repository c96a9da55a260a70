// The two locks of a partition log. ReadWriteLock lets reads run side by side while truncation and
// segment deletion wait for them and hold them off (appends need neither: they only write past what
// readers can see). Mutex serialises flushes with index-changing maintenance. Both are FIFO; writers
// are preferred so that a stream of reads cannot starve a truncation.

export class Mutex {
  #tail: Promise<void> = Promise.resolve();

  /** Runs `fn` once every earlier holder has finished. */
  run<T>(fn: () => Promise<T>): Promise<T> {
    const result = this.#tail.then(fn);
    this.#tail = result.then(
      () => {},
      () => {},
    );
    return result;
  }
}

export class ReadWriteLock {
  #readers = 0;
  #writing = false;
  readonly #waitingWriters: Array<() => void> = [];
  #waitingReaders: Array<() => void> = [];

  async shared<T>(fn: () => Promise<T>): Promise<T> {
    if (this.#writing || this.#waitingWriters.length > 0) {
      await new Promise<void>((resolve) => this.#waitingReaders.push(resolve));
    } else {
      this.#readers++;
    }
    try {
      return await fn();
    } finally {
      this.#readers--;
      this.#wake();
    }
  }

  async exclusive<T>(fn: () => Promise<T>): Promise<T> {
    if (this.#writing || this.#readers > 0 || this.#waitingWriters.length > 0) {
      await new Promise<void>((resolve) => this.#waitingWriters.push(resolve));
    } else {
      this.#writing = true;
    }
    try {
      return await fn();
    } finally {
      this.#writing = false;
      this.#wake();
    }
  }

  /** Hands the lock on: a waiting writer once no one holds it, else every waiting reader. */
  #wake(): void {
    if (this.#writing) return;
    if (this.#waitingWriters.length > 0) {
      if (this.#readers > 0) return;
      this.#writing = true;
      this.#waitingWriters.shift()!();
      return;
    }
    const readers = this.#waitingReaders;
    if (readers.length === 0) return;
    this.#waitingReaders = [];
    this.#readers += readers.length;
    for (const resolve of readers) resolve();
  }
}
