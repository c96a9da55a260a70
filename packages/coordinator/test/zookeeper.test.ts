// The ZooKeeper client, broker registration and the metadata view against a real ZooKeeper server.
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import net from 'node:net';
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
  let proxy: TcpProxy | undefined;

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
    proxy?.close();
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
    // Closing the session removes the ephemeral znode as soon as the server processes the close,
    // long before a session timeout would (6 s here).
    const closedAt = Date.now();
    while ((await b.exists('/brokers/ids/5')) !== null) {
      assert.ok(Date.now() - closedAt < 3_000, 'the ephemeral znode outlived its closed session');
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
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
    const created = new Promise<void>((resolve) => {
      view.on('change', () => {
        if (view.partition('watched', 1) !== undefined) resolve();
      });
    });
    // The admin path writes the config and the assignment; the controller writes the partition states.
    await createTopicInZooKeeper(zk, {
      name: 'watched',
      assignment: new Map([
        [0, [1]],
        [1, [2]],
      ]),
      configs: { 'retention.ms': '1000' },
    });
    await created;
    assert.equal(view.partition('watched', 1)?.leader, -1, 'no leader before the controller writes one');
    assert.equal(
      await zk.exists(TopicPartitionStateZNode.path('watched', 0)),
      null,
      'the admin path writes no partition state',
    );
    const changed = new Promise<void>((resolve) => {
      view.on('change', () => {
        if (view.partition('watched', 1)?.leader === 2) resolve();
      });
    });
    // What the controller writes for a new partition.
    for (const [partition, leader] of [
      [0, 1],
      [1, 2],
    ] as const) {
      await zk.createRecursive(`/brokers/topics/watched/partitions/${partition}`);
      await zk.create(
        TopicPartitionStateZNode.path('watched', partition),
        TopicPartitionStateZNode.encode({ leader, leaderEpoch: 0, isr: [leader], controllerEpoch: 0 }),
      );
    }
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

  it('fails requests at once once the session expired, and a view follows a new session', async () => {
    proxy = await TcpProxy.start(server.port);
    const zk = await ZooKeeperClient.connect({
      connectString: `127.0.0.1:${proxy.port}`,
      sessionTimeoutMs: 2_000,
      connectionTimeoutMs: 10_000,
    });
    clients.push(zk);
    await createTopLevelPaths(zk);
    const view = new MetadataView(zk, pino({ level: 'silent' }));
    await view.start();
    const seen = (topic: string) =>
      new Promise<void>((resolve) => {
        if (view.topics.has(topic)) resolve();
        view.on('change', () => {
          if (view.topics.has(topic)) resolve();
        });
      });
    await createTopicInZooKeeper(zk, { name: 'before-expiry', assignment: new Map([[0, [1]]]), configs: {} });
    await seen('before-expiry');

    const expired = new Promise<void>((resolve) => zk.once('expired', resolve));
    // A network partition longer than the session timeout; when it heals, the server has ended the session.
    proxy.partition();
    await new Promise((resolve) => setTimeout(resolve, 3_500));
    proxy.heal();
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      expired,
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error('the session did not expire within 20 s')), 20_000);
      }),
    ]);
    clearTimeout(timer);
    assert.equal(zk.isExpired, true);
    const startedAt = Date.now();
    await assert.rejects(zk.getData('/brokers'), (err: unknown) =>
      ZooKeeperError.is(err, ZooKeeperCode.SESSION_EXPIRED),
    );
    assert.ok(Date.now() - startedAt < 1_000, 'no waiting on a dead session');
    assert.ok(view.topics.has('before-expiry'), 'the view keeps answering meanwhile');

    const fresh = await connect();
    await view.rebind(fresh);
    assert.ok(view.topicsComplete);
    await createTopicInZooKeeper(fresh, {
      name: 'after-expiry',
      assignment: new Map([[0, [1]]]),
      configs: {},
    });
    await seen('after-expiry');
    view.close();
  });
});

/** A TCP proxy in front of ZooKeeper that can cut every connection, as a network partition does. */
class TcpProxy {
  readonly #server: net.Server;
  readonly #sockets = new Set<net.Socket>();
  #partitioned = false;

  private constructor(server: net.Server) {
    this.#server = server;
  }

  static async start(targetPort: number): Promise<TcpProxy> {
    const server = net.createServer();
    const proxy = new TcpProxy(server);
    server.on('connection', (client) => proxy.#accept(client, targetPort));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return proxy;
  }

  get port(): number {
    return (this.#server.address() as net.AddressInfo).port;
  }

  partition(): void {
    this.#partitioned = true;
    for (const socket of this.#sockets) socket.destroy();
  }

  heal(): void {
    this.#partitioned = false;
  }

  close(): void {
    this.partition();
    this.#server.close();
  }

  #accept(client: net.Socket, targetPort: number): void {
    if (this.#partitioned) {
      client.destroy();
      return;
    }
    const upstream = net.connect({ host: '127.0.0.1', port: targetPort });
    for (const socket of [client, upstream]) {
      this.#sockets.add(socket);
      socket.on('close', () => {
        this.#sockets.delete(socket);
        client.destroy();
        upstream.destroy();
      });
      socket.on('error', () => undefined);
    }
    client.pipe(upstream);
    upstream.pipe(client);
  }
}
