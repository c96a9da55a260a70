// The controller with a real ZooKeeper and real broker processes: Kafka 2.7's znodes for a topic (read
// raw), controller failover after SIGKILL with a growing /controller_epoch, leader failover within the
// session timeout while a producer keeps going, a killed leader rejoining as follower, session expiry
// (SIGSTOP) and a ZooKeeper restart ending in a full, consistent cluster, topic deletion on every
// broker, delete.topic.enable=false, and bad requests that change nothing in ZooKeeper.
import assert from 'node:assert/strict';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import { Sluice } from '@sluice/client';
import type { DevCluster } from '@sluice/client/dev-cluster';
import {
  ControllerEpochZNode,
  ControllerZNode,
  type LeaderAndIsr,
  readPartitionState,
  TopicZNode,
  type ZooKeeperClient,
} from '@sluice/coordinator';
import {
  ErrorCode,
  encodeRecordBatch,
  KafkaError,
  type MetadataResponse__Output,
  type ProduceResponse__Output,
  type SluiceClient,
  sluiceProto,
} from '@sluice/protocol';
import { startCluster, type TestCluster, waitFor } from '../helpers.ts';

/** zookeeper.session.timeout.ms of the harness's brokers. */
const SESSION_TIMEOUT_MS = 6_000;
/** What the cluster may take beyond the session timeout to react (watch, election, state write, views). */
const REACTION_MARGIN_MS = 10_000;

function isKafkaError(code: number, pattern?: RegExp): (err: unknown) => boolean {
  return (err: unknown) =>
    KafkaError.is(err, code) && (pattern === undefined || pattern.test((err as Error).message));
}

/** Raw gRPC to one broker: to ask a particular broker, not whichever the SDK picks. */
class BrokerCalls {
  readonly #clients = new Map<string, SluiceClient>();

  #client(address: string): SluiceClient {
    let client = this.#clients.get(address);
    if (!client) {
      client = new (sluiceProto().sluice.v1.Sluice)(address, grpc.credentials.createInsecure());
      this.#clients.set(address, client);
    }
    return client;
  }

  metadata(address: string): Promise<MetadataResponse__Output> {
    return new Promise((resolve, reject) => {
      this.#client(address).Metadata(
        { topics: [], all_topics: true, allow_auto_topic_creation: false },
        { deadline: new Date(Date.now() + 5_000) },
        (err, response) => (err || !response ? reject(err ?? new Error('no answer')) : resolve(response)),
      );
    });
  }

  produce(
    address: string,
    topic: string,
    partition: number,
    value: string,
  ): Promise<ProduceResponse__Output> {
    return new Promise((resolve, reject) => {
      this.#client(address).Produce(
        {
          acks: 1,
          timeout_ms: 5_000,
          topics: [
            {
              name: topic,
              partitions: [{ index: partition, records: encodeRecordBatch([{ value: Buffer.from(value) }]) }],
            },
          ],
        },
        { deadline: new Date(Date.now() + 5_000) },
        (err, response) => (err || !response ? reject(err ?? new Error('no answer')) : resolve(response)),
      );
    });
  }

  close(): void {
    for (const client of this.#clients.values()) client.close();
  }
}

async function controllerId(zk: ZooKeeperClient): Promise<number> {
  const node = await zk.getData(ControllerZNode.path);
  return node ? ControllerZNode.decode(node.data) : -1;
}

async function controllerEpoch(zk: ZooKeeperClient): Promise<number> {
  const node = await zk.getData(ControllerEpochZNode.path);
  return node ? ControllerEpochZNode.decode(node.data) : 0;
}

/** Every znode below `path` with its data, ZooKeeper's own subtree aside. */
async function snapshot(
  zk: ZooKeeperClient,
  path = '/',
  into = new Map<string, string>(),
): Promise<Map<string, string>> {
  if (path === '/zookeeper') return into;
  into.set(path, (await zk.getData(path))?.data.toString('utf8') ?? '');
  for (const child of ((await zk.getChildren(path)) ?? []).sort()) {
    await snapshot(zk, path === '/' ? `/${child}` : `${path}/${child}`, into);
  }
  return into;
}

/**
 * Full and consistent: every broker registered, a controller among them, every partition led by a live
 * ISR member, and every broker's Metadata answer agreeing with the state znodes and on the controller.
 */
