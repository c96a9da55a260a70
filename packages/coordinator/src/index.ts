// The public API of @sluice/coordinator: everything that talks to ZooKeeper.
export { type AssignmentOptions, assignReplicasToBrokers, validateExplicitAssignment } from './assignment.ts';
export {
  BrokerIdInUseError,
  createTopLevelPaths,
  generateBrokerId,
  generateClusterId,
  getOrCreateClusterId,
  readBroker,
  registerBroker,
} from './broker-registration.ts';
export * from './controller/index.ts';
export { EventQueue, type QueuedEvent } from './event-queue.ts';
export {
  type BrokerAnswer,
  brokersOnListener,
  type PartitionAnswer,
  partitionAnswers,
} from './metadata-answers.ts';
export { MetadataView, type PartitionView, type TopicView } from './metadata-view.ts';
export { ProducerIdManager } from './producer-id-manager.ts';
export {
  addPartitionsInZooKeeper,
  changeTopicConfigInZooKeeper,
  createTopicInZooKeeper,
  isTopicMarkedForDeletion,
  listTopicNames,
  markTopicForDeletion,
  type NewTopic,
  readPartitionState,
  readTopicAssignment,
  readTopicAssignmentWithVersion,
  readTopicConfig,
  readTopicConfigWithVersion,
} from './topic-admin.ts';
export * from './znodes.ts';
export {
  type CreateMode,
  type MultiOp,
  type ZnodeStat,
  ZooKeeperClient,
  type ZooKeeperClientOptions,
  ZooKeeperCode,
  ZooKeeperError,
} from './zookeeper-client.ts';
export {
  freePort,
  ZooKeeperServer,
  type ZooKeeperServerOptions,
  zookeeperClasspath,
} from './zookeeper-server.ts';
