// Administration: create, list, describe, delete topics, add partitions, describe and change topic
// configs, look up partitions' offsets, describe the cluster, and manage consumer groups (group-admin.ts).
// Every change goes through a broker (CreateTopics, DeleteTopics, CreatePartitions, AlterConfigs),
// whichever way the client finds the cluster, so that one place validates names, sizes and configs with
// Kafka's error codes.
import {
  ConfigOperation,
  ConfigResourceType,
  ConfigSource,
  EARLIEST_TIMESTAMP,
  ErrorCode,
  type KafkaError,
  LATEST_TIMESTAMP,
} from '@sluice/protocol';
import type { ConnectionPool } from './connection-pool.ts';
import { kafkaError } from './errors.ts';
import {
  GroupAdmin,
  type GroupDescription,
  type GroupOffset,
  type GroupOffsetChange,
  type GroupState,
  type ListedGroup,
} from './group-admin.ts';
import type { ClusterInfo, ClusterMetadata, TopicInfo } from './metadata.ts';
import { delay, withRetries } from './retry.ts';

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

/** Where a config's value comes from, as Kafka's ConfigEntry.ConfigSource. */
export type ConfigEntrySource = 'DYNAMIC_TOPIC_CONFIG' | 'STATIC_BROKER_CONFIG' | 'DEFAULT_CONFIG';

export interface ConfigEntry {
  name: string;
  value: string;
  source: ConfigEntrySource;
  /** The value is the default (not set for the topic nor in the broker's server.properties). */
  isDefault: boolean;
  readOnly: boolean;
  sensitive: boolean;
}

export interface TopicConfigChanges {
  /** Overrides to set. */
  set?: Record<string, string>;
  /** Overrides to remove (back to the broker's value). */
  delete?: readonly string[];
}

/** Which offset of a partition listOffsets looks up (Kafka's OffsetSpec). */
export type OffsetSpec = 'earliest' | 'latest' | { timestamp: number };

export interface ListedOffset {
  topic: string;
  partition: number;
  /** -1 for a timestamp lookup past the partition's last record. */
  offset: number;
  /** The found record's timestamp (timestamp lookups); -1 otherwise. */
  timestamp: number;
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
  readonly #groups: GroupAdmin;

