// Fencing of the controller's writes, as Kafka 2.7 does it (KafkaZkClient's controller epoch check):
// every write is a multi-op that starts with `check /controller_epoch <version>`, the version this
// controller's election produced. Once another broker has been elected, the version has moved and every
// write of the old controller fails as a whole, so a controller that has not yet noticed it lost can
// change nothing.
import { ControllerEpochZNode } from '../znodes.ts';
import { type MultiOp, type ZooKeeperClient, ZooKeeperCode, ZooKeeperError } from '../zookeeper-client.ts';

/** Operations per multi; ZooKeeper caps one request at jute.maxbuffer (1 MiB by default). */
const MAX_OPS_PER_MULTI = 500;

/** This broker is no longer the controller: /controller_epoch has moved past its election. */
export class ControllerMovedError extends Error {
  constructor(message = 'The controller moved to another broker') {
    super(message);
    this.name = 'ControllerMovedError';
  }
}

/**
 * Runs `ops` atomically if /controller_epoch still has `epochZkVersion`. A failure of one of `ops` is
 * rethrown with `opIndex` counted within `ops`; a failed epoch check becomes ControllerMovedError.
 */
export async function fencedMulti(
  zk: ZooKeeperClient,
  epochZkVersion: number,
  ops: readonly MultiOp[],
): Promise<void> {
  try {
    await zk.multi([{ op: 'check', path: ControllerEpochZNode.path, version: epochZkVersion }, ...ops]);
  } catch (err) {
    if (!(err instanceof ZooKeeperError) || err.opIndex === undefined) throw err;
    if (err.opIndex === 0) {
      throw new ControllerMovedError(
        `Controller epoch znode version is no longer ${epochZkVersion}: another broker was elected controller`,
      );
    }
    throw new ZooKeeperError(err.code, err.codeName, err.path, err.opIndex - 1);
  }
}

/**
 * Removes the znodes under the epoch check, in order (children before their parents), in multis of
 * bounded size. Znodes already gone are fine.
 */
export async function removeFenced(
  zk: ZooKeeperClient,
  epochZkVersion: number,
  paths: readonly string[],
): Promise<void> {
  for (let start = 0; start < paths.length; start += MAX_OPS_PER_MULTI) {
    const ops: MultiOp[] = paths
      .slice(start, start + MAX_OPS_PER_MULTI)
      .map((path) => ({ op: 'remove', path, version: -1 }));
    try {
      await fencedMulti(zk, epochZkVersion, ops);
    } catch (err) {
      if (!ZooKeeperError.is(err, ZooKeeperCode.NO_NODE)) throw err;
      // Some were gone already: remove the rest one by one, still fenced.
      for (const op of ops) {
        try {
          await fencedMulti(zk, epochZkVersion, [op]);
        } catch (inner) {
          if (!ZooKeeperError.is(inner, ZooKeeperCode.NO_NODE)) throw inner;
        }
      }
    }
  }
}
