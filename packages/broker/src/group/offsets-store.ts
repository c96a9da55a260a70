// Reads and writes __consumer_offsets for the coordinator: appends group and offset records through the
// replica manager (acks = offsets.commit.required.acks, so a commit is answered once the ISR has it),
// and scans a partition from its log start when this broker becomes its leader.
import {
  batchesIn,
  CONSUMER_OFFSETS_TOPIC,
  decodeRecords,
  ErrorCode,
  encodeRecordBatch,
  isControlBatch,
  type RecordInput,
} from '@sluice/protocol';
import type { Logger } from 'pino';
import type { ReplicaManager } from '../replication/replica-manager.ts';
import {
  decodeGroupValue,
  decodeKey,
  decodeOffsetValue,
  type OffsetAndMetadata,
  OffsetsRecordError,
  type StoredGroup,
} from './offsets-records.ts';

/** What a partition of __consumer_offsets holds once read to its end: the last word on every key. */
export interface LoadedPartition {
  groups: Map<string, StoredGroup>;
  offsets: Map<string, Map<string, { topic: string; partition: number; value: OffsetAndMetadata }>>;
}

/**
 * Kafka's mapping of an append error to what a group client can act on (GroupMetadataManager):
 * replication trouble means "try again later", a lost leadership means "find the coordinator again".
 */
export function coordinatorErrorOf(appendError: number): number {
  switch (appendError) {
    case ErrorCode.NONE:
      return ErrorCode.NONE;
    case ErrorCode.UNKNOWN_TOPIC_OR_PARTITION:
    case ErrorCode.NOT_ENOUGH_REPLICAS:
    case ErrorCode.NOT_ENOUGH_REPLICAS_AFTER_APPEND:
    case ErrorCode.REQUEST_TIMED_OUT:
      return ErrorCode.COORDINATOR_NOT_AVAILABLE;
    case ErrorCode.NOT_LEADER_OR_FOLLOWER:
    case ErrorCode.KAFKA_STORAGE_ERROR:
      return ErrorCode.NOT_COORDINATOR;
    case ErrorCode.MESSAGE_TOO_LARGE:
    case ErrorCode.RECORD_LIST_TOO_LARGE:
    case ErrorCode.INVALID_FETCH_SIZE:
      return ErrorCode.INVALID_COMMIT_OFFSET_SIZE;
    default:
      return ErrorCode.UNKNOWN_SERVER_ERROR;
  }
}

export class OffsetsStore {
  readonly #replicaManager: ReplicaManager;
  readonly #acks: number;
  readonly #timeoutMs: number;
  readonly #loadBufferBytes: number;
  readonly #logger: Logger;

  constructor(options: {
    replicaManager: ReplicaManager;
    requiredAcks: number;
    commitTimeoutMs: number;
    loadBufferBytes: number;
    logger: Logger;
  }) {
    this.#replicaManager = options.replicaManager;
    this.#acks = options.requiredAcks;
    this.#timeoutMs = options.commitTimeoutMs;
    this.#loadBufferBytes = options.loadBufferBytes;
    this.#logger = options.logger;
  }

  /** Appends the records as one batch; answers a coordinator error code (NONE on success). */
  async append(partition: number, records: Array<{ key: Buffer; value: Buffer | null }>): Promise<number> {
    if (records.length === 0) return ErrorCode.NONE;
    const nowMs = Date.now();
    const inputs: RecordInput[] = records.map((r) => ({ key: r.key, value: r.value, timestamp: nowMs }));
    const batch = encodeRecordBatch(inputs);
    const result = await this.#replicaManager.appendRecords(
      CONSUMER_OFFSETS_TOPIC,
      partition,
      batch,
      this.#acks,
      this.#timeoutMs,
    );
    if (result.errorCode !== ErrorCode.NONE) {
      this.#logger.warn(
        { partition, errorCode: result.errorCode, error: result.errorMessage },
        'cannot append to __consumer_offsets',
      );
    }
    return coordinatorErrorOf(result.errorCode);
  }

  /**
   * Reads the partition from its log start to the log end offset at the time of the call. Undefined
   * when this broker stops leading it (or its leader epoch changes) while reading: the result would be
   * stale and the new leader loads it.
   */
  async load(partition: number, leaderEpoch: number): Promise<LoadedPartition | undefined> {
    const loaded: LoadedPartition = { groups: new Map(), offsets: new Map() };
    const leader = this.#replicaManager.leaderLog(CONSUMER_OFFSETS_TOPIC, partition);
    if (!leader || leader.leaderEpoch !== leaderEpoch) return undefined;
    const log = leader.log;
    const endOffset = log.logEndOffset;
    let offset = log.logStartOffset;
    let skipped = 0;
    // Bounded: every pass moves `offset` past at least one batch, or stops.
    while (offset < endOffset) {
      const current = this.#replicaManager.leaderLog(CONSUMER_OFFSETS_TOPIC, partition);
      if (!current || current.leaderEpoch !== leaderEpoch) return undefined;
      const { records } = await log.read(offset, this.#loadBufferBytes, endOffset);
      let advanced = false;
      for (const { position, header } of batchesIn(records)) {
        const nextOffset = header.baseOffset + header.lastOffsetDelta + 1;
        if (nextOffset <= offset) continue;
        advanced = true;
        offset = nextOffset;
        if (isControlBatch(header.attributes)) continue;
        for (const record of decodeRecords(records, position)) {
          if (!record.key) continue;
          try {
            this.#apply(loaded, record.key, record.value);
          } catch (err) {
            if (!(err instanceof OffsetsRecordError)) throw err;
            skipped++;
          }
        }
      }
      if (!advanced) break;
    }
    if (skipped > 0) {
      this.#logger.warn({ partition, skipped }, 'skipped unreadable records of __consumer_offsets');
    }
    return loaded;
  }

  #apply(loaded: LoadedPartition, key: Buffer, value: Buffer | null): void {
    const decoded = decodeKey(key);
    if (decoded.type === 'group') {
      if (value === null) loaded.groups.delete(decoded.group);
      else loaded.groups.set(decoded.group, decodeGroupValue(value));
      return;
    }
    const id = `${decoded.topic}\0${decoded.partition}`;
    if (value === null) {
      loaded.offsets.get(decoded.group)?.delete(id);
      return;
    }
    let groupOffsets = loaded.offsets.get(decoded.group);
    if (!groupOffsets) {
      groupOffsets = new Map();
      loaded.offsets.set(decoded.group, groupOffsets);
    }
    groupOffsets.set(id, {
      topic: decoded.topic,
      partition: decoded.partition,
      value: decodeOffsetValue(value),
    });
  }
}
