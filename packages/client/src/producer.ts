// The producer, Kafka's KafkaProducer in its parts: send() partitions a record and appends it, encoded,
// to the RecordAccumulator (waiting while buffer.memory is full: back-pressure, never unbounded growth); a
// sender drains ready batches (batch.size, linger.ms, flush, close) into one Produce request per leader
// broker, at most max.in.flight.requests.per.connection at a time per broker; answers resolve each
// record's delivery report with its partition and offset. Retriable errors put the batch back at the
// head of its partition after retry.backoff.ms, with metadata refreshed, until delivery.timeout.ms.
// A partition has at most one batch in flight, so records of a partition keep their order across
// retries.
//
// Two ways to send: `await send(record)` resolves once the record is stored (the sync producer of the
// Kafka tutorials; `send([...])` for many), and `await produce(record, callback)` resolves once the
// record is buffered, its outcome going to the callback (the async producer).
import {
  type CompressionType,
  codecOf,
  ErrorCode,
  type ProduceResponse__Output,
  recordBytesUpperBound,
} from '@sluice/protocol';
import type { ConnectionPool } from './connection-pool.ts';
import {
  ClientClosedError,
  InvalidClientConfigError,
  isRetriable,
  kafkaError,
  RequestTimeoutError,
} from './errors.ts';
import type { ClusterMetadata, TopicInfo } from './metadata.ts';
import { createPartitioner, type PartitionChooser, type PartitionerOption } from './partitioner.ts';
import {
  type DeliveryCallback,
  type ProducerRecord,
  type RecordMetadata,
  toBuffer,
  toRecordHeaders,
} from './producer-record.ts';
import {
  type AppendedRecord,
  type ProducerBatch,
  partitionKey,
  RecordAccumulator,
} from './record-accumulator.ts';
import { delay, withRetries } from './retry.ts';

export type Acks = 0 | 1 | -1 | 'all';

export type { DeliveryCallback, ProducerRecord, RecordMetadata } from './producer-record.ts';

export interface ProducerOptions {
  /** acks: 1 (default here and in Kafka 2.x), 0, or -1/'all'. */
  acks?: Acks;
  /** delivery.timeout.ms: the bound on a send, from send() to its report, retries included. */
  deliveryTimeoutMs?: number;
  /** request.timeout.ms: the bound on one request. */
  requestTimeoutMs?: number;
  /** retry.backoff.ms: the first wait before a retry; doubles per attempt up to 1 s. */
  retryBackoffMs?: number;
  /** partitioner.class: 'default' (murmur2 / sticky), 'round-robin', 'random' or a function. */
  partitioner?: PartitionerOption;
  /** linger.ms: how long a batch that is not full waits for more records. */
  lingerMs?: number;
  /**
   * batch.size: the bytes at which a partition's batch is sent without waiting for linger.ms. A batch
   * the sender cannot take yet (its partition has one in flight) keeps filling up to max.request.size.
   */
  batchSizeBytes?: number;
  /** buffer.memory: bytes of records buffered or in flight; send() waits above it. */
  bufferMemoryBytes?: number;
  /** max.block.ms: the longest send() waits for buffer memory or metadata before it fails. */
  maxBlockMs?: number;
  /** max.in.flight.requests.per.connection */
  maxInFlightRequestsPerConnection?: number;
  /** max.request.size: the largest record (and the bound of one batch) in bytes. */
  maxRequestSizeBytes?: number;
  /** compression.type: 'none', 'gzip', 'snappy', 'lz4' or 'zstd'. */
  compression?: CompressionType;
  /**
   * enable.idempotence: a producer id from the cluster and a sequence number per partition on every
   * batch, so that the leader drops a retried batch it already has and refuses gaps. Needs acks 'all'
   * (the default when enabled).
   */
  enableIdempotence?: boolean;
  /** Called with every record's delivery report, besides its promise or callback. */
  onDelivery?: (err: Error | null, metadata: RecordMetadata | null, record: ProducerRecord) => void;
}

export const PRODUCER_DEFAULTS = {
  acks: 1 as Acks,
  deliveryTimeoutMs: 120_000,
  requestTimeoutMs: 30_000,
  retryBackoffMs: 100,
  lingerMs: 0,
  batchSizeBytes: 16_384,
  bufferMemoryBytes: 33_554_432,
  maxBlockMs: 60_000,
  maxInFlightRequestsPerConnection: 5,
  maxRequestSizeBytes: 1_048_576,
  compression: 'none' as CompressionType,
  enableIdempotence: false,
};

