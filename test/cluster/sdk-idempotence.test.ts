// The idempotent producer end to end: InitProducerId hands out ids from Kafka's
// /latest_producer_id_block; the leader drops a batch it already has (answering with its first
// offsets), refuses a sequence gap with OUT_OF_ORDER_SEQUENCE_NUMBER and an older epoch with
// INVALID_PRODUCER_EPOCH, and remembers producers across a restart (state rebuilt from the log); a
// producer whose requests time out while the leader is stopped retries without writing duplicates; a
// leader that lost its partition, followed the new leader and then got it back checks sequences from
// where the other leader left off.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import { Sluice } from '@sluice/client';
import { ProducerIdBlockZNode } from '@sluice/coordinator';
import { ErrorCode, encodeRecordBatch, type SluiceClient, sluiceProto } from '@sluice/protocol';
import { startCluster, type TestCluster, waitFor } from '../helpers.ts';

function rawClient(address: string): SluiceClient {
  const Service = sluiceProto().sluice.v1.Sluice;
  return new Service(address, grpc.credentials.createInsecure());
}

function initProducerId(client: SluiceClient): Promise<{ id: number; epoch: number }> {
  return new Promise((resolve, reject) => {
    client.InitProducerId({}, (err, response) => {
      if (err || !response || response.error_code !== 0)
        reject(err ?? new Error(`code ${response?.error_code}`));
      else resolve({ id: Number(response.producer_id), epoch: response.producer_epoch });
    });
  });
}

function produce(
  client: SluiceClient,
  topic: string,
  batch: Buffer,
): Promise<{ errorCode: number; baseOffset: number }> {
  return new Promise((resolve, reject) => {
    client.Produce(
      { acks: -1, timeout_ms: 10_000, topics: [{ name: topic, partitions: [{ index: 0, records: batch }] }] },
      (err, response) => {
        const p = response?.responses[0]?.partitions[0];
        if (err || !p) reject(err ?? new Error('no answer'));
        else resolve({ errorCode: p.error_code, baseOffset: Number(p.base_offset) });
      },
    );
  });
}

async function readValues(client: Sluice, topic: string, count: number): Promise<string[]> {
  const consumer = client.consumer({ topic, partition: 0, from: 'oldest', maxWaitMs: 100 });
  const values: string[] = [];
  try {
    for await (const record of consumer) {
      values.push(record.value?.toString() ?? '');
      if (values.length >= count) break;
    }
  } finally {
    consumer.close();
  }
  return values;
}

