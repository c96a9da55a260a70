// Fetching for the group's assignment (Kafka's Fetcher): one Fetch in flight per leader broker, for
// every fetchable partition it leads with room in its buffer; completed fetches wait in a buffer of at
// most MAX_BUFFERED_FETCHES results per partition (so at most that many max.partition.fetch.bytes per
// partition), and are drained in chunks of at most max.poll.records. The buffer is double: as soon as
// the application starts on one result, the next is fetched from where it ends, so the application
// rarely waits a round trip (Kafka pipelines its fetches the same way). Every result carries the
// assignment epoch and the offset it was fetched at; one for a revoked partition, or one that does
// not start where the application now is (a seek), is dropped, never handed out.
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
  /** How many of `records` were handed out already. */
  handedOut: number;
  nextOffset: number;
  epoch: number;
}

/** Fetch results buffered per partition: the one being handed out and the next. */
const MAX_BUFFERED_FETCHES = 2;

/** Where the last chunk handed out of a partition ends, while the application works through it. */
interface HandedOut {
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
  /** Per partition (partitionKey), oldest first: at most MAX_BUFFERED_FETCHES, each starting where the one before ends. */
  readonly #completed = new Map<string, CompletedFetch[]>();
  /** Per partition, the last chunk handed out: the next fetch starts at its end. */
  readonly #handedOut = new Map<string, HandedOut>();
  /** Errors to throw to the application (auto.offset.reset 'none' and non-retriable errors). */
  #failure: unknown;
  #backoffUntilMs = 0;
  #sending: Promise<void> | undefined;

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
    this.#handedOut.clear();
  }

  /**
   * The next chunk of buffered records of a partition the application may still get, or undefined when
   * nothing is buffered. Empty chunks move positions past records the application never sees. Handing
   * a chunk out starts the partition's next fetch (without waiting for it) when its buffer has room.
   */
  drain(signal: AbortSignal): FetchedChunk | undefined {
    // The application asks for more: it is done with the chunk it had, wherever it left its position
    // (at the chunk's end, or wherever it seeked), so fetches start from positions again.
    this.#handedOut.clear();
    if (this.#failure !== undefined) {
      const failure = this.#failure;
      this.#failure = undefined;
      throw failure;
    }
    for (const [key, queue] of this.#completed) {
      const fetch = queue[0];
      if (fetch === undefined) {
        this.#completed.delete(key);
        continue;
      }
      const position = this.#state.position(fetch.topic, fetch.partition);
      const stale =
        fetch.epoch !== this.#state.epoch ||
        position !== fetch.fetchOffset ||
        !this.#state.isAssigned(fetch.topic, fetch.partition);
      if (stale) {
        // Everything queued behind it follows on from it: stale too.
        this.#completed.delete(key);
        continue;
      }
      if (this.#state.isPaused(fetch.topic, fetch.partition)) continue;
      // Chunks are sliced from an index: taking them off the front would move the rest every time.
      const records = fetch.records.slice(fetch.handedOut, fetch.handedOut + this.#options.maxPollRecords);
      fetch.handedOut += records.length;
      const last = fetch.handedOut >= fetch.records.length;
      const chunk: FetchedChunk = {
        topic: fetch.topic,
        partition: fetch.partition,
        fromOffset: fetch.fetchOffset,
        records,
        nextOffset: last ? fetch.nextOffset : (fetch.records[fetch.handedOut]?.offset ?? fetch.nextOffset),
        epoch: fetch.epoch,
      };
      if (last) queue.shift();
      else fetch.fetchOffset = chunk.nextOffset;
      if (queue.length === 0) this.#completed.delete(key);
      this.#handedOut.set(key, { nextOffset: chunk.nextOffset, epoch: chunk.epoch });
      this.#prefetch(signal);
      return chunk;
    }
    return undefined;
  }

  /** Sends what can be sent now, in the background; a failure waits in #failure for drain(). */
  #prefetch(signal: AbortSignal): void {
    if (Date.now() < this.#backoffUntilMs || signal.aborted) return;
    this.#send(signal).catch((err: unknown) => {
      this.#failure ??= err;
    });
  }

  /**
   * Where the partition's next fetch starts: after what is buffered, else after the chunk the
   * application is working through (until it asks for the next one), else at its position.
   * Undefined when its buffer is full.
   */
  #nextFetchOffset(key: string, position: number): number | undefined {
    const queue = this.#completed.get(key);
    if (queue !== undefined && queue.length > 0) {
      return queue.length >= MAX_BUFFERED_FETCHES ? undefined : queue[queue.length - 1]!.nextOffset;
    }
    const handedOut = this.#handedOut.get(key);
    return handedOut !== undefined && handedOut.epoch === this.#state.epoch ? handedOut.nextOffset : position;
  }

  /**
   * Sends a Fetch to every leader without one in flight, for its fetchable partitions with room in
   * their buffer; resolves when one completes. False, at once, when nothing is in flight (nothing to
   * fetch, or backing off after an error): the caller waits before asking again.
   */
  async fetchSome(signal: AbortSignal): Promise<boolean> {
    if (Date.now() >= this.#backoffUntilMs) await this.#send(signal);
    if (this.#inFlight.size === 0) return false;
    await Promise.race(this.#inFlight.values());
    return true;
  }

  /** One send at a time: a second caller (prefetch and poll alike) waits for the one under way. */
  #send(signal: AbortSignal): Promise<void> {
    this.#sending ??= this.#sendNow(signal).finally(() => {
      this.#sending = undefined;
    });
    return this.#sending;
  }

  async #sendNow(signal: AbortSignal): Promise<void> {
    const wanted: TopicPartitionOffset[] = [];
    for (const p of this.#state.fetchable()) {
      const offset = this.#nextFetchOffset(partitionKey(p.topic, p.partition), p.offset);
      if (offset !== undefined) wanted.push({ ...p, offset });
    }
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
    const key = partitionKey(topic, partition);
    const position = this.#state.position(topic, partition);
    // The application moved on (seek, revocation) while the fetch was out, or the buffer changed: an
    // answer that does not start where the partition's next fetch would is stale.
    if (position === undefined || this.#nextFetchOffset(key, position) !== fetchOffset) return;
    switch (data.error_code) {
      case ErrorCode.NONE: {
        const decoded = decodeFetchedRecords(topic, partition, data.records, fetchOffset);
        if (decoded.records.length === 0 && decoded.nextOffset === fetchOffset) return;
        const queue = this.#completed.get(key) ?? [];
        queue.push({
          topic,
          partition,
          fetchOffset,
          records: decoded.records,
          handedOut: 0,
          nextOffset: decoded.nextOffset,
          epoch,
        });
        this.#completed.set(key, queue);
        return;
      }
      case ErrorCode.OFFSET_OUT_OF_RANGE:
        // Found again by auto.offset.reset (or NoOffsetForPartition under 'none') before the next fetch;
        // a fetch ahead of the application is only dropped: it asks again once it gets there.
        if (position === fetchOffset) this.#state.outOfRange(topic, partition);
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
