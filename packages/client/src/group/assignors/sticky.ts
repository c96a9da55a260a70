// Kafka's StickyAssignor ("sticky"): a balanced assignment that keeps as many partitions as possible
// where they already are. Each member's previous assignment comes from its user data (Kafka's
// StickyAssignorUserData, what Java members send, with the generation it was valid for) or, failing that,
// from the subscription's ownedPartitions. When two members claim one partition the claim from the newer
// generation wins, so a member that missed a rebalance cannot take back what was moved away from it.
//
// Two cases, as in Kafka 2.7's AbstractStickyAssignor:
//  - every member can consume the same partitions: quotas. With P partitions and M members, P % M
//    members may hold ceil(P / M) and the rest floor(P / M). The ceil quotas go to the members that own
//    the most, each member keeps up to its quota of what it owns, and the rest is dealt out. That moves
//    the fewest partitions any balanced assignment can.
//  - subscriptions differ: keep valid claims, give each free partition (fewest possible consumers first)
//    to the least loaded member that can take it, then move single partitions from a member to one with
//    at least two fewer that can consume it until no such move is left.

import type { Assignment, GroupMember, PartitionAssignor, TopicPartitions } from '../assignor.ts';
import { decodeStickyAssignorUserData, encodeStickyAssignorUserData } from '../consumer-protocol.ts';
import {
  compareStrings,
  compareTopicPartitions,
  emptyAssignments,
  finish,
  partitionKey,
  sortedMembers,
  type TopicPartition,
} from './common.ts';

interface Claim {
  memberId: string;
  /** Null: the member did not say (ownedPartitions, or V0 user data); older than any generation. */
  generation: number | null;
}

export class StickyAssignor implements PartitionAssignor {
  readonly name = 'sticky';

  /** Null before the member has had an assignment, as Kafka's; afterwards its partitions and generation. */
  subscriptionUserData(owned: readonly TopicPartitions[], generationId: number): Buffer | null {
    if (generationId < 0 && owned.length === 0) return null;
    return encodeStickyAssignorUserData({ previousAssignment: [...owned], generation: generationId });
  }

  assign(
    members: readonly GroupMember[],
    partitionsPerTopic: ReadonlyMap<string, number>,
  ): Map<string, Assignment> {
    const ordered = sortedMembers(members);
    const assigned = emptyAssignments(ordered);
    if (ordered.length === 0) return finish(assigned);

    // What each member may consume: its subscribed topics that exist.
    const eligibleTopics = new Map<string, Set<string>>();
    for (const m of ordered) {
      eligibleTopics.set(
        m.memberId,
        new Set(m.subscription.topics.filter((t) => (partitionsPerTopic.get(t) ?? 0) > 0)),
      );
    }
    const allPartitions: TopicPartition[] = [];
    const topics = [...partitionsPerTopic.keys()].sort(compareStrings);
    for (const topic of topics) {
      if (!ordered.some((m) => eligibleTopics.get(m.memberId)!.has(topic))) continue;
      for (let partition = 0; partition < partitionsPerTopic.get(topic)!; partition++) {
        allPartitions.push({ topic, partition });
      }
    }

    const owner = resolveClaims(ordered, eligibleTopics, partitionsPerTopic);
    const kept = new Map<string, TopicPartition[]>();
    for (const m of ordered) kept.set(m.memberId, []);
    for (const tp of allPartitions) {
      const claim = owner.get(partitionKey(tp.topic, tp.partition));
      if (claim !== undefined) kept.get(claim.memberId)!.push(tp);
    }

    const first = eligibleTopics.get(ordered[0]!.memberId)!;
    const identical = ordered.every((m) => sameSet(eligibleTopics.get(m.memberId)!, first));
    if (identical) {
      constrainedAssign(ordered, allPartitions, kept, assigned);
    } else {
      generalAssign(ordered, allPartitions, kept, eligibleTopics, assigned);
    }
    for (const list of assigned.values()) list.sort(compareTopicPartitions);
    return finish(assigned);
  }
}

