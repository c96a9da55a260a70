// A consumer of one partition (Kafka's assign() without a group): starts at the oldest or newest offset,
// a given one, or the first record at or after a timestamp (ListOffsets by time), long-polls the leader
// and yields records in offset order through `for await`. Only records below the high watermark are
// ever returned by the broker. pause() holds the iteration without losing the position; a moved
// leader (NOT_LEADER_OR_FOLLOWER, FENCED_LEADER_EPOCH, a broker gone) is found again through fresh
// metadata; OFFSET_OUT_OF_RANGE follows auto.offset.reset.
import {
  batchesIn,
  EARLIEST_TIMESTAMP,
  ErrorCode,
  forEachRecord,
  KafkaError,
  LATEST_TIMESTAMP,
  type RecordSink,
} from '@sluice/protocol';
import type { ConnectionPool } from './connection-pool.ts';
import { ClientClosedError, InvalidClientConfigError, isRetriable, kafkaError } from './errors.ts';
import type { ClusterMetadata } from './metadata.ts';
import { delay } from './retry.ts';

export interface ConsumedRecord {
  topic: string;
  partition: number;
  offset: number;
  timestamp: number;
  key: Buffer | null;
  value: Buffer | null;
  headers: Array<{ key: string; value: Buffer | null }>;
}

/** 'oldest', 'newest', an offset, or the first record whose timestamp is >= `timestamp` (ms). */
export type StartOffset = 'oldest' | 'newest' | number | { timestamp: number };

export interface PartitionConsumerOptions {
  topic: string;
  partition: number;
  /**
   * Where to start: 'oldest' (earliest), 'newest' (latest: only new records), an offset, or
   * `{ timestamp }`: the first record at or after it (the log end if there is none).
   */
  from?: StartOffset;
  /** auto.offset.reset, when the position falls outside the log: 'earliest', 'latest' or 'none' (throw). */
  autoOffsetReset?: 'earliest' | 'latest' | 'none';
  /** fetch.max.wait.ms */
  maxWaitMs?: number;
  /** fetch.min.bytes */
  minBytes?: number;
  /** max.partition.fetch.bytes */
  maxPartitionFetchBytes?: number;
  requestTimeoutMs?: number;
  retryBackoffMs?: number;
}

export const CONSUMER_DEFAULTS = {
  autoOffsetReset: 'latest' as const,
  maxWaitMs: 500,
  minBytes: 1,
  maxPartitionFetchBytes: 1_048_576,
  requestTimeoutMs: 30_000,
  retryBackoffMs: 100,
};

export class PartitionConsumer implements AsyncIterable<ConsumedRecord> {
  readonly topic: string;
  readonly partition: number;
  readonly #pool: ConnectionPool;
  readonly #metadata: ClusterMetadata;
  readonly #options: Required<Omit<PartitionConsumerOptions, 'from'>> & { from: StartOffset };
  readonly #abort = new AbortController();
  #position: number | undefined;
  #closed = false;
  #paused: { promise: Promise<void>; resolve: () => void } | undefined;

