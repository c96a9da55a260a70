// The active controller's picture of the cluster (Kafka's ControllerContext): its epoch and the version
// of /controller_epoch that fences its writes, the live brokers with their registration's creation
// zxid (Kafka's broker epoch, which tells a bounced broker from one that never left), every topic's
// assignment and every partition's state with the znode version the next conditional write expects.
// Loaded from ZooKeeper on failover, changed only by the controller's event loop, dropped on resignation.
import type { BrokerRegistration, LeaderAndIsr, ReplicaAssignment } from '../znodes.ts';

export interface TopicPartition {
  topic: string;
  partition: number;
}

export interface LiveBroker {
  registration: BrokerRegistration;
  /** czxid of /brokers/ids/<id>: changes each time the broker registers anew. */
  brokerEpoch: string;
}

export interface PartitionState {
  state: LeaderAndIsr;
  /** Version of the state znode as last read or written. */
  zkVersion: number;
}

/** `topic-partition`, unambiguous because the partition is always the text after the last '-'. */
export function partitionKey(topic: string, partition: number): string {
  return `${topic}-${partition}`;
}

export class ControllerContext {
  epoch = 0;
  /** Version of /controller_epoch after this controller's election: every write checks it. */
  epochZkVersion = 0;
  readonly liveBrokers = new Map<number, LiveBroker>();
  readonly assignments = new Map<string, ReplicaAssignment>();
  readonly #states = new Map<string, PartitionState>();

  liveBrokerIds(): Set<number> {
    return new Set(this.liveBrokers.keys());
  }

  replicas(topic: string, partition: number): number[] {
    return this.assignments.get(topic)?.get(partition) ?? [];
  }

  state(topic: string, partition: number): PartitionState | undefined {
    return this.#states.get(partitionKey(topic, partition));
  }

  setState(topic: string, partition: number, state: LeaderAndIsr, zkVersion: number): void {
    const key = partitionKey(topic, partition);
    const known = this.#states.get(key);
    // The leader epoch never goes back: a smaller one means a write from an older view slipped in.
    if (known !== undefined && state.leaderEpoch < known.state.leaderEpoch && zkVersion <= known.zkVersion) {
      throw new Error(
        `leader epoch of ${key} would go back from ${known.state.leaderEpoch} to ${state.leaderEpoch}`,
      );
    }
    this.#states.set(key, { state, zkVersion });
  }

  deleteState(topic: string, partition: number): void {
    this.#states.delete(partitionKey(topic, partition));
  }

  /** Every partition of every topic, in topic then partition order. */
  allPartitions(): TopicPartition[] {
    const result: TopicPartition[] = [];
    for (const topic of [...this.assignments.keys()].sort()) {
      const partitions = [...(this.assignments.get(topic)?.keys() ?? [])].sort((a, b) => a - b);
      for (const partition of partitions) result.push({ topic, partition });
    }
    return result;
  }

  partitionsOf(topic: string): TopicPartition[] {
    return [...(this.assignments.get(topic)?.keys() ?? [])]
      .sort((a, b) => a - b)
      .map((partition) => ({ topic, partition }));
  }

  removeTopic(topic: string): void {
    for (const partition of this.assignments.get(topic)?.keys() ?? []) this.deleteState(topic, partition);
    this.assignments.delete(topic);
  }

  clear(): void {
    this.epoch = 0;
    this.epochZkVersion = 0;
    this.liveBrokers.clear();
    this.assignments.clear();
    this.#states.clear();
  }
}
