// Wakes long-polling fetches when a partition they wait on gets new data (Kafka's delayed fetch
// purgatory, reduced to what a single-threaded broker needs). Every wait has a deadline.
export class AppendWaiters {
  readonly #waiters = new Map<string, Set<() => void>>();

  /** Resolves on the first append to any of the keys, or when timeoutMs has passed. */
  async wait(keys: readonly string[], timeoutMs: number, signal?: AbortSignal): Promise<void> {
    if (timeoutMs <= 0 || signal?.aborted) return;
    await new Promise<void>((resolve) => {
      const wake = () => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', wake);
        for (const key of keys) {
          const set = this.#waiters.get(key);
          set?.delete(wake);
          if (set?.size === 0) this.#waiters.delete(key);
        }
        resolve();
      };
      const timer = setTimeout(wake, timeoutMs);
      signal?.addEventListener('abort', wake, { once: true });
      for (const key of keys) {
        let set = this.#waiters.get(key);
        if (!set) {
          set = new Set();
          this.#waiters.set(key, set);
        }
        set.add(wake);
      }
    });
  }

  notify(key: string): void {
    const set = this.#waiters.get(key);
    if (!set) return;
    for (const wake of [...set]) wake();
  }

  /** Wakes everyone, e.g. on shutdown or a leadership change. */
  notifyAll(): void {
    for (const key of [...this.#waiters.keys()]) this.notify(key);
  }
}

export function partitionKey(topic: string, partition: number): string {
  return `${topic}-${partition}`;
}
