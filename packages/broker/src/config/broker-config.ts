// Turns the key/value pairs of server.properties (plus --override values) into the broker's typed,
// frozen configuration: every key validated against definitions.ts, defaults applied, and Kafka's
// precedences resolved (log.dirs > log.dir; log.retention.ms > minutes > hours; log.roll.ms > hours;
// log.flush.interval.ms > log.flush.scheduler.interval.ms; advertised.listeners defaults to listeners).
// Unknown keys only warn, as in Kafka; an invalid value throws a ConfigError naming the key.
//
// Field names are the camelCase of Kafka's key (socket.request.max.bytes -> socketRequestMaxBytes); a
// key resolved from several (log.retention.*) is named after its ms form (logRetentionMs).
//
// An empty host in a listener binds every interface. Where such a listener is advertised (explicitly,
// or because advertised.listeners is unset) Sluice publishes the machine's host name, as Kafka does
// with InetAddress.getLocalHost: brokers on other machines can reach it, unlike 127.0.0.1. Pass
// `hostname` to choose another (test harnesses pass '127.0.0.1'), or set advertised.listeners.

import { hostname as machineHostname } from 'node:os';
import type { ConfigValue, TypedReader } from './config-def.ts';
import { NO_DEFAULT, parseConfigValue, typedReader } from './config-def.ts';
import { ConfigError } from './config-error.ts';
import type { CLEANUP_POLICIES, COMPRESSION_TYPES, TIMESTAMP_TYPES } from './definitions.ts';
import {
  BROKER_CONFIG_DEFINITIONS,
  brokerConfigDefinition,
  UNSUPPORTED_KEY_PREFIXES,
} from './definitions.ts';
import { FrozenMap } from './frozen-map.ts';
import type { Listener, ListenerProtocol } from './listeners.ts';
import { parseListeners, parseProtocolMap, splitCsv } from './listeners.ts';

export type CleanupPolicy = (typeof CLEANUP_POLICIES)[number];
export type TimestampType = (typeof TIMESTAMP_TYPES)[number];
export type CompressionType = (typeof COMPRESSION_TYPES)[number];

export interface BrokerConfig {
  // ZooKeeper
  readonly zookeeperConnect: string;
  readonly zookeeperSessionTimeoutMs: number;
  /** zookeeper.connection.timeout.ms, or the session timeout when unset. */
  readonly zookeeperConnectionTimeoutMs: number;
  readonly zookeeperMaxInFlightRequests: number;

  // Identity
  /** -1 = take the id from meta.properties or generate one (broker.id.generation.enable). */
  readonly brokerId: number;
  readonly brokerIdGenerationEnable: boolean;
  readonly reservedBrokerMaxId: number;
  readonly brokerRack: string | null;

  // Network
  readonly listeners: readonly Listener[];
  /** What is registered in ZooKeeper: hosts are never empty. */
  readonly advertisedListeners: readonly Listener[];
  readonly listenerSecurityProtocolMap: ReadonlyMap<string, ListenerProtocol>;
  /** The GRPC listener other brokers use; one of advertisedListeners. */
  readonly interBrokerListenerName: string;
  readonly socketRequestMaxBytes: number;
  readonly queuedMaxRequests: number;
  readonly requestTimeoutMs: number;
  readonly connectionsMaxIdleMs: number;

