// Followers pull (Kafka's ReplicaFetcherManager and ReplicaFetcherThread): for every partition this broker
// follows, a fetcher for its leader asks for records from the follower's log end offset (which is its
// ack), long-polling for replica.fetch.wait.max.ms, and appends exactly what the leader sent, in order.
// Partitions of one leader are spread over at most num.replica.fetchers fetchers. A partition that has
// just become a follower first truncates by leader epoch (OffsetsForLeaderEpoch, Kafka's KIP-101/279),
// never blindly to its high watermark; the high watermark comes from the leader's fetch responses.
import { ErrorCode } from '@sluice/protocol';
import type { Logger } from 'pino';
import type { PartitionLog } from '../log/index.ts';
import { partitionKey } from './append-waiters.ts';

/** What a follower asks of its leader; the broker implements it over the InterBroker gRPC service. */
export interface LeaderEndpoint {
  fetch(request: {
    replicaId: number;
    maxWaitMs: number;
    minBytes: number;
    maxBytes: number;
    partitions: Array<{
      topic: string;
      partition: number;
      fetchOffset: number;
      currentLeaderEpoch: number;
      partitionMaxBytes: number;
    }>;
  }): Promise<
    Array<{
      topic: string;
      partition: number;
      errorCode: number;
      highWatermark: number;
      logStartOffset: number;
      records: Buffer;
    }>
  >;
  offsetsForLeaderEpoch(request: {
    replicaId: number;
    partitions: Array<{ topic: string; partition: number; currentLeaderEpoch: number; leaderEpoch: number }>;
  }): Promise<
    Array<{ topic: string; partition: number; errorCode: number; leaderEpoch: number; endOffset: number }>
  >;
  close(): void;
}

export interface FetcherConfig {
  brokerId: number;
  numReplicaFetchers: number;
  replicaFetchWaitMaxMs: number;
  replicaFetchMinBytes: number;
  replicaFetchMaxBytes: number;
  replicaFetchResponseMaxBytes: number;
  replicaFetchBackoffMs: number;
}

interface FollowedPartition {
  readonly log: PartitionLog;
  readonly leaderId: number;
  readonly leaderEpoch: number;
  /** Truncation by leader epoch must happen before the first fetch of this leadership. */
  truncating: boolean;
  /** Set when the partition is removed: an answer in flight for it is dropped. */
  removed: boolean;
}

/** Longest pause after a fetch error, so a broken leader costs little and a recovered one is found soon. */
const MAX_BACKOFF_MS = 2_000;

export class ReplicaFetcherManager {
  readonly #config: FetcherConfig;
  readonly #connect: (leaderId: number) => LeaderEndpoint | null;
  readonly #logger: Logger;
  readonly #partitions = new Map<string, FollowedPartition>();
  readonly #fetchers = new Map<string, ReplicaFetcher>();
  #closed = false;

  constructor(options: {
    config: FetcherConfig;
    connect: (leaderId: number) => LeaderEndpoint | null;
    logger: Logger;
  }) {
    this.#config = options.config;
    this.#connect = options.connect;
    this.#logger = options.logger;
  }