async function consistent(cluster: DevCluster, calls: BrokerCalls): Promise<boolean> {
  const zk = cluster.zk;
  const ids = ((await zk.getChildren('/brokers/ids')) ?? []).map(Number).sort();
  if (
    ids.join() !==
    cluster.brokers
      .map((b) => b.id)
      .sort()
      .join()
  )
    return false;
  const controller = await controllerId(zk);
  if (!ids.includes(controller)) return false;
  const states = new Map<string, LeaderAndIsr>();
  for (const topic of (await zk.getChildren('/brokers/topics')) ?? []) {
    const node = await zk.getData(TopicZNode.path(topic));
    if (!node) return false;
    for (const partition of TopicZNode.decode(topic, node.data).keys()) {
      const state = await readPartitionState(zk, topic, partition);
      if (!state || !ids.includes(state.leader) || !state.isr.includes(state.leader)) return false;
      states.set(`${topic}-${partition}`, state);
    }
  }
  for (const broker of cluster.brokers) {
    const metadata = await calls.metadata(broker.grpcAddress);
    if (metadata.controller_id !== controller) return false;
    if (metadata.brokers.length !== ids.length) return false;
    let partitions = 0;
    for (const topic of metadata.topics) {
      for (const p of topic.partitions) {
        const state = states.get(`${topic.name}-${p.partition_index}`);
        if (!state || p.leader_id !== state.leader || p.leader_epoch !== state.leaderEpoch) return false;
        partitions += 1;
      }
    }
    if (partitions !== states.size) return false;
  }
  return true;
}

