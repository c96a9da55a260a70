// Where a newly assigned partition starts: the group's committed offset, else auto.offset.reset
// (earliest or latest by ListOffsets; 'none' fails with NoOffsetForPartitionError). A position that fell
// outside the log (OFFSET_OUT_OF_RANGE) goes by auto.offset.reset alone ('none': OffsetOutOfRangeError).
import { EARLIEST_TIMESTAMP, ErrorCode, LATEST_TIMESTAMP } from '@sluice/protocol';
import type { ConnectionPool } from '../connection-pool.ts';
import { kafkaError, NoOffsetForPartitionError } from '../errors.ts';
import type { ClusterMetadata } from '../metadata.ts';
import { listOffset } from '../partition-consumer.ts';
import type { TopicPartition } from './consumer-group-options.ts';
import type { OffsetCommitter } from './offset-committer.ts';
import { partitionKey, type SubscriptionState } from './subscription-state.ts';

export interface PositionResolverOptions {
  autoOffsetReset: 'earliest' | 'latest' | 'none';
  requestTimeoutMs: number;
  defaultApiTimeoutMs: number;
}

export class PositionResolver {
  readonly #pool: ConnectionPool;
  readonly #metadata: ClusterMetadata;
  readonly #committer: OffsetCommitter;
  readonly #state: SubscriptionState;
  readonly #options: PositionResolverOptions;

  constructor(
    pool: ConnectionPool,
    metadata: ClusterMetadata,
    committer: OffsetCommitter,
    state: SubscriptionState,
    options: PositionResolverOptions,
  ) {
    this.#pool = pool;
    this.#metadata = metadata;
    this.#committer = committer;
    this.#state = state;
    this.#options = options;
  }

  /** Finds the position of every assigned partition that has none. Retriable errors are thrown. */
  async resolveMissing(signal: AbortSignal): Promise<void> {
    const missing = this.#state.missingPositions();
    if (missing.length === 0) return;
    const epoch = this.#state.epoch;
    const fromCommits = missing.filter((p) => !p.outOfRange);
    const committed =
      fromCommits.length > 0
        ? await this.#committer.fetch(fromCommits, {
            deadlineMs: Date.now() + this.#options.defaultApiTimeoutMs,
            signal,
          })
        : new Map<string, { offset: number | undefined }>();
    if (epoch !== this.#state.epoch) return;
    const noOffset: TopicPartition[] = [];
    for (const p of missing) {
      // The application may have seeked meanwhile.
      if (this.#state.position(p.topic, p.partition) !== undefined) continue;
      const offset = p.outOfRange ? undefined : committed.get(partitionKey(p.topic, p.partition))?.offset;
      if (offset !== undefined) {
        this.#state.seek(p.topic, p.partition, offset);
        this.#state.markCommitted([{ topic: p.topic, partition: p.partition, offset }]);
        continue;
      }
      const reset = this.#options.autoOffsetReset;
      if (reset === 'none') {
        if (p.outOfRange) {
          throw kafkaError(
            ErrorCode.OFFSET_OUT_OF_RANGE,
            `Position of ${p.topic}-${p.partition} is outside the log and auto.offset.reset is none`,
          );
        }
        noOffset.push({ topic: p.topic, partition: p.partition });
        continue;
      }
      const found = await listOffset(this.#pool, this.#metadata, {
        topic: p.topic,
        partition: p.partition,
        timestamp: reset === 'earliest' ? EARLIEST_TIMESTAMP : LATEST_TIMESTAMP,
        timeoutMs: this.#options.requestTimeoutMs,
        signal,
      });
      if (epoch !== this.#state.epoch) return;
      if (this.#state.position(p.topic, p.partition) === undefined)
        this.#state.seek(p.topic, p.partition, found);
    }
    if (noOffset.length > 0) throw new NoOffsetForPartitionError(noOffset);
  }
}
