// The consumer group's settings: Kafka's consumer configs in camelCase with Kafka 2.7's defaults, kept
// together as named constants, and their validation.

import { InvalidClientConfigError } from '../errors.ts';

export interface TopicPartition {
  topic: string;
  partition: number;
}

export interface TopicPartitionOffset extends TopicPartition {
  offset: number;
  /** Stored with the commit (offset metadata); '' if not given. */
  metadata?: string;
}

/** Called around a rebalance; a returned promise is awaited before the group goes on. */
export interface RebalanceListener {
  /** Before giving partitions up (every rebalance, and close()); commit here what was processed. */
  onPartitionsRevoked?(partitions: TopicPartition[]): void | Promise<void>;
  /** After a rebalance, with the partitions now owned (positions are known by then). */
  onPartitionsAssigned?(partitions: TopicPartition[]): void | Promise<void>;
  /**
   * The partitions were lost without a clean revocation (this member was fenced or left the group after
   * max.poll.interval.ms): others may own them already, so a commit would fail. Defaults to
   * onPartitionsRevoked, as in Kafka.
   */
  onPartitionsLost?(partitions: TopicPartition[]): void | Promise<void>;
}

export interface ConsumerGroupOptions {
  /** group.id */
  groupId: string;
  /** Topic names, or a pattern matched against every topic name (re-evaluated on metadata refresh). */
  topics: readonly string[] | RegExp;
  /** client.id, shown by DescribeGroups. */
  clientId?: string;
  /** enable.auto.commit */
  enableAutoCommit?: boolean;
  /** auto.commit.interval.ms */
  autoCommitIntervalMs?: number;
  /** auto.offset.reset: where to start without a committed offset, or after OFFSET_OUT_OF_RANGE. */
  autoOffsetReset?: 'earliest' | 'latest' | 'none';
  /** session.timeout.ms */
  sessionTimeoutMs?: number;
  /** heartbeat.interval.ms */
  heartbeatIntervalMs?: number;
  /** max.poll.interval.ms: also the rebalance timeout sent in JoinGroup. */
  maxPollIntervalMs?: number;
  /** max.poll.records: the largest batch handed out by batches(). */
  maxPollRecords?: number;
  /** partition.assignment.strategy: assignor names in order of preference. */
  partitionAssignmentStrategy?: readonly string[];
  /** fetch.min.bytes */
  fetchMinBytes?: number;
  /** fetch.max.wait.ms */
  fetchMaxWaitMs?: number;
  /** fetch.max.bytes: bound of one fetch response. */
  fetchMaxBytes?: number;
  /** max.partition.fetch.bytes */
  maxPartitionFetchBytes?: number;
  /** request.timeout.ms */
  requestTimeoutMs?: number;
  /** retry.backoff.ms */
  retryBackoffMs?: number;
  /** metadata.max.age.ms: how often a pattern subscription looks for new topics. */
  metadataMaxAgeMs?: number;
  /** default.api.timeout.ms: bound of commitSync(), committed(), and close()'s commit and leave. */
  defaultApiTimeoutMs?: number;
  /** Called around rebalances. */
  rebalanceListener?: RebalanceListener;
}

export const CONSUMER_GROUP_DEFAULTS = {
  clientId: 'sluice-consumer',
  enableAutoCommit: true,
  autoCommitIntervalMs: 5_000,
  autoOffsetReset: 'latest' as 'earliest' | 'latest' | 'none',
  sessionTimeoutMs: 10_000,
  heartbeatIntervalMs: 3_000,
  maxPollIntervalMs: 300_000,
  maxPollRecords: 500,
  partitionAssignmentStrategy: ['range'] as readonly string[],
  fetchMinBytes: 1,
  fetchMaxWaitMs: 500,
  fetchMaxBytes: 52_428_800,
  maxPartitionFetchBytes: 1_048_576,
  requestTimeoutMs: 30_000,
  retryBackoffMs: 100,
  metadataMaxAgeMs: 300_000,
  defaultApiTimeoutMs: 60_000,
};

export type ResolvedGroupOptions = typeof CONSUMER_GROUP_DEFAULTS & {
  groupId: string;
  topics: readonly string[] | RegExp;
  rebalanceListener: RebalanceListener;
};

export function resolveGroupOptions(options: ConsumerGroupOptions): ResolvedGroupOptions {
  if (typeof options.groupId !== 'string' || options.groupId === '') {
    throw new InvalidClientConfigError('groupId must be a non-empty string');
  }
  if (!(options.topics instanceof RegExp) && options.topics.length === 0) {
    throw new InvalidClientConfigError('Subscribe to at least one topic, or give a RegExp');
  }
  const resolved: ResolvedGroupOptions = {
    ...CONSUMER_GROUP_DEFAULTS,
    ...definedOnly(options),
    groupId: options.groupId,
    topics: options.topics instanceof RegExp ? options.topics : [...new Set(options.topics)],
    rebalanceListener: options.rebalanceListener ?? {},
  };
  for (const key of [
    'autoCommitIntervalMs',
    'sessionTimeoutMs',
    'heartbeatIntervalMs',
    'maxPollIntervalMs',
    'maxPollRecords',
    'fetchMaxBytes',
    'maxPartitionFetchBytes',
    'requestTimeoutMs',
    'metadataMaxAgeMs',
    'defaultApiTimeoutMs',
  ] as const) {
    const value = resolved[key];
    if (!Number.isSafeInteger(value) || value <= 0) {
      throw new InvalidClientConfigError(`${key} must be a positive integer, got ${value}`);
    }
  }
  for (const key of ['fetchMinBytes', 'fetchMaxWaitMs', 'retryBackoffMs'] as const) {
    const value = resolved[key];
    if (!Number.isSafeInteger(value) || value < 0) {
      throw new InvalidClientConfigError(`${key} must be a non-negative integer, got ${value}`);
    }
  }
  if (resolved.heartbeatIntervalMs >= resolved.sessionTimeoutMs) {
    throw new InvalidClientConfigError('heartbeatIntervalMs must be lower than sessionTimeoutMs');
  }
  if (!['earliest', 'latest', 'none'].includes(resolved.autoOffsetReset)) {
    throw new InvalidClientConfigError(`autoOffsetReset must be earliest, latest or none`);
  }
  if (resolved.partitionAssignmentStrategy.length === 0) {
    throw new InvalidClientConfigError('partitionAssignmentStrategy needs at least one assignor');
  }
  return resolved;
}

function definedOnly<T extends object>(options: T): Partial<T> {
  return Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined)) as Partial<T>;
}
