// A single-consumer event queue, after Kafka's ControllerEventManager: ZooKeeper watch callbacks only
// enqueue; one loop applies events in order, so no state is ever touched from a callback and two
// handlers never interleave. Events with the same key that are still queued are coalesced: a watch
// storm on one znode costs one re-read.
export interface QueuedEvent {
  /** Events with equal keys waiting in the queue collapse into the first. */
  key: string;
  run: () => Promise<void>;
}

export class EventQueue {
  readonly #pending: QueuedEvent[] = [];
  readonly #pendingKeys = new Set<string>();
  readonly #onError: (err: unknown, event: QueuedEvent) => void;
  #running = false;
  #closed = false;
  #idleWaiters: Array<() => void> = [];

  constructor(onError: (err: unknown, event: QueuedEvent) => void) {
    this.#onError = onError;
  }

  enqueue(event: QueuedEvent): void {
    if (this.#closed || this.#pendingKeys.has(event.key)) return;
    this.#pendingKeys.add(event.key);
    this.#pending.push(event);
    if (!this.#running) void this.#drain();
  }

  /** Resolves when every event queued so far has run. */
  async idle(): Promise<void> {
    if (!this.#running && this.#pending.length === 0) return;
    await new Promise<void>((resolve) => this.#idleWaiters.push(resolve));
  }

  close(): void {
    this.#closed = true;
    this.#pending.length = 0;
    this.#pendingKeys.clear();
  }

  async #drain(): Promise<void> {
    this.#running = true;
    while (this.#pending.length > 0) {
      const event = this.#pending.shift() as QueuedEvent;
      this.#pendingKeys.delete(event.key);
      try {
        await event.run();
      } catch (err) {
        this.#onError(err, event);
      }
    }
    this.#running = false;
    const waiters = this.#idleWaiters;
    this.#idleWaiters = [];
    for (const resolve of waiters) resolve();
  }
}
