// A broker's identity in ZooKeeper: the top-level paths, the cluster id, broker id generation through
// /brokers/seqid, and the ephemeral /brokers/ids/<id> registration (Kafka's KafkaZkClient.registerBroker).
import { randomUUID } from 'node:crypto';
import {
  BrokerIdZNode,
  type BrokerRegistration,
  BrokerSequenceIdZNode,
  ClusterIdZNode,
  PERSISTENT_PATHS,
} from './znodes.ts';
import { type ZooKeeperClient, ZooKeeperCode, ZooKeeperError } from './zookeeper-client.ts';

/** Another live broker holds the same id. */
export class BrokerIdInUseError extends Error {
  readonly brokerId: number;
  constructor(brokerId: number) {
    super(
      `Broker id ${brokerId} is already registered in ZooKeeper by another live broker: choose another broker.id, ` +
        'or stop the other broker',
    );
    this.name = 'BrokerIdInUseError';
    this.brokerId = brokerId;
  }
}

export async function createTopLevelPaths(zk: ZooKeeperClient): Promise<void> {
  for (const path of PERSISTENT_PATHS) await zk.createRecursive(path);
}

/** Kafka's cluster id: a random UUID as 22 characters of URL-safe base64. */
export function generateClusterId(): string {
  return Buffer.from(randomUUID().replaceAll('-', ''), 'hex').toString('base64url');
}

/** Reads /cluster/id, creating it on first start of the cluster. */
export async function getOrCreateClusterId(zk: ZooKeeperClient): Promise<string> {
  const existing = await zk.getData(ClusterIdZNode.path);
  if (existing) return ClusterIdZNode.decode(existing.data);
  await zk.createRecursive('/cluster');
  try {
    await zk.create(ClusterIdZNode.path, ClusterIdZNode.encode(generateClusterId()));
  } catch (err) {
    if (!ZooKeeperError.is(err, ZooKeeperCode.NODE_EXISTS)) throw err;
  }
  const created = await zk.getData(ClusterIdZNode.path);
  if (!created) throw new Error('/cluster/id vanished right after creation');
  return ClusterIdZNode.decode(created.data);
}

/**
 * A new broker id: the version of /brokers/seqid after an unconditional setData, plus
 * reserved.broker.max.id, so generated ids never collide with configured ones (Kafka's scheme).
 */
export async function generateBrokerId(zk: ZooKeeperClient, reservedBrokerMaxId: number): Promise<number> {
  try {
    const stat = await zk.setData(BrokerSequenceIdZNode.path, Buffer.alloc(0), -1);
    return stat.version + reservedBrokerMaxId;
  } catch (err) {
    if (!ZooKeeperError.is(err, ZooKeeperCode.NO_NODE)) throw err;
    await zk.createRecursive(BrokerSequenceIdZNode.path);
    const stat = await zk.setData(BrokerSequenceIdZNode.path, Buffer.alloc(0), -1);
    return stat.version + reservedBrokerMaxId;
  }
}

/**
 * Creates the ephemeral /brokers/ids/<id>. A znode left by this same session (a retried create) is
 * accepted; one owned by another session means another broker has the id.
 */
export async function registerBroker(zk: ZooKeeperClient, registration: BrokerRegistration): Promise<void> {
  const path = BrokerIdZNode.path(registration.id);
  try {
    await zk.create(path, BrokerIdZNode.encode(registration), 'ephemeral');
  } catch (err) {
    if (!ZooKeeperError.is(err, ZooKeeperCode.NODE_EXISTS)) throw err;
    const stat = await zk.exists(path);
    if (stat !== null && stat.ephemeralOwner === zk.sessionId) return;
    throw new BrokerIdInUseError(registration.id);
  }
}

export async function readBroker(zk: ZooKeeperClient, id: number): Promise<BrokerRegistration | null> {
  const node = await zk.getData(BrokerIdZNode.path(id));
  return node ? BrokerIdZNode.decode(id, node.data) : null;
}
