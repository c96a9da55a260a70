// The public API of @sluice/client, the SDK for applications.
export { Admin, type AdminOptions, type NewTopic } from './admin.ts';
export { Sluice, type SluiceOptions } from './client.ts';
export {
  ClientClosedError,
  ConnectionError,
  InvalidClientConfigError,
  isRetriable,
  KafkaError,
  RequestTimeoutError,
} from './errors.ts';
export type { BrokerInfo, ClusterInfo, PartitionInfo, TopicInfo } from './metadata.ts';
export {
  CONSUMER_DEFAULTS,
  type ConsumedRecord,
  PartitionConsumer,
  type PartitionConsumerOptions,
  type StartOffset,
} from './partition-consumer.ts';
export type { Partitioner } from './partitioner.ts';
export {
  type Acks,
  PRODUCER_DEFAULTS,
  Producer,
  type ProducerOptions,
  type ProducerRecord,
  type RecordMetadata,
} from './producer.ts';
