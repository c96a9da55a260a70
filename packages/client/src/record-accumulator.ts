// The producer's buffer (Kafka's RecordAccumulator): one queue of batches per partition, filled by
// send() and drained by the sender. A record is encoded into its batch's bytes as it is appended
// (RecordBatchBuilder), so a lingering batch holds bytes and a callback per record, not record objects.
//
// A batch is ready when it reaches batch.size, has waited linger.ms, is being flushed, or the producer
// is closing. A partition sends one batch at a time (muted while it is in flight), so its order holds
// across retries. A ready batch that the sender has not taken yet (its partition waits for the batch
// in flight, or the sender has not run since) keeps filling past batch.size up to max.request.size:
// under load each round trip then carries everything that queued up meanwhile, in one batch.
//
// Every record's bytes count against buffer.memory from append until its batch completes; an append
// that would pass that bound waits (back-pressure) instead of growing the buffer.
import { RECORD_BATCH_HEADER_BYTES, RecordBatchBuilder, type RecordHeader } from '@sluice/protocol';
import type { DeliveryCallback, ProducerRecord } from './producer-record.ts';

/** A new batch's first buffer; it doubles as records arrive. */
const INITIAL_BATCH_CAPACITY_BYTES = 2048;

export class ProducerBatch {
  readonly topic: string;
  readonly partition: number;
  readonly builder: RecordBatchBuilder;
  /** Per record, in offset order: its delivery callback (undefined when nobody listens) and timestamp. */
  readonly callbacks: Array<DeliveryCallback | undefined> = [];
  readonly timestamps: number[] = [];
  /** Per record, the application's record: kept only when the producer has an onDelivery hook. */
  readonly records: ProducerRecord[] | undefined;
  readonly createdMs: number;
  /** The earliest delivery deadline of its records (delivery.timeout.ms from each send). */
  deadlineMs: number;
  /** Bytes of its records, as counted against buffer.memory. */
  recordBytes = 0;
  /** Not before this time: retry.backoff.ms after a failed attempt. */
  retryAtMs = 0;
  attempts = 0;
  /** Closed to further records once taken by the sender. */
  closed = false;
  /** The built RecordBatch, kept for retries so that a retry sends the same bytes. */
  encoded: Buffer | undefined;
  /** Settles when every record of the batch has its delivery report (flush waits on it). */
  readonly settled: Promise<void>;
  readonly settle: () => void;

  constructor(
    topic: string,
    partition: number,
    capacityBytes: number,
    keepRecords: boolean,
    nowMs: number,
    deadlineMs: number,
  ) {
    this.topic = topic;
    this.partition = partition;
    this.builder = new RecordBatchBuilder(capacityBytes);
    this.records = keepRecords ? [] : undefined;
    this.createdMs = nowMs;
    this.deadlineMs = deadlineMs;
    const { promise, resolve } = Promise.withResolvers<void>();
    this.settled = promise;
    this.settle = resolve;
  }

  get recordCount(): number {
    return this.builder.recordCount;
  }

  get sizeBytes(): number {
    return this.builder.sizeBytes;
  }
}

/** One partition's queue: its batches oldest first, and whether one of them is in flight. */
class PartitionQueue {
  readonly batches: ProducerBatch[] = [];
  muted = false;
}

export interface AccumulatorOptions {
  /** batch.size: the bytes at which a batch is ready without waiting for linger.ms. */
  batchSizeBytes: number;
  /** The most bytes one batch may reach while it waits for the sender (max.request.size); at least batchSizeBytes. */
  maxBatchBytes: number;
  lingerMs: number;
  bufferMemoryBytes: number;
  /** Keep each record in its batch for a delivery hook that wants it back. */
  keepRecords?: boolean;
}

/** One record for append(): its bytes already converted, its callback and deadline. */
export interface AppendedRecord {
  timestamp: number;
  key: Buffer | null;
  value: Buffer | null;
  headers: RecordHeader[] | undefined;
  /** The bytes it may take at the most (recordBytesUpperBound), checked against the limits. */
  maxBytes: number;
  callback: DeliveryCallback | undefined;
  record: ProducerRecord;
  deadlineMs: number;
}

export class RecordAccumulator {
  readonly #options: Required<AccumulatorOptions>;
  /** Topic -> its partitions' queues, by partition number. */
  readonly #queues = new Map<string, PartitionQueue[]>();
  /** The queues that hold batches, in the order they first did: what drainReady walks. */
  readonly #active = new Set<PartitionQueue>();
  #usedBytes = 0;
  /** Bumped by flush(): batches created before a flush are ready at once. */
  #flushing = 0;