  /** Follow `log` from `leaderId` in `leaderEpoch`; a change of leader or epoch starts over (truncation). */
  follow(log: PartitionLog, leaderId: number, leaderEpoch: number): void {
    if (this.#closed) return;
    const key = partitionKey(log.topic, log.partition);
    const known = this.#partitions.get(key);
    if (known && known.leaderId === leaderId && known.leaderEpoch === leaderEpoch && known.log === log)
      return;
    this.unfollow(key);
    const followed: FollowedPartition = { log, leaderId, leaderEpoch, truncating: true, removed: false };
    this.#partitions.set(key, followed);
    const fetcherId = hashString(key) % Math.max(1, this.#config.numReplicaFetchers);
    const fetcherKey = `${leaderId}:${fetcherId}`;
    let fetcher = this.#fetchers.get(fetcherKey);
    if (!fetcher) {
      fetcher = new ReplicaFetcher(leaderId, this.#config, this.#connect, this.#logger);
      this.#fetchers.set(fetcherKey, fetcher);
    }
    fetcher.add(key, followed);
  }

  unfollow(key: string): void {
    const known = this.#partitions.get(key);
    if (!known) return;
    known.removed = true;
    this.#partitions.delete(key);
    for (const fetcher of this.#fetchers.values()) fetcher.remove(key);
  }

  isFollowing(key: string): boolean {
    return this.#partitions.has(key);
  }

  /** Partitions still truncating by leader epoch (for tests and tools). */
  get partitionCount(): number {
    return this.#partitions.size;
  }

  async close(): Promise<void> {
    this.#closed = true;
    for (const key of [...this.#partitions.keys()]) this.unfollow(key);
    await Promise.all([...this.#fetchers.values()].map((fetcher) => fetcher.stop()));
    this.#fetchers.clear();
  }
}

/** One fetch loop for a group of partitions led by the same broker. */
class ReplicaFetcher {
  readonly #leaderId: number;
  readonly #config: FetcherConfig;
  readonly #connect: (leaderId: number) => LeaderEndpoint | null;
  readonly #logger: Logger;
  readonly #partitions = new Map<string, FollowedPartition>();
  #running: Promise<void> | undefined;
  #stopped = false;
  #failures = 0;

  constructor(
    leaderId: number,
    config: FetcherConfig,
    connect: (leaderId: number) => LeaderEndpoint | null,
    logger: Logger,
  ) {
    this.#leaderId = leaderId;
    this.#config = config;
    this.#connect = connect;
    this.#logger = logger.child({ leaderId });
  }

  add(key: string, partition: FollowedPartition): void {
    this.#partitions.set(key, partition);
    this.#ensureRunning();
  }

  /** An idle fetcher (no partitions) has no loop; it costs nothing until a partition comes back. */
  #ensureRunning(): void {
    if (this.#running || this.#stopped) return;
    this.#running = this.#run().finally(() => {
      this.#running = undefined;
      if (this.#partitions.size > 0) this.#ensureRunning();
    });
  }

  remove(key: string): void {
    this.#partitions.delete(key);
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    await this.#running;
  }

  async #run(): Promise<void> {
    // Bounded: each pass is one request with a deadline; the loop ends when no partition is left.
    while (!this.#stopped && this.#partitions.size > 0) {
      const endpoint = this.#connect(this.#leaderId);
      try {
        if (!endpoint) throw new Error(`leader ${this.#leaderId} is not registered`);
        await this.#truncateIfNeeded(endpoint);
        await this.#fetchOnce(endpoint);
        this.#failures = 0;
      } catch (err) {
        this.#failures++;
        if (this.#failures === 1 || this.#failures % 50 === 0)
          this.#logger.warn({ err, failures: this.#failures }, 'replica fetch failed; backing off');
        await sleep(Math.min(MAX_BACKOFF_MS, this.#config.replicaFetchBackoffMs * this.#failures));
      }
    }
  }

  async #truncateIfNeeded(endpoint: LeaderEndpoint): Promise<void> {
    const pending = [...this.#partitions.values()].filter((p) => p.truncating);
    if (pending.length === 0) return;
    const answers = await endpoint.offsetsForLeaderEpoch({
      replicaId: this.#config.brokerId,
      partitions: pending.map((p) => ({
        topic: p.log.topic,
        partition: p.log.partition,
        currentLeaderEpoch: p.leaderEpoch,
        leaderEpoch: p.log.latestEpoch ?? -1,
      })),
    });
    for (const p of pending) {
      if (p.removed) continue;
      const answer = answers.find((a) => a.topic === p.log.topic && a.partition === p.log.partition);
      if (!answer || answer.errorCode !== ErrorCode.NONE) continue; // retried on the next pass
      const log = p.log;
      let target: number;
      if (answer.endOffset < 0) {
        // Nothing known of our epoch (an old log or none): Kafka falls back to the high watermark.
        target = log.highWatermark;
      } else {
        target = answer.endOffset;
        // KIP-279: the leader knows only an older epoch than ours: our own end of that epoch also bounds.
        if (answer.leaderEpoch >= 0 && answer.leaderEpoch !== (log.latestEpoch ?? -1)) {
          target = Math.min(target, log.endOffsetForEpoch(answer.leaderEpoch).endOffset);
        }
      }
      if (target < log.logEndOffset) {
        this.#logger.info(
          {
            topic: log.topic,
            partition: log.partition,
            from: log.logEndOffset,
            to: target,
            leaderEpoch: answer.leaderEpoch,
          },
          'truncating by leader epoch',
        );
        await log.truncateTo(Math.max(0, target));
      }
      p.truncating = false;
    }
  }

  async #fetchOnce(endpoint: LeaderEndpoint): Promise<void> {
    const ready = [...this.#partitions.entries()].filter(([, p]) => !p.truncating && !p.log.isOffline);
    if (ready.length === 0) {
      await sleep(this.#config.replicaFetchBackoffMs);
      return;
    }
    const results = await endpoint.fetch({
      replicaId: this.#config.brokerId,
      maxWaitMs: this.#config.replicaFetchWaitMaxMs,
      minBytes: this.#config.replicaFetchMinBytes,
      maxBytes: this.#config.replicaFetchResponseMaxBytes,
      partitions: ready.map(([, p]) => ({
        topic: p.log.topic,
        partition: p.log.partition,
        fetchOffset: p.log.logEndOffset,
        currentLeaderEpoch: p.leaderEpoch,
        partitionMaxBytes: this.#config.replicaFetchMaxBytes,
      })),
    });
    let backoff = false;
    for (const [key, p] of ready) {
      if (p.removed || this.#partitions.get(key) !== p) continue;
      const result = results.find((r) => r.topic === p.log.topic && r.partition === p.log.partition);
      if (!result) continue;
      const log = p.log;
      if (result.errorCode === ErrorCode.OFFSET_OUT_OF_RANGE) {
        if (log.logEndOffset < result.logStartOffset) {
          // Far behind a leader that deleted old segments: start over at its log start.
          await log.truncateFullyAndStartAt(result.logStartOffset);
        } else {
          p.truncating = true; // ahead of the leader: find the divergence again
        }
        continue;
      }
      if (result.errorCode !== ErrorCode.NONE) {
        // NOT_LEADER_OR_FOLLOWER, FENCED/UNKNOWN_LEADER_EPOCH: the view will move us on; wait a little.
        backoff = true;
        continue;
      }
      if (result.records.length > 0) await log.appendAsFollower(result.records);
      log.setHighWatermark(Math.min(result.highWatermark, log.logEndOffset));
    }
    if (backoff) await sleep(this.#config.replicaFetchBackoffMs);
  }
}

function hashString(value: string): number {
  let hash = 0;
  for (let i = 0; i < value.length; i++) hash = (hash * 31 + value.charCodeAt(i)) | 0;
  return Math.abs(hash);
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