/**
 * Each partition's previous owner among the current members: the claim with the newest generation (a
 * missing generation is the oldest), ties to the first member in order. Claims on partitions that no
 * longer exist or on topics the member no longer subscribes to are dropped.
 */
function resolveClaims(
  ordered: readonly GroupMember[],
  eligibleTopics: ReadonlyMap<string, ReadonlySet<string>>,
  partitionsPerTopic: ReadonlyMap<string, number>,
): Map<string, Claim> {
  const owner = new Map<string, Claim>();
  for (const m of ordered) {
    const { partitions, generation } = previousAssignment(m);
    const eligible = eligibleTopics.get(m.memberId)!;
    for (const { topic, partitions: list } of partitions) {
      if (!eligible.has(topic)) continue;
      const count = partitionsPerTopic.get(topic)!;
      for (const partition of list) {
        if (!Number.isInteger(partition) || partition < 0 || partition >= count) continue;
        const key = partitionKey(topic, partition);
        const current = owner.get(key);
        if (current === undefined || (generation ?? -1) > (current.generation ?? -1)) {
          owner.set(key, { memberId: m.memberId, generation });
        }
      }
    }
  }
  return owner;
}

/** The sticky user data when the member sent readable data, else its v1 ownedPartitions. */
function previousAssignment(m: GroupMember): { partitions: TopicPartitions[]; generation: number | null } {
  const userData = m.subscription.userData;
  if (userData !== null && userData.length > 0) {
    try {
      const decoded = decodeStickyAssignorUserData(userData);
      return { partitions: decoded.previousAssignment, generation: decoded.generation };
    } catch {
      // Unreadable state from one member must not fail the group: it is treated as owning nothing, as
      // Kafka does; its ownedPartitions (if any) still count.
    }
  }
  return { partitions: m.subscription.ownedPartitions, generation: null };
}

function sameSet(a: ReadonlySet<string>, b: ReadonlySet<string>): boolean {
  if (a.size !== b.size) return false;
  for (const x of a) if (!b.has(x)) return false;
  return true;
}

function constrainedAssign(
  ordered: readonly GroupMember[],
  allPartitions: readonly TopicPartition[],
  kept: ReadonlyMap<string, TopicPartition[]>,
  assigned: Map<string, TopicPartition[]>,
): void {
  const memberCount = ordered.length;
  const floor = Math.floor(allPartitions.length / memberCount);
  const ceilCount = allPartitions.length % memberCount;
  // The ceil quotas go to the members owning the most, so the fewest partitions have to leave.
  const byOwned = [...ordered].sort(
    (a, b) =>
      kept.get(b.memberId)!.length - kept.get(a.memberId)!.length || ordered.indexOf(a) - ordered.indexOf(b),
  );
  const quota = new Map<string, number>();
  for (const [i, m] of byOwned.entries()) quota.set(m.memberId, floor + (i < ceilCount ? 1 : 0));

  const taken = new Set<string>();
  for (const m of ordered) {
    const keep = kept.get(m.memberId)!.slice(0, quota.get(m.memberId)!);
    assigned.set(m.memberId, keep);
    for (const tp of keep) taken.add(partitionKey(tp.topic, tp.partition));
  }
  // Deal the free partitions round-robin over the members still under quota, so topics spread out.
  const hungry = ordered.filter((m) => assigned.get(m.memberId)!.length < quota.get(m.memberId)!);
  let next = 0;
  for (const tp of allPartitions) {
    if (taken.has(partitionKey(tp.topic, tp.partition))) continue;
    // Quotas sum to the partition count, so some member is under quota while a partition is free.
    const isFull = (m: GroupMember): boolean => assigned.get(m.memberId)!.length >= quota.get(m.memberId)!;
    while (isFull(hungry[next % hungry.length]!)) next++;
    assigned.get(hungry[next % hungry.length]!.memberId)!.push(tp);
    next++;
  }
}

