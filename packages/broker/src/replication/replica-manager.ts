// The partitions this broker holds and the core of produce, fetch and list-offsets, independent of the
// API that carries them (gRPC today, Kafka's wire protocol later). The broker learns its roles from the
// partition state in ZooKeeper (through the MetadataView), which the controller writes: it serves reads
// and writes for the partitions it leads, with the leader epoch of that state, and keeps the logs of the
// partitions it follows. A topic marked for deletion is served no more; the controller's StopReplica
// deletes its logs, and logs of topics that no longer exist at all are deleted on sight.
//
// Replication (Kafka's Partition and ReplicaManager): followers pull through the ReplicaFetcherManager;
// the leader tracks each follower's log end offset (the offset of its last fetch) and when it last
// caught up, keeps the high watermark at the smallest log end offset over the ISR, shrinks the ISR of
// followers lagging past replica.lag.time.max.ms and expands it when they catch up (a conditional write
// of the state znode plus an /isr_change_notification entry), and answers acks=all once the high
// watermark passes the batch.
import {
  IsrChangeNotificationZNode,
  type MetadataView,
  type PartitionView,
  TopicPartitionStateZNode,
  type ZooKeeperClient,
} from '@sluice/coordinator';
import { EARLIEST_TIMESTAMP, ErrorCode, errorInfo, KafkaError, LATEST_TIMESTAMP } from '@sluice/protocol';
import type { Logger } from 'pino';
import type { BrokerConfig } from '../config/index.ts';
import { effectiveTopicConfig } from '../config/index.ts';
import type { LogConfig, LogManager, PartitionLog } from '../log/index.ts';
import { AppendWaiters, partitionKey } from './append-waiters.ts';
import { appendIdempotent } from './idempotence.ts';
import type { ReplicaFetcherManager } from './replica-fetcher-manager.ts';

export interface LeaderIdAndEpoch {
  leaderId: number;
  leaderEpoch: number;
}

export interface ProducePartitionResult {
  errorCode: number;
  errorMessage: string;
  baseOffset: number;
  logAppendTimeMs: number;
  logStartOffset: number;
  currentLeader: LeaderIdAndEpoch;
}

export interface FetchPartitionRequest {
  topic: string;
  partition: number;
  fetchOffset: number;
  partitionMaxBytes: number;
  /** -1: not checked. */
  currentLeaderEpoch: number;
}

export interface FetchPartitionResult {
  topic: string;
  partition: number;
  errorCode: number;
  errorMessage: string;
  highWatermark: number;
  logStartOffset: number;
  records: Buffer;
  currentLeader: LeaderIdAndEpoch;
}

export interface FetchRequest {
  maxWaitMs: number;
  minBytes: number;
  maxBytes: number;
  partitions: FetchPartitionRequest[];
}

export interface ListOffsetResult {
  errorCode: number;
  errorMessage: string;
  timestamp: number;
  offset: number;
  leaderEpoch: number;
}

const EMPTY = Buffer.alloc(0);

interface FollowerState {
  /** The offset of the follower's last fetch (its ack); -1 until it fetches in this leadership. */
  logEndOffset: number;
  /** When the follower last fetched at or past the leader's log end offset (or the one of its previous fetch). */
  lastCaughtUpTimeMs: number;
  lastFetchTimeMs: number;
  lastFetchLeaderLogEndOffset: number;
}

interface HostedPartition {
  log: PartitionLog;
  isLeader: boolean;
  leaderEpoch: number;
  /** As leader: the in-sync replicas, this broker included. */
  isr: number[];
  /** As leader: every other replica's progress. */
  followers: Map<number, FollowerState>;
  /** As leader: the log end offset when this leadership began; a follower must pass it to join the ISR. */
  leaderEpochStartOffset: number;
  /** An ISR change is being written to ZooKeeper. */
  isrUpdating: boolean;
  /** Creation zxid of the topic this log belongs to: a topic created anew under the same name differs. */
  topicZxid: string;
}

/** Told when this broker starts or stops leading a partition (the group coordinator follows its partitions). */
export type LeadershipListener = (change: {
  topic: string;
  partition: number;
  isLeader: boolean;
  leaderEpoch: number;
}) => void;

export interface StopReplicaPartitionResult {
  topic: string;
  partition: number;
  errorCode: number;
}

