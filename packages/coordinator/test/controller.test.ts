// The controller against a real ZooKeeper, with brokers played by ZooKeeper sessions that hold
// /brokers/ids/<id> (closing a session is a broker's death): election and failover with a growing
// /controller_epoch, fencing of a stale controller, leader election on broker loss and return (clean
// and unclean), new topics and partitions, ISR change notifications, preferred-leader rebalancing, and
// topic deletion through StopReplica, honouring delete.topic.enable.
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, afterEach, before, describe, it } from 'node:test';
import pino from 'pino';
import {
  addPartitionsInZooKeeper,
  Controller,
  type ControllerChannel,
  type ControllerConfig,
  ControllerEpochZNode,
  ControllerMovedError,
  ControllerZNode,
  createTopicInZooKeeper,
  createTopLevelPaths,
  fencedMulti,
  IsrChangeNotificationZNode,
  type LeaderAndIsr,
  markTopicForDeletion,
  readPartitionState,
  readTopicAssignmentWithVersion,
  registerBroker,
  registerControllerAndIncrementEpoch,
  type StopReplicaPartitionResult,
  type StopReplicaRequest,
  TopicPartitionStateZNode,
  ZooKeeperClient,
  ZooKeeperServer,
} from '../src/index.ts';

const CONFIG: ControllerConfig = {
  deleteTopicEnable: true,
  uncleanLeaderElectionEnable: false,
  autoLeaderRebalanceEnable: false,
  leaderImbalancePerBrokerPercentage: 10,
  leaderImbalanceCheckIntervalMs: 300_000,
};
const WAIT_MS = 15_000;

class RecordingChannel implements ControllerChannel {
  readonly requests: Array<{ brokerId: number; request: StopReplicaRequest }> = [];
  async stopReplicas(
    broker: { id: number },
    request: StopReplicaRequest,
  ): Promise<StopReplicaPartitionResult[]> {
    this.requests.push({ brokerId: broker.id, request });
    return request.partitions.map((p) => ({ ...p, errorCode: 0 }));
  }
}

