// The public API of @sluice/client, the SDK for applications.

export { type CompressionType, ErrorCode, murmur2, partitionForKey } from '@sluice/protocol';
export {
  Admin,
  type AdminOptions,
  type ConfigEntry,
  type ConfigEntrySource,
  type NewTopic,
  type TopicConfigChanges,
} from './admin.ts';
export { Sluice, type SluiceOptions } from './client.ts';
export {
  ClientClosedError,
  ConnectionError,
  CorruptMessageError,
  DuplicateSequenceNumberError,
  FencedLeaderEpochError,
  InvalidClientConfigError,
  InvalidPartitionsError,
  InvalidProducerEpochError,
  InvalidReplicationFactorError,
  InvalidRequiredAcksError,
  InvalidTopicError,
  isRetriable,
  KafkaError,
  type KafkaErrorClass,
  KafkaStorageError,
  kafkaError,
  kafkaErrorClass,
  LeaderNotAvailableError,
  MessageTooLargeError,
  NotEnoughReplicasAfterAppendError,
  NotEnoughReplicasError,
  NotLeaderOrFollowerError,
  OffsetOutOfRangeError,
  OutOfOrderSequenceNumberError,
  PolicyViolationError,
  RecordListTooLargeError,
  RequestTimedOutError,
  RequestTimeoutError,
  TopicAlreadyExistsError,
  UnknownLeaderEpochError,
  UnknownProducerIdError,
  UnknownServerError,
  UnknownTopicOrPartitionError,
  UnsupportedCompressionTypeError,
} from './errors.ts';
export type { BrokerInfo, ClusterInfo, PartitionInfo, TopicInfo } from './metadata.ts';
export {
  CONSUMER_DEFAULTS,
  type ConsumedRecord,
  PartitionConsumer,
  type PartitionConsumerOptions,
  type StartOffset,
} from './partition-consumer.ts';
export type { Partitioner, PartitionerOption } from './partitioner.ts';
export {
  type Acks,
  type DeliveryCallback,
  PRODUCER_DEFAULTS,
  Producer,
  type ProducerOptions,
  type ProducerRecord,
  type RecordMetadata,
} from './producer.ts';
