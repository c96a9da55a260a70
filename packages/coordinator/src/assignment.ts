// Replica assignment for new topics and partitions, as Kafka's rack-unaware assignment does it:
// a random start broker, partitions placed round-robin over the sorted broker list, and followers
// shifted so that the replicas of consecutive partitions spread over different brokers.
import { ErrorCode, KafkaError } from '@sluice/protocol';

export interface AssignmentOptions {
  /** Fixed start index for deterministic tests; -1: random, as Kafka. */
  fixedStartIndex?: number;
  /** First new partition id, when adding partitions to a topic. */
  startPartitionId?: number;
  random?: () => number;
}

export function assignReplicasToBrokers(
  brokerIds: readonly number[],
  numPartitions: number,
  replicationFactor: number,
  options: AssignmentOptions = {},
): Map<number, number[]> {
  if (numPartitions <= 0)
    throw new KafkaError(ErrorCode.INVALID_PARTITIONS, 'Number of partitions must be larger than 0.');
  if (replicationFactor <= 0) {
    throw new KafkaError(ErrorCode.INVALID_REPLICATION_FACTOR, 'Replication factor must be larger than 0.');
  }
  if (replicationFactor > brokerIds.length) {
    throw new KafkaError(
      ErrorCode.INVALID_REPLICATION_FACTOR,
      `Replication factor: ${replicationFactor} larger than available brokers: ${brokerIds.length}.`,
    );
  }
  const brokers = [...brokerIds].sort((a, b) => a - b);
  const random = options.random ?? Math.random;
  const fixed = options.fixedStartIndex ?? -1;
  const startIndex = fixed >= 0 ? fixed : Math.floor(random() * brokers.length);
  let nextReplicaShift = fixed >= 0 ? fixed : Math.floor(random() * brokers.length);
  let partitionId = Math.max(0, options.startPartitionId ?? 0);
  const assignment = new Map<number, number[]>();
  for (let i = 0; i < numPartitions; i++) {
    if (partitionId > 0 && partitionId % brokers.length === 0) nextReplicaShift += 1;
    const firstReplicaIndex = (partitionId + startIndex) % brokers.length;
    const replicas = [brokers[firstReplicaIndex] as number];
    for (let j = 0; j < replicationFactor - 1; j++) {
      const shift = 1 + ((nextReplicaShift + j) % (brokers.length - 1));
      replicas.push(brokers[(firstReplicaIndex + shift) % brokers.length] as number);
    }
    assignment.set(partitionId, replicas);
    partitionId += 1;
  }
  return assignment;
}

/** Checks an explicit assignment (--replica-assignment): every partition the same size, no repeats, known brokers. */
export function validateExplicitAssignment(
  assignment: Map<number, number[]>,
  liveBrokerIds: readonly number[],
): void {
  const live = new Set(liveBrokerIds);
  const partitions = [...assignment.keys()].sort((a, b) => a - b);
  partitions.forEach((partition, index) => {
    if (partition !== index) {
      throw new KafkaError(
        ErrorCode.INVALID_REPLICA_ASSIGNMENT,
        'Partitions must be consecutive and start at 0.',
      );
    }
  });
  let size = -1;
  for (const [partition, replicas] of assignment) {
    if (replicas.length === 0) {
      throw new KafkaError(ErrorCode.INVALID_REPLICA_ASSIGNMENT, `Partition ${partition} has no replicas.`);
    }
    if (size !== -1 && replicas.length !== size) {
      throw new KafkaError(
        ErrorCode.INVALID_REPLICA_ASSIGNMENT,
        'All partitions must have the same number of replicas.',
      );
    }
    size = replicas.length;
    if (new Set(replicas).size !== replicas.length) {
      throw new KafkaError(
        ErrorCode.INVALID_REPLICA_ASSIGNMENT,
        `Duplicate replica in partition ${partition}.`,
      );
    }
    for (const broker of replicas) {
      if (!live.has(broker)) {
        throw new KafkaError(
          ErrorCode.INVALID_REPLICA_ASSIGNMENT,
          `Unknown broker ${broker} in partition ${partition}.`,
        );
      }
    }
  }
}