function generalAssign(
  ordered: readonly GroupMember[],
  allPartitions: readonly TopicPartition[],
  kept: ReadonlyMap<string, TopicPartition[]>,
  eligibleTopics: ReadonlyMap<string, ReadonlySet<string>>,
  assigned: Map<string, TopicPartition[]>,
): void {
  const ownerOf = new Map<string, string>();
  for (const m of ordered) {
    const list = [...kept.get(m.memberId)!];
    assigned.set(m.memberId, list);
    for (const tp of list) ownerOf.set(partitionKey(tp.topic, tp.partition), m.memberId);
  }
  const consumersOf = (topic: string): GroupMember[] =>
    ordered.filter((m) => eligibleTopics.get(m.memberId)!.has(topic));
  const count = (memberId: string): number => assigned.get(memberId)!.length;

  // Free partitions, the most constrained (fewest possible consumers) first, to the least loaded.
  const consumerCountOfTopic = new Map<string, number>();
  for (const tp of allPartitions) {
    if (!consumerCountOfTopic.has(tp.topic)) consumerCountOfTopic.set(tp.topic, consumersOf(tp.topic).length);
  }
  const free = allPartitions
    .filter((tp) => !ownerOf.has(partitionKey(tp.topic, tp.partition)))
    .sort(
      (a, b) =>
        consumerCountOfTopic.get(a.topic)! - consumerCountOfTopic.get(b.topic)! ||
        compareTopicPartitions(a, b),
    );
  for (const tp of free) {
    let best: GroupMember | undefined;
    for (const m of consumersOf(tp.topic))
      if (best === undefined || count(m.memberId) < count(best.memberId)) best = m;
    // allPartitions holds only topics some member can consume.
    assigned.get(best!.memberId)!.push(tp);
    ownerOf.set(partitionKey(tp.topic, tp.partition), best!.memberId);
  }

  // Each move lowers the sum of squared counts by at least 2, so there are at most P^2 / 2 of them;
  // the bound is an assertion, not a tuning knob.
  const maxMoves = (allPartitions.length * allPartitions.length) / 2 + 1;
  for (let moves = 0; ; moves++) {
    if (moves > maxMoves) throw new Error('sticky assignor: balancing did not converge (bug)');
    const move = findImprovingMove(ordered, allPartitions, eligibleTopics, ownerOf, count);
    if (move === undefined) return;
    const from = assigned.get(move.from)!;
    from.splice(
      from.findIndex((tp) => tp.topic === move.tp.topic && tp.partition === move.tp.partition),
      1,
    );
    assigned.get(move.to)!.push(move.tp);
    ownerOf.set(partitionKey(move.tp.topic, move.tp.partition), move.to);
  }
}

/**
 * A partition that can go from its owner to a member with at least two fewer partitions: the least
 * loaded receiver first, from the most loaded owner it can take from; undefined when balanced.
 */
function findImprovingMove(
  ordered: readonly GroupMember[],
  allPartitions: readonly TopicPartition[],
  eligibleTopics: ReadonlyMap<string, ReadonlySet<string>>,
  ownerOf: ReadonlyMap<string, string>,
  count: (memberId: string) => number,
): { tp: TopicPartition; from: string; to: string } | undefined {
  const receivers = [...ordered].sort((a, b) => count(a.memberId) - count(b.memberId));
  const maxCount = count(receivers[receivers.length - 1]!.memberId);
  for (const receiver of receivers) {
    // Ascending order: once no member can have two more than this one, none can for the rest.
    if (count(receiver.memberId) + 2 > maxCount) return undefined;
    const eligible = eligibleTopics.get(receiver.memberId)!;
    let best: { tp: TopicPartition; from: string } | undefined;
    for (const tp of allPartitions) {
      if (!eligible.has(tp.topic)) continue;
      const from = ownerOf.get(partitionKey(tp.topic, tp.partition))!;
      if (count(from) < count(receiver.memberId) + 2) continue;
      if (best === undefined || count(from) > count(best.from)) best = { tp, from };
    }
    if (best !== undefined) return { ...best, to: receiver.memberId };
  }
  return undefined;
}
