// The group coordinator over its gRPC API, with real brokers and ZooKeeper (issue 8): the offsets topic
// created on first use, Kafka's join/sync protocol with MEMBER_ID_REQUIRED, generation fencing of
// heartbeats and commits, session expiry, describe/list/delete, and committed offsets surviving the
// loss of the coordinator's broker. The SDK's ConsumerGroup has its own tests (sdk-consumer-group).
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import { CONSUMER_OFFSETS_TOPIC, ErrorCode, type SluiceClient, sluiceProto } from '@sluice/protocol';
import { startCluster, type TestCluster, waitFor } from '../helpers.ts';

const SESSION_TIMEOUT_MS = 6_000;
const CALL_DEADLINE_MS = 30_000;

type Rpc = keyof SluiceClient & string;

describe('group coordinator (gRPC, 3 brokers)', () => {
  let test: TestCluster;
  const clients = new Map<number, SluiceClient>();

  before(async () => {
    test = await startCluster({
      brokers: 3,
      brokerProperties: {
        'group.initial.rebalance.delay.ms': '0',
        'zookeeper.session.timeout.ms': '6000',
        'auto.leader.rebalance.enable': 'false',
      },
    });
    // A topic for the members to commit offsets of.
    // Broker 1 may not have seen the others register yet (INVALID_REPLICATION_FACTOR): retried.
    await waitFor(
      async () => {
        const created = await call(1, 'CreateTopics', {
          topics: [{ name: 'orders', num_partitions: 4, replication_factor: 3 }],
          timeout_ms: 20_000,
        });
        return created.topics[0].error_code === ErrorCode.NONE;
      },
      { timeoutMs: 20_000, message: 'topic orders created' },
    );
  });

  after(async () => {
    for (const client of clients.values()) client.close();
    await test?.stop();
  });

  function client(brokerId: number): SluiceClient {
    let c = clients.get(brokerId);
    if (!c) {
      c = new (sluiceProto().sluice.v1.Sluice)(
        test.cluster.broker(brokerId).grpcAddress,
        grpc.credentials.createInsecure(),
      );
      clients.set(brokerId, c);
    }
    return c;
  }

  // biome-ignore lint/suspicious/noExplicitAny: the generated client's overloads defeat generic typing.
  function call(brokerId: number, rpc: Rpc, request: object): Promise<any> {
    const c = client(brokerId) as unknown as Record<
      string,
      (req: object, options: grpc.CallOptions, cb: (err: Error | null, res: unknown) => void) => void
    >;
    return new Promise((resolve, reject) => {
      c[rpc]!.call(client(brokerId), request, { deadline: Date.now() + CALL_DEADLINE_MS }, (err, res) =>
        err ? reject(err) : resolve(res),
      );
    });
  }

  /** The coordinator's broker id, once FindCoordinator answers one. */
  async function findCoordinator(groupId: string, askBroker = 1): Promise<number> {
    return waitFor(
      async () => {
        const answer = await call(askBroker, 'FindCoordinator', { key: groupId, key_type: 0 });
        return answer.error_code === ErrorCode.NONE ? (answer.node_id as number) : undefined;
      },
      { timeoutMs: 30_000, message: `a coordinator for ${groupId}` },
    );
  }

  function joinRequest(groupId: string, memberId: string, topics = 'orders') {
    return {
      group_id: groupId,
      session_timeout_ms: SESSION_TIMEOUT_MS,
      rebalance_timeout_ms: 10_000,
      member_id: memberId,
      protocol_type: 'consumer',
      protocols: [{ name: 'range', metadata: Buffer.from(topics) }],
      client_id: 'test-client',
    };
  }

  /** A new member: MEMBER_ID_REQUIRED first, then the real join with the id given. */
  async function newMemberId(coordinator: number, groupId: string): Promise<string> {
    // The coordinator may still be taking up its role (loading): a retriable answer, retried as clients do.
    const first = await waitFor(
      async () => {
        const answer = await call(coordinator, 'JoinGroup', joinRequest(groupId, ''));
        return answer.error_code === ErrorCode.COORDINATOR_LOAD_IN_PROGRESS ? undefined : answer;
      },
      { timeoutMs: 20_000, message: `coordinator ${coordinator} to load ${groupId}` },
    );
    assert.equal(first.error_code, ErrorCode.MEMBER_ID_REQUIRED);
    assert.match(first.member_id, /^test-client-/);
    return first.member_id;
  }

  it('creates __consumer_offsets on first FindCoordinator: 50 partitions, RF 3, compacted, internal', async () => {
    const coordinator = await findCoordinator('g-setup');
    assert.ok([1, 2, 3].includes(coordinator));
    const metadata = await call(1, 'Metadata', { topics: [CONSUMER_OFFSETS_TOPIC] });
    const topic = metadata.topics[0];
    assert.equal(topic.error_code, ErrorCode.NONE);
    assert.equal(topic.is_internal, true);
    assert.equal(topic.partitions.length, 50);
    for (const p of topic.partitions) assert.equal(p.replica_nodes.length, 3);
    const configs = await call(1, 'DescribeConfigs', {
      resources: [
        { resource_type: 2, resource_name: CONSUMER_OFFSETS_TOPIC, configuration_keys: ['cleanup.policy'] },
      ],
    });
    assert.equal(configs.results[0].configs[0].value, 'compact');
    // Every broker names the same coordinator.
    assert.equal(await findCoordinator('g-setup', 2), coordinator);
    assert.equal(await findCoordinator('g-setup', 3), coordinator);
  });

  it('joins two members through a rebalance, syncs the leader assignment, fences stale generations', async () => {
    const groupId = 'g-join';
    const coordinator = await findCoordinator(groupId);
    const other = [1, 2, 3].find((id) => id !== coordinator)!;
    const wrong = await call(other, 'JoinGroup', joinRequest(groupId, ''));
    assert.equal(wrong.error_code, ErrorCode.NOT_COORDINATOR);

    // Member A alone: generation 1, A leads.
    const a = await newMemberId(coordinator, groupId);
    const joinA1 = await call(coordinator, 'JoinGroup', joinRequest(groupId, a));
    assert.equal(joinA1.error_code, ErrorCode.NONE);
    assert.equal(joinA1.generation_id, 1);
    assert.equal(joinA1.leader, a);
    assert.equal(joinA1.protocol_name, 'range');
    const syncA1 = await call(coordinator, 'SyncGroup', {
      group_id: groupId,
      generation_id: 1,
      member_id: a,
      assignments: [{ member_id: a, assignment: Buffer.from('all') }],
    });
    assert.equal(syncA1.error_code, ErrorCode.NONE);
    assert.equal(Buffer.from(syncA1.assignment).toString(), 'all');

    // Member B joins: its JoinGroup waits for A to rejoin; A learns of the rebalance by heartbeat.
    const b = await newMemberId(coordinator, groupId);
    const joinB = call(coordinator, 'JoinGroup', joinRequest(groupId, b));
    const heartbeat = await waitFor(
      async () => {
        const answer = await call(coordinator, 'Heartbeat', {
          group_id: groupId,
          generation_id: 1,
          member_id: a,
        });
        return answer.error_code === ErrorCode.REBALANCE_IN_PROGRESS ? answer : undefined;
      },
      { timeoutMs: 10_000, message: 'REBALANCE_IN_PROGRESS for member A' },
    );
    assert.equal(heartbeat.error_code, ErrorCode.REBALANCE_IN_PROGRESS);
    const [joinA2, joinB2] = await Promise.all([
      call(coordinator, 'JoinGroup', joinRequest(groupId, a)),
      joinB,
    ]);
    assert.equal(joinA2.generation_id, 2);
    assert.equal(joinB2.generation_id, 2);
    assert.equal(joinA2.leader, a, 'the leader stays');
    assert.deepEqual(
      joinA2.members.map((m: { member_id: string }) => m.member_id).sort(),
      [a, b].sort(),
      'the leader sees every member',
    );
    assert.equal(joinB2.members.length, 0, 'followers do not');

    // B's sync waits for the leader's assignments.
    const syncB = call(coordinator, 'SyncGroup', {
      group_id: groupId,
      generation_id: 2,
      member_id: b,
      assignments: [],
    });
    const syncA = await call(coordinator, 'SyncGroup', {
      group_id: groupId,
      generation_id: 2,
      member_id: a,
      assignments: [
        { member_id: a, assignment: Buffer.from('p0,p1') },
        { member_id: b, assignment: Buffer.from('p2,p3') },
      ],
    });
    assert.equal(Buffer.from(syncA.assignment).toString(), 'p0,p1');
    assert.equal(Buffer.from((await syncB).assignment).toString(), 'p2,p3');

    // Zombies are fenced: an old generation, an unknown member.
    const stale = await call(coordinator, 'Heartbeat', { group_id: groupId, generation_id: 1, member_id: a });
    assert.equal(stale.error_code, ErrorCode.ILLEGAL_GENERATION);
    const unknown = await call(coordinator, 'Heartbeat', {
      group_id: groupId,
      generation_id: 2,
      member_id: 'ghost',
    });
    assert.equal(unknown.error_code, ErrorCode.UNKNOWN_MEMBER_ID);
    const staleCommit = await call(coordinator, 'OffsetCommit', {
      group_id: groupId,
      generation_id: 1,
      member_id: a,
      topics: [
        {
          name: 'orders',
          partitions: [{ partition_index: 0, committed_offset: 5, committed_leader_epoch: -1 }],
        },
      ],
    });
    assert.equal(staleCommit.topics[0].partitions[0].error_code, ErrorCode.ILLEGAL_GENERATION);

    // The current generation commits; the offsets read back; an unknown partition is refused.
    const commit = await call(coordinator, 'OffsetCommit', {
      group_id: groupId,
      generation_id: 2,
      member_id: a,
      topics: [
        {
          name: 'orders',
          partitions: [
            { partition_index: 0, committed_offset: 5, committed_leader_epoch: -1, committed_metadata: 'm' },
            { partition_index: 9, committed_offset: 1, committed_leader_epoch: -1 },
          ],
        },
      ],
    });
    assert.deepEqual(
      commit.topics[0].partitions.map((p: { error_code: number }) => p.error_code),
      [ErrorCode.NONE, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION],
    );
    const fetched = await call(coordinator, 'OffsetFetch', {
      group_id: groupId,
      topics: [{ name: 'orders', partition_indexes: [0, 1] }],
    });
    assert.deepEqual(
      fetched.topics[0].partitions.map((p: { committed_offset: number; metadata: string }) => [
        p.committed_offset,
        p.metadata,
      ]),
      [
        [5, 'm'],
        [-1, ''],
      ],
    );

    // Describe shows a stable group with both members and their assignments.
    const described = (await call(coordinator, 'DescribeGroups', { groups: [groupId] })).groups[0];
    assert.equal(described.group_state, 'Stable');
    assert.equal(described.protocol_type, 'consumer');
    assert.equal(described.protocol_data, 'range');
    assert.deepEqual(
      described.members
        .map((m: { member_id: string; member_assignment: Buffer; client_host: string }) => [
          m.member_id,
          Buffer.from(m.member_assignment).toString(),
        ])
        .sort(),
      [
        [a, 'p0,p1'],
        [b, 'p2,p3'],
      ].sort(),
    );
    assert.match(described.members[0].client_host, /^\/127\.0\.0\.1$/);

    // B stops heartbeating: after its session it is removed and A must rebalance alone.
    const expired = await waitFor(
      async () => {
        const answer = await call(coordinator, 'Heartbeat', {
          group_id: groupId,
          generation_id: 2,
          member_id: a,
        });
        return answer.error_code === ErrorCode.REBALANCE_IN_PROGRESS ? answer : undefined;
      },
      { timeoutMs: SESSION_TIMEOUT_MS + 5_000, intervalMs: 500, message: "B's session to expire" },
    );
    assert.ok(expired);
    const joinA3 = await call(coordinator, 'JoinGroup', joinRequest(groupId, a));
    assert.equal(joinA3.generation_id, 3);
    assert.equal(joinA3.members.length, 1);
    const goneB = await call(coordinator, 'Heartbeat', { group_id: groupId, generation_id: 3, member_id: b });
    assert.equal(goneB.error_code, ErrorCode.UNKNOWN_MEMBER_ID);

    // A leaves: the group is empty; listed as such; deleted; then Dead and gone from the list.
    const left = await call(coordinator, 'LeaveGroup', { group_id: groupId, members: [{ member_id: a }] });
    assert.equal(left.members[0].error_code, ErrorCode.NONE);
    const listed = await call(coordinator, 'ListGroups', { states_filter: ['Empty'] });
    assert.ok(listed.groups.some((g: { group_id: string }) => g.group_id === groupId));
    const deleted = await call(coordinator, 'DeleteGroups', { groups_names: [groupId] });
    assert.equal(deleted.results[0].error_code, ErrorCode.NONE);
    const again = await call(coordinator, 'DeleteGroups', { groups_names: [groupId] });
    assert.equal(again.results[0].error_code, ErrorCode.GROUP_ID_NOT_FOUND);
    const dead = (await call(coordinator, 'DescribeGroups', { groups: [groupId] })).groups[0];
    assert.equal(dead.group_state, 'Dead');
    const afterDelete = await call(coordinator, 'OffsetFetch', {
      group_id: groupId,
      topics: [{ name: 'orders', partition_indexes: [0] }],
    });
    assert.equal(afterDelete.topics[0].partitions[0].committed_offset, -1);
  });

  it('refuses bad joins with Kafka error codes', async () => {
    const groupId = 'g-bad';
    const coordinator = await findCoordinator(groupId);
    const a = await newMemberId(coordinator, groupId);
    const tooShort = await call(coordinator, 'JoinGroup', {
      ...joinRequest(groupId, ''),
      session_timeout_ms: 10,
    });
    assert.equal(tooShort.error_code, ErrorCode.INVALID_SESSION_TIMEOUT);
    const noGroup = await call(coordinator, 'JoinGroup', joinRequest('', ''));
    assert.equal(noGroup.error_code, ErrorCode.INVALID_GROUP_ID);
    const unknown = await call(coordinator, 'JoinGroup', joinRequest(groupId, 'made-up'));
    assert.equal(unknown.error_code, ErrorCode.UNKNOWN_MEMBER_ID);
    const joined = await call(coordinator, 'JoinGroup', joinRequest(groupId, a));
    assert.equal(joined.error_code, ErrorCode.NONE);
    const otherProtocol = await call(coordinator, 'JoinGroup', {
      ...joinRequest(groupId, ''),
      protocols: [{ name: 'roundrobin', metadata: Buffer.alloc(0) }],
    });
    assert.equal(otherProtocol.error_code, ErrorCode.INCONSISTENT_GROUP_PROTOCOL);
    const synced = await call(coordinator, 'SyncGroup', {
      group_id: groupId,
      generation_id: joined.generation_id,
      member_id: a,
      assignments: [{ member_id: a, assignment: Buffer.from('x') }],
    });
    assert.equal(synced.error_code, ErrorCode.NONE);
    const notEmpty = await call(coordinator, 'DeleteGroups', { groups_names: [groupId] });
    assert.equal(notEmpty.results[0].error_code, ErrorCode.NON_EMPTY_GROUP);
    const simpleCommit = await call(coordinator, 'OffsetCommit', {
      group_id: groupId,
      generation_id: -1,
      member_id: '',
      topics: [
        {
          name: 'orders',
          partitions: [{ partition_index: 0, committed_offset: 1, committed_leader_epoch: -1 }],
        },
      ],
    });
    assert.equal(
      simpleCommit.topics[0].partitions[0].error_code,
      ErrorCode.UNKNOWN_MEMBER_ID,
      'an admin commit needs an inactive group',
    );
    await call(coordinator, 'LeaveGroup', { group_id: groupId, members: [{ member_id: a }] });
  });

  it('keeps committed offsets when the coordinator broker is killed; the group finds the new one', async () => {
    const groupId = 'g-failover';
    const coordinator = await findCoordinator(groupId);
    const commit = await waitFor(
      async () => {
        const answer = await call(coordinator, 'OffsetCommit', {
          group_id: groupId,
          generation_id: -1,
          member_id: '',
          topics: [
            {
              name: 'orders',
              partitions: [
                { partition_index: 1, committed_offset: 42, committed_leader_epoch: -1 },
                { partition_index: 2, committed_offset: 7, committed_leader_epoch: -1 },
              ],
            },
          ],
        });
        const loading = answer.topics[0].partitions[0].error_code === ErrorCode.COORDINATOR_LOAD_IN_PROGRESS;
        return loading ? undefined : answer;
      },
      { timeoutMs: 20_000, message: 'the coordinator to load' },
    );
    assert.deepEqual(
      commit.topics[0].partitions.map((p: { error_code: number }) => p.error_code),
      [ErrorCode.NONE, ErrorCode.NONE],
    );
    await test.cluster.broker(coordinator).kill();
    clients.get(coordinator)?.close();
    clients.delete(coordinator);
    const survivor = [1, 2, 3].find((id) => id !== coordinator)!;
    const next = await waitFor(
      async () => {
        const answer = await call(survivor, 'FindCoordinator', { key: groupId, key_type: 0 });
        return answer.error_code === ErrorCode.NONE && answer.node_id !== coordinator
          ? (answer.node_id as number)
          : undefined;
      },
      { timeoutMs: 30_000, message: 'a new coordinator' },
    );
    const offsets = await waitFor(
      async () => {
        const answer = await call(next, 'OffsetFetch', {
          group_id: groupId,
          topics: [{ name: 'orders', partition_indexes: [1, 2] }],
        });
        return answer.error_code === ErrorCode.NONE ? answer : undefined;
      },
      { timeoutMs: 20_000, message: 'the new coordinator to load the group' },
    );
    assert.deepEqual(
      offsets.topics[0].partitions.map((p: { committed_offset: number }) => p.committed_offset),
      [42, 7],
    );
  });
});
