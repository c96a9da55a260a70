// Topic configs over the API (Kafka's DescribeConfigs and IncrementalAlterConfigs for topic resources):
// describe lists every topic config with its value and where it comes from (the topic's override, the
// broker's server.properties, or the default); alter sets or deletes overrides, validates the whole
// resulting set (INVALID_CONFIG naming the key), and writes /config/topics/<t> with a /config/changes
// notification, conditional on the znode's version. Brokers apply the change through their watch.
import {
  changeTopicConfigInZooKeeper,
  type MetadataView,
  readTopicConfigWithVersion,
  TopicZNode,
  type ZooKeeperClient,
  ZooKeeperCode,
  ZooKeeperError,
} from '@sluice/coordinator';
import { ConfigOperation, ConfigSource, ErrorCode, KafkaError } from '@sluice/protocol';
import type { Logger } from 'pino';
import {
  type BrokerConfig,
  ConfigError,
  describeTopicConfigs,
  TOPIC_CONFIG_DEFINITIONS,
  topicConfigDefinition,
  validateTopicConfigs,
} from '../config/index.ts';

export interface ConfigEntryDescription {
  name: string;
  value: string;
  readOnly: boolean;
  /** Kafka's ConfigSource code. */
  source: number;
  sensitive: boolean;
}

export interface ConfigChange {
  name: string;
  /** Kafka's IncrementalAlterConfigs operation: SET or DELETE. */
  operation: number;
  value: string;
}

/** The broker settings a topic config inherits from, when they differ from its brokerKey (Kafka's synonyms). */
const BROKER_SYNONYMS: Readonly<Record<string, readonly string[]>> = {
  'retention.ms': ['log.retention.ms', 'log.retention.minutes', 'log.retention.hours'],
  'segment.ms': ['log.roll.ms', 'log.roll.hours'],
  'segment.jitter.ms': ['log.roll.jitter.ms', 'log.roll.jitter.hours'],
  'flush.ms': ['log.flush.interval.ms', 'log.flush.scheduler.interval.ms'],
};

/** Re-reads after the config znode changed between reading and writing it. */
const MAX_WRITE_ATTEMPTS = 3;

export class TopicConfigAdmin {
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

  /** Every topic config (or only `keys`), sorted by name. */
  async describe(topic: string, keys: readonly string[]): Promise<ConfigEntryDescription[]> {
    await this.#requireTopic(topic);
    const { config: overrides } = await readTopicConfigWithVersion(this.#zk(), topic);
    let described: ReturnType<typeof describeTopicConfigs>;
    try {
      described = describeTopicConfigs(this.#config, overrides);
    } catch (err) {
      if (err instanceof ConfigError) throw new KafkaError(ErrorCode.INVALID_CONFIG, err.message);
      throw err;
    }
    const wanted = keys.length > 0 ? new Set(keys) : null;
    return Object.entries(described)
      .filter(([name]) => wanted === null || wanted.has(name))
      .map(([name, entry]) => ({
        name,
        value: entry.value,
        readOnly: false,
        source: entry.source === 'TOPIC' ? ConfigSource.DYNAMIC_TOPIC_CONFIG : this.#inheritedSource(name),
        sensitive: false,
      }));
  }

  /** Applies the changes to the topic's overrides; nothing is written unless all are valid. */
  async alter(topic: string, changes: readonly ConfigChange[], validateOnly: boolean): Promise<void> {
    await this.#requireTopic(topic);
    const names = new Set<string>();
    for (const change of changes) {
      if (names.has(change.name)) {
        throw new KafkaError(ErrorCode.INVALID_REQUEST, `Error due to duplicate config keys: ${change.name}`);
      }
      names.add(change.name);
      if (change.operation !== ConfigOperation.SET && change.operation !== ConfigOperation.DELETE) {
        throw new KafkaError(
          ErrorCode.INVALID_REQUEST,
          `Config operation ${change.operation} on ${change.name} is not supported: use SET (0) or DELETE (1)`,
        );
      }
      if (topicConfigDefinition(change.name) === undefined) {
        throw new KafkaError(ErrorCode.INVALID_CONFIG, `Unknown topic config name: ${change.name}`);
      }
    }
    for (let attempt = 1; ; attempt++) {
      const current = await readTopicConfigWithVersion(this.#zk(), topic);
      const next = { ...current.config };
      for (const change of changes) {
        if (change.operation === ConfigOperation.SET) next[change.name] = change.value;
        else delete next[change.name];
      }
      try {
        validateTopicConfigs(next);
      } catch (err) {
        if (err instanceof ConfigError) throw new KafkaError(ErrorCode.INVALID_CONFIG, err.message);
        throw err;
      }
      if (validateOnly) return;
      try {
        await changeTopicConfigInZooKeeper(this.#zk(), topic, next, current.version);
        this.#logger.info({ topic, config: next }, 'changed topic config');
        return;
      } catch (err) {
        const raced =
          ZooKeeperError.is(err, ZooKeeperCode.BAD_VERSION) ||
          ZooKeeperError.is(err, ZooKeeperCode.NODE_EXISTS);
        if (!raced || attempt >= MAX_WRITE_ATTEMPTS) throw err;
      }
    }
  }

  async #requireTopic(topic: string): Promise<void> {
    if (this.#metadata.topics.has(topic)) return;
    if ((await this.#zk().exists(TopicZNode.path(topic))) !== null) return;
    throw new KafkaError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `Topic ${topic} does not exist.`);
  }

  /** STATIC_BROKER_CONFIG when server.properties sets the broker setting the topic config inherits. */
  #inheritedSource(name: string): number {
    const definition = TOPIC_CONFIG_DEFINITIONS.find((d) => d.name === name);
    const keys = BROKER_SYNONYMS[name] ?? (definition?.brokerKey ? [definition.brokerKey] : []);
    return keys.some((key) => this.#config.raw.has(key))
      ? ConfigSource.STATIC_BROKER_CONFIG
      : ConfigSource.DEFAULT_CONFIG;
  }
}