describe('controller: 3 brokers', () => {
  let test: TestCluster;
  let client: Sluice;
  const calls = new BrokerCalls();

  before(async () => {
    test = await startCluster({ brokers: 3 });
    client = new Sluice({ bootstrap: test.cluster.bootstrap });
  });

  after(async () => {
    calls.close();
    await client?.close();
    await test?.stop();
  });

  it("writes exactly Kafka 2.7's znodes for a new topic, the controller's included", async () => {
    const zk = test.cluster.zk;
    await client.admin().createTopic({
      topic: 'shapes',
      numPartitions: 3,
      replicationFactor: 2,
      configs: { 'retention.ms': '86400000' },
    });
    const topic = JSON.parse((await zk.getData('/brokers/topics/shapes'))?.data.toString() ?? '{}');
    assert.deepEqual(Object.keys(topic).sort(), [
      'adding_replicas',
      'partitions',
      'removing_replicas',
      'version',
    ]);
    assert.equal(topic.version, 2);
    assert.deepEqual(topic.adding_replicas, {});
    assert.deepEqual(topic.removing_replicas, {});
    assert.deepEqual(Object.keys(topic.partitions).sort(), ['0', '1', '2']);

    const epoch = await controllerEpoch(zk);
    assert.ok(epoch >= 1);
    assert.match((await zk.getData('/controller_epoch'))?.data.toString() ?? '', /^\d+$/);
    for (const partition of ['0', '1', '2']) {
      const replicas = topic.partitions[partition] as number[];
      assert.equal(replicas.length, 2);
      assert.equal((await zk.getData(`/brokers/topics/shapes/partitions/${partition}`))?.data.length, 0);
      const state = JSON.parse(
        (await zk.getData(`/brokers/topics/shapes/partitions/${partition}/state`))?.data.toString() ?? '{}',
      );
      assert.deepEqual(Object.keys(state).sort(), [
        'controller_epoch',
        'isr',
        'leader',
        'leader_epoch',
        'version',
      ]);
      assert.deepEqual(state, {
        controller_epoch: epoch,
        leader: replicas[0],
        version: 1,
        leader_epoch: 0,
        isr: replicas,
      });
    }
    assert.deepEqual(JSON.parse((await zk.getData('/config/topics/shapes'))?.data.toString() ?? ''), {
      version: 1,
      config: { 'retention.ms': '86400000' },
    });
    const changes = (await zk.getChildren('/config/changes')) ?? [];
    const notifications = await Promise.all(
      changes.map(async (name) => ({
        name,
        json: JSON.parse((await zk.getData(`/config/changes/${name}`))?.data.toString() ?? ''),
      })),
    );
    const forShapes = notifications.find((n) => n.json.entity_path === 'topics/shapes');
    assert.ok(forShapes, 'a config change notification');
    assert.match(forShapes.name, /^config_change_\d{10}$/);
    assert.deepEqual(forShapes.json, { version: 2, entity_path: 'topics/shapes' });

    const controller = JSON.parse((await zk.getData('/controller'))?.data.toString() ?? '{}');
    assert.deepEqual(Object.keys(controller).sort(), ['brokerid', 'timestamp', 'version']);
    assert.equal(controller.version, 1);
    assert.match(controller.timestamp, /^\d+$/);
    assert.ok([1, 2, 3].includes(controller.brokerid));
    const cluster = await client.admin().describeCluster();
    assert.equal(cluster.controllerId, controller.brokerid, 'Metadata names the controller');
  });

  it('answers bad requests with their Kafka error codes and changes nothing in ZooKeeper', async () => {
    const admin = client.admin();
    const before = await snapshot(test.cluster.zk);
    const refused: Array<[() => Promise<unknown>, number, RegExp?]> = [
      [() => admin.createTopic({ topic: 'bad/name' }), ErrorCode.INVALID_TOPIC_EXCEPTION],
      [() => admin.createTopic({ topic: '..' }), ErrorCode.INVALID_TOPIC_EXCEPTION],
      [() => admin.createTopic({ topic: 'x'.repeat(250) }), ErrorCode.INVALID_TOPIC_EXCEPTION],
      [() => admin.createTopic({ topic: 'shapes' }), ErrorCode.TOPIC_ALREADY_EXISTS],
      [() => admin.createTopic({ topic: 'zero', numPartitions: 0 }), ErrorCode.INVALID_PARTITIONS],
      [
        () => admin.createTopic({ topic: 'zero', replicationFactor: 0 }),
        ErrorCode.INVALID_REPLICATION_FACTOR,
      ],
      [
        () => admin.createTopic({ topic: 'wide', replicationFactor: 4 }),
        ErrorCode.INVALID_REPLICATION_FACTOR,
      ],
      [
        () => admin.createTopic({ topic: 'cfg', configs: { 'no.such.config': '1' } }),
        ErrorCode.INVALID_CONFIG,
        /no\.such\.config/,
      ],
      [
        () => admin.createTopic({ topic: 'cfg', configs: { 'retention.ms': 'soon' } }),
        ErrorCode.INVALID_CONFIG,
        /retention\.ms/,
      ],
      [
        () => admin.createTopic({ topic: 'dup', replicaAssignment: { 0: [1, 1] } }),
        ErrorCode.INVALID_REPLICA_ASSIGNMENT,
      ],
      [
        () => admin.createTopic({ topic: 'gone', replicaAssignment: { 0: [9] } }),
        ErrorCode.INVALID_REPLICA_ASSIGNMENT,
      ],
      [
        () => oneResult(admin.createPartitions([{ topic: 'shapes', count: 2 }])),
        ErrorCode.INVALID_PARTITIONS,
      ],
      [
        () => oneResult(admin.createPartitions([{ topic: 'shapes', count: 3 }])),
        ErrorCode.INVALID_PARTITIONS,
      ],
      [
        () => oneResult(admin.createPartitions([{ topic: 'nope', count: 3 }])),
        ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
      ],
      [
        () => oneResult(admin.createPartitions([{ topic: 'shapes', count: 5, assignments: [[1, 2]] }])),
        ErrorCode.INVALID_REPLICA_ASSIGNMENT,
      ],
      [
        () => oneResult(admin.createPartitions([{ topic: 'shapes', count: 4, assignments: [[1, 9]] }])),
        ErrorCode.INVALID_REPLICA_ASSIGNMENT,
      ],
      [
        () => admin.alterTopicConfig('shapes', { set: { 'retention.ms': 'x' } }),
        ErrorCode.INVALID_CONFIG,
        /retention\.ms/,
      ],
      [
        () => admin.alterTopicConfig('shapes', { set: { 'cleanup.policy': 'shred' } }),
        ErrorCode.INVALID_CONFIG,
        /cleanup\.policy/,
      ],
      [() => admin.alterTopicConfig('shapes', { set: { nope: '1' } }), ErrorCode.INVALID_CONFIG, /nope/],
      [() => admin.alterTopicConfig('shapes', { delete: ['nope'] }), ErrorCode.INVALID_CONFIG, /nope/],
      [
        () => admin.alterTopicConfig('nope', { set: { 'retention.ms': '1' } }),
        ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
      ],
      [() => admin.deleteTopic('nope'), ErrorCode.UNKNOWN_TOPIC_OR_PARTITION],
      [() => admin.describeConfigs(['nope']), ErrorCode.UNKNOWN_TOPIC_OR_PARTITION],
    ];
    for (const [request, code, pattern] of refused)
      await assert.rejects(request(), isKafkaError(code, pattern));
    assert.deepEqual(await snapshot(test.cluster.zk), before, 'ZooKeeper is unchanged');
  });

  it('adds partitions and changes configs, which brokers and DescribeConfigs follow', async () => {
    const admin = client.admin();
    const [added] = await admin.createPartitions([{ topic: 'shapes', count: 5 }]);
    assert.equal(added?.error, undefined);
    // The broker that answered waited for the new leaders; the others follow within a moment.
    await waitFor(
      async () => {
        const [described] = await admin.describeTopics(['shapes']);
        return described?.partitions.length === 5 && described.partitions.every((p) => p.leader >= 0);
      },
      { timeoutMs: 10_000, message: 'five partitions with leaders' },
    );
    const assignment = TopicZNode.decode(
      'shapes',
      (await test.cluster.zk.getData('/brokers/topics/shapes'))?.data ?? Buffer.alloc(0),
    );
    assert.equal(assignment.size, 5);
    for (const replicas of assignment.values())
      assert.equal(replicas.length, 2, 'new partitions keep the replication factor');

    await admin.alterTopicConfig('shapes', { set: { 'segment.bytes': '1048576' }, delete: ['retention.ms'] });
    assert.deepEqual(
      JSON.parse((await test.cluster.zk.getData('/config/topics/shapes'))?.data.toString() ?? ''),
      {
        version: 1,
        config: { 'segment.bytes': '1048576' },
      },
    );
    const configs = (await admin.describeConfigs(['shapes'])).get('shapes') ?? [];
    const byName = new Map(configs.map((c) => [c.name, c]));
    assert.equal(byName.get('segment.bytes')?.value, '1048576');
    assert.equal(byName.get('segment.bytes')?.source, 'DYNAMIC_TOPIC_CONFIG');
    assert.equal(byName.get('retention.ms')?.source, 'DEFAULT_CONFIG');
    assert.equal(byName.get('retention.ms')?.value, '604800000');
  });

  it('elects another controller with a higher epoch when the controller is killed', async () => {
    const zk = test.cluster.zk;
    const killed = await controllerId(zk);
    const epochBefore = await controllerEpoch(zk);
    const killedAt = Date.now();
    await test.cluster.broker(killed).kill();
    const successor = await waitFor(
      async () => {
        const id = await controllerId(zk);
        return id !== -1 && id !== killed ? id : null;
      },
      { timeoutMs: SESSION_TIMEOUT_MS + REACTION_MARGIN_MS, message: 'a new controller' },
    );
    assert.ok(Date.now() - killedAt <= SESSION_TIMEOUT_MS + REACTION_MARGIN_MS);
    assert.ok((await controllerEpoch(zk)) > epochBefore, '/controller_epoch grows');
    const survivor = test.cluster.brokers.find((b) => b.id !== killed);
    await waitFor(
      async () => (await calls.metadata(survivor?.grpcAddress ?? '')).controller_id === successor,
      {
        timeoutMs: 10_000,
        message: 'Metadata names the new controller',
      },
    );
    await test.cluster.broker(killed).start(zk);
    await waitFor(() => consistent(test.cluster, calls), {
      timeoutMs: 20_000,
      message: 'a full, consistent cluster',
    });
  });

  it('moves leadership to an ISR member when the leader is killed; the old leader rejoins as a follower', async () => {
    const zk = test.cluster.zk;
    const controller = await controllerId(zk);
    const [leader, follower] = test.cluster.brokers.map((b) => b.id).filter((id) => id !== controller) as [
      number,
      number,
    ];
    await client.admin().createTopic({ topic: 'failover', replicaAssignment: { 0: [leader, follower] } });
    const producer = client.producer({ acks: 1 });
    assert.equal((await producer.send({ topic: 'failover', partition: 0, value: 'before' })).offset, 0);

    // A producer that keeps sending, one record at a time, retrying through the failover.
    let stop = false;
    const failures: unknown[] = [];
    const afterFailover: number[] = [];
    let moved = false;
    const sending = (async () => {
      for (let i = 0; !stop && i < 10_000; i++) {
        try {
          const meta = await producer.send({ topic: 'failover', partition: 0, value: `during-${i}` });
          if (moved) afterFailover.push(meta.offset);
        } catch (err) {
          failures.push(err);
        }
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    })();

    const killedAt = Date.now();
    await test.cluster.broker(leader).kill();
    const state = await waitFor(
      async () => {
        const s = await readPartitionState(zk, 'failover', 0);
        return s?.leader === follower ? s : null;
      },
      { timeoutMs: SESSION_TIMEOUT_MS + REACTION_MARGIN_MS, message: 'the follower leads' },
    );
    const tookMs = Date.now() - killedAt;
    moved = true;
    assert.ok(tookMs <= SESSION_TIMEOUT_MS + REACTION_MARGIN_MS, `failover took ${tookMs} ms`);
    assert.deepEqual(state.isr, [follower]);
    assert.equal(state.leaderEpoch, 1);
    await waitFor(() => afterFailover.length >= 5, {
      timeoutMs: 20_000,
      message: 'sends succeed after the failover',
    });
    stop = true;
    await sending;
    assert.deepEqual(failures, [], 'the producer retried through the failover');
    const consumer = client.consumer({ topic: 'failover', partition: 0, from: afterFailover[0] ?? 0 });
    const record = await consumer.records().next();
    consumer.close();
    assert.match(record.value?.value?.toString() ?? '', /^during-\d+$/, 'the new leader serves reads');

    await test.cluster.broker(leader).start(zk);
    await waitFor(() => consistent(test.cluster, calls), {
      timeoutMs: 20_000,
      message: 'a full, consistent cluster',
    });
    const after = await readPartitionState(zk, 'failover', 0);
    assert.equal(after?.leader, follower, 'the returned broker is not in the ISR, so it follows');
    const answer = await calls.produce(
      test.cluster.broker(leader).grpcAddress,
      'failover',
      0,
      'to-the-follower',
    );
    const partition = answer.responses[0]?.partitions[0];
    assert.equal(partition?.error_code, ErrorCode.NOT_LEADER_OR_FOLLOWER, 'the old leader refuses writes');
    assert.equal(partition?.current_leader?.leader_id, follower);
  });

  it('re-registers a broker whose session expired and returns to a full, consistent state', async () => {
    const zk = test.cluster.zk;
    const controller = await controllerId(zk);
    const victim = test.cluster.brokers.map((b) => b.id).find((id) => id !== controller) as number;
    await client.admin().createTopic({ topic: 'expiry', replicaAssignment: { 0: [victim] } });
    const producer = client.producer({ acks: 1 });
    await producer.send({ topic: 'expiry', partition: 0, value: 'kept' });
    const registration = await zk.exists(`/brokers/ids/${victim}`);
    assert.ok(registration);

    test.cluster.broker(victim).signal('SIGSTOP');
    try {
      await waitFor(async () => (await readPartitionState(zk, 'expiry', 0))?.leader === -1, {
        timeoutMs: SESSION_TIMEOUT_MS + REACTION_MARGIN_MS,
        message: 'its session expires and its partition goes offline',
      });
      assert.equal(await zk.exists(`/brokers/ids/${victim}`), null);
    } finally {
      test.cluster.broker(victim).signal('SIGCONT');
    }
    await waitFor(
      async () => {
        const stat = await zk.exists(`/brokers/ids/${victim}`);
        return stat !== null && stat.czxid !== registration.czxid;
      },
      { timeoutMs: 20_000, message: 'the broker registers again with a new session' },
    );
    await waitFor(() => consistent(test.cluster, calls), {
      timeoutMs: 20_000,
      message: 'a full, consistent cluster',
    });
    const state = await readPartitionState(zk, 'expiry', 0);
    assert.equal(state?.leader, victim, 'it leads its partition again');
    assert.equal(state?.leaderEpoch, 2, 'offline, then back: two leader epochs');
    const meta = await producer.send({ topic: 'expiry', partition: 0, value: 'again' });
    assert.equal(meta.offset, 1, 'its log survived');
  });

  it('keeps serving while ZooKeeper is down and recovers when it returns', async () => {
    const admin = client.admin();
    await admin.createTopic({ topic: 'zk-outage', numPartitions: 3, replicationFactor: 1 });
    const producer = client.producer({ acks: 1 });
    for (let p = 0; p < 3; p++) await producer.send({ topic: 'zk-outage', partition: p, value: 'before' });
    await test.cluster.stopZooKeeper();
    try {
      for (let p = 0; p < 3; p++) {
        const meta = await producer.send({ topic: 'zk-outage', partition: p, value: 'during' });
        assert.equal(meta.offset, 1, 'leaders keep accepting writes without ZooKeeper');
        const consumer = client.consumer({ topic: 'zk-outage', partition: p, from: 'oldest' });
        const values: string[] = [];
        for await (const record of consumer) {
          values.push(record.value?.toString() ?? '');
          if (values.length === 2) break;
        }
        consumer.close();
        assert.deepEqual(values, ['before', 'during'], 'and serving reads');
      }
    } finally {
      await test.cluster.startZooKeeper();
    }
    await waitFor(() => consistent(test.cluster, calls), {
      timeoutMs: 30_000,
      message: 'a full, consistent cluster',
    });
    await admin.createTopic({ topic: 'after-outage', numPartitions: 2, replicationFactor: 2 });
    await waitFor(() => consistent(test.cluster, calls), {
      timeoutMs: 10_000,
      message: 'every broker serves the new topic',
    });
  });

  it("deletes a topic: its znodes and every broker's directories go", async () => {
    const admin = client.admin();
    await admin.createTopic({ topic: 'doomed', numPartitions: 3, replicationFactor: 2 });
    const producer = client.producer({ acks: 1 });
    for (let p = 0; p < 3; p++) await producer.send({ topic: 'doomed', partition: p, value: 'x' });
    const logDirs = test.cluster.brokers.map((b) => join(b.options.dataDir, 'logs'));
    const doomedDirs = async () =>
      (await Promise.all(logDirs.map((dir) => readdir(dir))))
        .flat()
        .filter((name) => name.startsWith('doomed-'));
    assert.equal((await doomedDirs()).length, 6, 'three partitions, two replicas each');
    await admin.deleteTopic('doomed');
    const zk = test.cluster.zk;
    assert.equal(await zk.exists('/brokers/topics/doomed'), null);
    assert.equal(await zk.exists('/config/topics/doomed'), null);
    assert.equal(await zk.exists('/admin/delete_topics/doomed'), null);
    assert.deepEqual(await doomedDirs(), [], 'no directory of the topic is left on any broker');
    await assert.rejects(
      client.consumer({ topic: 'doomed', partition: 0, from: 'oldest' }).records().next(),
      isKafkaError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION),
    );
  });
});

