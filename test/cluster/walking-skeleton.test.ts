// The walking skeleton end to end, against a real ZooKeeper and real broker processes: registration
// in Kafka 2.7's format, topic creation, produce and fetch over gRPC across partitions, errors.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Sluice } from '@sluice/client';
import { BrokerIdZNode, TopicPartitionStateZNode, TopicZNode } from '@sluice/coordinator';
import { ErrorCode, KafkaError } from '@sluice/protocol';
import { startCluster, type TestCluster } from '../helpers.ts';

describe('walking skeleton: 3 brokers', () => {
  let test: TestCluster;
  let client: Sluice;

  before(async () => {
    test = await startCluster({ brokers: 3 });
    client = new Sluice({ bootstrap: test.cluster.bootstrap });
  });

  after(async () => {
    await client?.close();
    await test?.stop();
  });

  it('registers every broker at /brokers/ids/<id> with Kafka 2.7 JSON', async () => {
    const ids = (await test.cluster.zk.getChildren('/brokers/ids'))?.map(Number).sort();
    assert.deepEqual(ids, [1, 2, 3]);
    const node = await test.cluster.zk.getData('/brokers/ids/1');
    assert.ok(node);
    const json = JSON.parse(node.data.toString());
    assert.deepEqual(Object.keys(json).sort(), [
      'endpoints',
      'features',
      'host',
      'jmx_port',
      'listener_security_protocol_map',
      'port',
      'timestamp',
      'version',
    ]);
    assert.equal(json.version, 5);
    assert.equal(json.jmx_port, -1);
    assert.match(json.timestamp, /^\d+$/);
    assert.deepEqual(json.listener_security_protocol_map, { GRPC: 'PLAINTEXT' });
    assert.equal(json.endpoints[0], `GRPC://127.0.0.1:${json.port}`);
    assert.equal(BrokerIdZNode.decode(1, node.data).endpoints[0]?.port, json.port);
  });

  it('creates a topic with Kafka-format znodes and leaders on the brokers', async () => {
    await client.admin().createTopic({ topic: 'orders', numPartitions: 6, replicationFactor: 1 });
    const topicNode = await test.cluster.zk.getData('/brokers/topics/orders');
    assert.ok(topicNode);
    const topicJson = JSON.parse(topicNode.data.toString());
    assert.deepEqual(Object.keys(topicJson).sort(), [
      'adding_replicas',
      'partitions',
      'removing_replicas',
      'version',
    ]);
    assert.equal(topicJson.version, 2);
    const assignment = TopicZNode.decode('orders', topicNode.data);
    assert.equal(assignment.size, 6);
    // Round-robin over 3 brokers: every broker leads two partitions.
    const leaders = [...assignment.values()].map((r) => r[0]);
    for (const id of [1, 2, 3]) assert.equal(leaders.filter((l) => l === id).length, 2);
    const stateNode = await test.cluster.zk.getData('/brokers/topics/orders/partitions/0/state');
    assert.ok(stateNode);
    assert.deepEqual(Object.keys(JSON.parse(stateNode.data.toString())).sort(), [
      'controller_epoch',
      'isr',
      'leader',
      'leader_epoch',
      'version',
    ]);
    const state = TopicPartitionStateZNode.decode('orders', 0, stateNode.data);
    assert.equal(state.leader, assignment.get(0)?.[0]);
    const [described] = await client.admin().describeTopics(['orders']);
    assert.equal(described?.partitions.length, 6);
    for (const p of described?.partitions ?? []) assert.equal(p.leader, assignment.get(p.partition)?.[0]);
  });

  it('refuses a topic that exists with TOPIC_ALREADY_EXISTS', async () => {
    await assert.rejects(client.admin().createTopic({ topic: 'orders', numPartitions: 1 }), (err: unknown) =>
      KafkaError.is(err, ErrorCode.TOPIC_ALREADY_EXISTS),
    );
  });

  it('round-trips records over several partitions, in order within each', async () => {
    const producer = client.producer();
    const sent = new Map<number, string[]>();
    for (let i = 0; i < 300; i++) {
      const value = `record-${i}`;
      const meta = await producer.send({ topic: 'orders', key: `key-${i % 17}`, value });
      const list = sent.get(meta.partition) ?? [];
      assert.equal(meta.offset, list.length, 'offsets are consecutive per partition');
      list.push(value);
      sent.set(meta.partition, list);
    }
    assert.ok(sent.size > 1, 'records spread over several partitions');
    for (const [partition, values] of sent) {
      const consumer = client.consumer({ topic: 'orders', partition, from: 'oldest' });
      const received: string[] = [];
      for await (const record of consumer) {
        received.push(record.value?.toString() ?? '');
        if (received.length === values.length) break;
      }
      consumer.close();
      assert.deepEqual(received, values);
    }
  });

  it('sends a batch of records in one call and reads them from an offset', async () => {
    await client.admin().createTopic({ topic: 'batched', numPartitions: 1 });
    const producer = client.producer({ acks: 'all' });
    const results = await producer.send(
      Array.from({ length: 50 }, (_, i) => ({ topic: 'batched', value: `v${i}`, headers: { h: `x${i}` } })),
    );
    assert.deepEqual(
      results.map((r) => r.offset),
      Array.from({ length: 50 }, (_, i) => i),
    );
    const consumer = client.consumer({ topic: 'batched', partition: 0, from: 25 });
    const first = await consumer.records().next();
    consumer.close();
    assert.equal(first.value?.offset, 25);
    assert.equal(first.value?.value?.toString(), 'v25');
    assert.equal(first.value?.headers[0]?.value?.toString(), 'x25');
  });

  it('answers UNKNOWN_TOPIC_OR_PARTITION for a topic that does not exist', async () => {
    const consumer = client.consumer({ topic: 'no-such-topic', partition: 0, from: 'oldest' });
    await assert.rejects(consumer.records().next(), (err: unknown) =>
      KafkaError.is(err, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION),
    );
    consumer.close();
  });

  it('refuses invalid topic names and configs with Kafka error codes', async () => {
    await assert.rejects(client.admin().createTopic({ topic: 'bad/name' }), (err: unknown) =>
      KafkaError.is(err, ErrorCode.INVALID_TOPIC_EXCEPTION),
    );
    await assert.rejects(
      client.admin().createTopic({ topic: 'cfg', configs: { 'retention.ms': 'soon' } }),
      (err: unknown) =>
        KafkaError.is(err, ErrorCode.INVALID_CONFIG) && /retention\.ms/.test((err as Error).message),
    );
    await assert.rejects(
      client.admin().createTopic({ topic: 'too-many-replicas', replicationFactor: 4 }),
      (err: unknown) => KafkaError.is(err, ErrorCode.INVALID_REPLICATION_FACTOR),
    );
    assert.equal(
      await test.cluster.zk.exists('/brokers/topics/cfg'),
      null,
      'nothing written for a refused topic',
    );
  });

  it('auto-creates a topic on produce (auto.create.topics.enable=true)', async () => {
    const meta = await client.producer().send({ topic: 'auto-created', value: 'hello' });
    assert.equal(meta.offset, 0);
    assert.ok(await test.cluster.zk.exists('/brokers/topics/auto-created'));
  });

  it('looks up leaders through ZooKeeper as well as through a broker', async () => {
    const viaZk = new Sluice({ zookeeper: test.cluster.zookeeper.connectString });
    try {
      const meta = await viaZk.producer().send({ topic: 'orders', partition: 2, value: 'via-zookeeper' });
      const consumer = viaZk.consumer({ topic: 'orders', partition: 2, from: meta.offset });
      const record = await consumer.records().next();
      consumer.close();
      assert.equal(record.value?.value?.toString(), 'via-zookeeper');
    } finally {
      await viaZk.close();
    }
  });
});
