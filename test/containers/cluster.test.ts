// A cluster in containers: ZooKeeper (zookeeper:3.8) and three broker containers of the built image, all
// on the host's network with every listener on 127.0.0.1. The brokers register in ZooKeeper and turn
// healthy; a topic with replication factor 1 round-trips records through the SDK from the host; a broker
// container replaced by a new one on the same named volume comes back with the same id (kept in
// meta.properties, broker.id unset) and the same data. Replication (RF=3, failover) is
// test/containers/failover.test.ts, outside this suite until replication exists.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Sluice } from '@sluice/client';
import { freePort, readBroker, type ZooKeeperClient } from '@sluice/coordinator';
import type { StartedTestContainer } from 'testcontainers';
import { waitFor } from '../helpers.ts';
import {
  buildImage,
  connectZooKeeper,
  containerLogs,
  containerState,
  docker,
  removeAll,
  requireDockerEngine,
  startBroker,
  startZooKeeper,
  stopContainer,
} from './docker.ts';

const RUN_ID = `${process.pid}-${Date.now().toString(36)}`;

describe('cluster in containers: ZooKeeper + 3 brokers, host networking', () => {
  const containerIds: string[] = [];
  const volumes = [1, 2, 3].map((n) => `sluice-test-${RUN_ID}-broker-${n}`);
  const ports: number[] = [];
  let zookeeper: StartedTestContainer;
  let zkConnect: string;
  let zk: ZooKeeperClient;
  let client: Sluice | undefined;
  /** Broker 3 runs without broker.id: its id is generated, then kept on its volume. */
  let generatedId = -1;
  /** Records sent per partition by the round-trip test. */
  const sentPerPartition = new Map<number, number>();

  before(async () => {
    await requireDockerEngine();
    await buildImage();
    const zkPort = await freePort();
    zookeeper = await startZooKeeper(zkPort);
    containerIds.push(zookeeper.getId());
    zkConnect = `127.0.0.1:${zkPort}`;
    zk = await connectZooKeeper(zkConnect);
    for (let i = 0; i < 3; i++) ports.push(await freePort());
  });

  after(async () => {
    await client?.close();
    zk?.close();
    await removeAll(containerIds, volumes);
  });

  function brokerOptions(index: number) {
    return {
      ...(index < 2 ? { brokerId: index + 1 } : {}),
      port: ports[index] as number,
      zookeeperConnect: zkConnect,
      volume: volumes[index] as string,
    };
  }

  it('starts three brokers that register in ZooKeeper and turn healthy', { timeout: 300_000 }, async () => {
    const brokers = await Promise.all([0, 1, 2].map((i) => startBroker(brokerOptions(i))));
    containerIds.push(...brokers.map((b) => b.getId()));
    const ids = await waitFor(
      async () => {
        const children = (await zk.getChildren('/brokers/ids'))?.map(Number).sort((a, b) => a - b);
        return children?.length === 3 ? children : null;
      },
      { timeoutMs: 30_000, message: 'three brokers in /brokers/ids' },
    );
    assert.deepEqual(ids.slice(0, 2), [1, 2]);
    generatedId = ids[2] as number;
    assert.ok(generatedId > 1000, `a generated id is above reserved.broker.max.id: ${generatedId}`);
    for (const [index, id] of ids.entries()) {
      const registration = await readBroker(zk, id);
      const endpoint = registration?.endpoints.find((e) => e.listenerName === 'GRPC');
      assert.equal(`${endpoint?.host}:${endpoint?.port}`, `127.0.0.1:${ports[index]}`);
    }
    for (const broker of brokers) {
      const state = await containerState(broker.getId());
      assert.equal(state.Health?.Status, 'healthy', await containerLogs(broker.getId()));
    }
  });

  it('round-trips records through the SDK from the host (RF=1)', { timeout: 120_000 }, async () => {
    client = new Sluice({ bootstrap: ports.map((p) => `127.0.0.1:${p}`) });
    const admin = client.admin();
    await admin.createTopic({ topic: 'events', numPartitions: 3, replicationFactor: 1 });
    // The leaders reach every broker's metadata through ZooKeeper watches, a moment after creation.
    const leaders = await waitFor(
      async () => {
        const [described] = await admin.describeTopics(['events']);
        const found = described?.partitions.map((p) => p.leader).sort((a, b) => a - b);
        return found?.length === 3 && found.every((l) => l >= 0) ? found : null;
      },
      { timeoutMs: 30_000, intervalMs: 200, message: 'a leader for every partition of events' },
    );
    assert.deepEqual(leaders, [1, 2, generatedId], 'one partition led by each broker container');

    const producer = client.producer();
    const sent = await producer.send(
      Array.from({ length: 60 }, (_, i) => ({ topic: 'events', key: `key-${i}`, value: `value-${i}` })),
    );
    for (const partition of [0, 1, 2]) {
      const expected = sent.filter((m) => m.partition === partition);
      assert.ok(expected.length > 0, `records in partition ${partition}`);
      sentPerPartition.set(partition, expected.length);
      const received = await consume(client, 'events', partition, expected.length);
      assert.deepEqual(
        received.map((r) => r.offset),
        expected.map((m) => m.offset),
      );
      for (const r of received) assert.match(r.value, /^value-\d+$/);
    }
  });

  it('replaces a broker container: same volume, same generated id, same data', {
    timeout: 300_000,
  }, async () => {
    assert.ok(client);
    const oldId = containerIds.at(-1) as string;
    const [before] = await client.admin().describeTopics(['events']);
    const partition = before?.partitions.find((p) => p.leader === generatedId)?.partition;
    assert.ok(partition !== undefined);
    const count = sentPerPartition.get(partition) ?? 0;
    const beforeRecords = await consume(client, 'events', partition, count);

    const { exitCode } = await stopContainer(oldId, 120);
    assert.equal(exitCode, 0, 'clean stop');
    await docker(['rm', oldId]);
    await waitFor(async () => (await zk.exists(`/brokers/ids/${generatedId}`)) === null, {
      timeoutMs: 10_000,
      message: 'the stopped broker deregisters',
    });

    const replacement = await startBroker(brokerOptions(2));
    containerIds.push(replacement.getId());
    await waitFor(async () => (await zk.exists(`/brokers/ids/${generatedId}`)) !== null, {
      timeoutMs: 30_000,
      message: `the new container registers as broker ${generatedId} again`,
    });
    const meta = await docker(['exec', replacement.getId(), 'cat', '/var/lib/sluice/logs/meta.properties']);
    assert.match(meta, new RegExp(`^broker\\.id=${generatedId}$`, 'm'));

    const afterRecords = await consume(client, 'events', partition, count);
    assert.deepEqual(afterRecords, beforeRecords, 'the records on the volume are served again');
    const next = await client.producer().send({ topic: 'events', partition, value: 'after-restart' });
    assert.equal(next.offset, count, 'the log continues where it was');
  });
});

/** Reads the first `count` records of a partition (bounded by a deadline). */
async function consume(
  client: Sluice,
  topic: string,
  partition: number,
  count: number,
): Promise<Array<{ offset: number; value: string }>> {
  const records: Array<{ offset: number; value: string }> = [];
  if (count === 0) return records;
  const consumer = client.consumer({ topic, partition, from: 'oldest', maxWaitMs: 200 });
  // close() ends the iteration after the fetch in flight (at most maxWaitMs): the deadline.
  const timer = setTimeout(() => consumer.close(), 30_000);
  try {
    for await (const record of consumer) {
      records.push({ offset: record.offset, value: record.value?.toString() ?? '' });
      if (records.length >= count) break;
    }
  } finally {
    clearTimeout(timer);
    consumer.close();
  }
  if (records.length < count)
    throw new Error(`read ${records.length} of ${count} records from ${topic}-${partition}`);
  return records;
}
