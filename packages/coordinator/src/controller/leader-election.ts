// Kafka's partition leader election rules (PartitionLeaderElectionAlgorithms) and the ISR arithmetic
// around them, as pure functions over one partition's assignment, ISR and the live brokers. The
// partition state machine decides when to call them; these decide who leads.
import type { LeaderAndIsr } from '../znodes.ts';

/** leader = -1: the partition has no leader (offline). */
export const NO_LEADER = -1;

/** Kafka's LeaderAndIsr.initialLeaderEpoch. */
export const INITIAL_LEADER_EPOCH = 0;

/**
 * The first state of a new partition: the first live replica in assignment order leads, the live
 * replicas form the ISR. null when no replica is alive (the partition stays new until one is).
 */
export function initialLeaderAndIsr(
  assignment: readonly number[],
  live: ReadonlySet<number>,
  controllerEpoch: number,
): LeaderAndIsr | null {
  const liveReplicas = assignment.filter((id) => live.has(id));
  const leader = liveReplicas[0];
  if (leader === undefined) return null;
  return { leader, leaderEpoch: INITIAL_LEADER_EPOCH, isr: liveReplicas, controllerEpoch };
}

/**
 * Offline partition election: the first replica in assignment order that is alive and in the ISR;
 * failing that, with unclean election enabled, the first live replica (accepting the loss of what it
 * lacks); else none.
 */
export function offlinePartitionLeader(
  assignment: readonly number[],
  isr: readonly number[],
  live: ReadonlySet<number>,
  uncleanLeaderElectionEnable: boolean,
): { leader: number; unclean: boolean } | null {
  const clean = assignment.find((id) => live.has(id) && isr.includes(id));
  if (clean !== undefined) return { leader: clean, unclean: false };
  if (!uncleanLeaderElectionEnable) return null;
  const unclean = assignment.find((id) => live.has(id));
  return unclean === undefined ? null : { leader: unclean, unclean: true };
}

/** Preferred replica election: the first replica in the assignment, if it is alive and in the ISR. */
export function preferredReplicaLeader(
  assignment: readonly number[],
  isr: readonly number[],
  live: ReadonlySet<number>,
): number | null {
  const preferred = assignment[0];
  return preferred !== undefined && live.has(preferred) && isr.includes(preferred) ? preferred : null;
}

/**
 * The state after an offline election: a clean leader keeps the live part of the ISR; an unclean one
 * starts a new ISR of itself (Kafka's OfflinePartitionLeaderElectionStrategy). Every change bumps the
 * leader epoch.
 */
export function electedState(
  current: LeaderAndIsr,
  leader: number,
  live: ReadonlySet<number>,
  controllerEpoch: number,
): LeaderAndIsr {
  const isr = current.isr.includes(leader) ? current.isr.filter((id) => live.has(id)) : [leader];
  return { leader, leaderEpoch: current.leaderEpoch + 1, isr, controllerEpoch };
}

/**
 * Takes dead replicas out of the ISR (Kafka's removeReplicasFromIsr). The ISR never becomes empty: when
 * every member is gone, the last leader (or else the first member) stays, so that it alone may lead
 * cleanly when it returns. A dead leader leaves the partition leaderless. null when nothing changes.
 */
export function withoutReplicas(
  current: LeaderAndIsr,
  dead: ReadonlySet<number>,
  controllerEpoch: number,
): LeaderAndIsr | null {
  const leaderDead = current.leader !== NO_LEADER && dead.has(current.leader);
  let isr = current.isr.filter((id) => !dead.has(id));
  if (isr.length === 0 && current.isr.length > 0) {
    const keep = current.isr.includes(current.leader) ? current.leader : (current.isr[0] as number);
    isr = [keep];
  }
  const isrChanged = isr.length !== current.isr.length || isr.some((id, i) => current.isr[i] !== id);
  if (!leaderDead && !isrChanged) return null;
  return {
    leader: leaderDead ? NO_LEADER : current.leader,
    leaderEpoch: current.leaderEpoch + 1,
    isr,
    controllerEpoch,
  };
}
