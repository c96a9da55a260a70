// Topic creation on a broker (Kafka's AdminManager.createTopics): validates names, sizes, assignments
// and configs with Kafka's error codes, writes the topic's config and assignment to ZooKeeper, and waits
// (bounded by the request's timeout) until the controller has elected the topic's leaders and the
// metadata this broker serves shows them. Auto-creation (auto.create.topics.enable) takes the same path
// with the broker's defaults.
import {
  assignReplicasToBrokers,
  createTopicInZooKeeper,
  type MetadataView,
  validateExplicitAssignment,
  type ZooKeeperClient,
} from '@sluice/coordinator';
import { ErrorCode, KafkaError, topicCollisionName, validateTopicName } from '@sluice/protocol';
import type { Logger } from 'pino';
import { type BrokerConfig, ConfigError, validateTopicConfigs } from '../config/index.ts';
import { leadersKnown, waitForMetadata } from './metadata-wait.ts';

export interface TopicCreation {
  name: string;
  /** -1: num.partitions. */
  numPartitions: number;
  /** -1: default.replication.factor. */
  replicationFactor: number;
  /** Explicit assignment (partition -> brokers); empty for the automatic one. */
  assignments: Map<number, number[]>;
  configs: Record<string, string>;
}

export interface TopicCreationResult {
  name: string;
  errorCode: number;
  errorMessage: string;
  numPartitions: number;
  replicationFactor: number;
}

export class TopicCreator {
  readonly #zk: () => ZooKeeperClient;
  readonly #metadata: MetadataView;
  readonly #config: BrokerConfig;
  readonly #logger: Logger;

  constructor(options: {
    zk: () => ZooKeeperClient;
    metadata: MetadataView;
    config: BrokerConfig;
    logger: Logger;
  }) {
    this.#zk = options.zk;
    this.#metadata = options.metadata;
    this.#config = options.config;
    this.#logger = options.logger;
  }

  async createTopics(
    topics: readonly TopicCreation[],
    options: { validateOnly: boolean; timeoutMs: number },
  ): Promise<TopicCreationResult[]> {
    const results: TopicCreationResult[] = [];
    const created: string[] = [];
    const seen = new Set<string>();
    for (const topic of topics) {
      const result: TopicCreationResult = {
        name: topic.name,
        errorCode: ErrorCode.NONE,
        errorMessage: '',
        numPartitions: -1,
        replicationFactor: -1,
      };
      try {
        if (seen.has(topic.name)) {
          throw new KafkaError(
            ErrorCode.INVALID_REQUEST,
            `Topic '${topic.name}' appears more than once in the request`,
          );
        }
        seen.add(topic.name);
        const assignment = this.#plan(topic);
        result.numPartitions = assignment.size;
        result.replicationFactor = assignment.values().next().value?.length ?? -1;
        if (!options.validateOnly) {
          await createTopicInZooKeeper(this.#zk(), { name: topic.name, assignment, configs: topic.configs });
          created.push(topic.name);
          this.#logger.info({ topic: topic.name, partitions: result.numPartitions }, 'created topic');
        }
      } catch (err) {
        if (err instanceof KafkaError) {
          result.errorCode = err.code;
          result.errorMessage = err.message;
        } else {
          this.#logger.error({ err, topic: topic.name }, 'topic creation failed');
          result.errorCode = ErrorCode.UNKNOWN_SERVER_ERROR;
          result.errorMessage = err instanceof Error ? err.message : String(err);
        }
      }
      results.push(result);
    }
    if (created.length > 0) await this.#waitForLeaders(created, options.timeoutMs);
    return results;
  }

  /** Creates a topic with the broker's defaults; an existing topic is fine. */
  async autoCreate(name: string): Promise<void> {
    const [result] = await this.createTopics(
      [{ name, numPartitions: -1, replicationFactor: -1, assignments: new Map(), configs: {} }],
      { validateOnly: false, timeoutMs: 0 },
    );
    if (
      result &&
      result.errorCode !== ErrorCode.NONE &&
      result.errorCode !== ErrorCode.TOPIC_ALREADY_EXISTS
    ) {
      throw new KafkaError(result.errorCode, result.errorMessage);
    }
  }

  #plan(topic: TopicCreation): Map<number, number[]> {
    validateTopicName(topic.name);
    if (this.#metadata.topics.get(topic.name)?.markedForDeletion) {
      throw new KafkaError(ErrorCode.TOPIC_ALREADY_EXISTS, `Topic '${topic.name}' is marked for deletion.`);
    }
    if (this.#metadata.topics.has(topic.name)) {
      throw new KafkaError(ErrorCode.TOPIC_ALREADY_EXISTS, `Topic '${topic.name}' already exists.`);
    }
    const collisionName = topicCollisionName(topic.name);
    for (const existing of this.#metadata.topics.keys()) {
      if (topicCollisionName(existing) === collisionName) {
        throw new KafkaError(
          ErrorCode.INVALID_TOPIC_EXCEPTION,
          `Topic '${topic.name}' collides with existing topic: ${existing}`,
        );
      }
    }
    try {
      validateTopicConfigs(topic.configs);
    } catch (err) {
      if (err instanceof ConfigError) throw new KafkaError(ErrorCode.INVALID_CONFIG, err.message);
      throw err;
    }
    const liveBrokers = [...this.#metadata.brokers.keys()];
    if (topic.assignments.size > 0) {
      if (topic.numPartitions !== -1 || topic.replicationFactor !== -1) {
        throw new KafkaError(
          ErrorCode.INVALID_REQUEST,
          'Both numPartitions or replicationFactor and replicasAssignments were set. Both cannot be used at the same time.',
        );
      }
      validateExplicitAssignment(topic.assignments, liveBrokers);
      return topic.assignments;
    }
    const numPartitions = topic.numPartitions === -1 ? this.#config.numPartitions : topic.numPartitions;
    const replicationFactor =
      topic.replicationFactor === -1 ? this.#config.defaultReplicationFactor : topic.replicationFactor;
    if (numPartitions <= 0) {
      throw new KafkaError(ErrorCode.INVALID_PARTITIONS, 'Number of partitions must be larger than 0.');
    }
    if (replicationFactor <= 0) {
      throw new KafkaError(ErrorCode.INVALID_REPLICATION_FACTOR, 'Replication factor must be larger than 0.');
    }
    return assignReplicasToBrokers(liveBrokers, numPartitions, replicationFactor);
  }

  async #waitForLeaders(topics: readonly string[], timeoutMs: number): Promise<void> {
    await waitForMetadata(this.#metadata, () => leadersKnown(this.#metadata, topics), timeoutMs);
  }
}