  // Log
  readonly logDirs: readonly string[];
  readonly numPartitions: number;
  readonly defaultReplicationFactor: number;
  readonly minInsyncReplicas: number;
  readonly logSegmentBytes: number;
  readonly logRollMs: number;
  readonly logRollJitterMs: number;
  /** -1 = no time limit. */
  readonly logRetentionMs: number;
  /** -1 = no size limit. */
  readonly logRetentionBytes: number;
  readonly logRetentionCheckIntervalMs: number;
  readonly logSegmentDeleteDelayMs: number;
  readonly logIndexSizeMaxBytes: number;
  readonly logIndexIntervalBytes: number;
  readonly logFlushIntervalMessages: number;
  readonly logFlushIntervalMs: number;
  readonly logFlushSchedulerIntervalMs: number;
  readonly logFlushOffsetCheckpointIntervalMs: number;
  readonly logFlushStartOffsetCheckpointIntervalMs: number;
  readonly logCleanupPolicy: readonly CleanupPolicy[];
  readonly logCleanerEnable: boolean;
  readonly logCleanerDeleteRetentionMs: number;
  readonly logCleanerMinCompactionLagMs: number;
  readonly logCleanerMaxCompactionLagMs: number;
  readonly logCleanerMinCleanableRatio: number;
  readonly logCleanerBackoffMs: number;
  readonly logPreallocate: boolean;
  readonly logMessageTimestampType: TimestampType;
  readonly logMessageTimestampDifferenceMaxMs: number;
  readonly numRecoveryThreadsPerDataDir: number;
  readonly autoCreateTopicsEnable: boolean;
  readonly deleteTopicEnable: boolean;
  readonly messageMaxBytes: number;
  readonly compressionType: CompressionType;
  readonly fetchMaxBytes: number;

  // Replication
  readonly controllerSocketTimeoutMs: number;
  readonly replicaLagTimeMaxMs: number;
  readonly replicaSocketTimeoutMs: number;
  readonly replicaFetchMaxBytes: number;
  readonly replicaFetchWaitMaxMs: number;
  readonly replicaFetchMinBytes: number;
  readonly replicaFetchResponseMaxBytes: number;
  readonly replicaFetchBackoffMs: number;
  readonly numReplicaFetchers: number;
  readonly replicaHighWatermarkCheckpointIntervalMs: number;
  readonly autoLeaderRebalanceEnable: boolean;
  readonly leaderImbalancePerBrokerPercentage: number;
  readonly leaderImbalanceCheckIntervalSeconds: number;
  readonly uncleanLeaderElectionEnable: boolean;
  readonly controlledShutdownEnable: boolean;
  readonly controlledShutdownMaxRetries: number;
  readonly controlledShutdownRetryBackoffMs: number;

  // Group coordinator and offsets
  readonly groupMinSessionTimeoutMs: number;
  readonly groupMaxSessionTimeoutMs: number;
  readonly groupInitialRebalanceDelayMs: number;
  readonly groupMaxSize: number;
  readonly offsetMetadataMaxBytes: number;
  readonly offsetsLoadBufferSize: number;
  readonly offsetsTopicReplicationFactor: number;
  readonly offsetsTopicNumPartitions: number;
  readonly offsetsTopicSegmentBytes: number;
  readonly offsetsTopicCompressionCodec: number;
  readonly offsetsRetentionMinutes: number;
  readonly offsetsRetentionCheckIntervalMs: number;
  readonly offsetsCommitTimeoutMs: number;
  readonly offsetsCommitRequiredAcks: number;

  /** Every defined key with its parsed value after defaults (null = unset); for DescribeConfigs. */
  readonly values: ReadonlyMap<string, ConfigValue>;
  /** The key/value pairs given, unknown keys included, exactly as given. */
  readonly raw: ReadonlyMap<string, string>;
}

export interface LoadBrokerConfigOptions {
  /** Receives one line per unknown or unsupported key. Default: console.warn. */
  warn?: (message: string) => void;
  /** Host advertised for a listener with an empty host. Default: os.hostname(). */
  hostname?: string;
}

const MINUTE_MS = 60 * 1000;
const HOUR_MS = 60 * MINUTE_MS;
const NON_ROUTABLE_HOSTS = new Set(['0.0.0.0', '::']);

