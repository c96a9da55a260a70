// Automatic preferred-leader rebalancing (Kafka's checkAndTriggerAutoLeaderRebalance): every
// leader.imbalance.check.interval.seconds the controller groups partitions by their preferred replica
// (the first in the assignment); when more than leader.imbalance.per.broker.percentage of a broker's
// preferred partitions are led by someone else, those whose preferred replica is alive and in the ISR
// move back to it. This pure function picks them; the controller writes the new states.
import type { ControllerContext, TopicPartition } from './controller-context.ts';
import { preferredReplicaLeader } from './leader-election.ts';

export function partitionsToRebalance(
  context: ControllerContext,
  imbalancePerBrokerPercentage: number,
  excludedTopics: ReadonlySet<string>,
): TopicPartition[] {
  const live = context.liveBrokerIds();
  const byPreferred = new Map<number, TopicPartition[]>();
  for (const tp of context.allPartitions()) {
    if (excludedTopics.has(tp.topic)) continue;
    const preferred = context.replicas(tp.topic, tp.partition)[0];
    if (preferred === undefined) continue;
    byPreferred.set(preferred, [...(byPreferred.get(preferred) ?? []), tp]);
  }
  const result: TopicPartition[] = [];
  for (const [preferred, partitions] of byPreferred) {
    const notLedByPreferred = partitions.filter((tp) => {
      const state = context.state(tp.topic, tp.partition);
      return state !== undefined && state.state.leader !== preferred;
    });
    const imbalanceRatio = notLedByPreferred.length / partitions.length;
    if (imbalanceRatio <= imbalancePerBrokerPercentage / 100) continue;
    for (const tp of notLedByPreferred) {
      const state = context.state(tp.topic, tp.partition);
      if (state === undefined) continue;
      const replicas = context.replicas(tp.topic, tp.partition);
      if (preferredReplicaLeader(replicas, state.state.isr, live) === preferred) result.push(tp);
    }
  }
  return result;
}
