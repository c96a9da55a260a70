// The producer's buffer (Kafka's RecordAccumulator): one deque of batches per partition, filled by
// send() and drained by the sender. A batch is ready when it is full (batch.size), has waited
// linger.ms, is being flushed, or the producer is closing. Every record's bytes count against
// buffer.memory from append until its batch completes; an append that would pass that bound waits
// (back-pressure) instead of growing the buffer.
import type { RecordInput } from '@sluice/protocol';

/** Per-record framing that the estimate adds to key, value and headers (length, deltas, attributes). */
const RECORD_OVERHEAD_BYTES = 21;
/** The batch header, counted once per batch. */
const BATCH_OVERHEAD_BYTES = 61;

export interface Delivery {
  resolve(result: { offset: number; timestamp: number }): void;
  reject(err: unknown): void;
}

export class ProducerBatch {
  readonly topic: string;
  readonly partition: number;
  readonly records: RecordInput[] = [];
  readonly deliveries: Delivery[] = [];
  readonly createdMs: number;
  /** The earliest delivery deadline of its records (delivery.timeout.ms from each send). */
  deadlineMs: number;
  sizeBytes = BATCH_OVERHEAD_BYTES;
  /** Not before this time: retry.backoff.ms after a failed attempt. */
  retryAtMs = 0;
  attempts = 0;
  /** Closed to further records once sent (or once full). */
  closed = false;
  /** The encoded RecordBatch, kept for retries so that a retry sends the same bytes. */
  encoded: Buffer | undefined;
  /** Settles when every record of the batch has its delivery report (flush waits on it). */
  readonly settled: Promise<void>;
  readonly #settle: () => void;
  /** Batches merged into this one when it was drained: they settle with it. */
  readonly #absorbed: ProducerBatch[] = [];

  constructor(topic: string, partition: number, nowMs: number, deadlineMs: number) {
    this.topic = topic;
    this.partition = partition;
    this.createdMs = nowMs;
    this.deadlineMs = deadlineMs;
    const { promise, resolve } = Promise.withResolvers<void>();
    this.settled = promise;
    this.#settle = resolve;
  }

  settle(): void {
    this.#settle();
    for (const batch of this.#absorbed) batch.settle();
  }

  /** Takes the records of `next` (the batch behind it, never sent) into this one. */
  absorb(next: ProducerBatch): void {
    for (let i = 0; i < next.records.length; i++) {
      this.records.push(next.records[i]!);
      this.deliveries.push(next.deliveries[i]!);
    }
    this.sizeBytes += next.sizeBytes - BATCH_OVERHEAD_BYTES;
    this.deadlineMs = Math.min(this.deadlineMs, next.deadlineMs);
    this.#absorbed.push(next);
  }
}

export function estimateRecordBytes(record: RecordInput): number {
  let bytes = RECORD_OVERHEAD_BYTES + (record.key?.length ?? 0) + (record.value?.length ?? 0);
  for (const header of record.headers ?? []) bytes += header.key.length * 3 + (header.value?.length ?? 0) + 2;
  return bytes;
}

export interface AccumulatorOptions {
  batchSizeBytes: number;
  /**
   * A partition's ready batches that queued up behind one in flight are sent as one batch of up to this
   * many bytes (max.request.size): under load a partition then moves more than batch.size per round
   * trip, while it still has one batch in flight at a time.
   */
  maxMergedBytes?: number;
  lingerMs: number;
  bufferMemoryBytes: number;
}

export class RecordAccumulator {
  readonly #options: AccumulatorOptions;
  readonly #deques = new Map<string, ProducerBatch[]>();
  #usedBytes = 0;
  /** Partitions with a batch in flight: muted, so that a partition's batches go one at a time, in order. */
  readonly #muted = new Set<string>();
  /** Bumped by flush(): batches created before a flush are ready at once. */
  #flushing = 0;

  constructor(options: AccumulatorOptions) {
    this.#options = options;
  }

  get usedBytes(): number {
    return this.#usedBytes;
  }

  get bufferMemoryBytes(): number {
    return this.#options.bufferMemoryBytes;
  }

  hasRoomFor(bytes: number): boolean {
    // An empty buffer always takes one record, so a record larger than the buffer is refused by the
    // producer's size checks rather than waiting for ever.
    return this.#usedBytes === 0 || this.#usedBytes + bytes <= this.#options.bufferMemoryBytes;
  }

