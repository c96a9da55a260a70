// Fetching for the group's assignment (Kafka's Fetcher): one Fetch in flight per leader broker, for
// every fetchable partition it leads that has nothing buffered; completed fetches wait in a buffer
// holding at most one fetch result per partition (so at most max.partition.fetch.bytes per partition
// and fetch.max.bytes per broker), and are drained in chunks of at most max.poll.records. Every
// result carries the assignment epoch and the position it was fetched at, so one for a revoked
// partition or a position the application has since moved (seek) is dropped, never handed out.
import {
  ErrorCode,
  type FetchPartitionData__Output,
  type FetchResponse__Output,
  KafkaError,
} from '@sluice/protocol';
import type { ConnectionPool } from '../connection-pool.ts';
import { isRetriable, kafkaError } from '../errors.ts';
import type { ClusterMetadata } from '../metadata.ts';
import { type ConsumedRecord, decodeFetchedRecords } from '../partition-consumer.ts';
import type { TopicPartitionOffset } from './consumer-group-options.ts';
import { partitionKey, type SubscriptionState } from './subscription-state.ts';

export interface FetcherOptions {
  fetchMinBytes: number;
  fetchMaxWaitMs: number;
  fetchMaxBytes: number;
  maxPartitionFetchBytes: number;
  maxPollRecords: number;
  requestTimeoutMs: number;
  retryBackoffMs: number;
}

/** Records of one partition from one fetch, to hand out in order. */
export interface FetchedChunk {
  topic: string;
  partition: number;
  /** The position the chunk starts at; valid only while the partition's position is still this. */
  fromOffset: number;
  records: ConsumedRecord[];
  /** The position after the chunk (past skipped control or compacted batches on its last chunk). */
  nextOffset: number;
  epoch: number;
}

interface CompletedFetch {
  topic: string;
  partition: number;
  fetchOffset: number;
  records: ConsumedRecord[];
  nextOffset: number;
  epoch: number;
}

export class Fetcher {
  readonly #pool: ConnectionPool;
  readonly #metadata: ClusterMetadata;
  readonly #state: SubscriptionState;
  readonly #options: FetcherOptions;
  /** Leader address -> its fetch in flight. */
  readonly #inFlight = new Map<string, Promise<void>>();
  /** At most one per partition (partitionKey). */
  readonly #completed = new Map<string, CompletedFetch>();
  /** Errors to throw to the application (auto.offset.reset 'none' and non-retriable errors). */
  #failure: unknown;
  #backoffUntilMs = 0;

  constructor(
    pool: ConnectionPool,
    metadata: ClusterMetadata,
    state: SubscriptionState,
    options: FetcherOptions,
  ) {
    this.#pool = pool;
    this.#metadata = metadata;
    this.#state = state;
    this.#options = options;
  }

  /** Drops every buffered result (after a rebalance; in-flight ones are dropped by epoch). */
  clear(): void {
    this.#completed.clear();
  }

