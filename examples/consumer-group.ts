// A consumer group, as the Kafka tutorials' consumer-group example: members of one group share the
// topic's partitions; each record goes to one member, and the group's progress is committed, so a
// member started again resumes where the group left off. Stops after `count` messages (or on Ctrl-C),
// committing what it printed and leaving the group.
//   SLUICE_BOOTSTRAP=127.0.0.1:9092 node examples/consumer-group.ts <topic> <group> [count]
import { arg, connect } from './connect.ts';

const topic = arg(0, 'important');
const groupId = arg(1, 'tutorial-group');
const count = Number(arg(2, '10'));

const sluice = connect();
const group = sluice.consumerGroup({
  groupId,
  topics: [topic],
  // A group without committed offsets starts at the oldest record (Kafka's auto.offset.reset=earliest).
  autoOffsetReset: 'earliest',
  // Commit explicitly what was processed, rather than on a timer.
  enableAutoCommit: false,
  rebalanceListener: {
    onPartitionsAssigned: (partitions) =>
      console.log(`Assigned: ${partitions.map((p) => `${p.topic}-${p.partition}`).join(', ') || '(none)'}`),
  },
});
const stop = () => void group.close();
process.once('SIGINT', stop);

let consumed = 0;
for await (const record of group) {
  consumed++;
  console.log(
    `Consumed message partition(${record.partition}) offset(${record.offset}): ${record.value?.toString() ?? 'null'}`,
  );
  if (consumed >= count) break;
}
await group.commitSync();
console.log(`Processed ${consumed} messages`);
process.off('SIGINT', stop);
await group.close();
await sluice.close();