export function loadBrokerConfig(
  props: ReadonlyMap<string, string>,
  options: LoadBrokerConfigOptions = {},
): BrokerConfig {
  const warn = options.warn ?? ((message: string) => console.warn(message));
  warnAboutUnusedKeys(props, warn);

  const values = new Map<string, ConfigValue>();
  for (const definition of BROKER_CONFIG_DEFINITIONS) {
    const raw = props.get(definition.name);
    if (raw !== undefined) values.set(definition.name, freezeValue(parseConfigValue(definition, raw)));
    else if (definition.default === NO_DEFAULT) throw ConfigError.missing(definition.name);
    else values.set(definition.name, freezeValue(definition.default));
  }
  const get = typedReader(values);

  const brokerId = get.number('broker.id');
  const brokerIdGenerationEnable = get.boolean('broker.id.generation.enable');
  const reservedBrokerMaxId = get.number('reserved.broker.max.id');
  checkBrokerId(brokerId, brokerIdGenerationEnable, reservedBrokerMaxId);

  const network = resolveListeners(get, options.hostname ?? machineHostname());

  const logRollMs = get.optionalNumber('log.roll.ms') ?? get.number('log.roll.hours') * HOUR_MS;
  if (logRollMs < 1) throw ConfigError.invalidValue('log.roll.ms', logRollMs, 'Value must be at least 1');
  const logRollJitterMs =
    get.optionalNumber('log.roll.jitter.ms') ?? get.number('log.roll.jitter.hours') * HOUR_MS;
  if (logRollJitterMs < 0) {
    throw ConfigError.invalidValue('log.roll.jitter.ms', logRollJitterMs, 'Value must be at least 0');
  }

  const replicaFetchWaitMaxMs = get.number('replica.fetch.wait.max.ms');
  const replicaSocketTimeoutMs = get.number('replica.socket.timeout.ms');
  const replicaLagTimeMaxMs = get.number('replica.lag.time.max.ms');
  if (replicaFetchWaitMaxMs > replicaSocketTimeoutMs) {
    throw ConfigError.invalidValue(
      'replica.fetch.wait.max.ms',
      replicaFetchWaitMaxMs,
      'replica.socket.timeout.ms should always be at least replica.fetch.wait.max.ms to prevent unnecessary socket timeouts',
    );
  }
  if (replicaFetchWaitMaxMs > replicaLagTimeMaxMs) {
    throw ConfigError.invalidValue(
      'replica.fetch.wait.max.ms',
      replicaFetchWaitMaxMs,
      'replica.fetch.wait.max.ms should always be less than or equal to replica.lag.time.max.ms to prevent frequent changes in ISR',
    );
  }

  const offsetsTopicReplicationFactor = get.number('offsets.topic.replication.factor');
  const offsetsCommitRequiredAcks = get.number('offsets.commit.required.acks');
  if (offsetsCommitRequiredAcks < -1 || offsetsCommitRequiredAcks > offsetsTopicReplicationFactor) {
    throw ConfigError.invalidValue(
      'offsets.commit.required.acks',
      offsetsCommitRequiredAcks,
      'offsets.commit.required.acks must be greater or equal -1 and less or equal to offsets.topic.replication.factor',
    );
  }

  const rack = get.optionalString('broker.rack');

  const config: BrokerConfig = {
    zookeeperConnect: get.string('zookeeper.connect'),
    zookeeperSessionTimeoutMs: get.number('zookeeper.session.timeout.ms'),
    zookeeperConnectionTimeoutMs:
      get.optionalNumber('zookeeper.connection.timeout.ms') ?? get.number('zookeeper.session.timeout.ms'),
    zookeeperMaxInFlightRequests: get.number('zookeeper.max.in.flight.requests'),

    brokerId,
    brokerIdGenerationEnable,
    reservedBrokerMaxId,
    brokerRack: rack === '' ? null : rack,

    ...network,
    socketRequestMaxBytes: get.number('socket.request.max.bytes'),
    queuedMaxRequests: get.number('queued.max.requests'),
    requestTimeoutMs: get.number('request.timeout.ms'),
    connectionsMaxIdleMs: get.number('connections.max.idle.ms'),

    logDirs: resolveLogDirs(get),
    numPartitions: get.number('num.partitions'),
    defaultReplicationFactor: get.number('default.replication.factor'),
    minInsyncReplicas: get.number('min.insync.replicas'),
    logSegmentBytes: get.number('log.segment.bytes'),
    logRollMs,
    logRollJitterMs,
    logRetentionMs: resolveRetentionMs(get),
    logRetentionBytes: get.number('log.retention.bytes'),
    logRetentionCheckIntervalMs: get.number('log.retention.check.interval.ms'),
    logSegmentDeleteDelayMs: get.number('log.segment.delete.delay.ms'),
    logIndexSizeMaxBytes: get.number('log.index.size.max.bytes'),
    logIndexIntervalBytes: get.number('log.index.interval.bytes'),
    logFlushIntervalMessages: get.number('log.flush.interval.messages'),
    logFlushIntervalMs:
      get.optionalNumber('log.flush.interval.ms') ?? get.number('log.flush.scheduler.interval.ms'),
    logFlushSchedulerIntervalMs: get.number('log.flush.scheduler.interval.ms'),
    logFlushOffsetCheckpointIntervalMs: get.number('log.flush.offset.checkpoint.interval.ms'),
    logFlushStartOffsetCheckpointIntervalMs: get.number('log.flush.start.offset.checkpoint.interval.ms'),
    // The validator admits only compact and delete.
    logCleanupPolicy: get.list('log.cleanup.policy') as readonly CleanupPolicy[],
    logCleanerEnable: get.boolean('log.cleaner.enable'),
    logCleanerDeleteRetentionMs: get.number('log.cleaner.delete.retention.ms'),
    logCleanerMinCompactionLagMs: get.number('log.cleaner.min.compaction.lag.ms'),
    logCleanerMaxCompactionLagMs: get.number('log.cleaner.max.compaction.lag.ms'),
    logCleanerMinCleanableRatio: get.number('log.cleaner.min.cleanable.ratio'),
    logCleanerBackoffMs: get.number('log.cleaner.backoff.ms'),
    logPreallocate: get.boolean('log.preallocate'),
    logMessageTimestampType: get.string('log.message.timestamp.type') as TimestampType,
    logMessageTimestampDifferenceMaxMs: get.number('log.message.timestamp.difference.max.ms'),
    numRecoveryThreadsPerDataDir: get.number('num.recovery.threads.per.data.dir'),
    autoCreateTopicsEnable: get.boolean('auto.create.topics.enable'),
    deleteTopicEnable: get.boolean('delete.topic.enable'),
    messageMaxBytes: get.number('message.max.bytes'),
    // The validator admits the six names in any case, as Kafka's broker does.
    compressionType: get.string('compression.type').toLowerCase() as CompressionType,
    fetchMaxBytes: get.number('fetch.max.bytes'),

    controllerSocketTimeoutMs: get.number('controller.socket.timeout.ms'),
    replicaLagTimeMaxMs,
    replicaSocketTimeoutMs,
    replicaFetchMaxBytes: get.number('replica.fetch.max.bytes'),
    replicaFetchWaitMaxMs,
    replicaFetchMinBytes: get.number('replica.fetch.min.bytes'),
    replicaFetchResponseMaxBytes: get.number('replica.fetch.response.max.bytes'),
    replicaFetchBackoffMs: get.number('replica.fetch.backoff.ms'),
    numReplicaFetchers: get.number('num.replica.fetchers'),
    replicaHighWatermarkCheckpointIntervalMs: get.number('replica.high.watermark.checkpoint.interval.ms'),
    autoLeaderRebalanceEnable: get.boolean('auto.leader.rebalance.enable'),
    leaderImbalancePerBrokerPercentage: get.number('leader.imbalance.per.broker.percentage'),
    leaderImbalanceCheckIntervalSeconds: get.number('leader.imbalance.check.interval.seconds'),
    uncleanLeaderElectionEnable: get.boolean('unclean.leader.election.enable'),
    controlledShutdownEnable: get.boolean('controlled.shutdown.enable'),
    controlledShutdownMaxRetries: get.number('controlled.shutdown.max.retries'),
    controlledShutdownRetryBackoffMs: get.number('controlled.shutdown.retry.backoff.ms'),

    groupMinSessionTimeoutMs: get.number('group.min.session.timeout.ms'),
    groupMaxSessionTimeoutMs: get.number('group.max.session.timeout.ms'),
    groupInitialRebalanceDelayMs: get.number('group.initial.rebalance.delay.ms'),
    groupMaxSize: get.number('group.max.size'),
    offsetMetadataMaxBytes: get.number('offset.metadata.max.bytes'),
    offsetsLoadBufferSize: get.number('offsets.load.buffer.size'),
    offsetsTopicReplicationFactor,
    offsetsTopicNumPartitions: get.number('offsets.topic.num.partitions'),
    offsetsTopicSegmentBytes: get.number('offsets.topic.segment.bytes'),
    offsetsTopicCompressionCodec: get.number('offsets.topic.compression.codec'),
    offsetsRetentionMinutes: get.number('offsets.retention.minutes'),
    offsetsRetentionCheckIntervalMs: get.number('offsets.retention.check.interval.ms'),
    offsetsCommitTimeoutMs: get.number('offsets.commit.timeout.ms'),
    offsetsCommitRequiredAcks,

    values: new FrozenMap(values),
    raw: new FrozenMap(props),
  };
  return Object.freeze(config);
}

