// The Kafka listener against KafkaJS (a third-party client, no Sluice code in the loop): the admin
// client creates, lists, describes, alters, grows and deletes topics, and an idempotent producer sends
// with acks=all; offsets are checked through KafkaJS's own ListOffsets; a consumer group of two members
// shares six partitions, each record read exactly once, and a consumer restarted in the group resumes
// after the committed offsets.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { type Admin, type Consumer, Kafka, logLevel } from 'kafkajs';
import { startCluster, type TestCluster, waitFor } from '../helpers.ts';

describe('Kafka listener with KafkaJS', () => {
  let test: TestCluster;
  let kafka: Kafka;
  let admin: Admin;

  before(async () => {
    test = await startCluster({ brokers: 3, kafkaListener: true });
    kafka = new Kafka({
      clientId: 'kafkajs-test',
      brokers: test.cluster.brokers.map((b) => b.kafkaAddress ?? ''),
      logLevel: logLevel.NOTHING,
      retry: { retries: 10, initialRetryTime: 100 },
    });
    admin = kafka.admin();
    await admin.connect();
  });
  after(async () => {
    await admin?.disconnect();
    await test?.stop();
  });

  it('creates, lists, describes and deletes topics', async () => {
    const created = await admin.createTopics({
      topics: [
        { topic: 'js-a', numPartitions: 3, replicationFactor: 3 },
        {
          topic: 'js-b',
          numPartitions: 1,
          replicationFactor: 2,
          configEntries: [{ name: 'retention.ms', value: '60000' }],
        },
      ],
      waitForLeaders: true,
    });
    assert.equal(created, true);
    assert.deepEqual((await admin.listTopics()).filter((t) => t.startsWith('js-')).sort(), ['js-a', 'js-b']);
    const { topics } = await admin.fetchTopicMetadata({ topics: ['js-a'] });
    assert.equal(topics[0]?.partitions.length, 3);
    for (const p of topics[0]?.partitions ?? []) {
      assert.equal(p.replicas.length, 3);
      assert.ok(p.replicas.includes(p.leader));
    }
    // Creating it again: Kafka's TOPIC_ALREADY_EXISTS, which KafkaJS reports as false.
    assert.equal(await admin.createTopics({ topics: [{ topic: 'js-a', numPartitions: 1 }] }), false);

    const described = await admin.describeConfigs({
      resources: [{ type: 2, name: 'js-b', configNames: ['retention.ms'] }],
      includeSynonyms: false,
    });
    assert.equal(described.resources[0]?.configEntries[0]?.configValue, '60000');
    await admin.alterConfigs({
      resources: [{ type: 2, name: 'js-b', configEntries: [{ name: 'retention.ms', value: '120000' }] }],
      validateOnly: false,
    });
    await waitFor(
      async () => {
        const again = await admin.describeConfigs({
          resources: [{ type: 2, name: 'js-b', configNames: ['retention.ms'] }],
          includeSynonyms: false,
        });
        return again.resources[0]?.configEntries[0]?.configValue === '120000';
      },
      { timeoutMs: 10_000, message: 'retention.ms altered to 120000' },
    );

    await admin.createPartitions({ topicPartitions: [{ topic: 'js-b', count: 2 }] });
    await waitFor(
      async () => (await admin.fetchTopicMetadata({ topics: ['js-b'] })).topics[0]?.partitions.length === 2,
      { timeoutMs: 10_000, message: 'js-b has 2 partitions' },
    );

    await admin.deleteTopics({ topics: ['js-b'] });
    await waitFor(async () => !(await admin.listTopics()).includes('js-b'), {
      timeoutMs: 20_000,
      message: 'js-b is gone',
    });
  });

  it('sends with an idempotent producer and acks=all; offsets follow', async () => {
    await admin.createTopics({
      topics: [{ topic: 'js-produce', numPartitions: 2, replicationFactor: 3 }],
      waitForLeaders: true,
    });
    const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    try {
      for (let round = 0; round < 5; round++) {
        const result = await producer.send({
          topic: 'js-produce',
          acks: -1,
          messages: Array.from({ length: 100 }, (_, i) => ({
            key: `k${i}`,
            value: `round ${round} value ${i}`,
            partition: i % 2,
          })),
        });
        assert.ok(result.every((r) => r.errorCode === 0));
      }
    } finally {
      await producer.disconnect();
    }
    const offsets = await admin.fetchTopicOffsets('js-produce');
    assert.deepEqual(
      offsets
        .map((o) => ({ partition: o.partition, high: o.high, low: o.low }))
        .sort((a, b) => a.partition - b.partition),
      [
        { partition: 0, high: '250', low: '0' },
        { partition: 1, high: '250', low: '0' },
      ],
    );
  });

  it('shares 6 partitions between a group of 2 consumers, each record once; a restart resumes after commits', async () => {
    const topic = 'js-group-topic';
    const groupId = 'js-group';
    await admin.createTopics({
      topics: [{ topic, numPartitions: 6, replicationFactor: 3 }],
      waitForLeaders: true,
    });
    const seen = new Map<string, string[]>();
    const assignments = new Map<string, number[]>();
    const consumers: Consumer[] = [];
    const startMember = async (name: string) => {
      const consumer = kafka.consumer({ groupId, sessionTimeout: 10_000, heartbeatInterval: 1_000 });
      consumer.on(consumer.events.GROUP_JOIN, (event) => {
        assignments.set(name, event.payload.memberAssignment[topic] ?? []);
      });
      await consumer.connect();
      await consumer.subscribe({ topic, fromBeginning: true });
      await consumer.run({
        eachMessage: async ({ partition, message }) => {
          const id = `${partition}:${message.offset}`;
          seen.set(id, [...(seen.get(id) ?? []), `${name}:${message.value?.toString()}`]);
        },
      });
      consumers.push(consumer);
      return consumer;
    };
    const producer = kafka.producer();
    await producer.connect();
    const send = async (from: number, count: number) => {
      await producer.send({
        topic,
        acks: -1,
        messages: Array.from({ length: count }, (_, i) => ({
          key: `key-${from + i}`,
          value: `v${from + i}`,
        })),
      });
    };
    try {
      const [a, b] = await Promise.all([startMember('a'), startMember('b')]);
      // The group is stable with both members before anything is produced: no rebalance mid-stream.
      await waitFor(
        () => {
          const owned = [...assignments.values()].flat().sort((x, y) => x - y);
          return assignments.size === 2 && owned.length === 6 && owned.every((p, i) => p === i);
        },
        { timeoutMs: 60_000, message: 'both members assigned, every partition once' },
      );
      assert.ok((assignments.get('a') ?? []).length > 0 && (assignments.get('b') ?? []).length > 0);
      await send(0, 3_000);
      await waitFor(() => seen.size === 3_000, { timeoutMs: 60_000, message: '3000 records consumed' });
      for (const [id, readers] of seen)
        assert.equal(readers.length, 1, `record ${id} read ${readers.length} times`);
      const readerOfPartition = new Map<number, Set<string>>();
      for (const [id, readers] of seen) {
        const partition = Number(id.split(':')[0]);
        const set = readerOfPartition.get(partition) ?? new Set();
        set.add(readers[0]!.split(':')[0]!);
        readerOfPartition.set(partition, set);
      }
      for (const [partition, readers] of readerOfPartition) {
        assert.equal(readers.size, 1, `partition ${partition} read by ${[...readers].join(',')}`);
      }
      // Both leave (committing on the way out); more records arrive; a new member resumes after the commits.
      await Promise.all([a.disconnect(), b.disconnect()]);
      consumers.length = 0;
      const committed = await admin.fetchOffsets({ groupId, topics: [topic] });
      const total = committed[0]?.partitions.reduce((sum, p) => sum + Number(p.offset), 0);
      assert.equal(total, 3_000, 'the group committed every record it consumed');
      await send(3_000, 600);
      seen.clear();
      await startMember('c');
      await waitFor(() => seen.size === 600, { timeoutMs: 60_000, message: '600 new records consumed' });
      const values = [...seen.values()].map((readers) => Number(readers[0]!.split(':v')[1]));
      assert.ok(
        values.every((v) => v >= 3_000),
        'the restarted member read only records after the committed offsets',
      );
    } finally {
      await Promise.allSettled(consumers.map((c) => c.disconnect()));
      await producer.disconnect();
    }
  });
});
