// The producer: `send(record)` resolves with the record's partition and offset once the broker has
// stored it under the configured acks, like the sync producer of the Kafka tutorials. Records of one
// call to the same partition travel as one RecordBatch v2, in order; retriable errors (a moved leader,
// a topic still being created) are retried with fresh metadata until delivery.timeout.ms.
import { ErrorCode, encodeRecordBatch, KafkaError, type RecordInput } from '@sluice/protocol';
import type { ConnectionPool } from './connection-pool.ts';
import { ClientClosedError, InvalidClientConfigError } from './errors.ts';
import type { ClusterMetadata } from './metadata.ts';
import { DefaultPartitioner, type Partitioner } from './partitioner.ts';
import { withRetries } from './retry.ts';

export type Acks = 0 | 1 | -1 | 'all';

export interface ProducerRecord {
  topic: string;
  key?: string | Buffer | null;
  value: string | Buffer | null;
  /** Explicit partition; otherwise the partitioner decides. */
  partition?: number;
  headers?: Record<string, string | Buffer | null>;
  /** CreateTime in ms; default now. */
  timestamp?: number;
}

export interface RecordMetadata {
  topic: string;
  partition: number;
  /** -1 with acks=0: the broker does not answer. */
  offset: number;
  timestamp: number;
}

export interface ProducerOptions {
  /** acks: 1 (default here and in Kafka 2.x), 0, or -1/'all'. */
  acks?: Acks;
  /** delivery.timeout.ms: the bound on a send, retries included. */
  deliveryTimeoutMs?: number;
  /** request.timeout.ms: the bound on one request. */
  requestTimeoutMs?: number;
  /** retry.backoff.ms */
  retryBackoffMs?: number;
  /** A custom partitioner; default: Kafka's (murmur2 for keys, sticky for null keys). */
  partitioner?: Partitioner;
}

export const PRODUCER_DEFAULTS = {
  acks: 1 as Acks,
  deliveryTimeoutMs: 120_000,
  requestTimeoutMs: 30_000,
  retryBackoffMs: 100,
};

function toBuffer(value: string | Buffer | null | undefined): Buffer | null {
  if (value === null || value === undefined) return null;
  return typeof value === 'string' ? Buffer.from(value, 'utf8') : value;
}

interface PendingRecord {
  index: number;
  input: RecordInput;
}

export class Producer {
  readonly #pool: ConnectionPool;
  readonly #metadata: ClusterMetadata;
  readonly #acks: number;
  readonly #deliveryTimeoutMs: number;
  readonly #requestTimeoutMs: number;
  readonly #retryBackoffMs: number;
  readonly #defaultPartitioner = new DefaultPartitioner();
  readonly #partitioner: Partitioner | undefined;
  #closed = false;
  readonly #inFlight = new Set<Promise<unknown>>();

