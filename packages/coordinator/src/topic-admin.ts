// Topic creation and reads in ZooKeeper, shared by brokers (CreateTopics, auto-creation) and by the
// ZooKeeper-mode admin tools. Until the controller exists (it will take over the partition state), a
// creation writes the assignment, the topic config and the initial partition states in one multi-op:
// the topic appears whole or not at all.
import { ErrorCode, KafkaError } from '@sluice/protocol';
import {
  ControllerEpochZNode,
  type LeaderAndIsr,
  type ReplicaAssignment,
  TopicConfigZNode,
  TopicPartitionStateZNode,
  TopicPartitionsZNode,
  TopicPartitionZNode,
  TopicsZNode,
  TopicZNode,
} from './znodes.ts';
import { type MultiOp, type ZooKeeperClient, ZooKeeperCode, ZooKeeperError } from './zookeeper-client.ts';

export interface NewTopic {
  name: string;
  assignment: ReplicaAssignment;
  configs: Record<string, string>;
}

export async function readControllerEpoch(zk: ZooKeeperClient): Promise<number> {
  const node = await zk.getData(ControllerEpochZNode.path);
  return node ? ControllerEpochZNode.decode(node.data) : 0;
}

/** Throws TOPIC_ALREADY_EXISTS when the topic exists; nothing is written then. */
export async function createTopicInZooKeeper(zk: ZooKeeperClient, topic: NewTopic): Promise<void> {
  const controllerEpoch = await readControllerEpoch(zk);
  const configPath = TopicConfigZNode.path(topic.name);
  const configStat = await zk.exists(configPath);
  const ops: MultiOp[] = [
    configStat === null
      ? { op: 'create', path: configPath, data: TopicConfigZNode.encode(topic.configs) }
      : {
          op: 'setData',
          path: configPath,
          data: TopicConfigZNode.encode(topic.configs),
          version: configStat.version,
        },
    { op: 'create', path: TopicZNode.path(topic.name), data: TopicZNode.encode(topic.assignment) },
    { op: 'create', path: TopicPartitionsZNode.path(topic.name), data: null },
  ];
  for (const [partition, replicas] of topic.assignment) {
    const state: LeaderAndIsr = {
      leader: replicas[0] ?? -1,
      leaderEpoch: 0,
      isr: [...replicas],
      controllerEpoch,
    };
    ops.push({ op: 'create', path: TopicPartitionZNode.path(topic.name, partition), data: null });
    ops.push({
      op: 'create',
      path: TopicPartitionStateZNode.path(topic.name, partition),
      data: TopicPartitionStateZNode.encode(state),
    });
  }
  try {
    await zk.multi(ops);
  } catch (err) {
    if (ZooKeeperError.is(err, ZooKeeperCode.NODE_EXISTS)) {
      if (await zk.exists(TopicZNode.path(topic.name))) {
        throw new KafkaError(ErrorCode.TOPIC_ALREADY_EXISTS, `Topic '${topic.name}' already exists.`);
      }
    }
    throw err;
  }
}

export async function listTopicNames(zk: ZooKeeperClient): Promise<string[]> {
  return ((await zk.getChildren(TopicsZNode.path)) ?? []).sort();
}

export async function readTopicAssignment(
  zk: ZooKeeperClient,
  topic: string,
): Promise<ReplicaAssignment | null> {
  const node = await zk.getData(TopicZNode.path(topic));
  return node ? TopicZNode.decode(topic, node.data) : null;
}

export async function readTopicConfig(zk: ZooKeeperClient, topic: string): Promise<Record<string, string>> {
  const node = await zk.getData(TopicConfigZNode.path(topic));
  return node ? TopicConfigZNode.decode(topic, node.data) : {};
}

export async function readPartitionState(
  zk: ZooKeeperClient,
  topic: string,
  partition: number,
): Promise<LeaderAndIsr | null> {
  const node = await zk.getData(TopicPartitionStateZNode.path(topic, partition));
  return node ? TopicPartitionStateZNode.decode(topic, partition, node.data) : null;
}
