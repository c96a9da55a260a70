// How each version of the group APIs maps onto the group coordinator's one shape. The coordinator is a
// recording stub: these tests check field mapping only (the real coordinator is tested with real
// brokers and KafkaJS). Requests go through the codec at their version first, so what a version lacks
// reaches the handler as the schema's default, as it does on the wire.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { MetadataView } from '@sluice/coordinator';
import { pino } from 'pino';
import { handleRequest, type KafkaApiContext } from '../../../src/api/kafka/kafka-apis.ts';
import {
  decodeMessage,
  encodeMessage,
  type Message,
  Reader,
  Writer,
} from '../../../src/api/kafka/protocol/codec.ts';
import {
  DESCRIBE_GROUPS,
  FIND_COORDINATOR,
  JOIN_GROUP,
  LEAVE_GROUP,
  LIST_GROUPS,
  OFFSET_COMMIT,
  OFFSET_FETCH,
  OFFSET_FOR_LEADER_EPOCH,
  SYNC_GROUP,
} from '../../../src/api/kafka/protocol/messages/index.ts';
import type { ApiSchemas } from '../../../src/api/kafka/protocol/schema.ts';
import type { GroupCoordinatorApi } from '../../../src/group/types.ts';

type Calls = Array<{ method: string; args: unknown[] }>;

/** The first argument of the `index`th call. */
function firstArg(calls: Calls, index: number): Message {
  const recorded = calls[index];
  assert.ok(recorded, `call ${index} was made`);
  return recorded.args[0] as Message;
}

/** A coordinator that records its calls and answers what `answers` holds for each method. */
function stubCoordinator(answers: Partial<Record<keyof GroupCoordinatorApi, unknown>>, calls: Calls) {
  return new Proxy({} as GroupCoordinatorApi, {
    get:
      (_target, method: string) =>
      async (...args: unknown[]) => {
        calls.push({ method, args });
        return answers[method as keyof GroupCoordinatorApi];
      },
  });
}

function contextWith(
  answers: Partial<Record<keyof GroupCoordinatorApi, unknown>>,
  calls: Calls,
  extra: Partial<KafkaApiContext> = {},
): KafkaApiContext {
  const metadata = {
    brokers: new Map([
      [
        1,
        {
          id: 1,
          rack: null,
          endpoints: [
            { listenerName: 'GRPC', host: 'b1', port: 9092 },
            { listenerName: 'KAFKA', host: 'b1', port: 9093 },
          ],
        },
      ],
      [2, { id: 2, rack: null, endpoints: [{ listenerName: 'GRPC', host: 'b2', port: 9092 }] }],
    ]),
  } as unknown as MetadataView;
  return {
    listenerName: 'KAFKA',
    metadata,
    groupCoordinator: stubCoordinator(answers, calls),
    logger: pino({ level: 'silent' }),
    ...extra,
  } as unknown as KafkaApiContext;
}

/** Encodes `request` at `version`, decodes it, handles it, and checks the answer encodes at `version`. */
async function call(
  context: KafkaApiContext,
  api: ApiSchemas,
  version: number,
  request: Message,
  clientId: string | null = 'app',
): Promise<Message> {
  const writer = new Writer();
  encodeMessage(api.request, version, request, writer);
  const body = decodeMessage(api.request, version, new Reader(writer.toBuffer()));
  const header = { apiKey: api.apiKey, apiVersion: version, correlationId: 1, clientId };
  const answer = await handleRequest(context, header, body, new AbortController().signal, '/10.0.0.7');
  assert.ok(answer);
  const out = new Writer();
  encodeMessage(api.response, version, answer, out);
  return decodeMessage(api.response, version, new Reader(out.toBuffer()));
}

const joinAnswer = {
  errorCode: 0,
  generationId: 1,
  protocolType: null,
  protocolName: null,
  leader: 'm1',
  memberId: 'm1',
  members: [{ memberId: 'm1', groupInstanceId: null, metadata: Buffer.from('01', 'hex') }],
};

const joinRequest = {
  groupId: 'g',
  sessionTimeoutMs: 10_000,
  rebalanceTimeoutMs: 60_000,
  memberId: '',
  groupInstanceId: 'i1',
  protocolType: 'consumer',
  protocols: [{ name: 'range', metadata: Buffer.from('0102', 'hex') }],
};

