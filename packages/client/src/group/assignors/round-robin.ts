// Kafka's RoundRobinAssignor ("roundrobin"): every partition of every subscribed topic, sorted by topic
// then partition, dealt to the members in Kafka's member order, circularly; a member not subscribed to
// the partition's topic is skipped. With identical subscriptions counts differ by at most one.

import type { Assignment, GroupMember, PartitionAssignor, TopicPartitions } from '../assignor.ts';
import { compareStrings, emptyAssignments, finish, sortedMembers } from './common.ts';

export class RoundRobinAssignor implements PartitionAssignor {
  readonly name = 'roundrobin';

  subscriptionUserData(_owned: readonly TopicPartitions[], _generationId: number): Buffer | null {
    return null;
  }

  assign(
    members: readonly GroupMember[],
    partitionsPerTopic: ReadonlyMap<string, number>,
  ): Map<string, Assignment> {
    const assigned = emptyAssignments(members);
    const ordered = sortedMembers(members);
    const subscribed = new Set<string>();
    for (const m of ordered) for (const topic of m.subscription.topics) subscribed.add(topic);
    const topics = [...subscribed].filter((t) => (partitionsPerTopic.get(t) ?? 0) > 0).sort(compareStrings);
    let next = 0;
    for (const topic of topics) {
      const partitionCount = partitionsPerTopic.get(topic)!;
      for (let partition = 0; partition < partitionCount; partition++) {
        // Some member subscribes to `topic`, so this finds one within ordered.length steps.
        while (!ordered[next % ordered.length]!.subscription.topics.includes(topic)) next++;
        assigned.get(ordered[next % ordered.length]!.memberId)!.push({ topic, partition });
        next = (next + 1) % ordered.length;
      }
    }
    return finish(assigned);
  }
}
