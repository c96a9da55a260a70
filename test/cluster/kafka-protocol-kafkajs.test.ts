// The Kafka listener against KafkaJS (a third-party client, no Sluice code in the loop): the admin
// client creates, lists, describes, alters, grows and deletes topics, and an idempotent producer sends
// with acks=all; offsets are checked through KafkaJS's own ListOffsets. Consumers need groups, which
// Sluice does not have yet.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { type Admin, Kafka, logLevel } from 'kafkajs';
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
});
