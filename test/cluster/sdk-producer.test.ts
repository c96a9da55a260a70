// The SDK's producer against a real 3-broker cluster: every partitioner (murmur2 checked against known
// Kafka key -> partition pairs), batching with delivery reports, acks 0/1/all, headers, timestamps,
// null keys and values, every compression codec, typed non-retriable errors, retries across a broker
// restart (stale metadata, connection errors), back-pressure while the leaders are stopped, and
// close() reporting every pending record.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  ClientClosedError,
  KafkaError,
  MessageTooLargeError,
  type Producer,
  type RecordMetadata,
  Sluice,
  UnknownTopicOrPartitionError,
} from '@sluice/client';
import { startCluster, type TestCluster, waitFor } from '../helpers.ts';

async function readAll(client: Sluice, topic: string, partition: number, count: number) {
  const consumer = client.consumer({ topic, partition, from: 'oldest', maxWaitMs: 100 });
  const out = [];
  try {
    for await (const record of consumer) {
      out.push(record);
      if (out.length >= count) break;
    }
  } finally {
    consumer.close();
  }
  return out;
}

async function leaderOf(client: Sluice, topic: string, partition: number): Promise<number> {
  const [described] = await client.admin().describeTopics([topic]);
  const leader = described?.partitions.find((p) => p.partition === partition)?.leader;
  assert.ok(leader !== undefined && leader >= 0);
  return leader;
}