  constructor(options: AccumulatorOptions) {
    this.#options = {
      ...options,
      maxBatchBytes: Math.max(options.maxBatchBytes, options.batchSizeBytes),
      keepRecords: options.keepRecords ?? false,
    };
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

  #queue(topic: string, partition: number): PartitionQueue {
    let byPartition = this.#queues.get(topic);
    if (byPartition === undefined) {
      byPartition = [];
      this.#queues.set(topic, byPartition);
    }
    let queue = byPartition[partition];
    if (queue === undefined) {
      queue = new PartitionQueue();
      byPartition[partition] = queue;
    }
    return queue;
  }

  /**
   * Encodes the record into the partition's open batch, or into a new one when there is none or the
   * record would take it past max.request.size. Returns true when the batch holds batch.size or more
   * after this record: it is ready now, and null keys should move on (Kafka opens a new batch then).
   */
  append(topic: string, partition: number, input: AppendedRecord, nowMs: number): boolean {
    const queue = this.#queue(topic, partition);
    const batches = queue.batches;
    let batch = batches[batches.length - 1];
    if (
      batch !== undefined &&
      !batch.closed &&
      batch.sizeBytes + input.maxBytes > this.#options.maxBatchBytes
    ) {
      batch.closed = true;
    }
    if (batch === undefined || batch.closed) {
      // Start small and let the builder double: a producer writing a few records to many partitions
      // then holds kilobytes per partition, not batch.size (buffer.memory counts records, not capacity).
      const capacityBytes = Math.max(
        Math.min(this.#options.batchSizeBytes, INITIAL_BATCH_CAPACITY_BYTES),
        RECORD_BATCH_HEADER_BYTES + input.maxBytes,
      );
      batch = new ProducerBatch(
        topic,
        partition,
        capacityBytes,
        this.#options.keepRecords,
        nowMs,
        input.deadlineMs,
      );
      batches.push(batch);
      this.#active.add(queue);
    }
    const bytes = batch.builder.append(input.timestamp, input.key, input.value, input.headers);
    batch.callbacks.push(input.callback);
    batch.timestamps.push(input.timestamp);
    batch.records?.push(input.record);
    batch.recordBytes += bytes;
    if (input.deadlineMs < batch.deadlineMs) batch.deadlineMs = input.deadlineMs;
    this.#usedBytes += bytes;
    return batch.sizeBytes >= this.#options.batchSizeBytes;
  }

  /** Gives back a completed batch's bytes. */
  release(batch: ProducerBatch): void {
    this.#usedBytes -= batch.recordBytes;
    if (this.#usedBytes < 0) throw new Error(`accumulator: used bytes went negative (${this.#usedBytes})`);
  }

  /** Puts a batch that failed retriably back at the head of its queue, to be retried after backoff. */
  reenqueue(batch: ProducerBatch, retryAtMs: number): void {
    batch.retryAtMs = retryAtMs;
    batch.closed = true;
    const queue = this.#queue(batch.topic, batch.partition);
    queue.batches.unshift(batch);
    this.#active.add(queue);
  }

  mute(topic: string, partition: number): void {
    this.#queue(topic, partition).muted = true;
  }

  unmute(topic: string, partition: number): void {
    this.#queue(topic, partition).muted = false;
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
    for (const queue of this.#active) {
      const batches = queue.batches;
      const head = batches[0];
      if (head === undefined) {
        this.#active.delete(queue);
        continue;
      }
      if (queue.muted) continue;
      if (nowMs >= head.deadlineMs) {
        // Every batch of the partition past its deadline goes; the rest wait their turn.
        while (batches[0] !== undefined && nowMs >= batches[0].deadlineMs) expired.push(batches.shift()!);
        continue;
      }
      const readyAtMs = head.attempts > 0 ? head.retryAtMs : head.createdMs + this.#options.lingerMs;
      const full = head.closed || head.sizeBytes >= this.#options.batchSizeBytes || batches.length > 1;
      const isReady =
        head.attempts > 0
          ? nowMs >= head.retryAtMs
          : full || force || this.#flushing > 0 || nowMs >= readyAtMs;
      if (isReady && accept(head)) {
        batches.shift();
        head.closed = true;
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
    for (const queue of this.#active) all.push(...queue.batches);
    return all;
  }

  /** Every batch still buffered, removed from the accumulator (close with a deadline, fatal errors). */
  takeAll(): ProducerBatch[] {
    const all = this.buffered();
    for (const queue of this.#active) queue.batches.length = 0;
    this.#active.clear();
    return all;
  }

  get isEmpty(): boolean {
    for (const queue of this.#active) if (queue.batches.length > 0) return false;
    return true;
  }
}

export function partitionKey(topic: string, partition: number): string {
  return `${topic}\u0000${partition}`;
}
