// Topic-level configuration: Kafka 2.7's topic config names (kafka.log.LogConfig) as a data table, each
// tied to the broker setting it inherits when a topic does not override it (retention.ms <- the
// resolved log.retention.*, segment.bytes <- log.segment.bytes, max.message.bytes <- message.max.bytes).
// Overrides come from CreateTopics / AlterConfigs and /config/topics/<t>; an unknown name or a bad value
// throws a ConfigError naming the key, which the API layer returns as Kafka's INVALID_CONFIG.

import type { BrokerConfig, CleanupPolicy, CompressionType, TimestampType } from './broker-config.ts';
import type { ConfigDefinition, ConfigValue } from './config-def.ts';
import { formatConfigValue, LONG_MAX_VALUE, parseConfigValue, typedReader } from './config-def.ts';
import { ConfigError } from './config-error.ts';
import { CLEANUP_POLICIES, COMPRESSION_TYPES, MIN_SEGMENT_BYTES, TIMESTAMP_TYPES } from './definitions.ts';

export interface TopicConfigDefinition extends ConfigDefinition {
  /** The broker key whose value a topic without an override gets (Kafka's "server default property"). */
  readonly brokerKey: string | null;
  /** Reads that value from a loaded broker configuration, precedences already resolved. */
  readonly inherit: (broker: BrokerConfig) => ConfigValue;
}

export interface TopicConfig {
  readonly cleanupPolicy: readonly CleanupPolicy[];
  readonly compressionType: CompressionType;
  readonly deleteRetentionMs: number;
  readonly fileDeleteDelayMs: number;
  readonly flushMessages: number;
  readonly flushMs: number;
  readonly followerReplicationThrottledReplicas: readonly string[];
  readonly indexIntervalBytes: number;
  readonly leaderReplicationThrottledReplicas: readonly string[];
  readonly maxCompactionLagMs: number;
  readonly maxMessageBytes: number;
  readonly messageDownconversionEnable: boolean;
  readonly messageFormatVersion: string;
  readonly messageTimestampDifferenceMaxMs: number;
  readonly messageTimestampType: TimestampType;
  readonly minCleanableDirtyRatio: number;
  readonly minCompactionLagMs: number;
  readonly minInsyncReplicas: number;
  readonly preallocate: boolean;
  /** -1 = no size limit. */
  readonly retentionBytes: number;
  /** -1 = no time limit. */
  readonly retentionMs: number;
  readonly segmentBytes: number;
  readonly segmentIndexBytes: number;
  readonly segmentJitterMs: number;
  readonly segmentMs: number;
  readonly uncleanLeaderElectionEnable: boolean;
}

export type TopicConfigSource = 'TOPIC' | 'DEFAULT';

export interface TopicConfigEntry {
  /** As Kafka prints it; Long.MAX_VALUE defaults print as 9223372036854775807. */
  readonly value: string;
  /** TOPIC = a per-topic override; DEFAULT = inherited from the broker configuration. */
  readonly source: TopicConfigSource;
}

const DAY_MS = 24 * 60 * 60 * 1000;
const WEEK_MS = 7 * DAY_MS;