  constructor(pool: ConnectionPool, metadata: ClusterMetadata, options: AdminOptions = {}) {
    this.#pool = pool;
    this.#metadata = metadata;
    this.#timeoutMs = options.timeoutMs ?? 60_000;
    this.#retryBackoffMs = options.retryBackoffMs ?? 100;
    this.#groups = new GroupAdmin(pool, metadata, {
      timeoutMs: this.#timeoutMs,
      retryBackoffMs: this.#retryBackoffMs,
    });
  }

  async createTopic(topic: NewTopic, options: { validateOnly?: boolean } = {}): Promise<void> {
    const [result] = await this.createTopics([topic], options);
    if (result?.error) throw result.error;
  }

  /** One result per topic: `error` is set for the topics that were not created. */
  async createTopics(
    topics: readonly NewTopic[],
    options: { validateOnly?: boolean; waitForLeaders?: boolean } = {},
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
    const results = response.topics.map((r) => resultOf(r.name, r.error_code, r.error_message));
    if (options.waitForLeaders !== false && options.validateOnly !== true) {
      await this.#waitForLeaders(
        results.filter((r) => r.error === undefined).map((r) => r.topic),
        deadlineMs,
      );
    }
    return results;
  }

  /**
   * Metadata reaches every broker a moment after a topic is created (each learns it through its own
   * ZooKeeper watch), so a client asking another broker right away may see no leader yet. As KafkaJS's
   * `waitForLeaders`, wait (bounded by the admin's timeout) until this client's metadata shows a leader for
   * every partition of the new topics, so that what follows a creation (describe, produce) just works.
   * Past the deadline the creation still stands; later lookups retry on their own.
   */
  async #waitForLeaders(topics: readonly string[], deadlineMs: number): Promise<void> {
    let backoffMs = 20;
    for (const topic of topics) {
      while (Date.now() < deadlineMs) {
        this.#metadata.invalidate(topic);
        const info = await this.#metadata.topic(topic).catch(() => undefined);
        if (info && info.partitions.length > 0 && info.partitions.every((p) => p.leader >= 0)) break;
        await delay(Math.min(backoffMs, Math.max(0, deadlineMs - Date.now())));
        backoffMs = Math.min(backoffMs * 2, 500);
      }
    }
  }

  /**
   * Deletes topics (delete.topic.enable must be true on the brokers). Waits until they are gone, up to
   * `timeoutMs` (default: the admin's timeout; 0: only mark them for deletion). One result per topic.
   */
  async deleteTopics(
    topics: readonly string[],
    options: { timeoutMs?: number } = {},
  ): Promise<Array<{ topic: string; error?: KafkaError }>> {
    const deadlineMs = Date.now() + this.#timeoutMs;
    const waitMs = options.timeoutMs ?? this.#timeoutMs;
    const response = await withRetries(
      async () =>
        this.#pool.call(
          await this.#metadata.anyBrokerAddress(),
          'DeleteTopics',
          { topic_names: [...topics], timeout_ms: Math.max(0, Math.min(waitMs, deadlineMs - Date.now())) },
          Math.max(1, deadlineMs - Date.now()),
        ),
      { deadlineMs, backoffMs: this.#retryBackoffMs },
    );
    for (const t of topics) this.#metadata.invalidate(t);
    return response.responses.map((r) => resultOf(r.name, r.error_code, r.error_message));
  }

  async deleteTopic(topic: string, options: { timeoutMs?: number } = {}): Promise<void> {
    const [result] = await this.deleteTopics([topic], options);
    if (result?.error) throw result.error;
  }

  /**
   * Raises topics' partition counts to `count` (Kafka's createPartitions); `assignments` gives the
   * replicas of each new partition, in order. One result per topic.
   */
  async createPartitions(
    increases: ReadonlyArray<{ topic: string; count: number; assignments?: number[][] }>,
    options: { validateOnly?: boolean } = {},
  ): Promise<Array<{ topic: string; error?: KafkaError }>> {
    const deadlineMs = Date.now() + this.#timeoutMs;
    const response = await withRetries(
      async () =>
        this.#pool.call(
          await this.#metadata.anyBrokerAddress(),
          'CreatePartitions',
          {
            timeout_ms: Math.max(0, deadlineMs - Date.now()),
            validate_only: options.validateOnly ?? false,
            topics: increases.map((i) => ({
              name: i.topic,
              count: i.count,
              assignments: (i.assignments ?? []).map((brokerIds) => ({ broker_ids: brokerIds })),
            })),
          },
          Math.max(1, deadlineMs - Date.now()),
        ),
      { deadlineMs, backoffMs: this.#retryBackoffMs },
    );
    for (const i of increases) this.#metadata.invalidate(i.topic);
    return response.results.map((r) => resultOf(r.name, r.error_code, r.error_message));
  }

  /** Every config of each topic with its value and source (Kafka's describeConfigs). */
  async describeConfigs(topics: readonly string[]): Promise<Map<string, ConfigEntry[]>> {
    const deadlineMs = Date.now() + this.#timeoutMs;
    const response = await withRetries(
      async () =>
        this.#pool.call(
          await this.#metadata.anyBrokerAddress(),
          'DescribeConfigs',
          {
            resources: topics.map((t) => ({
              resource_type: ConfigResourceType.TOPIC,
              resource_name: t,
              configuration_keys: [],
            })),
          },
          Math.max(1, deadlineMs - Date.now()),
        ),
      { deadlineMs, backoffMs: this.#retryBackoffMs },
    );
    const result = new Map<string, ConfigEntry[]>();
    for (const r of response.results) {
      if (r.error_code !== ErrorCode.NONE) throw kafkaError(r.error_code, r.error_message || undefined);
      result.set(
        r.resource_name,
        r.configs.map((c) => {
          const source = sourceName(c.config_source);
          return {
            name: c.name,
            value: c.value,
            source,
            isDefault: source === 'DEFAULT_CONFIG',
            readOnly: c.read_only,
            sensitive: c.is_sensitive,
          };
        }),
      );
    }
    return result;
  }

  /** Sets and removes a topic's config overrides, all or nothing (Kafka's incrementalAlterConfigs). */
  async alterTopicConfig(
    topic: string,
    changes: TopicConfigChanges,
    options: { validateOnly?: boolean } = {},
  ): Promise<void> {
    const deadlineMs = Date.now() + this.#timeoutMs;
    const configs = [
      ...Object.entries(changes.set ?? {}).map(([name, value]) => ({
        name,
        value,
        config_operation: ConfigOperation.SET,
      })),
      ...(changes.delete ?? []).map((name) => ({
        name,
        value: '',
        config_operation: ConfigOperation.DELETE,
      })),
    ];
    const response = await withRetries(
      async () =>
        this.#pool.call(
          await this.#metadata.anyBrokerAddress(),
          'AlterConfigs',
          {
            validate_only: options.validateOnly ?? false,
            resources: [{ resource_type: ConfigResourceType.TOPIC, resource_name: topic, configs }],
          },
          Math.max(1, deadlineMs - Date.now()),
        ),
      { deadlineMs, backoffMs: this.#retryBackoffMs },
    );
    const [result] = response.responses;
    if (result && result.error_code !== ErrorCode.NONE) {
      throw kafkaError(result.error_code, result.error_message || undefined);
    }
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

  /** Brokers, cluster id and the controller's id (-1 while there is none). */
  async describeCluster(): Promise<ClusterInfo> {
    await this.#metadata.refresh([]);
    return this.#metadata.cluster();
  }

  /**
   * Partitions' earliest or latest offsets (the high watermark: what consumers can read), or the first
   * offset at or after a timestamp (Kafka's listOffsets). One ListOffsets per leader; a moved leader is
   * looked up again until the admin's timeout. Throws the first partition's error.
   */
  async listOffsets(
    partitions: ReadonlyArray<{ topic: string; partition: number; spec: OffsetSpec }>,
  ): Promise<ListedOffset[]> {
    const deadlineMs = Date.now() + this.#timeoutMs;
    return Promise.all(
      partitions.map((p) =>
        withRetries(
          async () => {
            const { address, leaderEpoch } = await this.#metadata.leaderAddress(p.topic, p.partition);
            const timestamp =
              p.spec === 'earliest'
                ? EARLIEST_TIMESTAMP
                : p.spec === 'latest'
                  ? LATEST_TIMESTAMP
                  : p.spec.timestamp;
            const response = await this.#pool.call(
              address,
              'ListOffsets',
              {
                replica_id: -1,
                topics: [
                  {
                    name: p.topic,
                    partitions: [
                      { partition_index: p.partition, current_leader_epoch: leaderEpoch, timestamp },
                    ],
                  },
                ],
              },
              Math.max(1, deadlineMs - Date.now()),
            );
            const result = response.topics[0]?.partitions[0];
            if (!result) throw kafkaError(ErrorCode.UNKNOWN_SERVER_ERROR, 'Empty ListOffsets response');
            if (result.error_code !== ErrorCode.NONE) {
              throw kafkaError(result.error_code, result.error_message || undefined);
            }
            return {
              topic: p.topic,
              partition: p.partition,
              offset: Number(result.offset),
              timestamp: typeof p.spec === 'object' ? Number(result.timestamp) : -1,
            };
          },
          {
            deadlineMs,
            backoffMs: this.#retryBackoffMs,
            onRetry: () => this.#metadata.invalidate(p.topic),
          },
        ),
      ),
    );
  }

  /** Consumer groups of every live broker (Kafka's listConsumerGroups); `states` filters by state. */
  listGroups(options: { states?: readonly GroupState[] } = {}): Promise<ListedGroup[]> {
    return this.#groups.listGroups(options);
  }

  /** Groups' states, coordinators and members with their assignments (Kafka's describeConsumerGroups). */
  describeGroups(groupIds: readonly string[]): Promise<GroupDescription[]> {
    return this.#groups.describeGroups(groupIds);
  }

  /** A group's committed offsets (Kafka's listConsumerGroupOffsets). */
  listGroupOffsets(groupId: string): Promise<GroupOffset[]> {
    return this.#groups.listGroupOffsets(groupId);
  }

  /** Overwrites a group's committed offsets; only while it has no active members (Kafka's alterConsumerGroupOffsets). */
  alterGroupOffsets(groupId: string, offsets: readonly GroupOffsetChange[]): Promise<void> {
    return this.#groups.alterGroupOffsets(groupId, offsets);
  }

  /** Deletes groups with no active members and their offsets; one result per group. */
  deleteGroups(groupIds: readonly string[]): Promise<Array<{ groupId: string; error?: Error }>> {
    return this.#groups.deleteGroups(groupIds);
  }
}

function resultOf(
  topic: string,
  errorCode: number,
  errorMessage: string,
): { topic: string; error?: KafkaError } {
  return errorCode === ErrorCode.NONE
    ? { topic }
    : { topic, error: kafkaError(errorCode, errorMessage || undefined) };
}

function sourceName(code: number): ConfigEntrySource {
  if (code === ConfigSource.DYNAMIC_TOPIC_CONFIG) return 'DYNAMIC_TOPIC_CONFIG';
  if (code === ConfigSource.STATIC_BROKER_CONFIG) return 'STATIC_BROKER_CONFIG';
  return 'DEFAULT_CONFIG';
}