async function waitUntil<T>(
  condition: () => Promise<T> | T,
  message: string,
  timeoutMs = WAIT_MS,
): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await condition();
    if (value) return value as NonNullable<T>;
    if (Date.now() > deadline) throw new Error(`Timed out after ${timeoutMs} ms waiting for: ${message}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

describe('controller', () => {
  let dir: string;
  let server: ZooKeeperServer;
  let admin: ZooKeeperClient;
  const sessions: ZooKeeperClient[] = [];
  const controllers: Controller[] = [];
  const brokers = new Map<number, { zk: ZooKeeperClient; controller: Controller | undefined }>();

  async function connect(): Promise<ZooKeeperClient> {
    const zk = await ZooKeeperClient.connect({
      connectString: server.connectString,
      sessionTimeoutMs: 6_000,
      connectionTimeoutMs: 20_000,
    });
    sessions.push(zk);
    return zk;
  }

  /** A broker: a session holding /brokers/ids/<id>, optionally running a controller. */
  async function startBroker(
    id: number,
    options: { controller?: boolean; config?: Partial<ControllerConfig>; channel?: ControllerChannel } = {},
  ): Promise<Controller | undefined> {
    const zk = await connect();
    await registerBroker(zk, {
      id,
      endpoints: [{ listenerName: 'GRPC', host: '127.0.0.1', port: 9000 + id }],
      rack: null,
      timestampMs: Date.now(),
    });
    let controller: Controller | undefined;
    if (options.controller) {
      controller = new Controller({
        brokerId: id,
        zk,
        config: { ...CONFIG, ...options.config },
        channel: options.channel ?? new RecordingChannel(),
        logger: pino({ level: process.env.SLUICE_TEST_LOG_LEVEL ?? 'silent' }),
        firstRebalanceCheckDelayMs: 100,
      });
      controllers.push(controller);
      controller.startup();
    }
    brokers.set(id, { zk, controller });
    return controller;
  }

  /** A broker's death: its controller stops and its session ends (its ephemeral znodes go at once). */
  function killBroker(id: number): void {
    const broker = brokers.get(id);
    broker?.controller?.close();
    broker?.zk.close();
    brokers.delete(id);
  }

  function stopAll(): void {
    for (const id of [...brokers.keys()]) killBroker(id);
  }

  /** Waits until the controller has been elected and has handled everything it has seen so far. */
  async function activeController(controller: Controller | undefined): Promise<Controller> {
    assert.ok(controller);
    await waitUntil(() => controller.isActive, 'the controller is elected');
    await controller.settled();
    return controller;
  }

  async function state(topic: string, partition: number): Promise<LeaderAndIsr | null> {
    return readPartitionState(admin, topic, partition);
  }

  async function controllerEpoch(): Promise<number> {
    const node = await admin.getData(ControllerEpochZNode.path);
    return node ? ControllerEpochZNode.decode(node.data) : 0;
  }

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'sluice-controller-'));
    server = await ZooKeeperServer.start({ dataDir: dir });
    admin = await connect();
    await createTopLevelPaths(admin);
  });

  afterEach(() => stopAll());

  after(async () => {
    for (const controller of controllers) controller.close();
    for (const zk of sessions) zk.close();
    await server?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it('elects exactly one controller, and another with a higher epoch when it dies', async () => {
    const epochBefore = await controllerEpoch();
    const candidates = [
      await startBroker(1, { controller: true }),
      await startBroker(2, { controller: true }),
      await startBroker(3, { controller: true }),
    ] as Controller[];
    const first = await waitUntil(() => candidates.find((c) => c.isActive), 'a controller is elected');
    await Promise.all(candidates.map((c) => c.settled()));
    assert.equal(candidates.filter((c) => c.isActive).length, 1, 'exactly one controller');
    const node = await admin.getData(ControllerZNode.path);
    assert.ok(node);
    const json = JSON.parse(node.data.toString());
    assert.deepEqual(Object.keys(json).sort(), ['brokerid', 'timestamp', 'version']);
    assert.equal(json.version, 1);
    assert.match(json.timestamp, /^\d+$/);
    const firstId = json.brokerid as number;
    assert.equal(await controllerEpoch(), epochBefore + 1);
    assert.equal(first.epoch, epochBefore + 1);
    for (const c of candidates) assert.equal(c.activeControllerId, firstId, 'everyone knows the controller');

    killBroker(firstId);
    const second = await waitUntil(
      () => candidates.find((c) => c !== first && c.isActive),
      'another broker takes over',
    );
    assert.equal(await controllerEpoch(), epochBefore + 2, '/controller_epoch grows on failover');
    assert.equal(second.epoch, epochBefore + 2);
    assert.notEqual((await admin.getData(ControllerZNode.path))?.data.toString(), node.data.toString());
  });

  it("refuses a stale controller's writes, and the stale controller steps down", async () => {
    const a = await connect();
    const b = await connect();
    await createTopicInZooKeeper(admin, { name: 'fenced', assignment: new Map([[0, [1]]]), configs: {} });
    await admin.createRecursive('/brokers/topics/fenced/partitions/0');
    await admin.create(
      TopicPartitionStateZNode.path('fenced', 0),
      TopicPartitionStateZNode.encode({ leader: 1, leaderEpoch: 0, isr: [1], controllerEpoch: 0 }),
    );
    const wonByA = await registerControllerAndIncrementEpoch(a, 10);
    assert.ok(wonByA);
    assert.equal(await registerControllerAndIncrementEpoch(b, 11), null, '/controller is taken');
    // A is cut off; its /controller goes and B is elected.
    await admin.remove(ControllerZNode.path);
    const wonByB = await registerControllerAndIncrementEpoch(b, 11);
    assert.ok(wonByB);
    assert.equal(wonByB.epoch, wonByA.epoch + 1);
    const write = fencedMulti(a, wonByA.epochZkVersion, [
      {
        op: 'setData',
        path: TopicPartitionStateZNode.path('fenced', 0),
        data: TopicPartitionStateZNode.encode({
          leader: 1,
          leaderEpoch: 1,
          isr: [1],
          controllerEpoch: wonByA.epoch,
        }),
        version: 0,
      },
    ]);
    await assert.rejects(write, ControllerMovedError);
    assert.equal((await state('fenced', 0))?.leaderEpoch, 0, 'the stale write changed nothing');
    a.close();
    b.close();

    // A running controller that finds the epoch moved under it resigns.
    await startBroker(22);
    const controller = await activeController(await startBroker(21, { controller: true }));
    await createTopicInZooKeeper(admin, { name: 'moved', assignment: new Map([[0, [22, 21]]]), configs: {} });
    await waitUntil(async () => (await state('moved', 0))?.leader === 22, 'the controller elects a leader');
    const resigned = new Promise<number>((resolve) => controller.once('resigned', resolve));
    const epochNode = await admin.getData(ControllerEpochZNode.path);
    assert.ok(epochNode);
    const staleEpoch = controller.epoch;
    // Another election happened behind its back.
    await admin.setData(
      ControllerEpochZNode.path,
      ControllerEpochZNode.encode(staleEpoch + 1),
      epochNode.stat.version,
    );
    killBroker(22);
    assert.equal(await resigned, staleEpoch, 'the fenced controller resigned');
    // With /controller still its own, it frees the role and is elected afresh with a higher epoch.
    await waitUntil(() => controller.isActive && controller.epoch > staleEpoch + 1, 'a fresh election');
    await waitUntil(async () => (await state('moved', 0))?.leader === 21, 'the new tenure moves the leader');
    const final = await state('moved', 0);
    assert.equal(final?.controllerEpoch, controller.epoch, 'written by the new tenure, not the stale one');
  });

  it('moves leaders to live ISR members when a broker dies and brings its partitions back when it returns', async () => {
    await startBroker(32);
    await startBroker(33);
    const controller = await activeController(await startBroker(31, { controller: true }));
    await createTopicInZooKeeper(admin, {
      name: 'failover',
      assignment: new Map([
        [0, [32, 33]],
        [1, [33, 32]],
        [2, [32]],
      ]),
      configs: {},
    });
    await waitUntil(async () => (await state('failover', 2)) !== null, 'initial states');
    assert.deepEqual(await state('failover', 0), {
      leader: 32,
      leaderEpoch: 0,
      isr: [32, 33],
      controllerEpoch: controller.epoch,
    });
    killBroker(32);
    await waitUntil(
      async () => (await state('failover', 2))?.leader === -1,
      'the single-replica partition goes offline',
    );
    const p0 = await state('failover', 0);
    assert.equal(p0?.leader, 33, 'the next ISR member in assignment order leads');
    assert.deepEqual(p0?.isr, [33]);
    assert.equal(p0?.leaderEpoch, 1, 'a leader change bumps the leader epoch');
    const p1 = await state('failover', 1);
    assert.equal(p1?.leader, 33);
    assert.deepEqual(p1?.isr, [33], 'the dead follower left the ISR');
    assert.equal(p1?.leaderEpoch, 1);
    const p2 = await state('failover', 2);
    assert.deepEqual(p2?.isr, [32], 'the last ISR member stays, so it can lead cleanly again');

    await startBroker(32);
    await waitUntil(
      async () => (await state('failover', 2))?.leader === 32,
      'the returning broker leads again',
    );
    assert.equal((await state('failover', 2))?.leaderEpoch, 2);
    assert.equal((await state('failover', 0))?.leader, 33, 'not in the ISR: the returned broker follows');
  });

  it('elects an out-of-sync replica only where unclean.leader.election.enable allows it', async () => {
    await startBroker(42);
    await activeController(await startBroker(41, { controller: true }));
    // 43 is down at creation, so the ISR is [42] only.
    for (const [name, configs] of [
      ['clean-only', {}],
      ['unclean-ok', { 'unclean.leader.election.enable': 'true' }],
    ] as const) {
      await createTopicInZooKeeper(admin, {
        name,
        assignment: new Map([[0, [42, 43]]]),
        configs: { ...configs },
      });
    }
    await waitUntil(async () => (await state('unclean-ok', 0))?.leader === 42, 'leaders on 42');
    assert.deepEqual((await state('clean-only', 0))?.isr, [42]);
    await startBroker(43);
    killBroker(42);
    await waitUntil(async () => (await state('unclean-ok', 0))?.leader === 43, 'unclean election to 43');
    assert.deepEqual((await state('unclean-ok', 0))?.isr, [43], 'an unclean leader starts a new ISR');
    await waitUntil(async () => (await state('clean-only', 0))?.leader === -1, 'clean-only goes offline');
    assert.deepEqual((await state('clean-only', 0))?.isr, [42]);
  });

  it('creates states for added partitions and applies ISR change notifications', async () => {
    await startBroker(52);
    await activeController(await startBroker(51, { controller: true }));
    await createTopicInZooKeeper(admin, {
      name: 'growing',
      assignment: new Map([[0, [51, 52]]]),
      configs: {},
    });
    await waitUntil(async () => (await state('growing', 0)) !== null, 'partition 0 state');
    const current = await readTopicAssignmentWithVersion(admin, 'growing');
    assert.ok(current);
    const grown = new Map([...current.assignment, [1, [52, 51]], [2, [51, 52]]]);
    assert.equal(await addPartitionsInZooKeeper(admin, 'growing', grown, current.version), true);
    await waitUntil(async () => (await state('growing', 2)) !== null, 'states of the new partitions');
    assert.equal((await state('growing', 1))?.leader, 52);
    assert.equal(
      await addPartitionsInZooKeeper(admin, 'growing', grown, current.version),
      false,
      'a write on an outdated version is refused',
    );

    // A leader shrinks an ISR and says so; the controller reads the state again.
    const node = await admin.getData(TopicPartitionStateZNode.path('growing', 0));
    assert.ok(node);
    const shrunk = { ...TopicPartitionStateZNode.decode('growing', 0, node.data), isr: [51] };
    await admin.setData(
      TopicPartitionStateZNode.path('growing', 0),
      TopicPartitionStateZNode.encode(shrunk),
      node.stat.version,
    );
    await admin.create(
      IsrChangeNotificationZNode.sequencePrefix,
      IsrChangeNotificationZNode.encode([{ topic: 'growing', partition: 0 }]),
      'persistent_sequential',
    );
    await waitUntil(
      async () => ((await admin.getChildren(IsrChangeNotificationZNode.path)) ?? []).length === 0,
      'the notification is consumed',
    );
    // The controller's next write is based on the ISR the leader wrote (no BAD_VERSION, no stale ISR).
    killBroker(52);
    await waitUntil(async () => (await state('growing', 1))?.leader === 51, 'partition 1 moves to 51');
    const p0 = await state('growing', 0);
    assert.deepEqual(p0?.isr, [51], 'partition 0 untouched: 52 had already left its ISR');
    assert.equal(p0?.leaderEpoch, shrunk.leaderEpoch);
  });

  it('moves leadership back to the preferred replica (auto.leader.rebalance.enable)', async () => {
    await startBroker(62);
    await startBroker(63);
    await activeController(
      await startBroker(61, {
        controller: true,
        config: { autoLeaderRebalanceEnable: true, leaderImbalanceCheckIntervalMs: 200 },
      }),
    );
    await createTopicInZooKeeper(admin, {
      name: 'preferred',
      assignment: new Map([[0, [62, 63]]]),
      configs: {},
    });
    await waitUntil(async () => (await state('preferred', 0))?.leader === 62, 'preferred leader first');
    killBroker(62);
    await waitUntil(async () => (await state('preferred', 0))?.leader === 63, 'failover to 63');
    await startBroker(62);
    // 62 is back but out of the ISR: it must not lead yet.
    await new Promise((resolve) => setTimeout(resolve, 600));
    assert.equal((await state('preferred', 0))?.leader, 63);
    // The leader takes it back into the ISR (as replication will) and tells the controller.
    const node = await admin.getData(TopicPartitionStateZNode.path('preferred', 0));
    assert.ok(node);
    const expanded = { ...TopicPartitionStateZNode.decode('preferred', 0, node.data), isr: [63, 62] };
    await admin.setData(
      TopicPartitionStateZNode.path('preferred', 0),
      TopicPartitionStateZNode.encode(expanded),
      node.stat.version,
    );
    await admin.create(
      IsrChangeNotificationZNode.sequencePrefix,
      IsrChangeNotificationZNode.encode([{ topic: 'preferred', partition: 0 }]),
      'persistent_sequential',
    );
    await waitUntil(
      async () => (await state('preferred', 0))?.leader === 62,
      'the preferred replica leads again',
    );
    assert.equal((await state('preferred', 0))?.leaderEpoch, expanded.leaderEpoch + 1);
  });

  it('deletes a topic once every replica has deleted its log, waiting for dead brokers', async () => {
    const channel = new RecordingChannel();
    await startBroker(72);
    await startBroker(73);
    await activeController(await startBroker(71, { controller: true, channel }));
    await createTopicInZooKeeper(admin, {
      name: 'doomed',
      assignment: new Map([
        [0, [72, 73]],
        [1, [73, 72]],
      ]),
      configs: { 'retention.ms': '1000' },
    });
    await waitUntil(async () => (await state('doomed', 1)) !== null, 'states');
    killBroker(73);
    await waitUntil(async () => (await state('doomed', 1))?.leader === 72, 'failover');
    assert.equal(await markTopicForDeletion(admin, 'doomed'), true);
    await waitUntil(() => channel.requests.some((r) => r.brokerId === 72), 'StopReplica to the live replica');
    const toLive = channel.requests.find((r) => r.brokerId === 72)?.request;
    assert.equal(toLive?.deletePartitions, true);
    assert.deepEqual(toLive?.partitions.map((p) => p.partition).sort(), [0, 1]);
    assert.equal((await state('doomed', 0))?.leader, -1, 'nobody serves a topic being deleted');
    await new Promise((resolve) => setTimeout(resolve, 300));
    assert.ok(await admin.exists('/brokers/topics/doomed'), 'a dead replica holds the deletion back');
    await startBroker(73);
    await waitUntil(async () => (await admin.exists('/brokers/topics/doomed')) === null, 'the topic is gone');
    assert.ok(
      channel.requests.some((r) => r.brokerId === 73),
      'the returned broker deleted its replicas',
    );
    assert.equal(await admin.exists('/config/topics/doomed'), null);
    assert.equal(await admin.exists('/admin/delete_topics/doomed'), null);
  });

  it('keeps a topic and drops the request when delete.topic.enable=false', async () => {
    const channel = new RecordingChannel();
    await activeController(
      await startBroker(81, { controller: true, channel, config: { deleteTopicEnable: false } }),
    );
    await createTopicInZooKeeper(admin, { name: 'kept', assignment: new Map([[0, [81]]]), configs: {} });
    await waitUntil(async () => (await state('kept', 0))?.leader === 81, 'leader');
    await markTopicForDeletion(admin, 'kept');
    await waitUntil(
      async () => (await admin.exists('/admin/delete_topics/kept')) === null,
      'request removed',
    );
    assert.ok(await admin.exists('/brokers/topics/kept'));
    assert.equal((await state('kept', 0))?.leader, 81, 'still served');
    assert.equal(channel.requests.length, 0);
  });
});
