// The sync producer of the Kafka tutorials: each send waits until the broker has stored the record
// (acks=all), then prints where it went.
//   SLUICE_BOOTSTRAP=127.0.0.1:9092 node examples/sync-producer.ts <topic> [count]
import { arg, connect } from './connect.ts';

const topic = arg(0, 'important');
const count = Number(arg(1, '10'));

const sluice = connect();
const producer = sluice.producer({ acks: 'all' });
try {
  for (let i = 0; i < count; i++) {
    const meta = await producer.send({ topic, key: `key-${i}`, value: `Something Cool ${i}` });
    console.log(
      `Message is stored in topic(${meta.topic})/partition(${meta.partition})/offset(${meta.offset})`,
    );
  }
} finally {
  await sluice.close();
}
