// The controller's writes of partition state (Kafka's ZkPartitionStateMachine, its ZooKeeper half): new
// partitions get their first state znode, and existing ones change leader and ISR through setData
// conditional on the znode version the context holds. Every write is fenced by the controller epoch.
// When a leader changed the ISR meanwhile (a BAD_VERSION), the state is read again and the decision
// taken afresh on it, a bounded number of times.
import type { Logger } from 'pino';
import {
  type LeaderAndIsr,
  TopicPartitionStateZNode,
  TopicPartitionsZNode,
  TopicPartitionZNode,
} from '../znodes.ts';
import { type MultiOp, type ZooKeeperClient, ZooKeeperCode, ZooKeeperError } from '../zookeeper-client.ts';
import type { ControllerContext, TopicPartition } from './controller-context.ts';
import { fencedMulti } from './fencing.ts';
import { initialLeaderAndIsr } from './leader-election.ts';

/** Partition writes in flight at once: ZooKeeper pipelines them on one connection. */
const MAX_WRITES_IN_FLIGHT = 64;
/** Re-reads after BAD_VERSION before a change is given up (the event is then retried as a whole). */
const MAX_ATTEMPTS_PER_PARTITION = 3;

/** Decides the next state from the current one; null: leave the partition as it is. */
export type StateDecision = (current: LeaderAndIsr) => LeaderAndIsr | null | Promise<LeaderAndIsr | null>;

export interface StateChange extends TopicPartition {
  decide: StateDecision;
  /** For the log: why the state changes (e.g. 'offline election'). */
  reason: string;
}

/** Runs `task` over `items` with at most `limit` running at once; rejects with the first failure. */
export async function forEachBounded<T>(
  items: readonly T[],
  limit: number,
  task: (item: T) => Promise<void>,
): Promise<void> {
  let next = 0;
  let failure: unknown;
  const worker = async (): Promise<void> => {
    while (next < items.length && failure === undefined) {
      const item = items[next++] as T;
      try {
        await task(item);
      } catch (err) {
        failure ??= err;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  if (failure !== undefined) throw failure;
}

export class PartitionStateMachine {
  readonly #context: ControllerContext;
  readonly #zk: () => ZooKeeperClient;
  readonly #logger: Logger;

  constructor(context: ControllerContext, zk: () => ZooKeeperClient, logger: Logger) {
    this.#context = context;
    this.#zk = zk;
    this.#logger = logger;
  }

  /** Reads the partitions' state znodes into the context (absent ones are removed from it). */
  async loadStates(partitions: readonly TopicPartition[]): Promise<void> {
    await forEachBounded(partitions, MAX_WRITES_IN_FLIGHT, async ({ topic, partition }) => {
      await this.#reload(topic, partition);
    });
  }

  /**
   * Writes the first state of partitions that have none: the first live replica leads, the live
   * replicas are the ISR. Partitions without a live replica stay without state until one appears.
   */
  async initialize(partitions: readonly TopicPartition[]): Promise<void> {
    const context = this.#context;
    const pending = partitions.filter((p) => context.state(p.topic, p.partition) === undefined);
    const topics = [...new Set(pending.map((p) => p.topic))];
    const existing = new Map<string, Set<number>>();
    for (const topic of topics) {
      const children = await this.#zk().getChildren(TopicPartitionsZNode.path(topic));
      if (children === null) {
        await this.#createIgnoringExists([
          { op: 'create', path: TopicPartitionsZNode.path(topic), data: null },
        ]);
      }
      existing.set(topic, new Set((children ?? []).map(Number)));
    }
    const live = context.liveBrokerIds();
    await forEachBounded(pending, MAX_WRITES_IN_FLIGHT, async ({ topic, partition }) => {
      const replicas = context.replicas(topic, partition);
      const state = initialLeaderAndIsr(replicas, live, context.epoch);
      if (state === null) {
        this.#logger.warn(
          { topic, partition, replicas },
          'no live replica for a new partition: it stays without a leader until one registers',
        );
        return;
      }
      const ops: MultiOp[] = [];
      if (!existing.get(topic)?.has(partition)) {
        ops.push({ op: 'create', path: TopicPartitionZNode.path(topic, partition), data: null });
      }
      ops.push({
        op: 'create',
        path: TopicPartitionStateZNode.path(topic, partition),
        data: TopicPartitionStateZNode.encode(state),
      });
      try {
        await fencedMulti(this.#zk(), context.epochZkVersion, ops);
        context.setState(topic, partition, state, 0);
        this.#logger.info({ topic, partition, leader: state.leader, isr: state.isr }, 'new partition online');
      } catch (err) {
        // Written by someone else meanwhile (an older Sluice or a retry of our own write): adopt it.
        if (!ZooKeeperError.is(err, ZooKeeperCode.NODE_EXISTS)) throw err;
        await this.#reload(topic, partition);
      }
    });
  }

  /** Applies each change with a conditional write; returns the partitions whose state was written. */
  async update(changes: readonly StateChange[]): Promise<TopicPartition[]> {
    const changed: TopicPartition[] = [];
    await forEachBounded(changes, MAX_WRITES_IN_FLIGHT, async (change) => {
      if (await this.#updateOne(change)) changed.push({ topic: change.topic, partition: change.partition });
    });
    return changed;
  }

  async #updateOne(change: StateChange): Promise<boolean> {
    const { topic, partition } = change;
    const context = this.#context;
    for (let attempt = 1; ; attempt++) {
      const known = context.state(topic, partition);
      if (known === undefined) return false;
      const next = await change.decide(known.state);
      if (next === null) return false;
      if (next.leaderEpoch <= known.state.leaderEpoch) {
        throw new Error(`a state change of ${topic}-${partition} must bump the leader epoch`);
      }
      try {
        await fencedMulti(this.#zk(), context.epochZkVersion, [
          {
            op: 'setData',
            path: TopicPartitionStateZNode.path(topic, partition),
            data: TopicPartitionStateZNode.encode(next),
            version: known.zkVersion,
          },
        ]);
        context.setState(topic, partition, next, known.zkVersion + 1);
        this.#logger.info(
          {
            topic,
            partition,
            leader: next.leader,
            leaderEpoch: next.leaderEpoch,
            isr: next.isr,
            previousLeader: known.state.leader,
          },
          change.reason,
        );
        return true;
      } catch (err) {
        const retry =
          ZooKeeperError.is(err, ZooKeeperCode.BAD_VERSION) && attempt < MAX_ATTEMPTS_PER_PARTITION;
        if (!retry) throw err;
        // A leader changed the ISR since we read it: decide again on what is there now.
        if (!(await this.#reload(topic, partition))) return false;
      }
    }
  }

  /** Re-reads one state znode into the context; false when it does not exist. */
  async #reload(topic: string, partition: number): Promise<boolean> {
    const node = await this.#zk().getData(TopicPartitionStateZNode.path(topic, partition));
    if (node === null) {
      this.#context.deleteState(topic, partition);
      return false;
    }
    const state = TopicPartitionStateZNode.decode(topic, partition, node.data);
    this.#context.deleteState(topic, partition);
    this.#context.setState(topic, partition, state, node.stat.version);
    return true;
  }

  async #createIgnoringExists(ops: readonly MultiOp[]): Promise<void> {
    try {
      await fencedMulti(this.#zk(), this.#context.epochZkVersion, ops);
    } catch (err) {
      if (!ZooKeeperError.is(err, ZooKeeperCode.NODE_EXISTS)) throw err;
    }
  }
}