describe('controller: delete.topic.enable=false', () => {
  let test: TestCluster;
  let client: Sluice;

  before(async () => {
    test = await startCluster({ brokers: 1, brokerProperties: { 'delete.topic.enable': 'false' } });
    client = new Sluice({ bootstrap: test.cluster.bootstrap });
  });

  after(async () => {
    await client?.close();
    await test?.stop();
  });

  it('refuses deletion with TOPIC_DELETION_DISABLED and loses nothing', async () => {
    const admin = client.admin();
    await admin.createTopic({ topic: 'precious', numPartitions: 1 });
    await client.producer().send({ topic: 'precious', partition: 0, value: 'keep me' });
    await assert.rejects(admin.deleteTopic('precious'), isKafkaError(ErrorCode.TOPIC_DELETION_DISABLED));
    // A request written straight into ZooKeeper (as kafka-topics.sh --zookeeper does) is dropped.
    const zk = test.cluster.zk;
    await zk.create('/admin/delete_topics/precious', null);
    await waitFor(async () => (await zk.exists('/admin/delete_topics/precious')) === null, {
      timeoutMs: 10_000,
      message: 'the controller drops the request',
    });
    assert.ok(await zk.exists('/brokers/topics/precious'));
    assert.ok(await zk.exists('/config/topics/precious'));
    const consumer = client.consumer({ topic: 'precious', partition: 0, from: 'oldest' });
    const record = await consumer.records().next();
    consumer.close();
    assert.equal(record.value?.value?.toString(), 'keep me');
  });
});

async function oneResult(results: Promise<Array<{ error?: KafkaError }>>): Promise<void> {
  const [result] = await results;
  if (result?.error) throw result.error;
}
