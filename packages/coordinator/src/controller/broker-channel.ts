// What the controller asks of brokers directly, rather than through the state znodes they watch (Kafka's
// ControllerChannelManager). The coordinator knows only this interface; the broker implements it over
// gRPC, so ZooKeeper logic stays free of any transport.
import type { BrokerRegistration } from '../znodes.ts';
import type { TopicPartition } from './controller-context.ts';

export interface StopReplicaRequest {
  controllerId: number;
  controllerEpoch: number;
  /** true: remove the partitions' logs too (topic deletion). */
  deletePartitions: boolean;
  partitions: TopicPartition[];
}

export interface StopReplicaPartitionResult extends TopicPartition {
  /** A Kafka error code; 0 = done. */
  errorCode: number;
}

export interface ControllerChannel {
  /**
   * Asks `broker` to stop serving the partitions (and delete their logs). Resolves with one result per
   * partition; rejects when the broker could not be reached or did not answer in time.
   */
  stopReplicas(
    broker: BrokerRegistration,
    request: StopReplicaRequest,
  ): Promise<StopReplicaPartitionResult[]>;
}