describe('SDK producer: 3 brokers', () => {
  let test: TestCluster;
  let client: Sluice;

  before(async () => {
    test = await startCluster({ brokers: 3 });
    client = new Sluice({ bootstrap: test.cluster.bootstrap });
    for (const topic of ['keys', 'sticky', 'rr', 'random', 'custom', 'acks', 'formats', 'batching']) {
      await client.admin().createTopic({ topic, numPartitions: 6, replicationFactor: 1 });
    }
  });

  after(async () => {
    await client?.close();
    await test?.stop();
  });

  it('default partitioner: keys go where Kafka puts them (murmur2, 6 partitions)', async () => {
    // toPositive(murmur2(key)) % 6 for keys whose Java hashes are known (see protocol's murmur2 test).
    const expected: Array<[string, number]> = [
      ['0', 2],
      ['1', 3],
      ['128', 5],
      ['823543', 4],
      ['100:48069', 3],
      ['21', 0],
      ['foobar', 0],
      ['a-little-bit-longer-string', 5],
      ['abc', 3],
    ];
    const producer = client.producer();
    const metas = await producer.send(expected.map(([key]) => ({ topic: 'keys', key, value: `v-${key}` })));
    assert.deepEqual(
      metas.map((m) => m.partition),
      expected.map(([, p]) => p),
    );
    const onTwo = await readAll(client, 'keys', 2, 1);
    assert.equal(onTwo[0]?.key?.toString(), '0');
  });

  it('default partitioner: null keys stick to one partition per batch, then move', async () => {
    const producer = client.producer({ lingerMs: 50 });
    const first = await producer.send(
      Array.from({ length: 20 }, (_, i) => ({ topic: 'sticky', value: `a${i}` })),
    );
    assert.equal(new Set(first.map((m) => m.partition)).size, 1, 'one batch, one partition');
    const partitions = new Set<number>();
    for (let round = 0; round < 10; round++) {
      const metas = await producer.send([{ topic: 'sticky', value: `b${round}` }]);
      partitions.add(metas[0]!.partition);
    }
    assert.ok(partitions.size > 1, 'the sticky partition changes when a batch completes');
  });

  it('default partitioner: a burst of null keys moves on each time a batch fills', async () => {
    const producer = client.producer({ lingerMs: 5, batchSizeBytes: 16_384 });
    const counts = new Map<number, number>();
    const value = Buffer.alloc(100, 'n');
    // 20,000 x ~110 bytes is ~130 full batches: every partition gets some, none gets them all.
    for (let i = 0; i < 20_000; i++) {
      await producer.produce({ topic: 'sticky', value }, (err, meta) => {
        assert.equal(err, null);
        counts.set(meta!.partition, (counts.get(meta!.partition) ?? 0) + 1);
      });
    }
    await producer.close();
    assert.equal(
      [...counts.values()].reduce((a, b) => a + b, 0),
      20_000,
    );
    assert.equal(counts.size, 6, `every partition took records: ${JSON.stringify([...counts])}`);
  });

  it('round-robin, random, explicit and custom partitioners', async () => {
    const rr = client.producer({ partitioner: 'round-robin' });
    const rrMetas = await rr.send(
      Array.from({ length: 12 }, (_, i) => ({ topic: 'rr', key: 'same', value: `${i}` })),
    );
    const counts = new Map<number, number>();
    for (const m of rrMetas) counts.set(m.partition, (counts.get(m.partition) ?? 0) + 1);
    assert.deepEqual([...counts.values()], [2, 2, 2, 2, 2, 2]);

    const random = client.producer({ partitioner: 'random' });
    const randomMetas = await random.send(
      Array.from({ length: 60 }, (_, i) => ({ topic: 'random', value: `${i}` })),
    );
    assert.ok(new Set(randomMetas.map((m) => m.partition)).size > 1);
    const keyed = await random.send({ topic: 'random', key: 'foobar', value: 'x' });
    assert.equal(keyed.partition, 0, 'keys are still hashed');

    const custom = client.producer({ partitioner: ({ key }) => (key ? key.length % 6 : 5) });
    assert.equal((await custom.send({ topic: 'custom', key: 'abcd', value: 'x' })).partition, 4);
    assert.equal((await custom.send({ topic: 'custom', value: 'x' })).partition, 5);
    assert.equal(
      (await custom.send({ topic: 'custom', key: 'abcd', value: 'x', partition: 1 })).partition,
      1,
    );
    const bad = client.producer({ partitioner: () => 17 });
    await assert.rejects(bad.send({ topic: 'custom', value: 'x' }), /custom partitioner returned 17/);
  });

  it('acks 0, 1 and all', async () => {
    for (const acks of [1, -1, 'all'] as const) {
      const meta = await client
        .producer({ acks })
        .send({ topic: 'acks', value: `acks=${acks}`, partition: 0 });
      assert.ok(meta.offset >= 0);
    }
    const zero = client.producer({ acks: 0 });
    const meta = await zero.send({ topic: 'acks', value: 'acks=0', partition: 0 });
    assert.equal(meta.offset, -1);
    await zero.close();
    const records = await readAll(client, 'acks', 0, 4);
    assert.deepEqual(
      records.map((r) => r.value?.toString()),
      ['acks=1', 'acks=-1', 'acks=all', 'acks=0'],
    );
  });

  it('headers, timestamps, null keys and values, through every compression codec', async () => {
    const codecs = ['none', 'gzip', 'snappy', 'lz4', 'zstd'] as const;
    for (const [partition, compression] of codecs.entries()) {
      const producer = client.producer({ compression, lingerMs: 5 });
      const records = [
        {
          key: 'k',
          value: 'v'.repeat(500),
          headers: { a: '1', b: Buffer.from([0, 1]), c: null },
          timestamp: 1_600_000_000_000,
        },
        { key: null, value: 'no key' },
        { key: 'tombstone', value: null },
      ];
      const metas = await producer.send(records.map((r) => ({ topic: 'formats', partition, ...r })));
      assert.deepEqual(
        metas.map((m) => m.offset),
        [0, 1, 2],
        compression,
      );
      assert.equal(metas[0]?.timestamp, 1_600_000_000_000);
      const read = await readAll(client, 'formats', partition, 3);
      assert.equal(read[0]?.key?.toString(), 'k');
      assert.equal(read[0]?.value?.toString(), 'v'.repeat(500));
      assert.equal(read[0]?.timestamp, 1_600_000_000_000);
      assert.deepEqual(
        read[0]?.headers.map((h) => [h.key, h.value === null ? null : [...h.value]]),
        [
          ['a', [0x31]],
          ['b', [0, 1]],
          ['c', null],
        ],
      );
      assert.equal(read[1]?.key, null);
      assert.equal(read[2]?.value, null);
    }
  });

  it('batches records under load: delivery reports in order, offsets contiguous per partition', async () => {
    const producer = client.producer({ lingerMs: 5 });
    const reports: Array<[Error | null, RecordMetadata | null]> = [];
    const total = 5_000;
    for (let i = 0; i < total; i++) {
      await producer.produce({ topic: 'batching', key: `k${i % 50}`, value: `${i}` }, (err, meta) => {
        reports.push([err, meta]);
      });
    }
    await producer.flush();
    assert.equal(reports.length, total, 'flush waits for every report');
    const offsets = new Map<number, number[]>();
    for (const [err, meta] of reports) {
      assert.equal(err, null);
      const list = offsets.get(meta!.partition) ?? [];
      list.push(meta!.offset);
      offsets.set(meta!.partition, list);
    }
    for (const list of offsets.values()) {
      const sorted = [...list].sort((a, b) => a - b);
      assert.deepEqual(
        sorted,
        Array.from({ length: list.length }, (_, i) => i),
      );
    }
    // Order per partition: a key's values come back in send order.
    const partition = reports[0]![1]!.partition;
    const read = await readAll(client, 'batching', partition, offsets.get(partition)!.length);
    const byKey = new Map<string, number[]>();
    for (const r of read) {
      const list = byKey.get(r.key!.toString()) ?? [];
      list.push(Number(r.value!.toString()));
      byKey.set(r.key!.toString(), list);
    }
    for (const list of byKey.values())
      assert.deepEqual(
        list,
        [...list].sort((a, b) => a - b),
      );
    await producer.close();
  });

  it('non-retriable errors reject at once with a typed error', async () => {
    const producer = client.producer({ maxRequestSizeBytes: 4 * 1024 * 1024, deliveryTimeoutMs: 60_000 });
    const started = Date.now();
    const err = await producer
      .send({ topic: 'acks', partition: 1, value: Buffer.alloc(2 * 1024 * 1024) })
      .catch((e: unknown) => e);
    assert.ok(err instanceof MessageTooLargeError, String(err));
    assert.ok(err instanceof KafkaError);
    assert.equal((err as KafkaError).retriable, false);
    assert.ok(Date.now() - started < 10_000, 'no retries for a non-retriable error');
    const tooBig = await client
      .producer()
      .send({ topic: 'acks', value: Buffer.alloc(2 * 1024 * 1024) })
      .catch((e: unknown) => e);
    assert.ok(tooBig instanceof MessageTooLargeError, 'checked against max.request.size before sending');
    const missing = await producer
      .send({ topic: 'acks', partition: 99, value: 'x' })
      .catch((e: unknown) => e);
    assert.ok(missing instanceof UnknownTopicOrPartitionError);
  });

  it('close() reports every pending record: delivered, or failed with ClientClosedError', async () => {
    const producer = client.producer({ lingerMs: 1_000 });
    let delivered = 0;
    let failed = 0;
    for (let i = 0; i < 500; i++) {
      await producer.produce({ topic: 'batching', value: `close-${i}` }, (err) => {
        if (err) failed++;
        else delivered++;
      });
    }
    await producer.close();
    assert.equal(delivered, 500, 'close sends what linger.ms was still holding');
    assert.equal(failed, 0);
    await assert.rejects(producer.send({ topic: 'batching', value: 'late' }), ClientClosedError);
  });

  describe('faults', () => {
    it('retries across a broker restart (stale metadata, connection errors) with no loss', async () => {
      await client.admin().createTopic({ topic: 'restart', numPartitions: 3, replicationFactor: 1 });
      const leader = await leaderOf(client, 'restart', 0);
      const producer = client.producer({
        retryBackoffMs: 50,
        deliveryTimeoutMs: 60_000,
        requestTimeoutMs: 5_000,
      });
      await producer.send({ topic: 'restart', partition: 0, value: 'before' });
      const broker = test.cluster.broker(leader);
      await broker.stop();
      const pending = producer.send(
        Array.from({ length: 20 }, (_, i) => ({ topic: 'restart', partition: 0, value: `during-${i}` })),
      );
      await new Promise((resolve) => setTimeout(resolve, 500));
      await broker.start(test.cluster.zk);
      const metas = await pending;
      assert.deepEqual(
        metas.map((m) => m.offset),
        Array.from({ length: 20 }, (_, i) => i + 1),
      );
      const read = await readAll(client, 'restart', 0, 21);
      assert.deepEqual(
        read.map((r) => r.value?.toString()),
        ['before', ...Array.from({ length: 20 }, (_, i) => `during-${i}`)],
      );
      await producer.close();
    });

    it('back-pressure: buffer.memory bounds what is buffered while the brokers are stopped', async () => {
      await client.admin().createTopic({ topic: 'stall', numPartitions: 3, replicationFactor: 1 });
      const producer = client.producer({
        bufferMemoryBytes: 64 * 1024,
        batchSizeBytes: 8 * 1024,
        requestTimeoutMs: 30_000,
        deliveryTimeoutMs: 60_000,
        maxBlockMs: 60_000,
      });
      await producer.send({ topic: 'stall', value: 'warm-up' });
      const brokers = [1, 2, 3].map((id) => test.cluster.broker(id));
      const value = Buffer.alloc(1000, 1);
      let accepted = 0;
      let reports = 0;
      let errors = 0;
      let maxBuffered = 0;
      const total = 300; // ~300 KB: far more than the 64 KB buffer
      let producing: Promise<void> | undefined;
      try {
        for (const b of brokers) b.signal('SIGSTOP');
        producing = (async () => {
          for (let i = 0; i < total; i++) {
            await producer.produce({ topic: 'stall', value }, (err) => {
              reports++;
              if (err) errors++;
            });
            accepted++;
            maxBuffered = Math.max(maxBuffered, producer.bufferedBytes);
          }
        })();
        await waitFor(() => accepted > 0 && producer.bufferedBytes > 48 * 1024, {
          timeoutMs: 10_000,
          message: 'the buffer fills',
        });
        await new Promise((resolve) => setTimeout(resolve, 500));
        assert.ok(accepted < total, `send() waits when the buffer is full (accepted ${accepted})`);
        assert.ok(maxBuffered <= 64 * 1024 + 1100, `buffered ${maxBuffered} bytes`);
      } finally {
        for (const b of brokers) b.signal('SIGCONT');
      }
      await producing;
      await producer.flush();
      assert.equal(reports, total);
      assert.equal(errors, 0);
      assert.ok(maxBuffered <= 64 * 1024 + 1100, `buffered at most ${maxBuffered} bytes`);
      await producer.close();
    });

    it('close({ timeoutMs }) fails what it could not send: none silently dropped', async () => {
      await client.admin().createTopic({ topic: 'stuck', numPartitions: 1, replicationFactor: 1 });
      const producer: Producer = client.producer({ lingerMs: 10_000, requestTimeoutMs: 2_000 });
      await producer.send({ topic: 'stuck', value: 'warm-up' });
      const leader = test.cluster.broker(await leaderOf(client, 'stuck', 0));
      const outcomes: Array<Error | null> = [];
      try {
        leader.signal('SIGSTOP');
        for (let i = 0; i < 100; i++) {
          await producer.produce({ topic: 'stuck', value: `${i}` }, (err) => outcomes.push(err));
        }
        await producer.close({ timeoutMs: 200 });
      } finally {
        leader.signal('SIGCONT');
      }
      assert.equal(outcomes.length, 100, 'every record has its report');
      for (const err of outcomes) assert.ok(err !== null, 'failed, not delivered');
    });
  });
});
