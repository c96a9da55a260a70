// Controller election through ZooKeeper (Kafka's KafkaZkClient.registerControllerAndIncrementControllerEpoch):
// one multi-op creates the ephemeral /controller and sets /controller_epoch to epoch + 1 on the version
// just read. Two brokers racing cannot both win: the second finds /controller taken or the epoch's
// version moved. The winner's new epoch version is what fences its writes from then on.
import { ControllerEpochZNode, ControllerZNode, INITIAL_CONTROLLER_EPOCH } from '../znodes.ts';
import { type ZooKeeperClient, ZooKeeperCode, ZooKeeperError } from '../zookeeper-client.ts';

export interface ControllerEpoch {
  epoch: number;
  /** Version of /controller_epoch holding `epoch`. */
  epochZkVersion: number;
}

/** The current /controller_epoch, created with Kafka's initial epoch 0 when absent. */
export async function readOrCreateControllerEpoch(zk: ZooKeeperClient): Promise<ControllerEpoch> {
  for (let attempt = 1; attempt <= 3; attempt++) {
    const node = await zk.getData(ControllerEpochZNode.path);
    if (node) return { epoch: ControllerEpochZNode.decode(node.data), epochZkVersion: node.stat.version };
    try {
      await zk.create(ControllerEpochZNode.path, ControllerEpochZNode.encode(INITIAL_CONTROLLER_EPOCH));
      return { epoch: INITIAL_CONTROLLER_EPOCH, epochZkVersion: 0 };
    } catch (err) {
      if (!ZooKeeperError.is(err, ZooKeeperCode.NODE_EXISTS)) throw err;
    }
  }
  throw new Error('/controller_epoch keeps appearing and disappearing');
}

/** The id in /controller, or -1 when there is no controller. */
export async function readControllerId(zk: ZooKeeperClient): Promise<number> {
  const node = await zk.getData(ControllerZNode.path);
  return node ? ControllerZNode.decode(node.data) : -1;
}

/**
 * Tries to become the controller. Returns the new epoch, or null when another broker holds /controller
 * or was elected in between.
 */
export async function registerControllerAndIncrementEpoch(
  zk: ZooKeeperClient,
  brokerId: number,
  nowMs: number = Date.now(),
): Promise<ControllerEpoch | null> {
  const current = await readOrCreateControllerEpoch(zk);
  const newEpoch = current.epoch + 1;
  try {
    await zk.multi([
      {
        op: 'create',
        path: ControllerZNode.path,
        data: ControllerZNode.encode(brokerId, nowMs),
        mode: 'ephemeral',
      },
      {
        op: 'setData',
        path: ControllerEpochZNode.path,
        data: ControllerEpochZNode.encode(newEpoch),
        version: current.epochZkVersion,
      },
    ]);
    // setData adds one to the version it checked.
    return { epoch: newEpoch, epochZkVersion: current.epochZkVersion + 1 };
  } catch (err) {
    const ambiguous =
      ZooKeeperError.is(err, ZooKeeperCode.NODE_EXISTS) ||
      ZooKeeperError.is(err, ZooKeeperCode.BAD_VERSION) ||
      ZooKeeperError.is(err, ZooKeeperCode.CONNECTION_LOSS);
    if (!ambiguous) throw err;
    return checkControllerAndEpoch(zk, brokerId, newEpoch);
  }
}

/**
 * After a failed or unanswered election: we won only if /controller is ours, from this very session, and
 * the epoch is the one we tried to write (a later election would have written a larger one).
 */
async function checkControllerAndEpoch(
  zk: ZooKeeperClient,
  brokerId: number,
  newEpoch: number,
): Promise<ControllerEpoch | null> {
  const controller = await zk.getData(ControllerZNode.path);
  if (
    controller === null ||
    ControllerZNode.decode(controller.data) !== brokerId ||
    controller.stat.ephemeralOwner !== zk.sessionId
  ) {
    return null;
  }
  const epoch = await zk.getData(ControllerEpochZNode.path);
  if (epoch === null || ControllerEpochZNode.decode(epoch.data) !== newEpoch) return null;
  return { epoch: newEpoch, epochZkVersion: epoch.stat.version };
}
