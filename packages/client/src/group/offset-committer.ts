// Committed offsets: OffsetCommit (with this member's generation, so the coordinator fences a member
// that no longer owns the partitions) and OffsetFetch. A moved coordinator and other retriable answers
// are retried until the deadline; a fenced member gets CommitFailedError.
import { ErrorCode, type KafkaError } from '@sluice/protocol';
import { CommitFailedError, kafkaError } from '../errors.ts';
import { withRetries } from '../retry.ts';
import type { TopicPartition, TopicPartitionOffset } from './consumer-group-options.ts';
import type { CoordinatorConnection } from './coordinator-connection.ts';

/** Answers to a commit that mean this member no longer owns its partitions in the group. */
const FENCED: ReadonlySet<number> = new Set([
  ErrorCode.ILLEGAL_GENERATION,
  ErrorCode.UNKNOWN_MEMBER_ID,
  ErrorCode.REBALANCE_IN_PROGRESS,
  ErrorCode.FENCED_INSTANCE_ID,
]);

export interface Generation {
  generationId: number;
  memberId: string;
}

/** Commits outside group management (Kafka's assign() + commit). */
export const NO_GENERATION: Generation = { generationId: -1, memberId: '' };

export interface OffsetCommitterOptions {
  groupId: string;
  requestTimeoutMs: number;
  retryBackoffMs: number;
}

export class OffsetCommitter {
  readonly #coordinator: CoordinatorConnection;
  readonly #options: OffsetCommitterOptions;

  constructor(coordinator: CoordinatorConnection, options: OffsetCommitterOptions) {
    this.#coordinator = coordinator;
    this.#options = options;
  }

  /**
   * Commits the offsets as `generation`; rejects with CommitFailedError when the coordinator says the
   * member was fenced (`onFenced` is told first, with the code), with the partition's typed error for
   * other final answers.
   */
  async commit(
    offsets: readonly TopicPartitionOffset[],
    generation: Generation,
    options: { deadlineMs: number; signal?: AbortSignal; onFenced?: (code: number) => void },
  ): Promise<void> {
    if (offsets.length === 0) return;
    const byTopic = new Map<string, TopicPartitionOffset[]>();
    for (const o of offsets) {
      if (!Number.isSafeInteger(o.offset) || o.offset < 0) {
        throw new RangeError(`Cannot commit offset ${o.offset} for ${o.topic}-${o.partition}`);
      }
      byTopic.set(o.topic, [...(byTopic.get(o.topic) ?? []), o]);
    }
    const request = {
      group_id: this.#options.groupId,
      generation_id: generation.generationId,
      member_id: generation.memberId,
      group_instance_id: '',
      topics: [...byTopic].map(([name, partitions]) => ({
        name,
        partitions: partitions.map((p) => ({
          partition_index: p.partition,
          committed_offset: p.offset,
          committed_leader_epoch: -1,
          committed_metadata: p.metadata ?? '',
        })),
      })),
    };
    await withRetries(
      async () => {
        const response = await this.#coordinator.call('OffsetCommit', request, this.#callOptions(options));
        let failure: KafkaError | undefined;
        for (const topic of response.topics) {
          for (const p of topic.partitions) {
            if (p.error_code === ErrorCode.NONE) continue;
            if (FENCED.has(p.error_code)) {
              options.onFenced?.(p.error_code);
              throw new CommitFailedError(
                `Commit failed: ${kafkaError(p.error_code).errorName}. The group rebalanced or ` +
                  'this member was removed (e.g. it took longer than max.poll.interval.ms between two ' +
                  'records); the partitions may be consumed by another member now.',
                { code: p.error_code, cause: kafkaError(p.error_code) },
              );
            }
            if (
              p.error_code === ErrorCode.NOT_COORDINATOR ||
              p.error_code === ErrorCode.COORDINATOR_NOT_AVAILABLE
            ) {
              this.#coordinator.markUnknown();
            }
            const err = kafkaError(p.error_code, `Commit of ${topic.name}-${p.partition_index} failed`);
            // A final error wins over a retriable one: retrying would not help.
            if (!failure || (failure.retriable && !err.retriable)) failure = err;
          }
        }
        if (failure) throw failure;
      },
      { deadlineMs: options.deadlineMs, backoffMs: this.#options.retryBackoffMs, ...signalOf(options) },
    );
  }

  /** The group's committed offsets of these partitions (undefined: nothing committed). */
  async fetch(
    partitions: readonly TopicPartition[],
    options: { deadlineMs: number; signal?: AbortSignal },
  ): Promise<
    Map<string, { topic: string; partition: number; offset: number | undefined; metadata: string }>
  > {
    const byTopic = new Map<string, number[]>();
    for (const p of partitions) byTopic.set(p.topic, [...(byTopic.get(p.topic) ?? []), p.partition]);
    const request = {
      group_id: this.#options.groupId,
      topics: [...byTopic].map(([name, partition_indexes]) => ({ name, partition_indexes })),
      all_topics: false,
    };
    return withRetries(
      async () => {
        const response = await this.#coordinator.call('OffsetFetch', request, this.#callOptions(options));
        if (response.error_code !== ErrorCode.NONE) throw kafkaError(response.error_code);
        const out = new Map<
          string,
          { topic: string; partition: number; offset: number | undefined; metadata: string }
        >();
        for (const topic of response.topics) {
          for (const p of topic.partitions) {
            if (p.error_code !== ErrorCode.NONE) {
              throw kafkaError(p.error_code, `Offset fetch of ${topic.name}-${p.partition_index} failed`);
            }
            const offset = Number(p.committed_offset);
            out.set(`${topic.name}:${p.partition_index}`, {
              topic: topic.name,
              partition: p.partition_index,
              offset: offset >= 0 ? offset : undefined,
              metadata: p.metadata,
            });
          }
        }
        return out;
      },
      { deadlineMs: options.deadlineMs, backoffMs: this.#options.retryBackoffMs, ...signalOf(options) },
    );
  }

  #callOptions(options: { deadlineMs: number; signal?: AbortSignal }) {
    return {
      timeoutMs: Math.max(1, Math.min(this.#options.requestTimeoutMs, options.deadlineMs - Date.now())),
      deadlineMs: options.deadlineMs,
      ...signalOf(options),
    };
  }
}

function signalOf(options: { signal?: AbortSignal }): { signal?: AbortSignal } {
  return options.signal ? { signal: options.signal } : {};
}