const MAX_SEQUENCE = 0x7fffffff;

/** The longest wait between retries of one batch. */
const MAX_RETRY_BACKOFF_MS = 1_000;

/** What produce() returns once the record is buffered: one settled promise, shared. */
const BUFFERED: Promise<void> = Promise.resolve();

function asError(err: unknown): Error {
  return err instanceof Error ? err : new Error(String(err));
}

/**
 * Runs an application callback. One that throws must not leave the producer's books half-done (other
 * records unreported, memory not given back): its error is rethrown on its own, as an uncaught error.
 */
function guarded(
  callback: (err: Error | null, metadata: RecordMetadata | null) => void,
  err: Error | null,
  metadata: RecordMetadata | null,
): void {
  try {
    callback(err, metadata);
  } catch (thrown) {
    queueMicrotask(() => {
      throw thrown;
    });
  }
}

/** A record that could not be appended at once: it waits, in send order, for metadata or memory. */
interface Waiting {
  record: ProducerRecord;
  callback: DeliveryCallback | undefined;
  deadlineMs: number;
  blockDeadlineMs: number;
  accepted: () => void;
  refused: (err: unknown) => void;
}

export class Producer {
  readonly #pool: ConnectionPool;
  readonly #metadata: ClusterMetadata;
  readonly #acks: number;
  readonly #options: Required<Omit<ProducerOptions, 'acks' | 'partitioner' | 'onDelivery'>>;
  readonly #onDelivery: ProducerOptions['onDelivery'];
  readonly #partitioner: PartitionChooser;
  readonly #accumulator: RecordAccumulator;
  /** Records waiting for metadata or buffer memory, in send order. */
  readonly #waiting: Waiting[] = [];
  #pumping = false;
  #memoryFreed: (() => void) | undefined;
  readonly #inFlightByAddress = new Map<string, number>();
  readonly #inFlightBatches = new Set<ProducerBatch>();
  readonly #metadataRefreshes = new Map<string, Promise<unknown>>();
  readonly #lastRefreshMs = new Map<string, number>();
  #senderScheduled = false;
  #lingerTimer: NodeJS.Timeout | undefined;
  #lingerAtMs = Number.POSITIVE_INFINITY;
  #closing = false;
  /** close({ timeoutMs }) ran out: nothing is retried any more. */
  #abandoned = false;
  #closed: Promise<void> | undefined;
  readonly #idleWaiters: Array<() => void> = [];
  /** Idempotence: the producer id and epoch once InitProducerId answered; the next sequence per partition. */
  #producerId: { id: number; epoch: number } | undefined;
  #producerIdRequest: Promise<void> | undefined;
  readonly #sequences = new Map<string, number>();