// Kafka 2.7's defaults (LogConfig.Defaults) are the broker defaults; kept here for docs and tests.
export const TOPIC_CONFIG_DEFINITIONS: readonly TopicConfigDefinition[] = [
  {
    name: 'cleanup.policy',
    type: 'list',
    default: ['delete'],
    validator: { kind: 'in', values: CLEANUP_POLICIES },
    importance: 'medium',
    support: 'used',
    doc: 'delete: drop segments past retention; compact: keep the latest record per key; or both.',
    brokerKey: 'log.cleanup.policy',
    inherit: (broker) => broker.logCleanupPolicy,
  },
  {
    name: 'compression.type',
    type: 'string',
    default: 'producer',
    validator: { kind: 'in', values: COMPRESSION_TYPES },
    importance: 'medium',
    support: 'used',
    doc: 'Compression of stored batches; producer = keep what the producer sent.',
    brokerKey: 'compression.type',
    inherit: (broker) => broker.compressionType,
  },
  {
    name: 'delete.retention.ms',
    type: 'long',
    default: DAY_MS,
    validator: { kind: 'range', min: 0 },
    importance: 'medium',
    support: 'used',
    doc: 'How long delete tombstones are kept in a compacted topic.',
    brokerKey: 'log.cleaner.delete.retention.ms',
    inherit: (broker) => broker.logCleanerDeleteRetentionMs,
  },
  {
    name: 'file.delete.delay.ms',
    type: 'long',
    default: 60000,
    validator: { kind: 'range', min: 0 },
    importance: 'medium',
    support: 'used',
    doc: 'Wait this long before deleting a segment file removed from the log.',
    brokerKey: 'log.segment.delete.delay.ms',
    inherit: (broker) => broker.logSegmentDeleteDelayMs,
  },
  {
    name: 'flush.messages',
    type: 'long',
    default: LONG_MAX_VALUE,
    validator: { kind: 'range', min: 0 },
    importance: 'medium',
    support: 'used',
    doc: 'fsync after this many messages.',
    brokerKey: 'log.flush.interval.messages',
    inherit: (broker) => broker.logFlushIntervalMessages,
  },
  {
    name: 'flush.ms',
    type: 'long',
    default: LONG_MAX_VALUE,
    validator: { kind: 'range', min: 0 },
    importance: 'medium',
    support: 'used',
    doc: 'fsync after this long.',
    brokerKey: 'log.flush.interval.ms',
    inherit: (broker) => broker.logFlushIntervalMs,
  },
  {
    name: 'follower.replication.throttled.replicas',
    type: 'list',
    default: [],
    validator: { kind: 'throttledReplicas' },
    importance: 'medium',
    support: 'accepted',
    doc: 'Replicas throttled on the follower side, as partition:broker pairs or *.',
    brokerKey: null,
    inherit: () => [],
  },
  {
    name: 'index.interval.bytes',
    type: 'int',
    default: 4096,
    validator: { kind: 'range', min: 0 },
    importance: 'medium',
    support: 'used',
    doc: 'Bytes of log between two offset index entries.',
    brokerKey: 'log.index.interval.bytes',
    inherit: (broker) => broker.logIndexIntervalBytes,
  },
  {
    name: 'leader.replication.throttled.replicas',
    type: 'list',
    default: [],
    validator: { kind: 'throttledReplicas' },
    importance: 'medium',
    support: 'accepted',
    doc: 'Replicas throttled on the leader side, as partition:broker pairs or *.',
    brokerKey: null,
    inherit: () => [],
  },
  {
    name: 'max.compaction.lag.ms',
    type: 'long',
    default: LONG_MAX_VALUE,
    validator: { kind: 'range', min: 1 },
    importance: 'medium',
    support: 'used',
    doc: 'Longest time a message stays ineligible for compaction.',
    brokerKey: 'log.cleaner.max.compaction.lag.ms',
    inherit: (broker) => broker.logCleanerMaxCompactionLagMs,
  },
  {
    name: 'max.message.bytes',
    type: 'int',
    default: 1048588,
    validator: { kind: 'range', min: 0 },
    importance: 'medium',
    support: 'used',
    doc: 'Largest record batch the topic accepts.',
    brokerKey: 'message.max.bytes',
    inherit: (broker) => broker.messageMaxBytes,
  },
  {
    name: 'message.downconversion.enable',
    type: 'boolean',
    default: true,
    importance: 'low',
    support: 'accepted',
    doc: 'Down-convert records for old consumers.',
    brokerKey: 'log.message.downconversion.enable',
    inherit: (broker) => broker.values.get('log.message.downconversion.enable') ?? true,
  },
  {
    name: 'message.format.version',
    type: 'string',
    default: '2.7-IV2',
    validator: { kind: 'apiVersion' },
    importance: 'medium',
    support: 'accepted',
    doc: 'Message format version (Sluice always writes RecordBatch v2).',
    brokerKey: 'log.message.format.version',
    inherit: (broker) => broker.values.get('log.message.format.version') ?? '2.7-IV2',
  },
  {
    name: 'message.timestamp.difference.max.ms',
    type: 'long',
    default: LONG_MAX_VALUE,
    validator: { kind: 'range', min: 0 },
    importance: 'medium',
    support: 'used',
    doc: 'Reject CreateTime records whose timestamp is further than this from the broker clock.',
    brokerKey: 'log.message.timestamp.difference.max.ms',
    inherit: (broker) => broker.logMessageTimestampDifferenceMaxMs,
  },
  {
    name: 'message.timestamp.type',
    type: 'string',
    default: 'CreateTime',
    validator: { kind: 'in', values: TIMESTAMP_TYPES },
    importance: 'medium',
    support: 'used',
    doc: 'CreateTime (the producer sets it) or LogAppendTime (the broker sets it).',
    brokerKey: 'log.message.timestamp.type',
    inherit: (broker) => broker.logMessageTimestampType,
  },
  {
    name: 'min.cleanable.dirty.ratio',
    type: 'double',
    default: 0.5,
    validator: { kind: 'range', min: 0, max: 1 },
    importance: 'medium',
    support: 'used',
    doc: 'Least dirty/total ratio of a log for it to be compacted.',
    brokerKey: 'log.cleaner.min.cleanable.ratio',
    inherit: (broker) => broker.logCleanerMinCleanableRatio,
  },
  {
    name: 'min.compaction.lag.ms',
    type: 'long',
    default: 0,
    validator: { kind: 'range', min: 0 },
    importance: 'medium',
    support: 'used',
    doc: 'Least time a message stays uncompacted.',
    brokerKey: 'log.cleaner.min.compaction.lag.ms',
    inherit: (broker) => broker.logCleanerMinCompactionLagMs,
  },
  {
    name: 'min.insync.replicas',
    type: 'int',
    default: 1,
    validator: { kind: 'range', min: 1 },
    importance: 'medium',
    support: 'used',
    doc: 'Fewest in-sync replicas that must ack an acks=all write.',
    brokerKey: 'min.insync.replicas',
    inherit: (broker) => broker.minInsyncReplicas,
  },
  {
    name: 'preallocate',
    type: 'boolean',
    default: false,
    importance: 'medium',
    support: 'used',
    doc: 'Preallocate segment files.',
    brokerKey: 'log.preallocate',
    inherit: (broker) => broker.logPreallocate,
  },
  {
    name: 'retention.bytes',
    type: 'long',
    default: -1,
    importance: 'medium',
    support: 'used',
    doc: 'Delete old segments while a partition is larger than this; -1 = no size limit.',
    brokerKey: 'log.retention.bytes',
    inherit: (broker) => broker.logRetentionBytes,
  },
  {
    name: 'retention.ms',
    type: 'long',
    default: WEEK_MS,
    validator: { kind: 'range', min: -1 },
    importance: 'medium',
    support: 'used',
    doc: 'Delete segments older than this; -1 = no time limit.',
    brokerKey: 'log.retention.ms',
    inherit: (broker) => broker.logRetentionMs,
  },
  {
    name: 'segment.bytes',
    type: 'int',
    default: 1073741824,
    validator: { kind: 'range', min: MIN_SEGMENT_BYTES },
    importance: 'medium',
    support: 'used',
    doc: 'Largest size of a segment file.',
    brokerKey: 'log.segment.bytes',
    inherit: (broker) => broker.logSegmentBytes,
  },
  {
    name: 'segment.index.bytes',
    type: 'int',
    default: 10485760,
    validator: { kind: 'range', min: 0 },
    importance: 'medium',
    support: 'used',
    doc: 'Largest size of an offset index file.',
    brokerKey: 'log.index.size.max.bytes',
    inherit: (broker) => broker.logIndexSizeMaxBytes,
  },
  {
    name: 'segment.jitter.ms',
    type: 'long',
    default: 0,
    validator: { kind: 'range', min: 0 },
    importance: 'medium',
    support: 'used',
    doc: 'Max random jitter subtracted from segment.ms.',
    brokerKey: 'log.roll.jitter.ms',
    inherit: (broker) => broker.logRollJitterMs,
  },
  {
    name: 'segment.ms',
    type: 'long',
    default: WEEK_MS,
    validator: { kind: 'range', min: 1 },
    importance: 'medium',
    support: 'used',
    doc: 'Roll a new segment after this long even if it is not full.',
    brokerKey: 'log.roll.ms',
    inherit: (broker) => broker.logRollMs,
  },
  {
    name: 'unclean.leader.election.enable',
    type: 'boolean',
    default: false,
    importance: 'medium',
    support: 'used',
    doc: 'Elect an out-of-sync replica as a last resort, accepting data loss.',
    brokerKey: 'unclean.leader.election.enable',
    inherit: (broker) => broker.uncleanLeaderElectionEnable,
  },
];