function warnAboutUnusedKeys(props: ReadonlyMap<string, string>, warn: (message: string) => void): void {
  for (const key of props.keys()) {
    const definition = brokerConfigDefinition(key);
    const unsupported =
      definition?.support === 'unsupported' ||
      (definition === undefined && UNSUPPORTED_KEY_PREFIXES.some((prefix) => key.startsWith(prefix)));
    if (unsupported) {
      warn(`The configuration '${key}' is a Kafka feature Sluice does not support; it has no effect.`);
    } else if (definition === undefined) {
      warn(`The configuration '${key}' was supplied but isn't a known config.`);
    }
  }
}

function checkBrokerId(brokerId: number, generationEnable: boolean, reservedBrokerMaxId: number): void {
  if (generationEnable && (brokerId < -1 || brokerId > reservedBrokerMaxId)) {
    throw ConfigError.invalidValue(
      'broker.id',
      brokerId,
      `broker.id must be greater than or equal to -1 and not greater than reserved.broker.max.id (${reservedBrokerMaxId})`,
    );
  }
  if (!generationEnable && brokerId < 0) {
    throw ConfigError.invalidValue(
      'broker.id',
      brokerId,
      'broker.id must be greater than or equal to 0 when broker.id.generation.enable is false',
    );
  }
}

