// What a Metadata answer says about a topic's partitions and the brokers, derived from the metadata view
// one way for every front door: the gRPC and Kafka-protocol adapters and the SDK's ZooKeeper mode. A
// partition's leader counts only while that broker is registered; replicas that are not registered are
// offline (Kafka's LEADER_NOT_AVAILABLE and offline_replicas).
import { ErrorCode } from '@sluice/protocol';
import type { MetadataView, TopicView } from './metadata-view.ts';

export interface PartitionAnswer {
  partition: number;
  /** NONE, or LEADER_NOT_AVAILABLE when the leader is -1 or not registered. */
  errorCode: number;
  /** -1 unless the leader is registered. */
  leader: number;
  leaderEpoch: number;
  replicas: number[];
  isr: number[];
  offlineReplicas: number[];
}

export interface BrokerAnswer {
  id: number;
  host: string;
  port: number;
  rack: string | null;
}

/** The topic's partitions in partition order, as a Metadata answer gives them. */
export function partitionAnswers(view: MetadataView, topic: TopicView): PartitionAnswer[] {
  return [...topic.partitions.values()]
    .sort((a, b) => a.partition - b.partition)
    .map((p) => {
      const leaderAlive = p.leader >= 0 && view.brokers.has(p.leader);
      return {
        partition: p.partition,
        errorCode: leaderAlive ? ErrorCode.NONE : ErrorCode.LEADER_NOT_AVAILABLE,
        leader: leaderAlive ? p.leader : -1,
        leaderEpoch: p.leaderEpoch,
        replicas: p.replicas,
        isr: p.isr,
        offlineReplicas: p.replicas.filter((r) => !view.brokers.has(r)),
      };
    });
}

/** Every registered broker's endpoint on one listener (brokers without that listener are left out). */
export function brokersOnListener(view: MetadataView, listenerName: string): BrokerAnswer[] {
  return [...view.brokers.values()].flatMap((b) => {
    const endpoint = b.endpoints.find((e) => e.listenerName === listenerName);
    return endpoint ? [{ id: b.id, host: endpoint.host, port: endpoint.port, rack: b.rack }] : [];
  });
}
