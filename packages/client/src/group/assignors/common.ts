// What every assignor shares: Kafka's member order, an assignment builder that keeps each member's
// partitions grouped by topic, and the topic-partition key used in maps.

import type { Assignment, GroupMember, TopicPartitions } from '../assignor.ts';

/**
 * Kafka's MemberInfo order: members with a static group.instance.id first, by that id; then the rest by
 * member id. Strings compare by UTF-16 code unit, as Java's String.compareTo does. Member id breaks ties
 * so the order is total even if two members claim one instance id.
 */
export function compareMembers(a: GroupMember, b: GroupMember): number {
  if (a.groupInstanceId !== null && b.groupInstanceId !== null) {
    const byInstance = compareStrings(a.groupInstanceId, b.groupInstanceId);
    if (byInstance !== 0) return byInstance;
  } else if (a.groupInstanceId !== null) {
    return -1;
  } else if (b.groupInstanceId !== null) {
    return 1;
  }
  return compareStrings(a.memberId, b.memberId);
}

export function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

export function sortedMembers(members: readonly GroupMember[]): GroupMember[] {
  return [...members].sort(compareMembers);
}

/** A partition as one map key; topic names cannot hold NUL, so the key is unambiguous. */
export function partitionKey(topic: string, partition: number): string {
  return `${topic}\u0000${partition}`;
}

export interface TopicPartition {
  topic: string;
  partition: number;
}

export function compareTopicPartitions(a: TopicPartition, b: TopicPartition): number {
  return compareStrings(a.topic, b.topic) || a.partition - b.partition;
}

/** Groups one member's partitions by topic, topics in first-seen order, as Kafka serializes them. */
export function toAssignment(partitions: readonly TopicPartition[]): Assignment {
  const byTopic = new Map<string, number[]>();
  for (const { topic, partition } of partitions) {
    let list = byTopic.get(topic);
    if (list === undefined) {
      list = [];
      byTopic.set(topic, list);
    }
    list.push(partition);
  }
  const grouped: TopicPartitions[] = [];
  for (const [topic, list] of byTopic) grouped.push({ topic, partitions: list });
  return { partitions: grouped, userData: null };
}

/** Every member id mapped to an empty list, so every member gets an entry even when it gets nothing. */
export function emptyAssignments(members: readonly GroupMember[]): Map<string, TopicPartition[]> {
  const result = new Map<string, TopicPartition[]>();
  for (const member of members) result.set(member.memberId, []);
  return result;
}

export function finish(assigned: ReadonlyMap<string, TopicPartition[]>): Map<string, Assignment> {
  const result = new Map<string, Assignment>();
  for (const [memberId, partitions] of assigned) result.set(memberId, toAssignment(partitions));
  return result;
}