  constructor(pool: ConnectionPool, metadata: ClusterMetadata, options: ProducerOptions = {}) {
    this.#pool = pool;
    this.#metadata = metadata;
    const acks = options.acks ?? PRODUCER_DEFAULTS.acks;
    this.#acks = acks === 'all' ? -1 : acks;
    if (![0, 1, -1].includes(this.#acks))
      throw new InvalidClientConfigError(`acks must be 0, 1, -1 or 'all'`);
    this.#deliveryTimeoutMs = options.deliveryTimeoutMs ?? PRODUCER_DEFAULTS.deliveryTimeoutMs;
    this.#requestTimeoutMs = options.requestTimeoutMs ?? PRODUCER_DEFAULTS.requestTimeoutMs;
    this.#retryBackoffMs = options.retryBackoffMs ?? PRODUCER_DEFAULTS.retryBackoffMs;
    this.#partitioner = options.partitioner;
  }

  send(record: ProducerRecord): Promise<RecordMetadata>;
  send(records: readonly ProducerRecord[]): Promise<RecordMetadata[]>;
  send(input: ProducerRecord | readonly ProducerRecord[]): Promise<RecordMetadata | RecordMetadata[]> {
    if (this.#closed) return Promise.reject(new ClientClosedError('producer'));
    const records = Array.isArray(input) ? (input as readonly ProducerRecord[]) : [input as ProducerRecord];
    const sending = this.#sendAll(records);
    this.#inFlight.add(sending);
    void sending.finally(() => this.#inFlight.delete(sending)).catch(() => undefined);
    return Array.isArray(input) ? sending : sending.then((results) => results[0] as RecordMetadata);
  }

  async #sendAll(records: readonly ProducerRecord[]): Promise<RecordMetadata[]> {
    const deadlineMs = Date.now() + this.#deliveryTimeoutMs;
    const results: RecordMetadata[] = new Array(records.length);
    // Group by topic-partition, keeping each partition's records in call order.
    const groups = new Map<string, { topic: string; partition: number; records: PendingRecord[] }>();
    for (const [index, record] of records.entries()) {
      const partition = await this.#choosePartition(record, deadlineMs);
      const key = `${record.topic}\u0000${partition}`;
      let group = groups.get(key);
      if (!group) {
        group = { topic: record.topic, partition, records: [] };
        groups.set(key, group);
      }
      const timestamp = record.timestamp ?? Date.now();
      group.records.push({
        index,
        input: {
          key: toBuffer(record.key),
          value: toBuffer(record.value),
          headers: Object.entries(record.headers ?? {}).map(([k, v]) => ({ key: k, value: toBuffer(v) })),
          timestamp,
        },
      });
    }
    await Promise.all(
      [...groups.values()].map(async (group) => {
        const batch = encodeRecordBatch(group.records.map((r) => r.input));
        const baseOffset = await this.#produceBatch(group.topic, group.partition, batch, deadlineMs);
        for (const [i, pending] of group.records.entries()) {
          results[pending.index] = {
            topic: group.topic,
            partition: group.partition,
            offset: baseOffset < 0 ? -1 : baseOffset + i,
            timestamp: pending.input.timestamp ?? -1,
          };
        }
        if (records[group.records[0]?.index ?? 0]?.key == null) {
          const info = await this.#metadata.topic(group.topic);
          this.#defaultPartitioner.batchCompleted(group.topic, info.partitions.length);
        }
      }),
    );
    return results;
  }

  async #choosePartition(record: ProducerRecord, deadlineMs: number): Promise<number> {
    const info = await withRetries(() => this.#metadata.topic(record.topic, { allowAutoCreate: true }), {
      deadlineMs,
      backoffMs: this.#retryBackoffMs,
      onRetry: () => this.#metadata.invalidate(record.topic),
    });
    const count = info.partitions.length;
    if (record.partition !== undefined) {
      if (!Number.isInteger(record.partition) || record.partition < 0 || record.partition >= count) {
        throw new KafkaError(
          ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
          `Partition ${record.partition} is not in [0, ${count}) for topic ${record.topic}`,
        );
      }
      return record.partition;
    }
    const key = toBuffer(record.key);
    if (this.#partitioner) return this.#partitioner({ topic: record.topic, key, partitionCount: count });
    return this.#defaultPartitioner.partition(record.topic, key, count);
  }

  /** Sends one batch to the partition's leader; resolves with its base offset. */
  async #produceBatch(topic: string, partition: number, batch: Buffer, deadlineMs: number): Promise<number> {
    return withRetries(
      async () => {
        const { address } = await this.#metadata.leaderAddress(topic, partition, true);
        const request = {
          acks: this.#acks,
          timeout_ms: this.#requestTimeoutMs,
          topics: [{ name: topic, partitions: [{ index: partition, records: batch }] }],
        };
        const timeoutMs = Math.max(1, Math.min(this.#requestTimeoutMs, deadlineMs - Date.now()));
        if (this.#acks === 0) {
          // acks=0: Kafka's broker sends no answer and the producer never waits for one.
          this.#pool.call(address, 'Produce', request, timeoutMs).catch(() => undefined);
          return -1;
        }
        const response = await this.#pool.call(address, 'Produce', request, timeoutMs);
        const result = response.responses[0]?.partitions[0];
        if (!result) throw new KafkaError(ErrorCode.UNKNOWN_SERVER_ERROR, 'Empty produce response');
        if (result.error_code !== ErrorCode.NONE) {
          throw new KafkaError(result.error_code, result.error_message || undefined);
        }
        return result.base_offset;
      },
      {
        deadlineMs,
        backoffMs: this.#retryBackoffMs,
        onRetry: () => this.#metadata.invalidate(topic),
      },
    );
  }

  /** Waits for every send in flight, then refuses new ones. */
  async close(): Promise<void> {
    this.#closed = true;
    await Promise.allSettled([...this.#inFlight]);
  }
}
