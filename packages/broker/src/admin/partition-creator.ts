// Adding partitions to topics (Kafka's AdminManager.createPartitions, `kafka-topics.sh --alter
// --partitions`): checks the new count and any explicit assignment with Kafka's error codes and messages,
// places automatic replicas the way Kafka does (continuing the topic's round-robin from its first
// partition's preferred replica), writes the longer assignment conditionally on the topic znode's
// version, and waits (bounded) until the controller has given the new partitions leaders.
import {
  addPartitionsInZooKeeper,
  assignReplicasToBrokers,
  type MetadataView,
  readTopicAssignmentWithVersion,
  type ZooKeeperClient,
} from '@sluice/coordinator';
import { ErrorCode, KafkaError } from '@sluice/protocol';
import type { Logger } from 'pino';
import { leadersKnown, waitForMetadata } from './metadata-wait.ts';

export interface PartitionIncrease {
  topic: string;
  /** The new total number of partitions. */
  count: number;
  /** Replicas of each new partition in order; empty for the automatic assignment. */
  assignments: number[][];
}

export interface PartitionIncreaseResult {
  topic: string;
  errorCode: number;
  errorMessage: string;
}

/** Plans made again when the assignment changed between reading and writing it. */
const MAX_PLAN_ATTEMPTS = 3;

export class PartitionCreator {
  readonly #zk: () => ZooKeeperClient;
  readonly #metadata: MetadataView;
  readonly #logger: Logger;

  constructor(options: { zk: () => ZooKeeperClient; metadata: MetadataView; logger: Logger }) {
    this.#zk = options.zk;
    this.#metadata = options.metadata;
    this.#logger = options.logger;
  }

  async createPartitions(
    increases: readonly PartitionIncrease[],
    options: { validateOnly: boolean; timeoutMs: number },
  ): Promise<PartitionIncreaseResult[]> {
    const results: PartitionIncreaseResult[] = [];
    const changed: string[] = [];
    const seen = new Set<string>();
    for (const increase of increases) {
      const result: PartitionIncreaseResult = {
        topic: increase.topic,
        errorCode: ErrorCode.NONE,
        errorMessage: '',
      };
      try {
        if (seen.has(increase.topic)) {
          throw new KafkaError(
            ErrorCode.INVALID_REQUEST,
            `Topic '${increase.topic}' appears more than once in the request`,
          );
        }
        seen.add(increase.topic);
        if (await this.#increase(increase, options.validateOnly)) changed.push(increase.topic);
      } catch (err) {
        if (err instanceof KafkaError) {
          result.errorCode = err.code;
          result.errorMessage = err.message;
        } else {
          this.#logger.error({ err, topic: increase.topic }, 'adding partitions failed');
          result.errorCode = ErrorCode.UNKNOWN_SERVER_ERROR;
          result.errorMessage = err instanceof Error ? err.message : String(err);
        }
      }
      results.push(result);
    }
    if (changed.length > 0) {
      const counts = new Map(increases.map((i) => [i.topic, i.count]));
      await waitForMetadata(
        this.#metadata,
        () =>
          leadersKnown(this.#metadata, changed) &&
          changed.every((t) => (this.#metadata.topics.get(t)?.partitions.size ?? 0) >= (counts.get(t) ?? 0)),
        options.timeoutMs,
      );
    }
    return results;
  }

  /** true when partitions were written. */
  async #increase(increase: PartitionIncrease, validateOnly: boolean): Promise<boolean> {
    const { topic, count } = increase;
    if (this.#metadata.topics.get(topic)?.markedForDeletion) {
      throw new KafkaError(ErrorCode.INVALID_TOPIC_EXCEPTION, `The topic '${topic}' is queued for deletion.`);
    }
    for (let attempt = 1; attempt <= MAX_PLAN_ATTEMPTS; attempt++) {
      const current = await readTopicAssignmentWithVersion(this.#zk(), topic);
      if (current === null) {
        throw new KafkaError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `The topic '${topic}' does not exist.`);
      }
      const oldCount = current.assignment.size;
      const increment = count - oldCount;
      if (increment < 0) {
        throw new KafkaError(
          ErrorCode.INVALID_PARTITIONS,
          `Topic currently has ${oldCount} partitions, which is higher than the requested ${count}.`,
        );
      }
      if (increment === 0) {
        throw new KafkaError(ErrorCode.INVALID_PARTITIONS, `Topic already has ${oldCount} partitions.`);
      }
      const added = this.#plan(current.assignment, increase, increment);
      if (validateOnly) return false;
      const merged = new Map([...current.assignment, ...added]);
      if (await addPartitionsInZooKeeper(this.#zk(), topic, merged, current.version)) {
        this.#logger.info({ topic, from: oldCount, to: count }, 'added partitions');
        return true;
      }
    }
    throw new KafkaError(
      ErrorCode.UNKNOWN_SERVER_ERROR,
      `The partitions of topic '${topic}' kept changing while adding partitions; try again.`,
    );
  }

  #plan(
    existing: Map<number, number[]>,
    increase: PartitionIncrease,
    increment: number,
  ): Map<number, number[]> {
    const liveBrokers = [...this.#metadata.brokers.keys()].sort((a, b) => a - b);
    const oldCount = existing.size;
    const first = existing.get(0) ?? [];
    if (increase.assignments.length > 0) {
      const live = new Set(liveBrokers);
      const unknown = [...new Set(increase.assignments.flat().filter((id) => !live.has(id)))];
      if (unknown.length > 0) {
        throw new KafkaError(
          ErrorCode.INVALID_REPLICA_ASSIGNMENT,
          `Unknown broker(s) in replica assignment: ${unknown.join(', ')}.`,
        );
      }
      if (increase.assignments.length !== increment) {
        throw new KafkaError(
          ErrorCode.INVALID_REPLICA_ASSIGNMENT,
          `Increasing the number of partitions by ${increment} but ${increase.assignments.length} assignments provided.`,
        );
      }
      const added = new Map<number, number[]>();
      increase.assignments.forEach((replicas, index) => {
        const partition = oldCount + index;
        if (replicas.length === 0) {
          throw new KafkaError(
            ErrorCode.INVALID_REPLICA_ASSIGNMENT,
            `Partition ${partition} has no replicas.`,
          );
        }
        if (new Set(replicas).size !== replicas.length) {
          throw new KafkaError(
            ErrorCode.INVALID_REPLICA_ASSIGNMENT,
            `Duplicate brokers not allowed in replica assignment: ${replicas.join(', ')} for partition id ${partition}.`,
          );
        }
        added.set(partition, replicas);
      });
      const inconsistent = [...added].filter(([, replicas]) => replicas.length !== first.length);
      if (inconsistent.length > 0) {
        throw new KafkaError(
          ErrorCode.INVALID_REPLICA_ASSIGNMENT,
          `Inconsistent replication factor between partitions, partition 0 has ${first.length} while partitions ` +
            `[${inconsistent.map(([p]) => p).join(', ')}] have replication factors ` +
            `[${inconsistent.map(([, r]) => r.length).join(', ')}], respectively.`,
        );
      }
      return added;
    }
    // Kafka continues the round-robin from where partition 0's preferred replica sits.
    const startIndex = Math.max(
      0,
      liveBrokers.findIndex((id) => id >= (first[0] ?? 0)),
    );
    return assignReplicasToBrokers(liveBrokers, increment, first.length, {
      fixedStartIndex: startIndex,
      startPartitionId: oldCount,
    });
  }
}