  /**
   * The next chunk of buffered records of a partition the application may still get, or undefined when
   * nothing is buffered. Empty chunks move positions past records the application never sees.
   */
  drain(): FetchedChunk | undefined {
    if (this.#failure !== undefined) {
      const failure = this.#failure;
      this.#failure = undefined;
      throw failure;
    }
    for (const [key, fetch] of this.#completed) {
      const position = this.#state.position(fetch.topic, fetch.partition);
      const stale =
        fetch.epoch !== this.#state.epoch ||
        position !== fetch.fetchOffset ||
        !this.#state.isAssigned(fetch.topic, fetch.partition);
      if (stale) {
        this.#completed.delete(key);
        continue;
      }
      if (this.#state.isPaused(fetch.topic, fetch.partition)) continue;
      const records = fetch.records.splice(0, this.#options.maxPollRecords);
      const last = fetch.records.length === 0;
      const chunk: FetchedChunk = {
        topic: fetch.topic,
        partition: fetch.partition,
        fromOffset: fetch.fetchOffset,
        records,
        nextOffset: last ? fetch.nextOffset : (fetch.records[0]?.offset ?? fetch.nextOffset),
        epoch: fetch.epoch,
      };
      if (last) this.#completed.delete(key);
      else fetch.fetchOffset = chunk.nextOffset;
      return chunk;
    }
    return undefined;
  }

  /**
   * Sends a Fetch to every leader without one in flight, for its fetchable partitions with nothing
   * buffered; resolves when one completes. False, at once, when nothing is in flight (nothing to
   * fetch, or backing off after an error): the caller waits before asking again.
   */
  async fetchSome(signal: AbortSignal): Promise<boolean> {
    if (Date.now() >= this.#backoffUntilMs) await this.#send(signal);
    if (this.#inFlight.size === 0) return false;
    await Promise.race(this.#inFlight.values());
    return true;
  }

  async #send(signal: AbortSignal): Promise<void> {
    const wanted = this.#state
      .fetchable()
      .filter((p) => !this.#completed.has(partitionKey(p.topic, p.partition)));
    if (wanted.length === 0) return;
    const byLeader = new Map<string, Array<TopicPartitionOffset & { leaderEpoch: number }>>();
    for (const p of wanted) {
      try {
        const { address, leaderEpoch } = await this.#metadata.leaderAddress(p.topic, p.partition);
        if (this.#inFlight.has(address)) continue;
        const list = byLeader.get(address) ?? [];
        list.push({ ...p, leaderEpoch });
        byLeader.set(address, list);
      } catch (err) {
        if (!isRetriable(err) && !KafkaError.is(err, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION)) throw err;
        this.#metadata.invalidate(p.topic);
        this.#backoffUntilMs = Date.now() + this.#options.retryBackoffMs;
      }
    }
    const epoch = this.#state.epoch;
    for (const [address, partitions] of byLeader) {
      // Never rejects (nobody may be waiting on it): a failure waits in #failure for drain().
      const request = this.#fetch(address, partitions, epoch, signal)
        .catch((err: unknown) => {
          this.#failure ??= err;
        })
        .finally(() => {
          this.#inFlight.delete(address);
        });
      this.#inFlight.set(address, request);
    }
  }

  async #fetch(
    address: string,
    partitions: Array<TopicPartitionOffset & { leaderEpoch: number }>,
    epoch: number,
    signal: AbortSignal,
  ): Promise<void> {
    const byTopic = new Map<string, typeof partitions>();
    for (const p of partitions) byTopic.set(p.topic, [...(byTopic.get(p.topic) ?? []), p]);
    let response: FetchResponse__Output;
    try {
      response = await this.#pool.call(
        address,
        'Fetch',
        {
          replica_id: -1,
          max_wait_ms: this.#options.fetchMaxWaitMs,
          min_bytes: this.#options.fetchMinBytes,
          max_bytes: this.#options.fetchMaxBytes,
          topics: [...byTopic].map(([topic, list]) => ({
            topic,
            partitions: list.map((p) => ({
              partition: p.partition,
              current_leader_epoch: p.leaderEpoch,
              fetch_offset: p.offset,
              partition_max_bytes: this.#options.maxPartitionFetchBytes,
            })),
          })),
        },
        this.#options.requestTimeoutMs + this.#options.fetchMaxWaitMs,
        signal,
      );
    } catch (err) {
      if (signal.aborted) return;
      // The broker is gone or too slow: its partitions' leaders are looked up again.
      for (const topic of byTopic.keys()) this.#metadata.invalidate(topic);
      this.#backoffUntilMs = Date.now() + this.#options.retryBackoffMs;
      if (!isRetriable(err)) this.#failure = err;
      return;
    }
    if (epoch !== this.#state.epoch) return;
    for (const topic of response.responses) {
      for (const data of topic.partitions) {
        const asked = partitions.find((p) => p.topic === topic.topic && p.partition === data.partition_index);
        if (!asked) continue;
        this.#complete(topic.topic, data, asked.offset, epoch);
      }
    }
  }

  #complete(topic: string, data: FetchPartitionData__Output, fetchOffset: number, epoch: number): void {
    const partition = data.partition_index;
    // The application moved on (seek, revocation) while the fetch was out: its answer is stale.
    if (this.#state.position(topic, partition) !== fetchOffset) return;
    switch (data.error_code) {
      case ErrorCode.NONE: {
        const decoded = decodeFetchedRecords(topic, partition, data.records, fetchOffset);
        if (decoded.records.length === 0 && decoded.nextOffset === fetchOffset) return;
        this.#completed.set(partitionKey(topic, partition), {
          topic,
          partition,
          fetchOffset,
          records: decoded.records,
          nextOffset: decoded.nextOffset,
          epoch,
        });
        return;
      }
      case ErrorCode.OFFSET_OUT_OF_RANGE:
        // Found again by auto.offset.reset (or NoOffsetForPartition under 'none') before the next fetch.
        this.#state.outOfRange(topic, partition);
        return;
      default: {
        const err = kafkaError(data.error_code, data.error_message || undefined);
        if (isRetriable(err) || KafkaError.is(err, ErrorCode.FENCED_LEADER_EPOCH)) {
          this.#metadata.invalidate(topic);
          this.#backoffUntilMs = Date.now() + this.#options.retryBackoffMs;
          return;
        }
        this.#failure = err;
      }
    }
  }
}
