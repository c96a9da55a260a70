// NOT_LEADER_OR_FOLLOWER for real: a producer's cached metadata goes stale when the controller moves a
// partition's leader. Here: a replica-2 topic on 2 brokers; the producer caches the preferred leader;
// that broker stops (the controller elects the other replica) and comes back on the same port, up but
// no longer leading. The producer's next send goes where its cache says, gets NOT_LEADER_OR_FOLLOWER,
// refreshes its metadata and delivers to the new leader. (Followers do not copy data yet, so the test
// checks where records go, not what each replica holds; a leader kill with replicated data is left for
// when replication lands.)
import assert from 'node:assert/strict';
import net from 'node:net';
import { after, before, describe, it } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import { Sluice } from '@sluice/client';
import { ErrorCode, encodeRecordBatch, sluiceProto } from '@sluice/protocol';
import { startCluster, type TestCluster, waitFor } from '../helpers.ts';

/** A base port whose next `count` ports are all free right now. */
async function freeConsecutivePorts(count: number): Promise<number> {
  const canListen = (port: number) =>
    new Promise<boolean>((resolve) => {
      const server = net.createServer();
      server.once('error', () => resolve(false));
      server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
    });
  for (let attempt = 0; attempt < 50; attempt++) {
    const base = 20_000 + Math.floor(Math.random() * 30_000);
    let free = true;
    for (let i = 0; i < count && free; i++) free = await canListen(base + i);
    if (free) return base;
  }
  throw new Error(`no ${count} consecutive free ports found`);
}

describe('SDK producer: leader moves', () => {
  let test: TestCluster;
  let client: Sluice;

  before(async () => {
    test = await startCluster({
      brokers: 2,
      // Fixed ports, so that a restarted broker is found at the address the producer cached.
      basePort: await freeConsecutivePorts(2),
    });
    client = new Sluice({ bootstrap: test.cluster.bootstrap });
  });

  after(async () => {
    await client?.close();
    await test?.stop();
  });

  async function leaderOf(topic: string): Promise<number> {
    const fresh = new Sluice({ bootstrap: test.cluster.bootstrap });
    try {
      const [described] = await fresh.admin().describeTopics([topic]);
      return described?.partitions[0]?.leader ?? -1;
    } finally {
      await fresh.close();
    }
  }

  it('answers NOT_LEADER_OR_FOLLOWER to a stale leader; the producer retries at the new one', async () => {
    await client.admin().createTopic({ topic: 'moving', numPartitions: 1, replicationFactor: 2 });
    const preferred = await leaderOf('moving');
    assert.ok(preferred > 0);
    const other = preferred === 1 ? 2 : 1;
    const producer = client.producer({ retryBackoffMs: 50, deliveryTimeoutMs: 30_000 });
    // The producer's cache now names `preferred` as the leader (metadata.max.age.ms is 5 minutes).
    const before = await producer.send({ topic: 'moving', value: 'before' });
    assert.equal(before.offset, 0);

    const broker = test.cluster.broker(preferred);
    const address = broker.grpcAddress;
    await broker.stop();
    await waitFor(async () => (await leaderOf('moving')) === other, {
      timeoutMs: 20_000,
      message: `broker ${other} leads after broker ${preferred} stops`,
    });
    // Back on the same port, up, but no longer the leader (and out of the ISR: nothing moves it back).
    await broker.start(test.cluster.zk);
    assert.equal(broker.grpcAddress, address);
    assert.equal(await leaderOf('moving'), other);
    const raw = new (sluiceProto().sluice.v1.Sluice)(address, grpc.credentials.createInsecure());
    const code = await new Promise<number>((resolve, reject) => {
      raw.Produce(
        {
          acks: 1,
          timeout_ms: 5_000,
          topics: [
            { name: 'moving', partitions: [{ index: 0, records: encodeRecordBatch([{ value: null }]) }] },
          ],
        },
        (err, response) =>
          err ? reject(err) : resolve(response?.responses[0]?.partitions[0]?.error_code ?? -1),
      );
    });
    raw.close();
    assert.equal(code, ErrorCode.NOT_LEADER_OR_FOLLOWER, 'the stale leader says so');

    // The producer still sends there first, gets NOT_LEADER_OR_FOLLOWER, refreshes and delivers.
    const metas = await producer.send(
      Array.from({ length: 5 }, (_, i) => ({ topic: 'moving', value: `moved-${i}` })),
    );
    const offsets = metas.map((m) => m.offset);
    assert.deepEqual(
      offsets,
      offsets.map((_, i) => offsets[0]! + i),
    );
    const consumer = client.consumer({ topic: 'moving', partition: 0, from: offsets[0]!, maxWaitMs: 100 });
    const values: string[] = [];
    for await (const record of consumer) {
      values.push(record.value?.toString() ?? '');
      if (values.length >= 5) break;
    }
    consumer.close();
    assert.deepEqual(
      values,
      Array.from({ length: 5 }, (_, i) => `moved-${i}`),
    );
    await producer.close();
  });
});