function resolveLogDirs(get: TypedReader): readonly string[] {
  const logDirs = get.optionalString('log.dirs');
  const dirs = splitCsv(logDirs ?? get.string('log.dir'));
  if (dirs.length === 0) {
    throw new ConfigError(
      logDirs === null ? 'log.dir' : 'log.dirs',
      'At least one log directory must be defined via log.dirs or log.dir.',
    );
  }
  return Object.freeze(dirs);
}

// Kafka: the first of ms, minutes, hours that is set wins; any negative value means no limit (-1).
function resolveRetentionMs(get: TypedReader): number {
  const ms = get.optionalNumber('log.retention.ms');
  const minutes = get.optionalNumber('log.retention.minutes');
  const [key, given, retentionMs] =
    ms !== null
      ? ['log.retention.ms', ms, ms]
      : minutes !== null
        ? ['log.retention.minutes', minutes, minutes * MINUTE_MS]
        : [
            'log.retention.hours',
            get.number('log.retention.hours'),
            get.number('log.retention.hours') * HOUR_MS,
          ];
  if (retentionMs < 0) return -1;
  if (retentionMs === 0) {
    throw ConfigError.invalidValue(
      key,
      given,
      'log retention must be unlimited (-1) or, equal or greater than 1 ms',
    );
  }
  return retentionMs;
}