  constructor(pool: ConnectionPool, metadata: ClusterMetadata, options: PartitionConsumerOptions) {
    this.#pool = pool;
    this.#metadata = metadata;
    this.topic = options.topic;
    this.partition = options.partition;
    const from = options.from ?? 'newest';
    if (typeof from === 'number' && (!Number.isInteger(from) || from < 0)) {
      throw new InvalidClientConfigError(`Start offset must be a non-negative integer, got ${from}`);
    }
    if (typeof from === 'object' && (!Number.isSafeInteger(from.timestamp) || from.timestamp < 0)) {
      throw new InvalidClientConfigError(
        `Start timestamp must be a non-negative integer, got ${from.timestamp}`,
      );
    }
    this.#options = {
      ...CONSUMER_DEFAULTS,
      ...options,
      from,
    } as Required<Omit<PartitionConsumerOptions, 'from'>> & { from: StartOffset };
  }

  /** The offset of the next record to be returned (undefined before the first fetch resolves it). */
  get position(): number | undefined {
    return this.#position;
  }

  /** Moves the position to an offset, or to where a StartOffset resolves; the next fetch reads from there. */
  seek(offset: StartOffset): void {
    if (typeof offset === 'number') this.#position = offset;
    else {
      this.#position = undefined;
      this.#options.from = offset;
    }
  }

  /** Stops fetching; the iteration waits (without losing its position) until resume() or close(). */
  pause(): void {
    if (this.#paused || this.#closed) return;
    const { promise, resolve } = Promise.withResolvers<void>();
    this.#paused = { promise, resolve };
  }

  resume(): void {
    const paused = this.#paused;
    this.#paused = undefined;
    paused?.resolve();
  }

  get paused(): boolean {
    return this.#paused !== undefined;
  }

  [Symbol.asyncIterator](): AsyncIterator<ConsumedRecord> {
    return this.records()[Symbol.asyncIterator]();
  }

  /** Records one at a time, until close(). */
  async *records(): AsyncGenerator<ConsumedRecord> {
    for await (const batch of this.batches()) yield* batch;
  }

  /** Records as the broker returned them, a fetch at a time (empty fetches are skipped). */
  async *batches(): AsyncGenerator<ConsumedRecord[]> {
    while (!this.#closed) {
      if (this.#paused) {
        await this.#paused.promise;
        continue;
      }
      const records = await this.#fetchOnce();
      if (records.length > 0) yield records;
    }
  }

  async #fetchOnce(): Promise<ConsumedRecord[]> {
    // A topic that metadata does not know is a mistake to report, not to wait out (the producer is the
    // one that may create topics); once fetching, the same error means a moving leader and is retried.
    let stage: 'metadata' | 'fetch' = 'metadata';
    try {
      if (this.#position === undefined) this.#position = await this.#resolveStart(this.#options.from);
      const { address, leaderEpoch } = await this.#metadata.leaderAddress(this.topic, this.partition);
      stage = 'fetch';
      const response = await this.#pool.call(
        address,
        'Fetch',
        {
          replica_id: -1,
          max_wait_ms: this.#options.maxWaitMs,
          min_bytes: this.#options.minBytes,
          max_bytes: this.#options.maxPartitionFetchBytes,
          topics: [
            {
              topic: this.topic,
              partitions: [
                {
                  partition: this.partition,
                  current_leader_epoch: leaderEpoch,
                  fetch_offset: this.#position,
                  partition_max_bytes: this.#options.maxPartitionFetchBytes,
                },
              ],
            },
          ],
        },
        this.#options.requestTimeoutMs + this.#options.maxWaitMs,
        this.#abort.signal,
      );
      const data = response.responses[0]?.partitions[0];
      if (!data) return [];
      if (data.error_code !== ErrorCode.NONE)
        throw kafkaError(data.error_code, data.error_message || undefined);
      return this.#decode(data.records);
    } catch (err) {
      if (this.#closed) return [];
      if (stage === 'metadata' && KafkaError.is(err, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION)) throw err;
      if (KafkaError.is(err, ErrorCode.OFFSET_OUT_OF_RANGE)) {
        const reset = this.#options.autoOffsetReset;
        if (reset === 'none') throw err;
        this.#position = await this.#resolveStart(reset === 'earliest' ? 'oldest' : 'newest');
        return [];
      }
      if (!isRetriable(err) && !KafkaError.is(err, ErrorCode.FENCED_LEADER_EPOCH)) throw err;
      this.#metadata.invalidate(this.topic);
      await delay(this.#options.retryBackoffMs, this.#abort.signal);
      return [];
    }
  }

  #decode(records: Buffer): ConsumedRecord[] {
    const decoded = decodeFetchedRecords(this.topic, this.partition, records, this.#position ?? 0);
    this.#position = decoded.nextOffset;
    return decoded.records;
  }

  async #resolveStart(from: StartOffset): Promise<number> {
    if (typeof from === 'number') return from;
    if (typeof from === 'object') {
      const offset = await this.#listOffset(from.timestamp);
      // No record at or after the timestamp: Kafka answers -1; start at the end, as its consumer does.
      return offset >= 0 ? offset : this.#listOffset(LATEST_TIMESTAMP);
    }
    return this.#listOffset(from === 'oldest' ? EARLIEST_TIMESTAMP : LATEST_TIMESTAMP);
  }

  #listOffset(timestamp: number): Promise<number> {
    return listOffset(this.#pool, this.#metadata, {
      topic: this.topic,
      partition: this.partition,
      timestamp,
      timeoutMs: this.#options.requestTimeoutMs,
      signal: this.#abort.signal,
    });
  }

  /** Stops the iteration: a long-poll in flight is cancelled. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#abort.abort(new ClientClosedError('consumer'));
    this.resume();
  }
}

// Shared with the consumer group's fetcher: the decoding of a fetched partition and the ListOffsets
// lookup, so both consumers read the log the same way.

/**
 * The records of one partition's fetched bytes at or after `position`, and the offset to fetch next
 * (past the last batch, so batches of control or compacted-away records still move the position).
 */
export function decodeFetchedRecords(
  topic: string,
  partition: number,
  records: Buffer,
  position: number,
): { records: ConsumedRecord[]; nextOffset: number } {
  const out: ConsumedRecord[] = [];
  const sink: RecordSink = (offset, timestamp, key, value, headers) => {
    // A batch may start before the position asked for: skip what was already returned.
    if (offset >= position) out.push({ topic, partition, offset, timestamp, key, value, headers });
  };
  let next = position;
  for (const { position: at, header } of batchesIn(records)) {
    forEachRecord(records, at, sink);
    next = Math.max(next, header.baseOffset + header.lastOffsetDelta + 1);
  }
  return { records: out, nextOffset: next };
}

/** The partition's offset for a timestamp (EARLIEST_TIMESTAMP, LATEST_TIMESTAMP or a time), from its leader. */
export async function listOffset(
  pool: ConnectionPool,
  metadata: ClusterMetadata,
  request: { topic: string; partition: number; timestamp: number; timeoutMs: number; signal?: AbortSignal },
): Promise<number> {
  const { address } = await metadata.leaderAddress(request.topic, request.partition);
  const response = await pool.call(
    address,
    'ListOffsets',
    {
      replica_id: -1,
      topics: [
        {
          name: request.topic,
          partitions: [{ partition_index: request.partition, timestamp: request.timestamp }],
        },
      ],
    },
    request.timeoutMs,
    request.signal,
  );
  const result = response.topics[0]?.partitions[0];
  if (!result) throw kafkaError(ErrorCode.UNKNOWN_SERVER_ERROR, 'Empty ListOffsets response');
  if (result.error_code !== ErrorCode.NONE)
    throw kafkaError(result.error_code, result.error_message || undefined);
  return Number(result.offset);
}
