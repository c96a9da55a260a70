// A consumer per partition, as the Kafka tutorials' consumer example: one PartitionConsumer for each
// partition of the topic, from the oldest record, printing each message; stops after `count` messages
// in all (or on Ctrl-C).
//   SLUICE_BOOTSTRAP=127.0.0.1:9092 node examples/partition-consumer.ts <topic> [count]
import { arg, connect } from './connect.ts';

const topic = arg(0, 'important');
const count = Number(arg(1, '10'));

const sluice = connect();
const [described] = await sluice.admin().describeTopics([topic]);
const partitions = described?.partitions.map((p) => p.partition) ?? [];
const consumers = partitions.map((partition) => sluice.consumer({ topic, partition, from: 'oldest' }));
let consumed = 0;
const stop = async () => {
  for (const consumer of consumers) consumer.close();
};
process.once('SIGINT', stop);

await Promise.all(
  consumers.map(async (consumer) => {
    for await (const record of consumer) {
      if (consumed >= count) break;
      consumed++;
      console.log(
        `Consumed message partition(${record.partition}) offset(${record.offset}): ${record.value?.toString() ?? 'null'}`,
      );
      if (consumed >= count) await stop();
    }
  }),
);
console.log(`Processed ${consumed} messages`);
process.off('SIGINT', stop);
await sluice.close();