export class ReplicaManager {
  readonly #brokerId: number;
  readonly #config: BrokerConfig;
  readonly #logs: LogManager;
  readonly #metadata: MetadataView;
  readonly #logger: Logger;
  readonly #hosted = new Map<string, HostedPartition>();
  readonly #waiters = new AppendWaiters();
  /** Partitions the controller stopped and deleted, by key: not opened again for that topic incarnation. */
  readonly #stopped = new Map<string, { topic: string; topicZxid: string }>();
  /** The overrides last applied to each topic's logs, as JSON. */
  readonly #appliedConfigs = new Map<string, string>();
  /** The highest controller epoch heard from: requests of older controllers are refused. */
  #controllerEpoch = -1;
  #reconciling: Promise<void> = Promise.resolve();
  /** A reconciliation queued but not started yet. */
  #pendingReconcile: Promise<void> | undefined;
  #closed = false;
  readonly #fetchers: ReplicaFetcherManager | undefined;
  readonly #zk: (() => ZooKeeperClient) | undefined;
  readonly #isrTimer: NodeJS.Timeout | undefined;
  readonly #leadershipListeners = new Set<LeadershipListener>();

  constructor(options: {
    brokerId: number;
    config: BrokerConfig;
    logManager: LogManager;
    metadata: MetadataView;
    logger: Logger;
    /** Absent: followers do not fetch (single-broker tools and tests). */
    fetchers?: ReplicaFetcherManager;
    /** Absent: the ISR is never changed by this broker. */
    zk?: () => ZooKeeperClient;
  }) {
    this.#brokerId = options.brokerId;
    this.#config = options.config;
    this.#logs = options.logManager;
    this.#metadata = options.metadata;
    this.#logger = options.logger;
    this.#fetchers = options.fetchers;
    this.#zk = options.zk;
    if (this.#zk) {
      // Kafka checks every replica.lag.time.max.ms / 2, so a stuck follower leaves within 1.5 times it.
      const intervalMs = Math.max(100, Math.floor(this.#config.replicaLagTimeMaxMs / 2));
      this.#isrTimer = setInterval(() => void this.#shrinkIsrs(), intervalMs);
      this.#isrTimer.unref();
    }
  }

  /**
   * Applies the partition states in the metadata view: one reconciliation at a time, in order. Calls
   * while one is waiting to start share it (a burst of view changes costs one pass, not one each).
   */
  reconcile(): Promise<void> {
    if (this.#pendingReconcile) return this.#pendingReconcile;
    const pending = this.#serialized(async () => {
      this.#pendingReconcile = undefined;
      await this.#reconcileNow();
    });
    this.#pendingReconcile = pending;
    return pending;
  }

  /** Runs `task` after every reconciliation or stop queued before it, never alongside one. */
  #serialized<T>(task: () => Promise<T>): Promise<T> {
    const result = this.#reconciling.then(task, task);
    this.#reconciling = result.then(
      () => undefined,
      () => undefined,
    );
    return result;
  }

  /**
   * The controller's StopReplica: stop serving the partitions and, with deletePartitions, delete their
   * logs (topic deletion). Refused with STALE_CONTROLLER_EPOCH for an older controller than one heard from.
   */
  async stopReplicas(request: {
    controllerId: number;
    controllerEpoch: number;
    deletePartitions: boolean;
    partitions: ReadonlyArray<{ topic: string; partition: number }>;
  }): Promise<{ errorCode: number; partitions: StopReplicaPartitionResult[] }> {
    if (request.controllerEpoch < this.#controllerEpoch) {
      this.#logger.warn(
        {
          controllerId: request.controllerId,
          controllerEpoch: request.controllerEpoch,
          known: this.#controllerEpoch,
        },
        'ignoring StopReplica from a stale controller',
      );
      return { errorCode: ErrorCode.STALE_CONTROLLER_EPOCH, partitions: [] };
    }
    this.#controllerEpoch = request.controllerEpoch;
    const partitions = await this.#serialized(async () => {
      const results: StopReplicaPartitionResult[] = [];
      for (const { topic, partition } of request.partitions) {
        const key = partitionKey(topic, partition);
        const hosted = this.#hosted.get(key);
        let errorCode: number = ErrorCode.NONE;
        try {
          this.#unhost(key);
          if (request.deletePartitions) {
            const topicZxid = hosted?.topicZxid ?? this.#metadata.topics.get(topic)?.createdZxid ?? '';
            this.#stopped.set(key, { topic, topicZxid });
            await this.#logs.deleteLog(topic, partition);
          }
        } catch (err) {
          this.#logger.error({ err, topic, partition }, 'cannot delete partition log');
          errorCode = err instanceof KafkaError ? err.code : ErrorCode.KAFKA_STORAGE_ERROR;
        }
        results.push({ topic, partition, errorCode });
      }
      return results;
    });
    this.#logger.info(
      {
        controllerId: request.controllerId,
        partitions: partitions.length,
        deleted: request.deletePartitions,
      },
      "stopped replicas at the controller's request",
    );
    return { errorCode: ErrorCode.NONE, partitions };
  }

  /** Calls `listener` on every change of leadership of a partition hosted here, after the change. */
  onLeadershipChange(listener: LeadershipListener): void {
    this.#leadershipListeners.add(listener);
  }

  #emitLeadership(topic: string, partition: number, isLeader: boolean, leaderEpoch: number): void {
    for (const listener of this.#leadershipListeners) {
      try {
        listener({ topic, partition, isLeader, leaderEpoch });
      } catch (err) {
        this.#logger.error({ err, topic, partition }, 'leadership listener failed');
      }
    }
  }

  /**
   * The log of a partition this broker leads, for the broker's own readers (the group coordinator
   * loading __consumer_offsets); undefined when it does not lead it.
   */
  leaderLog(topic: string, partition: number): { log: PartitionLog; leaderEpoch: number } | undefined {
    const hosted = this.#hosted.get(partitionKey(topic, partition));
    return hosted?.isLeader ? { log: hosted.log, leaderEpoch: hosted.leaderEpoch } : undefined;
  }

  /** Stops serving a partition: clients waiting on it get their answer (an error) at once. */
  #unhost(key: string): void {
    const hosted = this.#hosted.get(key);
    if (!hosted) return;
    this.#hosted.delete(key);
    if (hosted.isLeader)
      this.#emitLeadership(hosted.log.topic, hosted.log.partition, false, hosted.leaderEpoch);
    hosted.isLeader = false;
    this.#fetchers?.unfollow(key);
    this.#waiters.notify(key);
  }

  #minInsyncReplicas(topic: string): number {
    const overrides = this.#metadata.topics.get(topic)?.config ?? {};
    return effectiveTopicConfig(this.#config, overrides).minInsyncReplicas;
  }

  logConfigFor(topic: string): LogConfig {
    const overrides = this.#metadata.topics.get(topic)?.config ?? {};
    return effectiveTopicConfig(this.#config, overrides);
  }

  async #reconcileNow(): Promise<void> {
    if (this.#closed) return;
    if (this.#metadata.topicsComplete) await this.#removeDeletedTopics();
    this.#applyConfigChanges();
    for (const topic of this.#metadata.topics.values()) {
      for (const view of topic.partitions.values()) {
        if (!view.replicas.includes(this.#brokerId)) continue;
        const key = partitionKey(view.topic, view.partition);
        const stopped = this.#stopped.get(key);
        if (stopped && stopped.topicZxid !== topic.createdZxid && stopped.topicZxid !== '')
          this.#stopped.delete(key);
        if (topic.markedForDeletion || this.#stopped.has(key)) {
          // Being deleted: serve it no more; its log goes when the controller asks (StopReplica).
          const hosted = this.#hosted.get(key);
          this.#fetchers?.unfollow(key);
          if (hosted?.isLeader) {
            hosted.isLeader = false;
            this.#waiters.notify(key);
            this.#emitLeadership(view.topic, view.partition, false, hosted.leaderEpoch);
          }
          continue;
        }
        let hosted = this.#hosted.get(key);
        try {
          if (!hosted) {
            const log = await this.#logs.getOrCreateLog(
              view.topic,
              view.partition,
              this.logConfigFor(view.topic),
            );
            hosted = {
              log,
              isLeader: false,
              leaderEpoch: -1,
              isr: [],
              followers: new Map(),
              leaderEpochStartOffset: 0,
              isrUpdating: false,
              topicZxid: topic.createdZxid,
            };
            this.#hosted.set(key, hosted);
          }
        } catch (err) {
          this.#logger.error(
            { err, topic: view.topic, partition: view.partition },
            'cannot open partition log',
          );
          continue;
        }
        const isLeader = view.leader === this.#brokerId;
        if (isLeader !== hosted.isLeader || view.leaderEpoch !== hosted.leaderEpoch) {
          this.#logger.info(
            { topic: view.topic, partition: view.partition, leaderEpoch: view.leaderEpoch },
            isLeader ? 'became leader' : 'became follower',
          );
          const wasLeader = hosted.isLeader;
          hosted.isLeader = isLeader;
          hosted.leaderEpoch = view.leaderEpoch;
          if (isLeader) this.#becomeLeader(hosted, view);
          this.#waiters.notify(key);
          if (isLeader || wasLeader)
            this.#emitLeadership(view.topic, view.partition, isLeader, view.leaderEpoch);
        }
        if (isLeader) this.#fetchers?.unfollow(key);
        else if (view.leader >= 0) this.#fetchers?.follow(hosted.log, view.leader, view.leaderEpoch);
        else this.#fetchers?.unfollow(key);
      }
    }
  }

  /**
   * Logs of topics that no longer exist (deleted while this broker watched, or before it started) and of
   * an older topic under a reused name: stop serving them and delete them. Called only with a complete
   * topic list, so a topic missing from it really is gone.
   */
  async #removeDeletedTopics(): Promise<void> {
    const topics = this.#metadata.topics;
    for (const [key, hosted] of [...this.#hosted]) {
      const topic = topics.get(hosted.log.topic);
      if (topic && topic.createdZxid === hosted.topicZxid) continue;
      this.#unhost(key);
      await this.#deleteLog(
        hosted.log.topic,
        hosted.log.partition,
        topic ? 'a new topic of the same name replaced it' : 'its topic was deleted',
      );
    }
    for (const [key, stopped] of [...this.#stopped]) {
      if (!topics.has(stopped.topic)) this.#stopped.delete(key);
    }
    for (const log of [...this.#logs.allLogs()]) {
      const key = partitionKey(log.topic, log.partition);
      if (this.#hosted.has(key)) continue;
      if (topics.has(log.topic) && !this.#stopped.has(key)) continue;
      await this.#deleteLog(log.topic, log.partition, 'its topic does not exist');
    }
    for (const name of [...this.#appliedConfigs.keys()])
      if (!topics.has(name)) this.#appliedConfigs.delete(name);
  }

  async #deleteLog(topic: string, partition: number, reason: string): Promise<void> {
    try {
      await this.#logs.deleteLog(topic, partition);
      this.#logger.info({ topic, partition, reason }, 'deleted partition log');
    } catch (err) {
      this.#logger.error({ err, topic, partition }, 'cannot delete partition log');
    }
  }

  /** A topic's overrides changed (AlterConfigs, /config/topics/<t>): its logs take the new config. */
  #applyConfigChanges(): void {
    for (const topic of this.#metadata.topics.values()) {
      const json = JSON.stringify(topic.config);
      const applied = this.#appliedConfigs.get(topic.name);
      if (applied === json) continue;
      this.#appliedConfigs.set(topic.name, json);
      if (applied === undefined) continue; // first sight: logs open with it
      try {
        this.#logs.updateConfig(topic.name, this.logConfigFor(topic.name));
        this.#logger.info({ topic: topic.name, config: topic.config }, 'topic config changed');
      } catch (err) {
        this.#logger.error(
          { err, topic: topic.name },
          'cannot apply the topic config; keeping the previous one',
        );
      }
    }
  }

  #currentLeader(view: PartitionView | undefined): LeaderIdAndEpoch {
    return { leaderId: view?.leader ?? -1, leaderEpoch: view?.leaderEpoch ?? -1 };
  }

  /** The hosted partition if this broker leads it, else the Kafka error a client should see. */
  #leaderPartition(topic: string, partition: number): HostedPartition {
    const view = this.#metadata.partition(topic, partition);
    if (!view) {
      throw new KafkaError(
        ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
        `Unknown topic or partition ${topic}-${partition}`,
      );
    }
    const hosted = this.#hosted.get(partitionKey(topic, partition));
    if (!hosted?.isLeader || view.leader !== this.#brokerId) {
      throw new KafkaError(
        ErrorCode.NOT_LEADER_OR_FOLLOWER,
        `Broker ${this.#brokerId} is not the leader of ${topic}-${partition} (leader: ${view.leader})`,
      );
    }
    return hosted;
  }

  async appendRecords(
    topic: string,
    partition: number,
    batch: Buffer,
    acks: number,
    timeoutMs: number = this.#config.requestTimeoutMs,
  ): Promise<ProducePartitionResult> {
    const view = this.#metadata.partition(topic, partition);
    const result: ProducePartitionResult = {
      errorCode: ErrorCode.NONE,
      errorMessage: '',
      baseOffset: -1,
      logAppendTimeMs: -1,
      logStartOffset: -1,
      currentLeader: this.#currentLeader(view),
    };
    if (acks !== 0 && acks !== 1 && acks !== -1) {
      return {
        ...result,
        ...errorFields(new KafkaError(ErrorCode.INVALID_REQUIRED_ACKS, `Invalid acks ${acks}`)),
      };
    }
    try {
      const hosted = this.#leaderPartition(topic, partition);
      const minIsr = this.#minInsyncReplicas(topic);
      if (acks === -1 && hosted.isr.length < minIsr) {
        throw new KafkaError(
          ErrorCode.NOT_ENOUGH_REPLICAS,
          `The ISR of ${topic}-${partition} (${hosted.isr.join(',')}) is smaller than min.insync.replicas ${minIsr}`,
        );
      }
      const leaderEpoch = hosted.leaderEpoch;
      const appended = await appendIdempotent(hosted.log, batch, () =>
        hosted.log.appendAsLeader(batch, hosted.leaderEpoch),
      );
      this.#maybeIncrementHighWatermark(hosted, partitionKey(topic, partition));
      this.#waiters.notify(partitionKey(topic, partition));
      result.baseOffset = appended.baseOffset;
      result.logAppendTimeMs = appended.logAppendTimeMs;
      result.logStartOffset = hosted.log.logStartOffset;
      if (acks === -1) {
        await this.#awaitReplication(
          hosted,
          topic,
          partition,
          appended.lastOffset + 1,
          leaderEpoch,
          timeoutMs,
        );
      }
    } catch (err) {
      Object.assign(result, this.#errorFields(err, topic, partition));
    }
    return result;
  }

  async fetch(request: FetchRequest, signal?: AbortSignal): Promise<FetchPartitionResult[]> {
    const deadline = Date.now() + Math.max(0, request.maxWaitMs);
    const keys = request.partitions.map((p) => partitionKey(p.topic, p.partition));
    // Bounded: each pass either answers or waits until the deadline or the next append.
    for (;;) {
      const results = await this.#readOnce(request);
      const bytes = results.reduce((sum, r) => sum + r.records.length, 0);
      const hasError = results.some((r) => r.errorCode !== ErrorCode.NONE);
      const remainingMs = deadline - Date.now();
      if (bytes >= request.minBytes || hasError || remainingMs <= 0 || signal?.aborted || this.#closed) {
        return results;
      }
      await this.#waiters.wait(keys, remainingMs, signal);
    }
  }

  async #readOnce(request: FetchRequest, fromFollower = false): Promise<FetchPartitionResult[]> {
    let budget = request.maxBytes;
    const results: FetchPartitionResult[] = [];
    for (const p of request.partitions) {
      const view = this.#metadata.partition(p.topic, p.partition);
      const result: FetchPartitionResult = {
        topic: p.topic,
        partition: p.partition,
        errorCode: ErrorCode.NONE,
        errorMessage: '',
        highWatermark: -1,
        logStartOffset: -1,
        records: EMPTY,
        currentLeader: this.#currentLeader(view),
      };
      try {
        const hosted = this.#leaderPartition(p.topic, p.partition);
        if (p.currentLeaderEpoch >= 0 && p.currentLeaderEpoch !== hosted.leaderEpoch) {
          throw new KafkaError(
            p.currentLeaderEpoch < hosted.leaderEpoch
              ? ErrorCode.FENCED_LEADER_EPOCH
              : ErrorCode.UNKNOWN_LEADER_EPOCH,
            `Leader epoch ${p.currentLeaderEpoch} does not match ${hosted.leaderEpoch}`,
          );
        }
        const log = hosted.log;
        result.highWatermark = log.highWatermark;
        result.logStartOffset = log.logStartOffset;
        // Kafka returns at least one whole batch to make progress, even past the budget, but only
        // for the first partition that has data.
        const limit = Math.min(p.partitionMaxBytes, budget);
        // Followers copy up to the log end offset; consumers see only what the ISR has.
        const readableEnd = fromFollower ? log.logEndOffset : log.highWatermark;
        if (p.fetchOffset < readableEnd && (limit > 0 || results.every((r) => r.records.length === 0))) {
          const read = await log.read(p.fetchOffset, Math.max(limit, 1), readableEnd);
          result.records = read.records;
          budget -= read.records.length;
        } else if (p.fetchOffset > log.logEndOffset || p.fetchOffset < log.logStartOffset) {
          throw new KafkaError(
            ErrorCode.OFFSET_OUT_OF_RANGE,
            `Offset ${p.fetchOffset} is out of range [${log.logStartOffset}, ${log.logEndOffset}] for ${p.topic}-${p.partition}`,
          );
        }
      } catch (err) {
        Object.assign(result, this.#errorFields(err, p.topic, p.partition));
      }
      results.push(result);
    }
    return results;
  }

  /**
   * acks=all: waits until the high watermark reaches `requiredOffset` (Kafka's DelayedProduce), bounded by
   * the request's timeout. The ISR shrinking below min.insync.replicas meanwhile answers
   * NOT_ENOUGH_REPLICAS_AFTER_APPEND; losing the leadership answers NOT_LEADER_OR_FOLLOWER.
   */
  async #awaitReplication(
    hosted: HostedPartition,
    topic: string,
    partition: number,
    requiredOffset: number,
    leaderEpoch: number,
    timeoutMs: number,
  ): Promise<void> {
    const key = partitionKey(topic, partition);
    const deadline = Date.now() + Math.max(0, timeoutMs);
    // Bounded by the deadline: every pass waits for the next change of the partition or the deadline.
    for (;;) {
      if (!hosted.isLeader || hosted.leaderEpoch !== leaderEpoch || this.#hosted.get(key) !== hosted) {
        throw new KafkaError(
          ErrorCode.NOT_LEADER_OR_FOLLOWER,
          `Broker ${this.#brokerId} lost the leadership of ${topic}-${partition} before the batch was replicated`,
        );
      }
      if (hosted.log.highWatermark >= requiredOffset) {
        const minIsr = this.#minInsyncReplicas(topic);
        if (hosted.isr.length < minIsr) {
          throw new KafkaError(
            ErrorCode.NOT_ENOUGH_REPLICAS_AFTER_APPEND,
            `The ISR of ${topic}-${partition} shrank below min.insync.replicas ${minIsr} while waiting`,
          );
        }
        return;
      }
      const remainingMs = deadline - Date.now();
      if (remainingMs <= 0 || this.#closed) {
        throw new KafkaError(
          ErrorCode.REQUEST_TIMED_OUT,
          `The batch was not replicated to the ISR of ${topic}-${partition} within ${timeoutMs} ms`,
        );
      }
      await this.#waiters.wait([key], remainingMs);
    }
  }

  #becomeLeader(hosted: HostedPartition, view: PartitionView): void {
    const nowMs = Date.now();
    hosted.isr = [...view.isr];
    hosted.leaderEpochStartOffset = hosted.log.logEndOffset;
    const followers = new Map<number, FollowerState>();
    for (const id of view.replicas) {
      if (id === this.#brokerId) continue;
      followers.set(id, {
        logEndOffset: -1,
        lastCaughtUpTimeMs: nowMs,
        lastFetchTimeMs: nowMs,
        lastFetchLeaderLogEndOffset: -1,
      });
    }
    hosted.followers = followers;
    this.#maybeIncrementHighWatermark(hosted, partitionKey(view.topic, view.partition));
  }

  /** HW = min log end offset over the ISR; it never goes back. Wakes fetches and acks=all waits. */
  #maybeIncrementHighWatermark(hosted: HostedPartition, key: string): void {
    if (!hosted.isLeader) return;
    let candidate = hosted.log.logEndOffset;
    for (const id of hosted.isr) {
      if (id === this.#brokerId) continue;
      const follower = hosted.followers.get(id);
      candidate = Math.min(candidate, follower ? follower.logEndOffset : -1);
    }
    if (candidate > hosted.log.highWatermark) {
      hosted.log.setHighWatermark(candidate);
      this.#waiters.notify(key);
    }
  }

  /**
   * A follower's fetch (InterBroker ReplicaFetch): its fetch offset is its ack. Reads up to the log end
   * offset (followers copy what the leader has, committed or not); long-polls like a consumer fetch.
   */
  async replicaFetch(
    replicaId: number,
    request: FetchRequest,
    signal?: AbortSignal,
  ): Promise<FetchPartitionResult[]> {
    const nowMs = Date.now();
    for (const p of request.partitions) {
      const hosted = this.#hosted.get(partitionKey(p.topic, p.partition));
      if (!hosted?.isLeader || (p.currentLeaderEpoch >= 0 && p.currentLeaderEpoch !== hosted.leaderEpoch))
        continue;
      this.#updateFollower(hosted, p.topic, p.partition, replicaId, p.fetchOffset, nowMs);
    }
    const deadline = Date.now() + Math.max(0, request.maxWaitMs);
    const keys = request.partitions.map((p) => partitionKey(p.topic, p.partition));
    // Bounded: each pass either answers or waits until the deadline or the next change.
    for (;;) {
      const results = await this.#readOnce(request, true);
      const bytes = results.reduce((sum, r) => sum + r.records.length, 0);
      const hasError = results.some((r) => r.errorCode !== ErrorCode.NONE);
      const remainingMs = deadline - Date.now();
      if (
        bytes >= request.minBytes ||
        bytes > 0 ||
        hasError ||
        remainingMs <= 0 ||
        signal?.aborted ||
        this.#closed
      ) {
        return results;
      }
      await this.#waiters.wait(keys, remainingMs, signal);
    }
  }

  #updateFollower(
    hosted: HostedPartition,
    topic: string,
    partition: number,
    replicaId: number,
    fetchOffset: number,
    nowMs: number,
  ): void {
    const follower = hosted.followers.get(replicaId);
    if (!follower) return; // not a replica of this partition
    const leaderEnd = hosted.log.logEndOffset;
    // Kafka's Replica.updateFetchState: caught up to the leader's end now, or to where it was last time.
    if (fetchOffset >= leaderEnd) follower.lastCaughtUpTimeMs = nowMs;
    else if (fetchOffset >= follower.lastFetchLeaderLogEndOffset && follower.lastFetchLeaderLogEndOffset >= 0)
      follower.lastCaughtUpTimeMs = Math.max(follower.lastCaughtUpTimeMs, follower.lastFetchTimeMs);
    follower.logEndOffset = Math.min(fetchOffset, leaderEnd);
    follower.lastFetchTimeMs = nowMs;
    follower.lastFetchLeaderLogEndOffset = leaderEnd;
    const key = partitionKey(topic, partition);
    if (
      !hosted.isr.includes(replicaId) &&
      follower.logEndOffset >= hosted.log.highWatermark &&
      follower.logEndOffset >= hosted.leaderEpochStartOffset
    ) {
      void this.#updateIsr(hosted, topic, partition, [...hosted.isr, replicaId]);
    }
    this.#maybeIncrementHighWatermark(hosted, key);
  }

  /** Kafka's OffsetsForLeaderEpoch, answered by the leader. */
  offsetsForLeaderEpoch(
    partitions: ReadonlyArray<{
      topic: string;
      partition: number;
      currentLeaderEpoch: number;
      leaderEpoch: number;
    }>,
  ): Array<{ topic: string; partition: number; errorCode: number; leaderEpoch: number; endOffset: number }> {
    return partitions.map((p) => {
      try {
        const hosted = this.#leaderPartition(p.topic, p.partition);
        if (p.currentLeaderEpoch >= 0 && p.currentLeaderEpoch !== hosted.leaderEpoch) {
          throw new KafkaError(
            p.currentLeaderEpoch < hosted.leaderEpoch
              ? ErrorCode.FENCED_LEADER_EPOCH
              : ErrorCode.UNKNOWN_LEADER_EPOCH,
            `Leader epoch ${p.currentLeaderEpoch} does not match ${hosted.leaderEpoch}`,
          );
        }
        const answer = hosted.log.endOffsetForEpoch(p.leaderEpoch);
        return {
          topic: p.topic,
          partition: p.partition,
          errorCode: ErrorCode.NONE,
          leaderEpoch: answer.epoch,
          endOffset: answer.endOffset,
        };
      } catch (err) {
        const { errorCode } = this.#errorFields(err, p.topic, p.partition);
        return { topic: p.topic, partition: p.partition, errorCode, leaderEpoch: -1, endOffset: -1 };
      }
    });
  }

  /** Takes followers that have not caught up within replica.lag.time.max.ms out of the ISR. */
  async #shrinkIsrs(): Promise<void> {
    if (this.#closed) return;
    const nowMs = Date.now();
    for (const [key, hosted] of this.#hosted) {
      if (!hosted.isLeader || hosted.isrUpdating) continue;
      const lagging = hosted.isr.filter((id) => {
        if (id === this.#brokerId) return false;
        const follower = hosted.followers.get(id);
        return !follower || nowMs - follower.lastCaughtUpTimeMs > this.#config.replicaLagTimeMaxMs;
      });
      if (lagging.length === 0) continue;
      const { topic, partition } = hosted.log;
      this.#logger.info({ topic, partition, lagging, key }, 'shrinking the ISR');
      await this.#updateIsr(
        hosted,
        topic,
        partition,
        hosted.isr.filter((id) => !lagging.includes(id)),
      );
    }
  }

  /**
   * Writes a new ISR to the partition state znode, conditional on its version and on the state still
   * naming this broker as leader in this epoch (else the controller moved on, and the view will follow),
   * then notifies the controller through /isr_change_notification.
   */
  async #updateIsr(hosted: HostedPartition, topic: string, partition: number, isr: number[]): Promise<void> {
    if (!this.#zk || hosted.isrUpdating || !hosted.isLeader) return;
    hosted.isrUpdating = true;
    const leaderEpoch = hosted.leaderEpoch;
    try {
      const zk = this.#zk();
      const path = TopicPartitionStateZNode.path(topic, partition);
      const node = await zk.getData(path);
      if (!node) return;
      const state = TopicPartitionStateZNode.decode(topic, partition, node.data);
      if (state.leader !== this.#brokerId || state.leaderEpoch !== leaderEpoch) return;
      if (!hosted.isLeader || hosted.leaderEpoch !== leaderEpoch) return;
      await zk.setData(path, TopicPartitionStateZNode.encode({ ...state, isr }), node.stat.version);
      await zk.create(
        IsrChangeNotificationZNode.sequencePrefix,
        IsrChangeNotificationZNode.encode([{ topic, partition }]),
        'persistent_sequential',
      );
      if (hosted.isLeader && hosted.leaderEpoch === leaderEpoch) {
        this.#logger.info({ topic, partition, from: hosted.isr, to: isr }, 'ISR changed');
        hosted.isr = isr;
        this.#maybeIncrementHighWatermark(hosted, partitionKey(topic, partition));
        this.#waiters.notify(partitionKey(topic, partition));
      }
    } catch (err) {
      // BAD_VERSION (the controller wrote meanwhile) or ZooKeeper trouble: the next check tries again.
      this.#logger.warn({ err, topic, partition, isr }, 'cannot update the ISR');
    } finally {
      hosted.isrUpdating = false;
    }
  }

  async listOffset(topic: string, partition: number, timestamp: number): Promise<ListOffsetResult> {
    const result: ListOffsetResult = {
      errorCode: ErrorCode.NONE,
      errorMessage: '',
      timestamp: -1,
      offset: -1,
      leaderEpoch: -1,
    };
    try {
      const hosted = this.#leaderPartition(topic, partition);
      result.leaderEpoch = hosted.leaderEpoch;
      if (timestamp === LATEST_TIMESTAMP) result.offset = hosted.log.highWatermark;
      else if (timestamp === EARLIEST_TIMESTAMP) result.offset = hosted.log.logStartOffset;
      else {
        const found = await hosted.log.offsetForTimestamp(timestamp);
        if (found !== null && found.offset < hosted.log.highWatermark) {
          result.offset = found.offset;
          result.timestamp = found.timestamp;
        }
      }
    } catch (err) {
      Object.assign(result, this.#errorFields(err, topic, partition));
    }
    return result;
  }

  #errorFields(err: unknown, topic: string, partition: number): { errorCode: number; errorMessage: string } {
    if (err instanceof KafkaError) return errorFields(err);
    this.#logger.error({ err, topic, partition }, 'unexpected error serving partition');
    return {
      errorCode: ErrorCode.UNKNOWN_SERVER_ERROR,
      errorMessage: errorInfo(ErrorCode.UNKNOWN_SERVER_ERROR).message,
    };
  }

  close(): void {
    this.#closed = true;
    if (this.#isrTimer) clearInterval(this.#isrTimer);
    void this.#fetchers?.close();
    this.#waiters.notifyAll();
  }
}

function errorFields(err: KafkaError): { errorCode: number; errorMessage: string } {
  return { errorCode: err.code, errorMessage: err.message };
}
