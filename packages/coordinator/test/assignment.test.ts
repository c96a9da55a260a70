// Replica assignment follows Kafka's rack-unaware algorithm.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ErrorCode, KafkaError } from '@sluice/protocol';
import { assignReplicasToBrokers, validateExplicitAssignment } from '../src/index.ts';

describe('replica assignment', () => {
  it('matches Kafka for a fixed start index (AdminUtils test case)', () => {
    // Kafka's AdminRackAwareTest/AdminTest "testReplicaAssignment": brokers 0..4, 10 partitions,
    // RF 3, start index 0.
    const assignment = assignReplicasToBrokers([0, 1, 2, 3, 4], 10, 3, { fixedStartIndex: 0 });
    assert.deepEqual(Object.fromEntries(assignment), {
      0: [0, 1, 2],
      1: [1, 2, 3],
      2: [2, 3, 4],
      3: [3, 4, 0],
      4: [4, 0, 1],
      5: [0, 2, 3],
      6: [1, 3, 4],
      7: [2, 4, 0],
      8: [3, 0, 1],
      9: [4, 1, 2],
    });
  });

  it('spreads leaders evenly and never repeats a broker within a partition', () => {
    for (let trial = 0; trial < 50; trial++) {
      const assignment = assignReplicasToBrokers([1, 2, 3], 6, 3);
      const leaders = [...assignment.values()].map((r) => r[0]);
      for (const id of [1, 2, 3]) assert.equal(leaders.filter((l) => l === id).length, 2);
      for (const replicas of assignment.values()) assert.equal(new Set(replicas).size, 3);
    }
  });

  it('continues partition numbering when adding partitions', () => {
    const assignment = assignReplicasToBrokers([1, 2], 2, 1, { startPartitionId: 3, fixedStartIndex: 0 });
    assert.deepEqual([...assignment.keys()], [3, 4]);
  });

  it('refuses a replication factor above the live brokers', () => {
    assert.throws(
      () => assignReplicasToBrokers([1, 2], 1, 3),
      (err: unknown) => KafkaError.is(err, ErrorCode.INVALID_REPLICATION_FACTOR),
    );
    assert.throws(
      () => assignReplicasToBrokers([1, 2], 0, 1),
      (err: unknown) => KafkaError.is(err, ErrorCode.INVALID_PARTITIONS),
    );
  });

  it('validates explicit assignments', () => {
    validateExplicitAssignment(
      new Map([
        [0, [1, 2]],
        [1, [2, 1]],
      ]),
      [1, 2],
    );
    for (const bad of [
      new Map([[0, [1, 1]]]),
      new Map([[0, [3]]]),
      new Map([[1, [1]]]),
      new Map([
        [0, [1]],
        [1, [1, 2]],
      ]),
    ]) {
      assert.throws(
        () => validateExplicitAssignment(bad, [1, 2]),
        (err: unknown) => KafkaError.is(err, ErrorCode.INVALID_REPLICA_ASSIGNMENT),
      );
    }
  });
});