  constructor(pool: ConnectionPool, metadata: ClusterMetadata, options: ProducerOptions = {}) {
    this.#pool = pool;
    this.#metadata = metadata;
    const acks = options.acks ?? (options.enableIdempotence === true ? 'all' : PRODUCER_DEFAULTS.acks);
    this.#acks = acks === 'all' ? -1 : acks;
    if (![0, 1, -1].includes(this.#acks))
      throw new InvalidClientConfigError(`acks must be 0, 1, -1 or 'all'`);
    if (options.enableIdempotence === true && this.#acks !== -1) {
      throw new InvalidClientConfigError("enableIdempotence needs acks 'all' (-1), as Kafka's producer does");
    }
    const { acks: _a, partitioner, onDelivery, ...rest } = options;
    this.#options = { ...PRODUCER_DEFAULTS, ...rest };
    for (const [name, value] of Object.entries(this.#options)) {
      if (
        name !== 'compression' &&
        name !== 'enableIdempotence' &&
        (typeof value !== 'number' || !(value >= 0))
      ) {
        throw new InvalidClientConfigError(`${name} must be a non-negative number, got ${String(value)}`);
      }
    }
    if (this.#options.maxInFlightRequestsPerConnection < 1)
      throw new InvalidClientConfigError('maxInFlightRequestsPerConnection must be at least 1');
    codecOf(this.#options.compression);
    this.#onDelivery = onDelivery;
    this.#partitioner = createPartitioner(partitioner);
    this.#accumulator = new RecordAccumulator({
      batchSizeBytes: this.#options.batchSizeBytes,
      maxBatchBytes: this.#options.maxRequestSizeBytes,
      lingerMs: this.#options.lingerMs,
      bufferMemoryBytes: this.#options.bufferMemoryBytes,
      keepRecords: onDelivery !== undefined,
    });
  }

  /** Bytes of records buffered or in flight now (never above bufferMemoryBytes but for one record). */
  get bufferedBytes(): number {
    return this.#accumulator.usedBytes;
  }

  /**
   * Sends and resolves once the record is stored under the configured acks, with its partition and
   * offset; an array resolves with one RecordMetadata per record, in order. Rejects with a typed error.
   */
  send(record: ProducerRecord): Promise<RecordMetadata>;
  send(records: readonly ProducerRecord[]): Promise<RecordMetadata[]>;
  send(input: ProducerRecord | readonly ProducerRecord[]): Promise<RecordMetadata | RecordMetadata[]> {
    if (Array.isArray(input)) {
      return Promise.all((input as readonly ProducerRecord[]).map((r) => this.#sendOne(r)));
    }
    return this.#sendOne(input as ProducerRecord);
  }

  #sendOne(record: ProducerRecord): Promise<RecordMetadata> {
    const { promise, resolve, reject } = Promise.withResolvers<RecordMetadata>();
    const report: DeliveryCallback = (err, metadata) => {
      if (err) reject(err);
      else resolve(metadata!);
    };
    this.#enqueue(record, report, true).catch(() => undefined);
    return promise;
  }

  /**
   * Buffers the record and resolves as soon as it is buffered (waiting while buffer.memory is full, up
   * to max.block.ms); the delivery report goes to `callback` (and to the producer's onDelivery). Rejects
   * only when the record could not be buffered; then no report follows.
   */
  produce(record: ProducerRecord, callback?: DeliveryCallback): Promise<void> {
    return this.#enqueue(record, callback, false);
  }

  /** Appends at once when nothing waits ahead and metadata and memory allow; else the record queues. */
  #enqueue(
    record: ProducerRecord,
    callback: DeliveryCallback | undefined,
    reportRefusal: boolean,
  ): Promise<void> {
    if (this.#closing)
      return this.#refuse(record, callback, reportRefusal, new ClientClosedError('producer'));
    const nowMs = Date.now();
    const deadlineMs = nowMs + this.#options.deliveryTimeoutMs;
    if (this.#waiting.length === 0) {
      try {
        if (this.#tryAppend(record, callback, deadlineMs, nowMs)) return BUFFERED;
      } catch (err) {
        return this.#refuse(record, callback, reportRefusal, err);
      }
    }
    return new Promise<void>((resolve, reject) => {
      this.#waiting.push({
        record,
        callback,
        deadlineMs,
        blockDeadlineMs: nowMs + this.#options.maxBlockMs,
        accepted: resolve,
        refused: (err) => {
          if (reportRefusal) this.#report(callback, asError(err), null, record);
          reject(err);
        },
      });
      void this.#pump();
    });
  }

  /** A record that will not be buffered: send() reports it; produce() only rejects. */
  #refuse(
    record: ProducerRecord,
    callback: DeliveryCallback | undefined,
    reportRefusal: boolean,
    err: unknown,
  ): Promise<void> {
    if (reportRefusal) this.#report(callback, asError(err), null, record);
    return Promise.reject(err);
  }

  /** Appends at once if the topic's metadata is cached and the buffer has room; false otherwise. */
  #tryAppend(
    record: ProducerRecord,
    callback: DeliveryCallback | undefined,
    deadlineMs: number,
    nowMs: number,
  ): boolean {
    const info = this.#metadata.cachedTopic(record.topic, nowMs);
    if (!info) return false;
    const key = toBuffer(record.key);
    const value = toBuffer(record.value);
    const headers = toRecordHeaders(record.headers);
    const maxBytes = recordBytesUpperBound(key, value, headers);
    if (maxBytes > this.#options.maxRequestSizeBytes || maxBytes > this.#options.bufferMemoryBytes) {
      throw kafkaError(
        ErrorCode.MESSAGE_TOO_LARGE,
        `The record is ${maxBytes} bytes, more than max.request.size (${this.#options.maxRequestSizeBytes}) or buffer.memory (${this.#options.bufferMemoryBytes})`,
      );
    }
    if (!this.#accumulator.hasRoomFor(maxBytes)) return false;
    const partitionCount = info.partitions.length;
    const partition = this.#choosePartition(record, key, info);
    const appended: AppendedRecord = {
      timestamp: record.timestamp ?? nowMs,
      key,
      value,
      headers,
      maxBytes,
      callback,
      record,
      deadlineMs,
    };
    if (this.#accumulator.append(record.topic, partition, appended, nowMs)) {
      // The batch is full: it goes as soon as the sender runs, and null keys move to another partition
      // (KIP-480: Kafka moves them when a record would open a new batch).
      this.#partitioner.batchCompleted(record.topic, partition, partitionCount);
      this.#wakeSender();
    } else if (this.#options.lingerMs === 0) {
      this.#wakeSender();
    } else {
      this.#scheduleSender(nowMs + this.#options.lingerMs);
    }
    return true;
  }

  #choosePartition(record: ProducerRecord, key: Buffer | null, info: TopicInfo): number {
    const count = info.partitions.length;
    if (record.partition !== undefined) {
      if (!Number.isInteger(record.partition) || record.partition < 0 || record.partition >= count) {
        throw kafkaError(
          ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
          `Partition ${record.partition} is not in [0, ${count}) for topic ${record.topic}`,
        );
      }
      return record.partition;
    }
    return this.#partitioner.partition(record.topic, key, count);
  }

  /** Works through waiting records in order: metadata first, then buffer memory, bounded by max.block.ms. */
  async #pump(): Promise<void> {
    if (this.#pumping) return;
    this.#pumping = true;
    try {
      while (this.#waiting.length > 0) {
        const head = this.#waiting[0]!;
        try {
          if (!this.#metadata.cachedTopic(head.record.topic)) {
            await withRetries(() => this.#metadata.topic(head.record.topic, { allowAutoCreate: true }), {
              deadlineMs: Math.min(head.blockDeadlineMs, head.deadlineMs),
              backoffMs: this.#options.retryBackoffMs,
              onRetry: () => this.#metadata.invalidate(head.record.topic),
            });
          }
          if (this.#tryAppend(head.record, head.callback, head.deadlineMs, Date.now())) {
            this.#waiting.shift();
            head.accepted();
            continue;
          }
          if (!this.#metadata.cachedTopic(head.record.topic)) continue;
          // No room: wait for a batch to complete, or give up at max.block.ms.
          const remainingMs = head.blockDeadlineMs - Date.now();
          if (remainingMs <= 0) {
            throw new RequestTimeoutError(
              `buffer.memory (${this.#options.bufferMemoryBytes} bytes) stayed full for max.block.ms (${this.#options.maxBlockMs} ms)`,
            );
          }
          const freed = new Promise<void>((resolve) => {
            this.#memoryFreed = resolve;
          });
          const stopWaiting = new AbortController();
          await Promise.race([freed, delay(remainingMs, stopWaiting.signal)]);
          stopWaiting.abort();
        } catch (err) {
          this.#waiting.shift();
          head.refused(err);
        }
      }
    } finally {
      this.#pumping = false;
      this.#checkIdle();
    }
  }

  // -------------------------------------------------------------------------------------------------
  // The sender

  #wakeSender(): void {
    if (this.#senderScheduled) return;
    this.#senderScheduled = true;
    setImmediate(() => {
      this.#senderScheduled = false;
      this.#runSender();
    });
  }

  #scheduleSender(atMs: number): void {
    if (atMs >= this.#lingerAtMs || !Number.isFinite(atMs)) return;
    if (this.#lingerTimer) clearTimeout(this.#lingerTimer);
    this.#lingerAtMs = atMs;
    this.#lingerTimer = setTimeout(
      () => {
        this.#lingerTimer = undefined;
        this.#lingerAtMs = Number.POSITIVE_INFINITY;
        this.#runSender();
      },
      Math.max(0, atMs - Date.now()),
    );
    this.#lingerTimer.unref?.();
  }

  #runSender(): void {
    const nowMs = Date.now();
    const byAddress = new Map<string, ProducerBatch[]>();
    const missingLeader = new Set<string>();
    if (this.#options.enableIdempotence && this.#producerId === undefined) this.#initProducerId();
    const { ready, expired, nextReadyMs } = this.#accumulator.drainReady(nowMs, this.#closing, (batch) => {
      if (this.#options.enableIdempotence && this.#producerId === undefined) return false;
      const address = this.#leaderAddress(batch.topic, batch.partition);
      if (address === undefined) {
        missingLeader.add(batch.topic);
        return false;
      }
      if (!byAddress.has(address)) {
        if ((this.#inFlightByAddress.get(address) ?? 0) >= this.#options.maxInFlightRequestsPerConnection) {
          return false;
        }
        byAddress.set(address, []);
      }
      byAddress.get(address)!.push(batch);
      return true;
    });
    if (ready.length !== [...byAddress.values()].reduce((n, b) => n + b.length, 0)) {
      throw new Error('producer: drained batches and request groups disagree');
    }
    for (const batch of expired) {
      this.#failBatch(
        batch,
        new RequestTimeoutError(
          `Expiring ${batch.recordCount} record(s) for ${batch.topic}-${batch.partition}: delivery.timeout.ms passed`,
        ),
      );
    }
    for (const topic of missingLeader) this.#refreshMetadata(topic);
    for (const batch of ready) {
      // The batch is closed to more records: null keys move on to another partition (KIP-480).
      const count = this.#metadata.cachedTopic(batch.topic)?.partitions.length;
      if (count !== undefined) this.#partitioner.batchCompleted(batch.topic, batch.partition, count);
    }
    for (const [address, batches] of byAddress) void this.#sendRequest(address, batches);
    if (Number.isFinite(nextReadyMs)) this.#scheduleSender(nextReadyMs);
    this.#checkIdle();
  }

