// The controller's public face: what a broker needs to run one, and the rules tests exercise directly.
export type { ControllerChannel, StopReplicaPartitionResult, StopReplicaRequest } from './broker-channel.ts';
export { Controller, type ControllerConfig, type ControllerOptions } from './controller.ts';
export { ControllerContext, type TopicPartition } from './controller-context.ts';
export {
  type ControllerEpoch,
  readControllerId,
  readOrCreateControllerEpoch,
  registerControllerAndIncrementEpoch,
} from './controller-election.ts';
export { ControllerMovedError, fencedMulti } from './fencing.ts';
export {
  electedState,
  INITIAL_LEADER_EPOCH,
  initialLeaderAndIsr,
  NO_LEADER,
  offlinePartitionLeader,
  preferredReplicaLeader,
  withoutReplicas,
} from './leader-election.ts';
export { partitionsToRebalance } from './preferred-leader-balancer.ts';
