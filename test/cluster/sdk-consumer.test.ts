// The SDK's partition consumer against a real cluster: starting at oldest, newest, an offset and a
// timestamp; records and batches; pause, resume and seek; OFFSET_OUT_OF_RANGE under each
// auto.offset.reset; following the leader across a broker restart.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { type ConsumedRecord, OffsetOutOfRangeError, type PartitionConsumer, Sluice } from '@sluice/client';
import { startCluster, type TestCluster } from '../helpers.ts';

async function take(consumer: PartitionConsumer, count: number): Promise<ConsumedRecord[]> {
  const out: ConsumedRecord[] = [];
  for await (const record of consumer) {
    out.push(record);
    if (out.length >= count) break;
  }
  return out;
}

describe('SDK partition consumer', () => {
  let test: TestCluster;
  let client: Sluice;
  const base = 1_700_000_000_000;

  before(async () => {
    test = await startCluster({ brokers: 2 });
    client = new Sluice({ bootstrap: test.cluster.bootstrap });
    await client.admin().createTopic({ topic: 'c', numPartitions: 1, replicationFactor: 1 });
    const producer = client.producer();
    // Ten records with timestamps base, base+1000, ... in two sends.
    await producer.send(
      Array.from({ length: 5 }, (_, i) => ({ topic: 'c', value: `${i}`, timestamp: base + i * 1000 })),
    );
    await producer.send(
      Array.from({ length: 5 }, (_, i) => ({
        topic: 'c',
        value: `${i + 5}`,
        timestamp: base + (i + 5) * 1000,
      })),
    );
  });

  after(async () => {
    await client?.close();
    await test?.stop();
  });

  it('starts at oldest, at an offset, at a timestamp, and at newest', async () => {
    const oldest = client.consumer({ topic: 'c', partition: 0, from: 'oldest' });
    assert.deepEqual(
      (await take(oldest, 10)).map((r) => r.offset),
      [0, 1, 2, 3, 4, 5, 6, 7, 8, 9],
    );
    oldest.close();

    const fromOffset = client.consumer({ topic: 'c', partition: 0, from: 7 });
    assert.deepEqual(
      (await take(fromOffset, 3)).map((r) => r.value?.toString()),
      ['7', '8', '9'],
    );
    fromOffset.close();

    // The first record at or after base + 3500 is the one at base + 4000: offset 4.
    const byTime = client.consumer({ topic: 'c', partition: 0, from: { timestamp: base + 3_500 } });
    const [first] = await take(byTime, 1);
    assert.equal(first?.offset, 4);
    assert.equal(first?.timestamp, base + 4_000);
    byTime.close();

    // After every record: the end of the log, so only new records.
    const late = client.consumer({ topic: 'c', partition: 0, from: { timestamp: Date.now() + 3_600_000 } });
    const newest = client.consumer({ topic: 'c', partition: 0, from: 'newest' });
    const lateNext = take(late, 1);
    const newestNext = take(newest, 1);
    await new Promise((resolve) => setTimeout(resolve, 300));
    await client.producer().send({ topic: 'c', value: 'new' });
    assert.equal((await lateNext)[0]?.value?.toString(), 'new');
    assert.equal((await newestNext)[0]?.offset, 10);
    late.close();
    newest.close();
  });

  it('iterates batches, pauses, resumes and seeks', async () => {
    const consumer = client.consumer({ topic: 'c', partition: 0, from: 'oldest' });
    const batches: number[][] = [];
    for await (const batch of consumer.batches()) {
      batches.push(batch.map((r) => r.offset));
      if (batches.flat().length >= 11) break;
    }
    assert.deepEqual(batches.flat(), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);

    consumer.seek(2);
    consumer.pause();
    assert.equal(consumer.paused, true);
    const seen: { record?: ConsumedRecord | undefined } = {};
    const reading = take(consumer, 1).then((r) => {
      seen.record = r[0];
    });
    const current = () => seen.record;
    await new Promise((resolve) => setTimeout(resolve, 300));
    assert.equal(current(), undefined, 'nothing is fetched while paused');
    consumer.resume();
    await reading;
    assert.equal(current()?.offset, 2, 'resumes at the sought position');

    consumer.seek({ timestamp: base + 9_000 });
    assert.equal((await take(consumer, 1))[0]?.offset, 9);
    consumer.close();
  });

  it('OFFSET_OUT_OF_RANGE: earliest and latest reset, none throws a typed error', async () => {
    const earliest = client.consumer({ topic: 'c', partition: 0, from: 1_000, autoOffsetReset: 'earliest' });
    assert.equal((await take(earliest, 1))[0]?.offset, 0);
    earliest.close();

    const none = client.consumer({ topic: 'c', partition: 0, from: 1_000, autoOffsetReset: 'none' });
    await assert.rejects(take(none, 1), OffsetOutOfRangeError);
    none.close();

    const latest = client.consumer({ topic: 'c', partition: 0, from: 1_000, autoOffsetReset: 'latest' });
    const next = take(latest, 1);
    await new Promise((resolve) => setTimeout(resolve, 300));
    const meta = await client.producer().send({ topic: 'c', value: 'after-reset' });
    assert.equal((await next)[0]?.offset, meta.offset);
    latest.close();
  });

  it('follows the leader across a broker restart', async () => {
    const [described] = await client.admin().describeTopics(['c']);
    const leader = described?.partitions[0]?.leader ?? -1;
    const consumer = client.consumer({
      topic: 'c',
      partition: 0,
      from: 'newest',
      maxWaitMs: 100,
      retryBackoffMs: 50,
    });
    const next = take(consumer, 1);
    await new Promise((resolve) => setTimeout(resolve, 200));
    const broker = test.cluster.broker(leader);
    await broker.stop();
    await broker.start(test.cluster.zk);
    const meta = await client.producer({ retryBackoffMs: 50 }).send({ topic: 'c', value: 'after-restart' });
    const [record] = await next;
    assert.equal(record?.offset, meta.offset);
    assert.equal(record?.value?.toString(), 'after-restart');
    consumer.close();
  });
});