interface NetworkConfig {
  listeners: readonly Listener[];
  advertisedListeners: readonly Listener[];
  listenerSecurityProtocolMap: ReadonlyMap<string, ListenerProtocol>;
  interBrokerListenerName: string;
}

function resolveListeners(get: TypedReader, hostname: string): NetworkConfig {
  const protocols = parseProtocolMap(
    'listener.security.protocol.map',
    get.string('listener.security.protocol.map'),
  );
  const listeners = parseListeners('listeners', get.string('listeners'), protocols, true);
  if (listeners.length === 0) {
    throw ConfigError.invalidValue(
      'listeners',
      get.string('listeners'),
      'At least one listener must be defined',
    );
  }

  const advertisedText = get.optionalString('advertised.listeners');
  // When advertised.listeners is unset, errors in what gets advertised are errors of `listeners`.
  const advertisedKey = advertisedText === null ? 'listeners' : 'advertised.listeners';
  const declared =
    advertisedText === null
      ? listeners
      : parseListeners('advertised.listeners', advertisedText, protocols, false);
  const advertisedListeners = declared.map((listener) =>
    Object.freeze({ ...listener, host: listener.host === '' ? hostname : listener.host }),
  );

  const listenerNames = listeners.map((listener) => listener.name);
  for (const advertised of advertisedListeners) {
    if (NON_ROUTABLE_HOSTS.has(advertised.host)) {
      throw ConfigError.invalidValue(
        advertisedKey,
        advertisedText ?? get.string('listeners'),
        `advertised.listeners cannot use the nonroutable meta-address ${advertised.host}. Use a routable IP address.`,
      );
    }
    if (!listenerNames.includes(advertised.name)) {
      throw ConfigError.invalidValue(
        'advertised.listeners',
        advertisedText,
        `advertised.listeners listener names must be equal to or a subset of the ones defined in listeners. Found ${advertised.name}. The valid options based on currently configured listeners are ${listenerNames.join(',')}`,
      );
    }
  }

  return {
    listeners: Object.freeze(listeners.map((listener) => Object.freeze(listener))),
    advertisedListeners: Object.freeze(advertisedListeners),
    listenerSecurityProtocolMap: new FrozenMap(protocols),
    interBrokerListenerName: resolveInterBrokerListener(get, advertisedKey, advertisedListeners),
  };
}

// Brokers replicate and take controller requests over gRPC, so the inter-broker listener must be GRPC.
function resolveInterBrokerListener(
  get: TypedReader,
  advertisedKey: string,
  advertised: readonly Listener[],
): string {
  const configured = get.optionalString('inter.broker.listener.name');
  if (configured === null) {
    const first = advertised.find((listener) => listener.protocol === 'GRPC');
    if (first === undefined) {
      throw ConfigError.invalidValue(
        advertisedKey,
        get.optionalString(advertisedKey),
        'Brokers talk to each other over gRPC: at least one advertised listener must use the GRPC protocol',
      );
    }
    return first.name;
  }
  const name = configured.toUpperCase();
  const listener = advertised.find((candidate) => candidate.name === name);
  if (listener === undefined) {
    throw ConfigError.invalidValue(
      'inter.broker.listener.name',
      configured,
      `inter.broker.listener.name must be a listener name defined in advertised.listeners. The valid options based on currently configured listeners are ${advertised.map((l) => l.name).join(',')}`,
    );
  }
  if (listener.protocol !== 'GRPC') {
    throw ConfigError.invalidValue(
      'inter.broker.listener.name',
      configured,
      `Listener ${name} uses ${listener.protocol}; brokers talk to each other over GRPC`,
    );
  }
  return name;
}

function freezeValue(value: ConfigValue): ConfigValue {
  return typeof value === 'object' && value !== null ? Object.freeze(value) : value;
}
