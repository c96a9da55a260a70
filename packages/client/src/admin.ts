// Administration: create, list and describe topics, describe the cluster. Topic creation always goes
// through a broker (its CreateTopics call), whichever way the client finds the cluster, so that one
// place validates names, sizes and configs with Kafka's error codes.
import { ErrorCode, KafkaError } from '@sluice/protocol';
import type { ConnectionPool } from './connection-pool.ts';
import type { ClusterInfo, ClusterMetadata, TopicInfo } from './metadata.ts';
import { withRetries } from './retry.ts';

export interface NewTopic {
  topic: string;
  /** Default: the broker's num.partitions. */
  numPartitions?: number;
  /** Default: the broker's default.replication.factor. */
  replicationFactor?: number;
  /** Explicit assignment: partition -> broker ids (first = preferred leader). */
  replicaAssignment?: Record<number, number[]>;
  configs?: Record<string, string>;
}

export interface AdminOptions {
  /** default.api.timeout.ms */
  timeoutMs?: number;
  retryBackoffMs?: number;
}

export class Admin {
  readonly #pool: ConnectionPool;
  readonly #metadata: ClusterMetadata;
  readonly #timeoutMs: number;
  readonly #retryBackoffMs: number;

  constructor(pool: ConnectionPool, metadata: ClusterMetadata, options: AdminOptions = {}) {
    this.#pool = pool;
    this.#metadata = metadata;
    this.#timeoutMs = options.timeoutMs ?? 60_000;
    this.#retryBackoffMs = options.retryBackoffMs ?? 100;
  }

  async createTopic(topic: NewTopic, options: { validateOnly?: boolean } = {}): Promise<void> {
    const [result] = await this.createTopics([topic], options);
    if (result?.error) throw result.error;
  }

  /** One result per topic: `error` is set for the topics that were not created. */
  async createTopics(
    topics: readonly NewTopic[],
    options: { validateOnly?: boolean } = {},
  ): Promise<Array<{ topic: string; error?: KafkaError }>> {
    const deadlineMs = Date.now() + this.#timeoutMs;
    const response = await withRetries(
      async () =>
        this.#pool.call(
          await this.#metadata.anyBrokerAddress(),
          'CreateTopics',
          {
            timeout_ms: Math.max(0, deadlineMs - Date.now()),
            validate_only: options.validateOnly ?? false,
            topics: topics.map((t) => ({
              name: t.topic,
              num_partitions: t.replicaAssignment ? -1 : (t.numPartitions ?? -1),
              replication_factor: t.replicaAssignment ? -1 : (t.replicationFactor ?? -1),
              assignments: Object.entries(t.replicaAssignment ?? {}).map(([partition, brokers]) => ({
                partition_index: Number(partition),
                broker_ids: brokers,
              })),
              configs: t.configs ?? {},
            })),
          },
          Math.max(1, deadlineMs - Date.now()),
        ),
      { deadlineMs, backoffMs: this.#retryBackoffMs },
    );
    for (const t of topics) this.#metadata.invalidate(t.topic);
    return response.topics.map((r) =>
      r.error_code === ErrorCode.NONE
        ? { topic: r.name }
        : { topic: r.name, error: new KafkaError(r.error_code, r.error_message || undefined) },
    );
  }

  async listTopics(options: { includeInternal?: boolean } = {}): Promise<string[]> {
    const topics = await this.#metadata.allTopics();
    return topics.filter((t) => options.includeInternal !== false || !t.isInternal).map((t) => t.name);
  }

  /** Partitions with leaders, replicas and ISR; all topics when `topics` is omitted. */
  async describeTopics(topics?: readonly string[]): Promise<TopicInfo[]> {
    if (topics === undefined) return this.#metadata.allTopics();
    const result: TopicInfo[] = [];
    for (const name of topics) {
      this.#metadata.invalidate(name);
      result.push(await this.#metadata.topic(name));
    }
    return result;
  }

  async describeCluster(): Promise<ClusterInfo> {
    await this.#metadata.refresh([]);
    return this.#metadata.cluster();
  }
}
