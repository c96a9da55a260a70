// The broker configuration module's public API: server.properties parsing, the broker and topic
// configuration tables with Kafka 2.7's names and defaults, and their loading and validation.

export type {
  BrokerConfig,
  CleanupPolicy,
  CompressionType,
  LoadBrokerConfigOptions,
  TimestampType,
} from './broker-config.ts';
export { loadBrokerConfig } from './broker-config.ts';
export type {
  ConfigDefinition,
  ConfigType,
  ConfigValue,
  Importance,
  Support,
  Validator,
} from './config-def.ts';
export { formatConfigValue, LONG_MAX_VALUE, NO_DEFAULT, parseConfigValue } from './config-def.ts';
export { ConfigError } from './config-error.ts';
export {
  BROKER_CONFIG_DEFINITIONS,
  brokerConfigDefinition,
  CLEANUP_POLICIES,
  COMPRESSION_TYPES,
  LISTENER_PROTOCOLS,
  TIMESTAMP_TYPES,
} from './definitions.ts';
export type { Listener, ListenerProtocol } from './listeners.ts';
export { parseListeners, parseProtocolMap } from './listeners.ts';
export { parseOverrides, parseProperties } from './properties.ts';
export type {
  TopicConfig,
  TopicConfigDefinition,
  TopicConfigEntry,
  TopicConfigSource,
} from './topic-config.ts';
export {
  describeTopicConfigs,
  effectiveTopicConfig,
  TOPIC_CONFIG_DEFINITIONS,
  topicConfigDefinition,
  validateTopicConfigs,
} from './topic-config.ts';