  #leaderAddress(topic: string, partition: number): string | undefined {
    const info = this.#metadata.cachedTopic(topic);
    const leader = info?.partitions.find((p) => p.partition === partition)?.leader ?? -1;
    return leader >= 0 ? this.#metadata.brokerAddress(leader) : undefined;
  }

  /** Asks for the topic's metadata again, at most once per retry.backoff.ms per topic. */
  #refreshMetadata(topic: string): void {
    if (this.#metadataRefreshes.has(topic)) return;
    const nowMs = Date.now();
    const notBeforeMs = (this.#lastRefreshMs.get(topic) ?? 0) + this.#options.retryBackoffMs;
    if (nowMs < notBeforeMs) {
      this.#scheduleSender(notBeforeMs);
      return;
    }
    this.#lastRefreshMs.set(topic, nowMs);
    const refresh = this.#metadata
      .refresh([topic], true)
      .catch(() => undefined)
      .finally(() => {
        this.#metadataRefreshes.delete(topic);
        this.#wakeSender();
      });
    this.#metadataRefreshes.set(topic, refresh);
  }

  async #sendRequest(address: string, batches: ProducerBatch[]): Promise<void> {
    this.#inFlightByAddress.set(address, (this.#inFlightByAddress.get(address) ?? 0) + 1);
    let latestDeadlineMs = 0;
    const partitionsByTopic = new Map<string, Array<{ index: number; records: Buffer }>>();
    for (const batch of batches) {
      this.#accumulator.mute(batch.topic, batch.partition);
      this.#inFlightBatches.add(batch);
      batch.attempts++;
      latestDeadlineMs = Math.max(latestDeadlineMs, batch.deadlineMs);
      batch.encoded ??= this.#encode(batch);
      let list = partitionsByTopic.get(batch.topic);
      if (!list) {
        list = [];
        partitionsByTopic.set(batch.topic, list);
      }
      list.push({ index: batch.partition, records: batch.encoded });
    }
    const request = {
      acks: this.#acks,
      timeout_ms: this.#options.requestTimeoutMs,
      topics: [...partitionsByTopic].map(([name, partitions]) => ({ name, partitions })),
    };
    const timeoutMs = Math.max(1, Math.min(this.#options.requestTimeoutMs, latestDeadlineMs - Date.now()));
    try {
      if (this.#acks === 0) {
        // acks=0: Kafka's broker sends no answer and the producer never waits for one.
        for (const batch of batches) this.#completeBatch(batch, -1, -1);
        await this.#pool.call(address, 'Produce', request, timeoutMs).catch(() => undefined);
        return;
      }
      let response: ProduceResponse__Output;
      try {
        response = await this.#pool.call(address, 'Produce', request, timeoutMs);
      } catch (err) {
        for (const batch of batches) this.#retryOrFail(batch, err);
        return;
      }
      const results = new Map<string, ProduceResponse__Output['responses'][number]['partitions'][number]>();
      for (const topic of response.responses) {
        for (const p of topic.partitions) results.set(partitionKey(topic.name, p.index), p);
      }
      for (const batch of batches) {
        const result = results.get(partitionKey(batch.topic, batch.partition));
        if (!result) {
          this.#retryOrFail(
            batch,
            kafkaError(ErrorCode.UNKNOWN_SERVER_ERROR, 'The produce response left out a partition'),
          );
        } else if (result.error_code !== ErrorCode.NONE) {
          this.#retryOrFail(batch, kafkaError(result.error_code, result.error_message || undefined));
        } else {
          this.#completeBatch(batch, Number(result.base_offset), Number(result.log_append_time_ms));
        }
      }
    } finally {
      this.#inFlightByAddress.set(address, (this.#inFlightByAddress.get(address) ?? 1) - 1);
      for (const batch of batches) {
        this.#accumulator.unmute(batch.topic, batch.partition);
        this.#inFlightBatches.delete(batch);
      }
      this.#wakeSender();
    }
  }

  /** Builds a batch once: with idempotence its sequence is fixed here, so a retry sends the same bytes. */
  #encode(batch: ProducerBatch): Buffer {
    const producer = this.#producerId;
    if (!this.#options.enableIdempotence || producer === undefined) {
      return batch.builder.build({ compression: this.#options.compression });
    }
    const key = partitionKey(batch.topic, batch.partition);
    const baseSequence = this.#sequences.get(key) ?? 0;
    const next = baseSequence + batch.recordCount;
    this.#sequences.set(key, next > MAX_SEQUENCE ? next - MAX_SEQUENCE - 1 : next);
    return batch.builder.build({
      compression: this.#options.compression,
      producerId: producer.id,
      producerEpoch: producer.epoch,
      baseSequence,
    });
  }

  /** InitProducerId from any broker, retried with backoff; wakes the sender once the id is known. */
  #initProducerId(): void {
    if (this.#producerIdRequest) return;
    this.#producerIdRequest = (async () => {
      try {
        const response = await withRetries(
          async () => {
            const address = await this.#metadata.anyBrokerAddress();
            const answer = await this.#pool.call(
              address,
              'InitProducerId',
              {},
              this.#options.requestTimeoutMs,
            );
            if (answer.error_code !== ErrorCode.NONE) {
              throw kafkaError(answer.error_code, answer.error_message || undefined);
            }
            return answer;
          },
          { deadlineMs: Date.now() + this.#options.maxBlockMs, backoffMs: this.#options.retryBackoffMs },
        );
        this.#producerId = { id: Number(response.producer_id), epoch: response.producer_epoch };
      } catch (err) {
        // Every buffered batch fails: without a producer id nothing can be sent idempotently.
        for (const batch of this.#accumulator.takeAll()) this.#failBatch(batch, err);
      } finally {
        this.#producerIdRequest = undefined;
        this.#wakeSender();
      }
    })();
  }

  /** The producer id and epoch of an idempotent producer (undefined until its first send completes it). */
  get producerIdAndEpoch(): { producerId: number; producerEpoch: number } | undefined {
    const p = this.#producerId;
    return p === undefined ? undefined : { producerId: p.id, producerEpoch: p.epoch };
  }

  #retryOrFail(batch: ProducerBatch, err: unknown): void {
    const nowMs = Date.now();
    if (!isRetriable(err) || nowMs >= batch.deadlineMs || this.#abandoned) {
      this.#failBatch(batch, err);
      return;
    }
    // A stale leader, a topic being created, a broker that went away: ask for metadata again.
    this.#metadata.invalidate(batch.topic);
    this.#refreshMetadata(batch.topic);
    const backoffMs = Math.min(
      this.#options.retryBackoffMs * 2 ** Math.min(batch.attempts - 1, 10),
      MAX_RETRY_BACKOFF_MS,
    );
    this.#accumulator.reenqueue(batch, nowMs + backoffMs);
    this.#scheduleSender(nowMs + backoffMs);
  }

  #completeBatch(batch: ProducerBatch, baseOffset: number, logAppendTimeMs: number): void {
    this.#accumulator.release(batch);
    const { callbacks, timestamps, records, topic, partition } = batch;
    const onDelivery = this.#onDelivery;
    for (let i = 0; i < callbacks.length; i++) {
      const callback = callbacks[i];
      if (callback === undefined && onDelivery === undefined) continue;
      const metadata: RecordMetadata = {
        topic,
        partition,
        offset: baseOffset < 0 ? -1 : baseOffset + i,
        timestamp: logAppendTimeMs >= 0 ? logAppendTimeMs : timestamps[i]!,
      };
      if (callback !== undefined) guarded(callback, null, metadata);
      if (onDelivery !== undefined) this.#reportTo(onDelivery, null, metadata, records![i]!);
    }
    batch.settle();
    this.#memoryWasFreed();
  }

  #failBatch(batch: ProducerBatch, err: unknown): void {
    this.#accumulator.release(batch);
    const error = asError(err);
    for (let i = 0; i < batch.callbacks.length; i++) {
      this.#report(batch.callbacks[i], error, null, batch.records?.[i]);
    }
    batch.settle();
    this.#memoryWasFreed();
  }

  /** One record's report to its callback and to the producer's onDelivery hook. */
  #report(
    callback: DeliveryCallback | undefined,
    err: Error | null,
    metadata: RecordMetadata | null,
    record: ProducerRecord | undefined,
  ): void {
    if (callback !== undefined) guarded(callback, err, metadata);
    const onDelivery = this.#onDelivery;
    if (onDelivery !== undefined && record !== undefined) this.#reportTo(onDelivery, err, metadata, record);
  }

  #reportTo(
    onDelivery: NonNullable<ProducerOptions['onDelivery']>,
    err: Error | null,
    metadata: RecordMetadata | null,
    record: ProducerRecord,
  ): void {
    guarded((e, m) => onDelivery(e, m, record), err, metadata);
  }

  #memoryWasFreed(): void {
    const wake = this.#memoryFreed;
    this.#memoryFreed = undefined;
    wake?.();
    this.#checkIdle();
  }

  #checkIdle(): void {
    if (this.#idleWaiters.length === 0) return;
    if (this.#waiting.length > 0 || !this.#accumulator.isEmpty || this.#inFlightBatches.size > 0) return;
    for (const resolve of this.#idleWaiters.splice(0)) resolve();
  }

  #whenIdle(): Promise<void> {
    return new Promise((resolve) => {
      this.#idleWaiters.push(resolve);
      this.#checkIdle();
    });
  }

  /**
   * Sends everything buffered now without waiting for linger.ms, and resolves once every record sent
   * before the call has its delivery report (delivered or failed).
   */
  async flush(): Promise<void> {
    this.#accumulator.beginFlush();
    try {
      // Records still waiting for room are part of "sent before": wait until they are buffered.
      const waiting = this.#waiting.map(
        (w) =>
          new Promise<void>((resolve) => {
            const { accepted, refused } = w;
            w.accepted = () => {
              accepted();
              resolve();
            };
            w.refused = (err) => {
              refused(err);
              resolve();
            };
          }),
      );
      this.#wakeSender();
      await Promise.all(waiting);
      const batches = [...this.#accumulator.buffered(), ...this.#inFlightBatches];
      this.#wakeSender();
      await Promise.all(batches.map((b) => b.settled));
    } finally {
      this.#accumulator.endFlush();
    }
  }

  /**
   * Refuses new records, sends everything buffered, and resolves once every record has its delivery
   * report. With `timeoutMs`, records still unsent by then fail with ClientClosedError (records in
   * flight keep their request's outcome): none is dropped silently.
   */
  close(options: { timeoutMs?: number } = {}): Promise<void> {
    if (this.#closed) return this.#closed;
    this.#closing = true;
    this.#closed = (async () => {
      this.#wakeSender();
      const idle = this.#whenIdle();
      if (options.timeoutMs === undefined) {
        await idle;
      } else {
        const timer = Promise.withResolvers<'timeout'>();
        const handle = setTimeout(() => timer.resolve('timeout'), options.timeoutMs);
        const outcome = await Promise.race([idle.then(() => 'idle' as const), timer.promise]);
        clearTimeout(handle);
        if (outcome === 'timeout') {
          const err = new ClientClosedError('producer');
          this.#abandoned = true;
          for (const waiting of this.#waiting.splice(0)) waiting.refused(err);
          for (const batch of this.#accumulator.takeAll()) this.#failBatch(batch, err);
          await Promise.all([...this.#inFlightBatches].map((b) => b.settled));
        }
      }
      if (this.#lingerTimer) clearTimeout(this.#lingerTimer);
    })();
    return this.#closed;
  }
}
