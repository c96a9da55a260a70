// Creating a topic, as the Kafka tutorial's admin example does:
//   SLUICE_BOOTSTRAP=127.0.0.1:9092 node examples/create-topic.ts <topic> [partitions] [replication factor]
import { ErrorCode, KafkaError } from '@sluice/client';
import { arg, connect } from './connect.ts';

const topic = arg(0, 'important');
const numPartitions = Number(arg(1, '3'));
const replicationFactor = Number(arg(2, '1'));

const sluice = connect();
try {
  await sluice.admin().createTopic({ topic, numPartitions, replicationFactor });
  console.log(
    `Created topic ${topic} with ${numPartitions} partition(s), replication factor ${replicationFactor}`,
  );
} catch (err) {
  if (!KafkaError.is(err, ErrorCode.TOPIC_ALREADY_EXISTS)) throw err;
  console.log(`Topic ${topic} already exists`);
} finally {
  await sluice.close();
}