const BY_NAME = new Map(TOPIC_CONFIG_DEFINITIONS.map((definition) => [definition.name, definition]));

export function topicConfigDefinition(name: string): TopicConfigDefinition | undefined {
  return BY_NAME.get(name);
}

/**
 * Checks per-topic overrides: every name must be a topic config and every value valid.
 * Throws ConfigError naming the first offending key.
 */
export function validateTopicConfigs(configs: Readonly<Record<string, string>>): void {
  parseTopicOverrides(configs);
}

/** The configuration a topic runs with: its overrides over the broker's values. Validates the overrides. */
export function effectiveTopicConfig(
  broker: BrokerConfig,
  overrides: Readonly<Record<string, string>>,
): TopicConfig {
  const parsed = parseTopicOverrides(overrides);
  const values = new Map<string, ConfigValue>();
  for (const definition of TOPIC_CONFIG_DEFINITIONS) {
    values.set(definition.name, parsed.get(definition.name) ?? definition.inherit(broker));
  }
  const get = typedReader(values);
  const config: TopicConfig = {
    // The validators admit only the names of each union.
    cleanupPolicy: Object.freeze([...get.list('cleanup.policy')]) as readonly CleanupPolicy[],
    compressionType: get.string('compression.type') as CompressionType,
    deleteRetentionMs: get.number('delete.retention.ms'),
    fileDeleteDelayMs: get.number('file.delete.delay.ms'),
    flushMessages: get.number('flush.messages'),
    flushMs: get.number('flush.ms'),
    followerReplicationThrottledReplicas: Object.freeze([
      ...get.list('follower.replication.throttled.replicas'),
    ]),
    indexIntervalBytes: get.number('index.interval.bytes'),
    leaderReplicationThrottledReplicas: Object.freeze([...get.list('leader.replication.throttled.replicas')]),
    maxCompactionLagMs: get.number('max.compaction.lag.ms'),
    maxMessageBytes: get.number('max.message.bytes'),
    messageDownconversionEnable: get.boolean('message.downconversion.enable'),
    messageFormatVersion: get.string('message.format.version'),
    messageTimestampDifferenceMaxMs: get.number('message.timestamp.difference.max.ms'),
    messageTimestampType: get.string('message.timestamp.type') as TimestampType,
    minCleanableDirtyRatio: get.number('min.cleanable.dirty.ratio'),
    minCompactionLagMs: get.number('min.compaction.lag.ms'),
    minInsyncReplicas: get.number('min.insync.replicas'),
    preallocate: get.boolean('preallocate'),
    retentionBytes: get.number('retention.bytes'),
    retentionMs: get.number('retention.ms'),
    segmentBytes: get.number('segment.bytes'),
    segmentIndexBytes: get.number('segment.index.bytes'),
    segmentJitterMs: get.number('segment.jitter.ms'),
    segmentMs: get.number('segment.ms'),
    uncleanLeaderElectionEnable: get.boolean('unclean.leader.election.enable'),
  };
  return Object.freeze(config);
}