describe('idempotent producer', () => {
  let test: TestCluster;
  let client: Sluice;

  before(async () => {
    test = await startCluster({ brokers: 2 });
    client = new Sluice({ bootstrap: test.cluster.bootstrap });
  });

  after(async () => {
    await client?.close();
    await test?.stop();
  });

  it('InitProducerId: distinct ids from blocks in /latest_producer_id_block (Kafka 2.7 JSON)', async () => {
    const [a, b] = test.cluster.bootstrap.map(rawClient);
    assert.ok(a && b);
    const ids = [await initProducerId(a), await initProducerId(a), await initProducerId(b)];
    assert.equal(new Set(ids.map((p) => p.id)).size, 3);
    for (const p of ids) assert.equal(p.epoch, 0);
    const node = await test.cluster.zk.getData('/latest_producer_id_block');
    assert.ok(node);
    const json = JSON.parse(node.data.toString());
    assert.deepEqual(Object.keys(json).sort(), ['block_end', 'block_start', 'broker', 'version']);
    assert.equal(json.version, 1);
    assert.equal(typeof json.block_start, 'string');
    const block = ProducerIdBlockZNode.decode(node.data);
    assert.equal(block.blockEnd - block.blockStart + 1, 1000);
    a.close();
    b.close();
  });

  it('drops duplicates, refuses gaps and old epochs; remembers producers across a restart', async () => {
    await client.admin().createTopic({ topic: 'idem', numPartitions: 1, replicationFactor: 1 });
    const [described] = await client.admin().describeTopics(['idem']);
    const leaderId = described?.partitions[0]?.leader ?? -1;
    let leader = rawClient(test.cluster.broker(leaderId).grpcAddress);
    const { id } = await initProducerId(leader);
    const batch = (baseSequence: number, values: string[], epoch = 0) =>
      encodeRecordBatch(
        values.map((v) => ({ value: Buffer.from(v) })),
        { producerId: id, producerEpoch: epoch, baseSequence },
      );

    assert.deepEqual(await produce(leader, 'idem', batch(0, ['a', 'b', 'c'])), {
      errorCode: 0,
      baseOffset: 0,
    });
    assert.deepEqual(await produce(leader, 'idem', batch(0, ['a', 'b', 'c'])), {
      errorCode: 0,
      baseOffset: 0,
    });
    assert.deepEqual(await produce(leader, 'idem', batch(3, ['d'])), { errorCode: 0, baseOffset: 3 });
    assert.equal(
      (await produce(leader, 'idem', batch(7, ['gap']))).errorCode,
      ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER,
    );
    // A new epoch starts again at 0; the old epoch is fenced from then on.
    assert.deepEqual(await produce(leader, 'idem', batch(0, ['e'], 1)), { errorCode: 0, baseOffset: 4 });
    assert.equal(
      (await produce(leader, 'idem', batch(4, ['old'], 0))).errorCode,
      ErrorCode.INVALID_PRODUCER_EPOCH,
    );

    // Restart: the state comes back from the log, so a retry of the last batch is still a duplicate.
    leader.close();
    const broker = test.cluster.broker(leaderId);
    await broker.stop();
    await broker.start(test.cluster.zk);
    leader = rawClient(broker.grpcAddress);
    let answer = { errorCode: -1, baseOffset: -1 };
    for (let attempt = 0; attempt < 100; attempt++) {
      answer = await produce(leader, 'idem', batch(0, ['e'], 1)).catch(() => ({
        errorCode: -1,
        baseOffset: -1,
      }));
      if (answer.errorCode === 0) break;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    assert.deepEqual(answer, { errorCode: 0, baseOffset: 4 });
    assert.deepEqual(await produce(leader, 'idem', batch(1, ['f'], 1)), { errorCode: 0, baseOffset: 5 });
    leader.close();
    assert.deepEqual(await readValues(client, 'idem', 6), ['a', 'b', 'c', 'd', 'e', 'f']);
  });

  it('retries of requests that timed out while the leader was stopped write no duplicates', async () => {
    await client.admin().createTopic({ topic: 'idem-retry', numPartitions: 1, replicationFactor: 1 });
    const producer = client.producer({
      enableIdempotence: true,
      requestTimeoutMs: 500,
      retryBackoffMs: 50,
      deliveryTimeoutMs: 60_000,
    });
    assert.throws(() => client.producer({ enableIdempotence: true, acks: 1 }), /acks 'all'/);
    await producer.send({ topic: 'idem-retry', value: 'warm-up' });
    assert.ok(producer.producerIdAndEpoch && producer.producerIdAndEpoch.producerId >= 0);
    const [described] = await client.admin().describeTopics(['idem-retry']);
    const leader = test.cluster.broker(described?.partitions[0]?.leader ?? -1);
    let pending: Promise<unknown> | undefined;
    try {
      leader.signal('SIGSTOP');
      pending = producer.send(
        Array.from({ length: 50 }, (_, i) => ({ topic: 'idem-retry', value: `r${i}` })),
      );
      // Several attempts time out and are sent again while the broker sleeps with them in its socket.
      await new Promise((resolve) => setTimeout(resolve, 2_000));
    } finally {
      leader.signal('SIGCONT');
    }
    await pending;
    const values = await readValues(client, 'idem-retry', 51);
    assert.equal(values.length, 51);
    assert.deepEqual(values, ['warm-up', ...Array.from({ length: 50 }, (_, i) => `r${i}`)]);
    // Nothing more behind them.
    const more = await client
      .producer()
      .send({ topic: 'idem-retry', value: 'marker' })
      .then((m) => m.offset);
    assert.equal(more, 51, 'no duplicate records in the log');
    await producer.close();
  });
});

describe('idempotent producer across leadership moves', () => {
  let test: TestCluster;
  let client: Sluice;

  before(async () => {
    test = await startCluster({
      brokers: 2,
      // The preferred replica takes its partition back as soon as it is in the ISR again.
      brokerProperties: {
        'leader.imbalance.check.interval.seconds': '1',
        'leader.imbalance.per.broker.percentage': '0',
      },
    });
    client = new Sluice({ bootstrap: test.cluster.bootstrap });
  });

  after(async () => {
    await client?.close();
    await test?.stop();
  });

  async function leaderOf(topic: string): Promise<number> {
    const [described] = await client.admin().describeTopics([topic]);
    return described?.partitions[0]?.leader ?? -1;
  }

  async function isrOf(topic: string): Promise<number[]> {
    const [described] = await client.admin().describeTopics([topic]);
    return described?.partitions[0]?.isr ?? [];
  }

  it('a leader that followed another and got its partition back goes on from its sequences', async () => {
    await client.admin().createTopic({ topic: 'idem-move', numPartitions: 1, replicationFactor: 2 });
    const producer = client.producer({
      enableIdempotence: true,
      requestTimeoutMs: 1_000,
      retryBackoffMs: 50,
      deliveryTimeoutMs: 60_000,
    });
    const values = (round: string) => Array.from({ length: 10 }, (_, i) => `${round}${i}`);
    const send = (round: string) =>
      producer.send(values(round).map((value) => ({ topic: 'idem-move', partition: 0, value })));
    await send('a');
    const preferred = await leaderOf('idem-move');
    await waitFor(async () => (await isrOf('idem-move')).length === 2, {
      timeoutMs: 20_000,
      message: 'both replicas in the ISR',
    });
    const broker = test.cluster.broker(preferred);
    broker.signal('SIGSTOP');
    try {
      // Its ZooKeeper session expires; the other replica leads and takes round b.
      await waitFor(async () => (await leaderOf('idem-move')) !== preferred, {
        timeoutMs: 20_000,
        message: 'the other replica leads',
      });
      await send('b');
    } finally {
      broker.signal('SIGCONT');
    }
    // Back as a follower, it copies round b; then it is the preferred leader again.
    await waitFor(async () => (await leaderOf('idem-move')) === preferred, {
      timeoutMs: 30_000,
      message: 'the preferred replica leads again',
    });
    await send('c');
    assert.deepEqual(await readValues(client, 'idem-move', 30), [
      ...values('a'),
      ...values('b'),
      ...values('c'),
    ]);
    const next = await client.producer().send({ topic: 'idem-move', partition: 0, value: 'marker' });
    assert.equal(next.offset, 30, 'no duplicates');
    await producer.close();
  });
});
