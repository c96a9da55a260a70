// Kafka's RangeAssignor ("range"): topic by topic, the members subscribed to the topic in Kafka's member
// order each get a contiguous range of numPartitions / numMembers partitions, and the first
// numPartitions % numMembers of them one more. Members are not balanced across topics: with many topics
// the first members carry the remainders of all of them, which is why Kafka offers the others.

import type { Assignment, GroupMember, PartitionAssignor, TopicPartitions } from '../assignor.ts';
import { compareStrings, emptyAssignments, finish, sortedMembers } from './common.ts';

export class RangeAssignor implements PartitionAssignor {
  readonly name = 'range';

  subscriptionUserData(_owned: readonly TopicPartitions[], _generationId: number): Buffer | null {
    return null;
  }

  assign(
    members: readonly GroupMember[],
    partitionsPerTopic: ReadonlyMap<string, number>,
  ): Map<string, Assignment> {
    const assigned = emptyAssignments(members);
    const ordered = sortedMembers(members);
    const topics = [...partitionsPerTopic.keys()].sort(compareStrings);
    for (const topic of topics) {
      const partitionCount = partitionsPerTopic.get(topic) ?? 0;
      const subscribers = ordered.filter((m) => m.subscription.topics.includes(topic));
      if (subscribers.length === 0 || partitionCount <= 0) continue;
      const perMember = Math.floor(partitionCount / subscribers.length);
      const withExtra = partitionCount % subscribers.length;
      subscribers.forEach((member, i) => {
        const start = perMember * i + Math.min(i, withExtra);
        const length = perMember + (i < withExtra ? 1 : 0);
        const list = assigned.get(member.memberId)!;
        for (let p = start; p < start + length; p++) list.push({ topic, partition: p });
      });
    }
    return finish(assigned);
  }
}
