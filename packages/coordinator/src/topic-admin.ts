// The admin half of topic management in ZooKeeper (Kafka's AdminZkClient), shared by brokers (CreateTopics,
// CreatePartitions, AlterConfigs, DeleteTopics, auto-creation) and ZooKeeper-mode tools. As in Kafka, the
// admin path writes only requests and descriptions: the topic's config and its replica assignment, a
// config change notification, a deletion request. The controller sees them through its watches and
// writes the partition states (leaders and ISRs), so nothing here competes with it.
import { ErrorCode, KafkaError } from '@sluice/protocol';
import {
  ConfigChangeNotificationZNode,
  DeleteTopicZNode,
  type LeaderAndIsr,
  type ReplicaAssignment,
  TopicConfigZNode,
  TopicPartitionStateZNode,
  TopicsZNode,
  TopicZNode,
} from './znodes.ts';
import { type MultiOp, type ZooKeeperClient, ZooKeeperCode, ZooKeeperError } from './zookeeper-client.ts';

export interface NewTopic {
  name: string;
  assignment: ReplicaAssignment;
  configs: Record<string, string>;
}

/** The config znode's write: create when absent, else setData conditional on the version read. */
function configWrite(topic: string, config: Record<string, string>, version: number | null): MultiOp {
  const path = TopicConfigZNode.path(topic);
  const data = TopicConfigZNode.encode(config);
  return version === null ? { op: 'create', path, data } : { op: 'setData', path, data, version };
}

function configChangeNotification(topic: string): MultiOp {
  return {
    op: 'create',
    path: ConfigChangeNotificationZNode.sequencePrefix,
    data: ConfigChangeNotificationZNode.encodeTopic(topic),
    mode: 'persistent_sequential',
  };
}

/**
 * Writes /config/topics/<t> (with a /config/changes notification) and /brokers/topics/<t> in one multi:
 * the topic appears whole or not at all. Throws TOPIC_ALREADY_EXISTS when it exists; nothing is written then.
 */
export async function createTopicInZooKeeper(zk: ZooKeeperClient, topic: NewTopic): Promise<void> {
  const configStat = await zk.exists(TopicConfigZNode.path(topic.name));
  try {
    await zk.multi([
      configWrite(topic.name, topic.configs, configStat?.version ?? null),
      configChangeNotification(topic.name),
      { op: 'create', path: TopicZNode.path(topic.name), data: TopicZNode.encode(topic.assignment) },
    ]);
  } catch (err) {
    if (ZooKeeperError.is(err, ZooKeeperCode.NODE_EXISTS) && (await zk.exists(TopicZNode.path(topic.name)))) {
      throw new KafkaError(ErrorCode.TOPIC_ALREADY_EXISTS, `Topic '${topic.name}' already exists.`);
    }
    throw err;
  }
}

/**
 * Replaces the topic's assignment with one that has more partitions, if the znode still has
 * `expectedVersion` (Kafka's --alter --partitions); false when it changed meanwhile (plan again). The
 * controller creates the new partitions' states.
 */
export async function addPartitionsInZooKeeper(
  zk: ZooKeeperClient,
  topic: string,
  assignment: ReplicaAssignment,
  expectedVersion: number,
): Promise<boolean> {
  try {
    await zk.setData(TopicZNode.path(topic), TopicZNode.encode(assignment), expectedVersion);
    return true;
  } catch (err) {
    if (ZooKeeperError.is(err, ZooKeeperCode.NO_NODE)) {
      throw new KafkaError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `Topic '${topic}' does not exist.`);
    }
    if (ZooKeeperError.is(err, ZooKeeperCode.BAD_VERSION)) return false;
    throw err;
  }
}

/**
 * Writes a topic's whole config override set with a /config/changes notification, conditional on the
 * config znode's version (`null`: it must not exist yet).
 */
export async function changeTopicConfigInZooKeeper(
  zk: ZooKeeperClient,
  topic: string,
  config: Record<string, string>,
  expectedVersion: number | null,
): Promise<void> {
  await zk.multi([configWrite(topic, config, expectedVersion), configChangeNotification(topic)]);
}

/** Creates /admin/delete_topics/<t>; false when the topic was marked already. */
export async function markTopicForDeletion(zk: ZooKeeperClient, topic: string): Promise<boolean> {
  try {
    await zk.create(DeleteTopicZNode.path(topic), null);
    return true;
  } catch (err) {
    if (ZooKeeperError.is(err, ZooKeeperCode.NODE_EXISTS)) return false;
    throw err;
  }
}

export async function isTopicMarkedForDeletion(zk: ZooKeeperClient, topic: string): Promise<boolean> {
  return (await zk.exists(DeleteTopicZNode.path(topic))) !== null;
}

export async function listTopicNames(zk: ZooKeeperClient): Promise<string[]> {
  return ((await zk.getChildren(TopicsZNode.path)) ?? []).sort();
}

export async function readTopicAssignment(
  zk: ZooKeeperClient,
  topic: string,
): Promise<ReplicaAssignment | null> {
  return (await readTopicAssignmentWithVersion(zk, topic))?.assignment ?? null;
}

export async function readTopicAssignmentWithVersion(
  zk: ZooKeeperClient,
  topic: string,
): Promise<{ assignment: ReplicaAssignment; version: number } | null> {
  const node = await zk.getData(TopicZNode.path(topic));
  return node ? { assignment: TopicZNode.decode(topic, node.data), version: node.stat.version } : null;
}

export async function readTopicConfig(zk: ZooKeeperClient, topic: string): Promise<Record<string, string>> {
  return (await readTopicConfigWithVersion(zk, topic)).config;
}

/** The topic's overrides and the config znode's version (null when the znode does not exist). */
export async function readTopicConfigWithVersion(
  zk: ZooKeeperClient,
  topic: string,
): Promise<{ config: Record<string, string>; version: number | null }> {
  const node = await zk.getData(TopicConfigZNode.path(topic));
  return node
    ? { config: TopicConfigZNode.decode(topic, node.data), version: node.stat.version }
    : { config: {}, version: null };
}

export async function readPartitionState(
  zk: ZooKeeperClient,
  topic: string,
  partition: number,
): Promise<LeaderAndIsr | null> {
  const node = await zk.getData(TopicPartitionStateZNode.path(topic, partition));
  return node ? TopicPartitionStateZNode.decode(topic, partition, node.data) : null;
}
