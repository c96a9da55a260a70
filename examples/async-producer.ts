// The async producer of the Kafka tutorials: records are handed over without waiting for the broker;
// successes and errors arrive as delivery reports, counted here. produce() resolves once a record is
// buffered and waits when buffer.memory is full, so a fast loop cannot grow memory without bound.
// close() drains: every record gets its report before the program ends.
//   SLUICE_BOOTSTRAP=127.0.0.1:9092 node examples/async-producer.ts <topic> [count]
import { arg, connect } from './connect.ts';

const topic = arg(0, 'important');
const count = Number(arg(1, '1000'));

const sluice = connect();
const producer = sluice.producer({ lingerMs: 5, compression: 'lz4' });
let successes = 0;
let errors = 0;
try {
  for (let i = 0; i < count; i++) {
    await producer.produce({ topic, value: `testing ${i}` }, (err, meta) => {
      if (err) {
        errors++;
        console.error(`Failed to produce message: ${err.message}`);
      } else if (meta) {
        successes++;
      }
    });
  }
} finally {
  await producer.close();
  await sluice.close();
}
console.log(`Successfully produced: ${successes}; errors: ${errors}`);
if (errors > 0) process.exitCode = 1;
