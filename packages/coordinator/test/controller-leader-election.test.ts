// Kafka's leader election rules as pure functions: who leads a new partition, an offline one (clean
// and unclean), the preferred replica, how the ISR shrinks when brokers die, and which partitions the
// preferred-leader balancer moves back.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  ControllerContext,
  electedState,
  initialLeaderAndIsr,
  NO_LEADER,
  offlinePartitionLeader,
  partitionsToRebalance,
  preferredReplicaLeader,
  withoutReplicas,
} from '../src/index.ts';

const live = (...ids: number[]) => new Set(ids);

describe('leader election rules', () => {
  it('starts a new partition with the first live replica as leader and the live replicas as ISR', () => {
    assert.deepEqual(initialLeaderAndIsr([3, 1, 2], live(1, 2, 3), 7), {
      leader: 3,
      leaderEpoch: 0,
      isr: [3, 1, 2],
      controllerEpoch: 7,
    });
    assert.deepEqual(initialLeaderAndIsr([3, 1, 2], live(1, 2), 7)?.leader, 1);
    assert.deepEqual(initialLeaderAndIsr([3, 1, 2], live(1, 2), 7)?.isr, [1, 2]);
    assert.equal(initialLeaderAndIsr([3], live(1, 2), 7), null, 'no live replica: no state yet');
  });

  it('elects the first replica in assignment order that is alive and in the ISR', () => {
    assert.deepEqual(offlinePartitionLeader([1, 2, 3], [3, 2], live(2, 3), false), {
      leader: 2,
      unclean: false,
    });
    assert.deepEqual(offlinePartitionLeader([1, 2, 3], [1, 3], live(2, 3), false), {
      leader: 3,
      unclean: false,
    });
  });

  it('leaves the partition offline when no ISR member is alive, unless unclean election is enabled', () => {
    assert.equal(offlinePartitionLeader([1, 2, 3], [1], live(2, 3), false), null);
    assert.deepEqual(offlinePartitionLeader([1, 2, 3], [1], live(2, 3), true), { leader: 2, unclean: true });
    assert.equal(offlinePartitionLeader([1, 2], [1], live(3), true), null, 'no live replica at all');
  });

  it('keeps the live ISR after a clean election, and starts a fresh ISR after an unclean one', () => {
    const current = { leader: 1, leaderEpoch: 4, isr: [1, 2, 3], controllerEpoch: 2 };
    assert.deepEqual(electedState(current, 2, live(2, 3), 5), {
      leader: 2,
      leaderEpoch: 5,
      isr: [2, 3],
      controllerEpoch: 5,
    });
    assert.deepEqual(electedState({ ...current, isr: [1] }, 3, live(3), 5).isr, [3]);
  });

  it('takes dead replicas out of the ISR without ever emptying it, and bumps the leader epoch', () => {
    const current = { leader: 1, leaderEpoch: 0, isr: [1, 2], controllerEpoch: 1 };
    assert.deepEqual(withoutReplicas(current, live(2), 3), {
      leader: 1,
      leaderEpoch: 1,
      isr: [1],
      controllerEpoch: 3,
    });
    assert.deepEqual(withoutReplicas(current, live(1), 3), {
      leader: NO_LEADER,
      leaderEpoch: 1,
      isr: [2],
      controllerEpoch: 3,
    });
    // Everyone dead: the last leader stays in the ISR so that it may lead cleanly when it returns.
    assert.deepEqual(withoutReplicas(current, live(1, 2), 3)?.isr, [1]);
    assert.equal(withoutReplicas(current, live(5), 3), null, 'nothing to change');
  });

  it('elects the preferred replica only when it is alive and in the ISR', () => {
    assert.equal(preferredReplicaLeader([1, 2], [1, 2], live(1, 2)), 1);
    assert.equal(preferredReplicaLeader([1, 2], [2], live(1, 2)), null);
    assert.equal(preferredReplicaLeader([1, 2], [1, 2], live(2)), null);
  });

  it('rebalances a broker whose preferred partitions are led elsewhere beyond the imbalance ratio', () => {
    const context = new ControllerContext();
    for (const id of [1, 2]) {
      context.liveBrokers.set(id, {
        registration: { id, endpoints: [], rack: null, timestampMs: 0 },
        brokerEpoch: '1',
      });
    }
    context.assignments.set(
      't',
      new Map([
        [0, [1, 2]],
        [1, [2, 1]],
        [2, [1, 2]],
        [3, [2, 1]],
      ]),
    );
    context.setState('t', 0, { leader: 2, leaderEpoch: 1, isr: [2, 1], controllerEpoch: 1 }, 1);
    context.setState('t', 1, { leader: 2, leaderEpoch: 0, isr: [2, 1], controllerEpoch: 1 }, 0);
    context.setState('t', 2, { leader: 2, leaderEpoch: 1, isr: [2], controllerEpoch: 1 }, 1);
    context.setState('t', 3, { leader: 2, leaderEpoch: 0, isr: [2, 1], controllerEpoch: 1 }, 0);
    // Broker 1 prefers partitions 0 and 2 and leads neither (100% > 10%); partition 2 cannot move (1 is
    // not in its ISR).
    assert.deepEqual(partitionsToRebalance(context, 10, new Set()), [{ topic: 't', partition: 0 }]);
    assert.deepEqual(partitionsToRebalance(context, 100, new Set()), [], 'within the allowed imbalance');
    assert.deepEqual(partitionsToRebalance(context, 10, new Set(['t'])), [], 'topics being deleted stay');
  });
});