  /**
   * Appends a record to the partition's open batch (or a new one). Returns true when this append
   * filled a batch or opened a new one behind a full one: the sender should look again.
   */
  append(
    topic: string,
    partition: number,
    record: RecordInput,
    bytes: number,
    delivery: Delivery,
    deadlineMs: number,
    nowMs: number,
  ): { batchFull: boolean; newBatch: boolean } {
    const key = partitionKey(topic, partition);
    let deque = this.#deques.get(key);
    if (!deque) {
      deque = [];
      this.#deques.set(key, deque);
    }
    let last = deque[deque.length - 1];
    let newBatch = false;
    if (!last || last.closed || last.sizeBytes + bytes > this.#options.batchSizeBytes) {
      if (last) last.closed = true;
      last = new ProducerBatch(topic, partition, nowMs, deadlineMs);
      deque.push(last);
      newBatch = true;
    }
    last.records.push(record);
    last.deliveries.push(delivery);
    last.sizeBytes += bytes;
    last.deadlineMs = Math.min(last.deadlineMs, deadlineMs);
    this.#usedBytes += bytes;
    return { batchFull: last.sizeBytes >= this.#options.batchSizeBytes || deque.length > 1, newBatch };
  }

  /** Gives back a completed batch's bytes. */
  release(batch: ProducerBatch): void {
    this.#usedBytes -= batch.sizeBytes - BATCH_OVERHEAD_BYTES;
    if (this.#usedBytes < 0) throw new Error(`accumulator: used bytes went negative (${this.#usedBytes})`);
  }

  /** Puts a batch that failed retriably back at the head of its deque, to be retried after backoff. */
  reenqueue(batch: ProducerBatch, retryAtMs: number): void {
    batch.retryAtMs = retryAtMs;
    batch.closed = true;
    const key = partitionKey(batch.topic, batch.partition);
    const deque = this.#deques.get(key) ?? [];
    deque.unshift(batch);
    this.#deques.set(key, deque);
  }

  mute(topic: string, partition: number): void {
    this.#muted.add(partitionKey(topic, partition));
  }

  unmute(topic: string, partition: number): void {
    this.#muted.delete(partitionKey(topic, partition));
  }

  beginFlush(): void {
    this.#flushing++;
  }

  endFlush(): void {
    this.#flushing--;
  }

  /**
   * Takes the head batch of every unmuted partition that is ready now and that `accept` takes (its
   * leader is known and may take another request), and every head batch past its delivery deadline
   * (`expired`, whatever `accept` says). `nextReadyMs` is when the next waiting batch becomes ready.
   */
  drainReady(
    nowMs: number,
    force: boolean,
    accept: (batch: ProducerBatch) => boolean,
  ): { ready: ProducerBatch[]; expired: ProducerBatch[]; nextReadyMs: number } {
    const ready: ProducerBatch[] = [];
    const expired: ProducerBatch[] = [];
    let nextReadyMs = Number.POSITIVE_INFINITY;
    for (const [key, deque] of this.#deques) {
      const head = deque[0];
      if (!head) {
        this.#deques.delete(key);
        continue;
      }
      if (this.#muted.has(key)) continue;
      if (nowMs >= head.deadlineMs) {
        // Every batch of the partition past its deadline goes; the rest wait their turn.
        while (deque[0] && nowMs >= deque[0].deadlineMs) expired.push(deque.shift()!);
        continue;
      }
      const readyAtMs = head.attempts > 0 ? head.retryAtMs : head.createdMs + this.#options.lingerMs;
      const full = head.closed || head.sizeBytes >= this.#options.batchSizeBytes || deque.length > 1;
      const isReady =
        head.attempts > 0
          ? nowMs >= head.retryAtMs
          : full || force || this.#flushing > 0 || nowMs >= readyAtMs;
      if (isReady && accept(head)) {
        deque.shift();
        head.closed = true;
        const limit = this.#options.maxMergedBytes ?? 0;
        if (head.attempts === 0 && head.encoded === undefined) {
          // Never-sent batches behind it join it, in order, up to the limit (the open one too when full
          // or being flushed).
          for (let next = deque[0]; next !== undefined; next = deque[0]) {
            const nextReady = next.closed || deque.length > 1 || force || this.#flushing > 0;
            if (!nextReady || next.attempts > 0 || head.sizeBytes + next.sizeBytes > limit) break;
            deque.shift();
            head.absorb(next);
          }
        }
        ready.push(head);
      } else if (!isReady) {
        nextReadyMs = Math.min(nextReadyMs, readyAtMs, head.deadlineMs);
      } else {
        nextReadyMs = Math.min(nextReadyMs, head.deadlineMs);
      }
    }
    return { ready, expired, nextReadyMs };
  }

  /** The batches still buffered, oldest first per partition (left in place). */
  buffered(): ProducerBatch[] {
    const all: ProducerBatch[] = [];
    for (const deque of this.#deques.values()) all.push(...deque);
    return all;
  }

  /** Every batch still buffered, removed from the accumulator (close with a deadline, fatal errors). */
  takeAll(): ProducerBatch[] {
    const all: ProducerBatch[] = [];
    for (const deque of this.#deques.values()) all.push(...deque);
    this.#deques.clear();
    return all;
  }

  get isEmpty(): boolean {
    for (const deque of this.#deques.values()) if (deque.length > 0) return false;
    return true;
  }
}

export function partitionKey(topic: string, partition: number): string {
  return `${topic}\u0000${partition}`;
}
