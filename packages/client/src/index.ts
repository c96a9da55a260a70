// The public API of @sluice/client, the SDK for applications.

export { type CompressionType, ErrorCode, murmur2, partitionForKey } from '@sluice/protocol';
export {
  Admin,
  type AdminOptions,
  type ConfigEntry,
  type ConfigEntrySource,
  type ListedOffset,
  type NewTopic,
  type OffsetSpec,
  type TopicConfigChanges,
} from './admin.ts';
export { Sluice, type SluiceOptions } from './client.ts';
export {
  ClientClosedError,
  CommitFailedError,
  ConnectionError,
  CorruptMessageError,
  DuplicateSequenceNumberError,
  FencedLeaderEpochError,
  IllegalStateError,
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
  NoOffsetForPartitionError,
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
export type { Assignment, GroupMember, PartitionAssignor, Subscription } from './group/assignor.ts';
export { ASSIGNOR_NAMES, assignorByName } from './group/assignors/index.ts';
export {
  type CommitCallback,
  type CommittedOffset,
  ConsumerGroup,
} from './group/consumer-group.ts';
export {
  CONSUMER_GROUP_DEFAULTS,
  type ConsumerGroupOptions,
  type RebalanceListener,
  type TopicPartition,
  type TopicPartitionOffset,
} from './group/consumer-group-options.ts';
export type {
  GroupDescription,
  GroupMemberDescription,
  GroupOffset,
  GroupOffsetChange,
  GroupState,
  ListedGroup,
} from './group-admin.ts';
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
