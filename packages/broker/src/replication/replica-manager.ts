// The partitions this broker holds and the core of produce, fetch and list-offsets, independent of the
// API that carries them (gRPC today, Kafka's wire protocol later). The broker learns its roles from the
// partition state in ZooKeeper (through the MetadataView), which the controller writes: it serves reads
// and writes for the partitions it leads, with the leader epoch of that state, and keeps the logs of the
// partitions it follows. A topic marked for deletion is served no more; the controller's StopReplica
// deletes its logs, and logs of topics that no longer exist at all are deleted on sight.
//
// Until follower fetching lands (replication), the leader treats itself as the only in-sync replica:
// its high watermark is its log end offset.
import type { MetadataView, PartitionView } from '@sluice/coordinator';
import { EARLIEST_TIMESTAMP, ErrorCode, errorInfo, KafkaError, LATEST_TIMESTAMP } from '@sluice/protocol';
import type { Logger } from 'pino';
import type { BrokerConfig } from '../config/index.ts';
import { effectiveTopicConfig } from '../config/index.ts';
import type { LogConfig, LogManager, PartitionLog } from '../log/index.ts';
import { AppendWaiters, partitionKey } from './append-waiters.ts';
import { appendIdempotent } from './idempotence.ts';

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

interface HostedPartition {
  log: PartitionLog;
  isLeader: boolean;
  leaderEpoch: number;
  /** Creation zxid of the topic this log belongs to: a topic created anew under the same name differs. */
  topicZxid: string;
}

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

  constructor(options: {
    brokerId: number;
    config: BrokerConfig;
    logManager: LogManager;
    metadata: MetadataView;
    logger: Logger;
  }) {
    this.#brokerId = options.brokerId;
    this.#config = options.config;
    this.#logs = options.logManager;
    this.#metadata = options.metadata;
    this.#logger = options.logger;
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

  /** Stops serving a partition: clients waiting on it get their answer (an error) at once. */
  #unhost(key: string): void {
    const hosted = this.#hosted.get(key);
    if (!hosted) return;
    this.#hosted.delete(key);
    hosted.isLeader = false;
    this.#waiters.notify(key);
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
          if (hosted?.isLeader) {
            hosted.isLeader = false;
            this.#waiters.notify(key);
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
            hosted = { log, isLeader: false, leaderEpoch: -1, topicZxid: topic.createdZxid };
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
          hosted.isLeader = isLeader;
          hosted.leaderEpoch = view.leaderEpoch;
          if (isLeader) hosted.log.setHighWatermark(hosted.log.logEndOffset);
          this.#waiters.notify(key);
        }
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
      const appended = await appendIdempotent(hosted.log, batch, () =>
        hosted.log.appendAsLeader(batch, hosted.leaderEpoch),
      );
      hosted.log.setHighWatermark(hosted.log.logEndOffset);
      this.#waiters.notify(partitionKey(topic, partition));
      result.baseOffset = appended.baseOffset;
      result.logAppendTimeMs = appended.logAppendTimeMs;
      result.logStartOffset = hosted.log.logStartOffset;
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

  async #readOnce(request: FetchRequest): Promise<FetchPartitionResult[]> {
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
        if (
          p.fetchOffset < log.highWatermark &&
          (limit > 0 || results.every((r) => r.records.length === 0))
        ) {
          const read = await log.read(p.fetchOffset, Math.max(limit, 1), log.highWatermark);
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
    this.#waiters.notifyAll();
  }
}

function errorFields(err: KafkaError): { errorCode: number; errorMessage: string } {
  return { errorCode: err.code, errorMessage: err.message };
}
