// The ZooKeeper client, broker registration and the metadata view against a real ZooKeeper server.
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import pino from 'pino';
import {
  BrokerIdInUseError,
  createTopicInZooKeeper,
  createTopLevelPaths,
  generateBrokerId,
  getOrCreateClusterId,
  MetadataView,
  registerBroker,
  TopicPartitionStateZNode,
  ZooKeeperClient,
  ZooKeeperCode,
  ZooKeeperError,
  ZooKeeperServer,
} from '../src/index.ts';

describe('ZooKeeper', () => {
  let dir: string;
  let server: ZooKeeperServer;
  const clients: ZooKeeperClient[] = [];

  async function connect(): Promise<ZooKeeperClient> {
    const client = await ZooKeeperClient.connect({
      connectString: server.connectString,
      sessionTimeoutMs: 6_000,
      connectionTimeoutMs: 10_000,
    });
    clients.push(client);
    return client;
  }

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'sluice-zk-'));
    server = await ZooKeeperServer.start({ dataDir: dir });
  });

  after(async () => {
    for (const client of clients) client.close();
    await server?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it('creates the top-level paths and one cluster id', async () => {
    const zk = await connect();
    await createTopLevelPaths(zk);
    await createTopLevelPaths(zk);
    for (const path of [
      '/brokers/ids',
      '/brokers/topics',
      '/admin/delete_topics',
      '/config/topics',
      '/isr_change_notification',
    ]) {
      assert.ok(await zk.exists(path), path);
    }
    const id = await getOrCreateClusterId(zk);
    assert.match(id, /^[A-Za-z0-9_-]{22}$/);
    assert.equal(await getOrCreateClusterId(await connect()), id);
  });

  it('generates increasing broker ids above reserved.broker.max.id', async () => {
    const zk = await connect();
    const first = await generateBrokerId(zk, 1000);
    const second = await generateBrokerId(zk, 1000);
    assert.ok(first > 1000);
    assert.equal(second, first + 1);
  });

  it('registers a broker ephemerally and refuses the id to another session', async () => {
    const a = await connect();
    const b = await connect();
    const registration = {
      id: 5,
      endpoints: [{ listenerName: 'GRPC', host: '127.0.0.1', port: 1 }],
      rack: null,
      timestampMs: 1,
    };
    await registerBroker(a, registration);
    await registerBroker(a, registration); // the same session again: accepted
    await assert.rejects(registerBroker(b, registration), BrokerIdInUseError);
    a.close();
    // Closing the session removes the ephemeral znode at once.
    assert.equal(await b.exists('/brokers/ids/5'), null);
    await registerBroker(b, registration);
  });

  it('applies a multi-op all or nothing, and fences on versions', async () => {
    const zk = await connect();
    await zk.create('/fence', Buffer.from('0'));
    await assert.rejects(
      zk.multi([
        { op: 'create', path: '/fence-child', data: null },
        { op: 'setData', path: '/fence', data: Buffer.from('1'), version: 42 },
      ]),
      (err: unknown) => ZooKeeperError.is(err, ZooKeeperCode.BAD_VERSION),
    );
    assert.equal(await zk.exists('/fence-child'), null, 'the first op was rolled back');
    await zk.multi([
      { op: 'create', path: '/fence-child', data: null },
      { op: 'setData', path: '/fence', data: Buffer.from('1'), version: 0 },
    ]);
    assert.equal((await zk.getData('/fence'))?.data.toString(), '1');
  });

  it('keeps a metadata view current through watches', async () => {
    const zk = await connect();
    await createTopLevelPaths(zk);
    const view = new MetadataView(zk, pino({ level: 'silent' }));
    await view.start();
    const changed = new Promise<void>((resolve) => {
      view.on('change', () => {
        if (view.partition('watched', 1)?.leader === 2) resolve();
      });
    });
    await createTopicInZooKeeper(zk, {
      name: 'watched',
      assignment: new Map([
        [0, [1]],
        [1, [2]],
      ]),
      configs: { 'retention.ms': '1000' },
    });
    await changed;
    assert.deepEqual(view.topics.get('watched')?.config, { 'retention.ms': '1000' });
    const moved = new Promise<void>((resolve) => {
      view.on('change', () => {
        if (view.partition('watched', 1)?.leaderEpoch === 1) resolve();
      });
    });
    await zk.setData(
      TopicPartitionStateZNode.path('watched', 1),
      TopicPartitionStateZNode.encode({ leader: 1, leaderEpoch: 1, isr: [1], controllerEpoch: 0 }),
    );
    await moved;
    assert.equal(view.partition('watched', 1)?.leader, 1);
    view.close();
  });
});