describe('Kafka group APIs: version mapping', () => {
  it('JoinGroup v0 uses the session timeout as rebalance timeout; v4+ require a known member id', async () => {
    const calls: Calls = [];
    const context = contextWith({ joinGroup: joinAnswer }, calls);
    const v0 = await call(context, JOIN_GROUP, 0, joinRequest);
    assert.deepEqual(calls[0]?.args[0], {
      groupId: 'g',
      sessionTimeoutMs: 10_000,
      rebalanceTimeoutMs: 10_000,
      memberId: '',
      groupInstanceId: null,
      protocolType: 'consumer',
      protocols: [{ name: 'range', metadata: Buffer.from('0102', 'hex') }],
      clientId: 'app',
      clientHost: '/10.0.0.7',
      requireKnownMemberId: false,
    });
    assert.ok(calls[0]?.args[1] instanceof AbortSignal);
    assert.equal(v0.protocolName, '', 'null protocol name is "" before v7');
    await call(context, JOIN_GROUP, 3, joinRequest, null);
    const v3 = calls[1]?.args[0] as Message;
    assert.equal(v3.rebalanceTimeoutMs, 60_000);
    assert.equal(v3.requireKnownMemberId, false);
    assert.equal(v3.clientId, '', 'a null client id is ""');
    await call(context, JOIN_GROUP, 4, joinRequest);
    assert.equal(firstArg(calls, 2).requireKnownMemberId, true);
    assert.equal(firstArg(calls, 2).groupInstanceId, null, 'no static membership before v5');
    const v7 = await call(context, JOIN_GROUP, 7, joinRequest);
    assert.equal(firstArg(calls, 3).groupInstanceId, 'i1');
    assert.equal(v7.protocolName, null);
    assert.deepEqual(v7.members, [
      { memberId: 'm1', groupInstanceId: null, metadata: Buffer.from('01', 'hex') },
    ]);
  });

  it('SyncGroup passes v5 protocol type and name, null before', async () => {
    const calls: Calls = [];
    const answer = {
      errorCode: 0,
      protocolType: 'consumer',
      protocolName: 'range',
      assignment: Buffer.from('aa', 'hex'),
    };
    const context = contextWith({ syncGroup: answer }, calls);
    const request = {
      groupId: 'g',
      generationId: 2,
      memberId: 'm1',
      groupInstanceId: null,
      protocolType: 'consumer',
      protocolName: 'range',
      assignments: [{ memberId: 'm1', assignment: Buffer.from('aa', 'hex') }],
    };
    const v0 = await call(context, SYNC_GROUP, 0, request);
    assert.equal(firstArg(calls, 0).protocolType, null);
    assert.equal(firstArg(calls, 0).protocolName, null);
    assert.deepEqual(v0.assignment, Buffer.from('aa', 'hex'));
    const v5 = await call(context, SYNC_GROUP, 5, request);
    assert.deepEqual(calls[1]?.args[0], request);
    assert.equal(v5.protocolName, 'range');
  });

  it('LeaveGroup v0-2 leave one member and fold its error; v3+ answer each member', async () => {
    const calls: Calls = [];
    const answer = {
      errorCode: 0,
      members: [{ memberId: 'm1', groupInstanceId: null, errorCode: 25 }],
    };
    const context = contextWith({ leaveGroup: answer }, calls);
    const v2 = await call(context, LEAVE_GROUP, 2, { groupId: 'g', memberId: 'm1' });
    assert.deepEqual(calls[0]?.args[0], {
      groupId: 'g',
      members: [{ memberId: 'm1', groupInstanceId: null }],
    });
    assert.equal(v2.errorCode, 25, 'UNKNOWN_MEMBER_ID of the one member');
    const v4 = await call(context, LEAVE_GROUP, 4, {
      groupId: 'g',
      members: [
        { memberId: 'm1', groupInstanceId: null },
        { memberId: '', groupInstanceId: 'i2' },
      ],
    });
    assert.deepEqual(firstArg(calls, 1).members, [
      { memberId: 'm1', groupInstanceId: null },
      { memberId: '', groupInstanceId: 'i2' },
    ]);
    assert.equal(v4.errorCode, 0);
    assert.deepEqual(v4.members, answer.members);
  });

  it('OffsetCommit: v0 outside a generation, retention only in v2-4, leader epoch from v6', async () => {
    const calls: Calls = [];
    const answer = { topics: [{ name: 't', partitions: [{ partitionIndex: 0, errorCode: 0 }] }] };
    const context = contextWith({ commitOffsets: answer }, calls);
    const request = {
      groupId: 'g',
      generationId: 3,
      memberId: 'm1',
      groupInstanceId: 'i1',
      retentionTimeMs: 5_000,
      topics: [
        {
          name: 't',
          partitions: [
            {
              partitionIndex: 0,
              committedOffset: 42,
              committedLeaderEpoch: 7,
              commitTimestamp: 1_000,
              committedMetadata: 'md',
            },
          ],
        },
      ],
    };
    const expected = (
      generationId: number,
      memberId: string,
      retentionTimeMs: number,
      epoch: number,
      instance: string | null,
    ) => ({
      groupId: 'g',
      generationId,
      memberId,
      groupInstanceId: instance,
      retentionTimeMs,
      topics: [
        {
          name: 't',
          partitions: [
            { partitionIndex: 0, committedOffset: 42, committedLeaderEpoch: epoch, committedMetadata: 'md' },
          ],
        },
      ],
    });
    for (const [version, want] of [
      [0, expected(-1, '', -1, -1, null)],
      [1, expected(3, 'm1', -1, -1, null)],
      [2, expected(3, 'm1', 5_000, -1, null)],
      [4, expected(3, 'm1', 5_000, -1, null)],
      [5, expected(3, 'm1', -1, -1, null)],
      [6, expected(3, 'm1', -1, 7, null)],
      [8, expected(3, 'm1', -1, 7, 'i1')],
    ] as const) {
      calls.length = 0;
      const response = await call(context, OFFSET_COMMIT, version, request);
      assert.deepEqual(calls[0]?.args[0], want, `v${version}`);
      assert.deepEqual(response.topics, answer.topics);
    }
  });

  it('OffsetFetch: v0-1 answer a group error per partition, v2+ at the top; null topics = all', async () => {
    const calls: Calls = [];
    const context = contextWith({ fetchOffsets: { errorCode: 14, topics: [] } }, calls);
    const request = { groupId: 'g', topics: [{ name: 't', partitionIndexes: [0, 1] }] };
    const v1 = await call(context, OFFSET_FETCH, 1, request);
    assert.deepEqual(calls[0]?.args[0], { groupId: 'g', topics: [{ name: 't', partitionIndexes: [0, 1] }] });
    assert.deepEqual(v1.topics, [
      {
        name: 't',
        partitions: [0, 1].map((partitionIndex) => ({
          partitionIndex,
          committedOffset: -1,
          committedLeaderEpoch: -1,
          metadata: '',
          errorCode: 14,
        })),
      },
    ]);
    const v2 = await call(context, OFFSET_FETCH, 2, { groupId: 'g', topics: null });
    assert.deepEqual(calls[1]?.args[0], { groupId: 'g', topics: null });
    assert.equal(v2.errorCode, 14);
    assert.deepEqual(v2.topics, []);

    const committed = {
      errorCode: 0,
      topics: [
        {
          name: 't',
          partitions: [
            { partitionIndex: 0, committedOffset: 9, committedLeaderEpoch: 4, metadata: null, errorCode: 0 },
          ],
        },
      ],
    };
    const ok = await call(contextWith({ fetchOffsets: committed }, calls), OFFSET_FETCH, 7, {
      groupId: 'g',
      topics: null,
      requireStable: true,
    });
    assert.deepEqual(ok.topics, committed.topics);
    const v4 = await call(contextWith({ fetchOffsets: committed }, calls), OFFSET_FETCH, 4, request);
    assert.equal(v4.topics[0].partitions[0].committedLeaderEpoch, -1, 'no leader epoch before v5');
  });

  it('FindCoordinator answers the endpoint on this listener; transactions and unknown nodes have none', async () => {
    const calls: Calls = [];
    const found = contextWith({ findCoordinator: { errorCode: 0, errorMessage: null, nodeId: 1 } }, calls);
    const v0 = await call(found, FIND_COORDINATOR, 0, { key: 'g' });
    assert.deepEqual(calls[0]?.args, ['g']);
    assert.deepEqual(v0, {
      throttleTimeMs: 0,
      errorCode: 0,
      errorMessage: '',
      nodeId: 1,
      host: 'b1',
      port: 9093,
    });
    const v3 = await call(found, FIND_COORDINATOR, 3, { key: 'g', keyType: 0 });
    assert.equal(v3.port, 9093);
    assert.equal(v3.errorMessage, null);

    const transaction = await call(found, FIND_COORDINATOR, 1, { key: 'tx', keyType: 1 });
    assert.equal(transaction.errorCode, 15, 'COORDINATOR_NOT_AVAILABLE');
    assert.equal(transaction.nodeId, -1);
    assert.equal(calls.length, 2, 'the group coordinator is not asked about transactions');

    const elsewhere = contextWith(
      { findCoordinator: { errorCode: 0, errorMessage: null, nodeId: 2 } },
      calls,
    );
    const noEndpoint = await call(elsewhere, FIND_COORDINATOR, 2, { key: 'g', keyType: 0 });
    assert.deepEqual(
      [noEndpoint.errorCode, noEndpoint.nodeId, noEndpoint.host, noEndpoint.port],
      [15, -1, '', -1],
      'broker 2 has no KAFKA endpoint',
    );
    const failing = contextWith(
      { findCoordinator: { errorCode: 15, errorMessage: 'loading', nodeId: -1 } },
      calls,
    );
    const failed = await call(failing, FIND_COORDINATOR, 3, { key: 'g', keyType: 0 });
    assert.deepEqual([failed.errorCode, failed.errorMessage], [15, 'loading']);
  });

  it('DescribeGroups answers authorized operations (v3+) only when asked', async () => {
    const calls: Calls = [];
    const group = {
      errorCode: 0,
      groupId: 'g',
      groupState: 'Stable',
      protocolType: 'consumer',
      protocolData: 'range',
      members: [
        {
          memberId: 'm1',
          groupInstanceId: 'i1',
          clientId: 'app',
          clientHost: '/10.0.0.7',
          memberMetadata: Buffer.from('01', 'hex'),
          memberAssignment: Buffer.from('02', 'hex'),
        },
      ],
    };
    const context = contextWith({ describeGroups: [group] }, calls);
    const v0 = await call(context, DESCRIBE_GROUPS, 0, { groups: ['g'] });
    assert.deepEqual(calls[0]?.args, [['g']]);
    assert.equal(v0.groups[0].members[0].groupInstanceId, null, 'no instance ids before v4');
    assert.equal(v0.groups[0].members[0].clientHost, '/10.0.0.7');
    const asked = await call(context, DESCRIBE_GROUPS, 5, {
      groups: ['g'],
      includeAuthorizedOperations: true,
    });
    assert.equal(asked.groups[0].authorizedOperations, 328, 'READ, DELETE, DESCRIBE');
    assert.equal(asked.groups[0].members[0].groupInstanceId, 'i1');
    const notAsked = await call(context, DESCRIBE_GROUPS, 3, {
      groups: ['g'],
      includeAuthorizedOperations: false,
    });
    assert.equal(notAsked.groups[0].authorizedOperations, -2147483648);
  });

  it('ListGroups filters by state from v4 and answers states from v4', async () => {
    const calls: Calls = [];
    const answer = {
      errorCode: 0,
      groups: [{ groupId: 'g', protocolType: 'consumer', groupState: 'Empty' }],
    };
    const context = contextWith({ listGroups: answer }, calls);
    const v0 = await call(context, LIST_GROUPS, 0, {});
    assert.deepEqual(calls[0]?.args, [[]]);
    assert.deepEqual(v0.groups, [{ groupId: 'g', protocolType: 'consumer', groupState: '' }]);
    const v4 = await call(context, LIST_GROUPS, 4, { statesFilter: ['Empty'] });
    assert.deepEqual(calls[1]?.args, [['Empty']]);
    assert.deepEqual(v4.groups, answer.groups);
  });

  it('OffsetForLeaderEpoch asks the replica manager and answers in the order asked', async () => {
    const asked: unknown[] = [];
    const replicaManager = {
      offsetsForLeaderEpoch: (partitions: Array<{ topic: string; partition: number }>) => {
        asked.push(partitions);
        return partitions.map((p) => ({
          topic: p.topic,
          partition: p.partition,
          errorCode: p.partition === 9 ? 6 : 0,
          leaderEpoch: p.partition === 9 ? -1 : 2,
          endOffset: p.partition === 9 ? -1 : 100 + p.partition,
        }));
      },
    };
    const context = contextWith({}, [], { replicaManager } as unknown as Partial<KafkaApiContext>);
    const request = {
      replicaId: -2,
      topics: [
        { name: 'b', partitions: [{ partitionIndex: 1, currentLeaderEpoch: 5, leaderEpoch: 2 }] },
        {
          name: 'a',
          partitions: [
            { partitionIndex: 9, currentLeaderEpoch: 5, leaderEpoch: 2 },
            { partitionIndex: 0, currentLeaderEpoch: 5, leaderEpoch: 2 },
          ],
        },
      ],
    };
    const v3 = await call(context, OFFSET_FOR_LEADER_EPOCH, 3, request);
    assert.deepEqual(asked[0], [
      { topic: 'b', partition: 1, currentLeaderEpoch: 5, leaderEpoch: 2 },
      { topic: 'a', partition: 9, currentLeaderEpoch: 5, leaderEpoch: 2 },
      { topic: 'a', partition: 0, currentLeaderEpoch: 5, leaderEpoch: 2 },
    ]);
    assert.deepEqual(v3.topics, [
      { name: 'b', partitions: [{ errorCode: 0, partitionIndex: 1, leaderEpoch: 2, endOffset: 101 }] },
      {
        name: 'a',
        partitions: [
          { errorCode: 6, partitionIndex: 9, leaderEpoch: -1, endOffset: -1 },
          { errorCode: 0, partitionIndex: 0, leaderEpoch: 2, endOffset: 100 },
        ],
      },
    ]);
    await call(context, OFFSET_FOR_LEADER_EPOCH, 0, request);
    assert.equal(
      (asked[1] as Array<{ currentLeaderEpoch: number }>)[0]?.currentLeaderEpoch,
      -1,
      'not checked in v0-1',
    );
  });
});