/**
 * Every topic config with its value and where it comes from, sorted by name, for DescribeConfigs and
 * `sluice topics --describe`. Validates the overrides.
 */
export function describeTopicConfigs(
  broker: BrokerConfig,
  overrides: Readonly<Record<string, string>>,
): Record<string, TopicConfigEntry> {
  const parsed = parseTopicOverrides(overrides);
  const entries: Record<string, TopicConfigEntry> = {};
  for (const definition of TOPIC_CONFIG_DEFINITIONS) {
    const override = parsed.get(definition.name);
    const value = override ?? definition.inherit(broker);
    entries[definition.name] = Object.freeze({
      value: formatConfigValue(definition, value) ?? '',
      source: override === undefined ? 'DEFAULT' : 'TOPIC',
    });
  }
  return entries;
}

function parseTopicOverrides(configs: Readonly<Record<string, string>>): Map<string, ConfigValue> {
  const parsed = new Map<string, ConfigValue>();
  for (const [name, raw] of Object.entries(configs)) {
    const definition = BY_NAME.get(name);
    if (definition === undefined) throw new ConfigError(name, `Unknown topic config name: ${name}`);
    parsed.set(name, parseConfigValue(definition, raw));
  }
  const minLagMs = parsed.get('min.compaction.lag.ms') ?? BY_NAME.get('min.compaction.lag.ms')!.default;
  const maxLagMs = parsed.get('max.compaction.lag.ms') ?? BY_NAME.get('max.compaction.lag.ms')!.default;
  if (typeof minLagMs === 'number' && typeof maxLagMs === 'number' && minLagMs > maxLagMs) {
    const key = parsed.has('min.compaction.lag.ms') ? 'min.compaction.lag.ms' : 'max.compaction.lag.ms';
    throw new ConfigError(
      key,
      `conflict topic config setting min.compaction.lag.ms (${minLagMs}) > max.compaction.lag.ms (${maxLagMs})`,
    );
  }
  return parsed;
}
