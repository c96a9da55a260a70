// The consumer-group message schemas (and OffsetForLeaderEpoch) against bytes worked out by hand from
// Kafka 2.7's message specs, and round trips at each API's lowest, highest and first flexible version.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  decodeMessage,
  encodeMessage,
  type Message,
  Reader,
  Writer,
} from '../../../src/api/kafka/protocol/codec.ts';
import {
  DELETE_GROUPS,
  DESCRIBE_GROUPS,
  FIND_COORDINATOR,
  HEARTBEAT,
  JOIN_GROUP,
  LEAVE_GROUP,
  LIST_GROUPS,
  OFFSET_COMMIT,
  OFFSET_FETCH,
  OFFSET_FOR_LEADER_EPOCH,
  SUPPORTED_APIS,
  SYNC_GROUP,
} from '../../../src/api/kafka/protocol/messages/index.ts';
import type { MessageSchema } from '../../../src/api/kafka/protocol/schema.ts';

function encode(schema: MessageSchema, version: number, message: Message): Buffer {
  const writer = new Writer();
  encodeMessage(schema, version, message, writer);
  return writer.toBuffer();
}

function decode(schema: MessageSchema, version: number, hex: string): Message {
  const reader = new Reader(Buffer.from(hex, 'hex'));
  const message = decodeMessage(schema, version, reader);
  assert.equal(reader.remaining, 0, `${schema.name} v${version} leaves no bytes`);
  return message;
}

const metadata = Buffer.from('0102', 'hex');

describe('Consumer-group message bytes', () => {
  it('JoinGroup v0: classic lengths, no rebalance timeout', () => {
    const hex =
      '000167' + // group id "g"
      '00007530' + // session timeout 30000
      '0000' + // member id ""
      '0008636f6e73756d6572' + // protocol type "consumer"
      '00000001' + // one protocol
      '000572616e6765' + // name "range"
      '000000020102'; // metadata
    const request = decode(JOIN_GROUP.request, 0, hex);
    assert.deepEqual(request, {
      groupId: 'g',
      sessionTimeoutMs: 30000,
      rebalanceTimeoutMs: -1,
      memberId: '',
      groupInstanceId: null,
      protocolType: 'consumer',
      protocols: [{ name: 'range', metadata }],
    });
    assert.equal(encode(JOIN_GROUP.request, 0, request).toString('hex'), hex);

    const response = {
      throttleTimeMs: 0,
      errorCode: 0,
      generationId: 1,
      protocolType: 'consumer',
      protocolName: 'range',
      leader: 'm1',
      memberId: 'm1',
      members: [{ memberId: 'm1', groupInstanceId: null, metadata }],
    };
    // error | generation | protocol name | leader | member id | one member: id, metadata
    // (no throttle time before v2, no protocol type before v7)
    assert.equal(
      encode(JOIN_GROUP.response, 0, response).toString('hex'),
      '0000' +
        '00000001' +
        '000572616e6765' +
        '00026d31' +
        '00026d31' +
        '00000001' +
        '00026d31' +
        '000000020102',
    );
  });

  it('JoinGroup v7: compact lengths, null instance id, protocol type, tagged-field ends', () => {
    const hex =
      '0267' + // group id "g" (compact: length + 1)
      '00007530' + // session timeout 30000
      '000493e0' + // rebalance timeout 300000
      '01' + // member id ""
      '00' + // group instance id null
      '09636f6e73756d6572' + // protocol type "consumer"
      '02' + // one protocol (count + 1)
      '0672616e6765' + // name "range"
      '030102' + // metadata (length + 1)
      '00' + // protocol's tagged fields
      '00'; // request's tagged fields
    const request = decode(JOIN_GROUP.request, 7, hex);
    assert.deepEqual(request, {
      groupId: 'g',
      sessionTimeoutMs: 30000,
      rebalanceTimeoutMs: 300000,
      memberId: '',
      groupInstanceId: null,
      protocolType: 'consumer',
      protocols: [{ name: 'range', metadata }],
    });
    assert.equal(encode(JOIN_GROUP.request, 7, request).toString('hex'), hex);

    const response = {
      throttleTimeMs: 0,
      errorCode: 0,
      generationId: 1,
      protocolType: 'consumer',
      protocolName: 'range',
      leader: 'm1',
      memberId: 'm1',
      members: [{ memberId: 'm1', groupInstanceId: 'i1', metadata }],
    };
    const responseHex =
      '00000000' + // throttle
      '0000' + // error
      '00000001' + // generation
      '09636f6e73756d6572' + // protocol type "consumer"
      '0672616e6765' + // protocol name "range"
      '036d31' + // leader "m1"
      '036d31' + // member id "m1"
      '02' + // one member
      '036d31' + // its id
      '036931' + // its instance id "i1"
      '030102' + // its metadata
      '00' + // member's tagged fields
      '00'; // response's tagged fields
    assert.equal(encode(JOIN_GROUP.response, 7, response).toString('hex'), responseHex);
    assert.deepEqual(decode(JOIN_GROUP.response, 7, responseHex), response);
    // v7's protocol name may be null (a MEMBER_ID_REQUIRED answer): compact null is 0.
    const empty = encode(JOIN_GROUP.response, 7, {
      ...response,
      errorCode: 79,
      generationId: -1,
      protocolType: null,
      protocolName: null,
      leader: '',
      members: [],
    });
    assert.equal(
      empty.toString('hex'),
      '00000000' + '004f' + 'ffffffff' + '00' + '00' + '01' + '036d31' + '01' + '00',
    );
  });

  it('OffsetCommit v8: flexible, leader epoch, no retention or commit timestamp', () => {
    const hex =
      '0267' + // group id "g"
      '00000005' + // generation 5
      '036d31' + // member id "m1"
      '00' + // group instance id null
      '02' + // one topic
      '0274' + // name "t"
      '02' + // one partition
      '00000000' + // partition 0
      '000000000000002a' + // offset 42
      '00000003' + // leader epoch 3
      '00' + // metadata null
      '00' + // partition's tagged fields
      '00' + // topic's tagged fields
      '00'; // request's tagged fields
    const request = decode(OFFSET_COMMIT.request, 8, hex);
    assert.deepEqual(request, {
      groupId: 'g',
      generationId: 5,
      memberId: 'm1',
      groupInstanceId: null,
      retentionTimeMs: -1,
      topics: [
        {
          name: 't',
          partitions: [
            {
              partitionIndex: 0,
              committedOffset: 42,
              committedLeaderEpoch: 3,
              commitTimestamp: -1,
              committedMetadata: null,
            },
          ],
        },
      ],
    });
    assert.equal(encode(OFFSET_COMMIT.request, 8, request).toString('hex'), hex);
    const response = {
      throttleTimeMs: 0,
      topics: [{ name: 't', partitions: [{ partitionIndex: 0, errorCode: 0 }] }],
    };
    const responseHex = '00000000' + '02' + '0274' + '02' + '00000000' + '0000' + '00' + '00' + '00';
    assert.equal(encode(OFFSET_COMMIT.response, 8, response).toString('hex'), responseHex);
    assert.deepEqual(decode(OFFSET_COMMIT.response, 8, responseHex), response);
  });

  it('OffsetCommit v1 carries a commit timestamp per partition, v2 a retention time', () => {
    const v1 = decode(
      OFFSET_COMMIT.request,
      1,
      '000167' +
        '00000005' +
        '00026d31' +
        '00000001' +
        '000174' +
        '00000001' +
        '00000000' +
        '000000000000002a' +
        '0000000000000064' +
        '0001' +
        '78',
    );
    assert.equal(v1.retentionTimeMs, -1);
    assert.equal(v1.topics[0].partitions[0].commitTimestamp, 100);
    assert.equal(v1.topics[0].partitions[0].committedMetadata, 'x');
    const v2 = decode(
      OFFSET_COMMIT.request,
      2,
      '000167' + '00000005' + '00026d31' + '00000000000003e8' + '00000000',
    );
    assert.equal(v2.retentionTimeMs, 1000);
  });

  it('OffsetFetch: null topics only from v2, a group error only from v2', () => {
    assert.equal(decode(OFFSET_FETCH.request, 2, '000167' + 'ffffffff').topics, null);
    assert.equal(decode(OFFSET_FETCH.request, 7, '0267' + '00' + '01' + '00').topics, null);
    assert.throws(() => decode(OFFSET_FETCH.request, 1, '000167' + 'ffffffff'));
    const answer = { throttleTimeMs: 0, topics: [], errorCode: 16 };
    assert.equal(encode(OFFSET_FETCH.response, 1, answer).toString('hex'), '00000000');
    assert.equal(encode(OFFSET_FETCH.response, 2, answer).toString('hex'), '00000000' + '0010');
  });

  it('LeaveGroup: one member id in v0-2, a member list from v3', () => {
    assert.deepEqual(decode(LEAVE_GROUP.request, 2, '000167' + '00026d31'), {
      groupId: 'g',
      memberId: 'm1',
      members: [],
    });
    assert.deepEqual(decode(LEAVE_GROUP.request, 3, '000167' + '00000001' + '00026d31' + 'ffff'), {
      groupId: 'g',
      memberId: '',
      members: [{ memberId: 'm1', groupInstanceId: null }],
    });
  });

  it('OffsetForLeaderEpoch v3: replica id first, classic only; v0 defaults', () => {
    const v3 = decode(
      OFFSET_FOR_LEADER_EPOCH.request,
      3,
      'fffffffe' + '00000001' + '000174' + '00000001' + '00000002' + '00000004' + '00000003',
    );
    assert.deepEqual(v3, {
      replicaId: -2,
      topics: [{ name: 't', partitions: [{ partitionIndex: 2, currentLeaderEpoch: 4, leaderEpoch: 3 }] }],
    });
    const v0 = decode(
      OFFSET_FOR_LEADER_EPOCH.request,
      0,
      '00000001' + '000174' + '00000001' + '00000002' + '00000003',
    );
    assert.equal(v0.replicaId, -2);
    assert.equal(v0.topics[0].partitions[0].currentLeaderEpoch, -1);
  });
});

describe('Consumer-group message round trips', () => {
  /** Each API at its lowest, first flexible and highest version. */
  const cases: Array<{ api: typeof JOIN_GROUP; versions: number[] }> = [
    { api: FIND_COORDINATOR, versions: [0, 3] },
    { api: JOIN_GROUP, versions: [0, 6, 7] },
    { api: HEARTBEAT, versions: [0, 4] },
    { api: LEAVE_GROUP, versions: [0, 4] },
    { api: SYNC_GROUP, versions: [0, 4, 5] },
    { api: DESCRIBE_GROUPS, versions: [0, 5] },
    { api: LIST_GROUPS, versions: [0, 3, 4] },
    { api: OFFSET_COMMIT, versions: [0, 8] },
    { api: OFFSET_FETCH, versions: [0, 6, 7] },
    { api: DELETE_GROUPS, versions: [0, 2] },
    { api: OFFSET_FOR_LEADER_EPOCH, versions: [0, 3] },
  ];

  const samples: Record<string, (version: number) => { request: Message; response: Message }> = {
    FindCoordinator: (v) => ({
      request: { key: 'g', keyType: v >= 1 ? 1 : 0 },
      response: {
        throttleTimeMs: v >= 1 ? 5 : 0,
        errorCode: 0,
        errorMessage: v >= 1 ? 'ok' : '',
        nodeId: 2,
        host: 'h',
        port: 9093,
      },
    }),
    JoinGroup: (v) => ({
      request: {
        groupId: 'g',
        sessionTimeoutMs: 10,
        rebalanceTimeoutMs: v >= 1 ? 20 : -1,
        memberId: 'm',
        groupInstanceId: v >= 5 ? 'i' : null,
        protocolType: 'consumer',
        protocols: [{ name: 'range', metadata }],
      },
      response: {
        throttleTimeMs: v >= 2 ? 1 : 0,
        errorCode: 0,
        generationId: 3,
        protocolType: v >= 7 ? 'consumer' : null,
        protocolName: 'range',
        leader: 'm',
        memberId: 'm',
        members: [{ memberId: 'm', groupInstanceId: v >= 5 ? 'i' : null, metadata }],
      },
    }),
    Heartbeat: (v) => ({
      request: { groupId: 'g', generationId: 1, memberId: 'm', groupInstanceId: v >= 3 ? 'i' : null },
      response: { throttleTimeMs: v >= 1 ? 1 : 0, errorCode: 27 },
    }),
    LeaveGroup: (v) => ({
      request:
        v >= 3
          ? { groupId: 'g', memberId: '', members: [{ memberId: 'm', groupInstanceId: 'i' }] }
          : { groupId: 'g', memberId: 'm', members: [] },
      response: {
        throttleTimeMs: v >= 1 ? 1 : 0,
        errorCode: 0,
        members: v >= 3 ? [{ memberId: 'm', groupInstanceId: null, errorCode: 25 }] : [],
      },
    }),
    SyncGroup: (v) => ({
      request: {
        groupId: 'g',
        generationId: 1,
        memberId: 'm',
        groupInstanceId: v >= 3 ? 'i' : null,
        protocolType: v >= 5 ? 'consumer' : null,
        protocolName: v >= 5 ? 'range' : null,
        assignments: [{ memberId: 'm', assignment: metadata }],
      },
      response: {
        throttleTimeMs: v >= 1 ? 1 : 0,
        errorCode: 0,
        protocolType: v >= 5 ? 'consumer' : null,
        protocolName: v >= 5 ? 'range' : null,
        assignment: metadata,
      },
    }),
    DescribeGroups: (v) => ({
      request: { groups: ['g', 'h'], includeAuthorizedOperations: v >= 3 },
      response: {
        throttleTimeMs: v >= 1 ? 1 : 0,
        groups: [
          {
            errorCode: 0,
            groupId: 'g',
            groupState: 'Stable',
            protocolType: 'consumer',
            protocolData: 'range',
            members: [
              {
                memberId: 'm',
                groupInstanceId: v >= 4 ? 'i' : null,
                clientId: 'c',
                clientHost: '/127.0.0.1',
                memberMetadata: metadata,
                memberAssignment: metadata,
              },
            ],
            authorizedOperations: v >= 3 ? 328 : -2147483648,
          },
        ],
      },
    }),
    ListGroups: (v) => ({
      request: { statesFilter: v >= 4 ? ['Stable'] : [] },
      response: {
        throttleTimeMs: v >= 1 ? 1 : 0,
        errorCode: 0,
        groups: [{ groupId: 'g', protocolType: 'consumer', groupState: v >= 4 ? 'Stable' : '' }],
      },
    }),
    OffsetCommit: (v) => ({
      request: {
        groupId: 'g',
        generationId: v >= 1 ? 4 : -1,
        memberId: v >= 1 ? 'm' : '',
        groupInstanceId: v >= 7 ? 'i' : null,
        retentionTimeMs: v >= 2 && v <= 4 ? 1000 : -1,
        topics: [
          {
            name: 't',
            partitions: [
              {
                partitionIndex: 1,
                committedOffset: 2 ** 40,
                committedLeaderEpoch: v >= 6 ? 2 : -1,
                commitTimestamp: v === 1 ? 99 : -1,
                committedMetadata: 'md',
              },
            ],
          },
        ],
      },
      response: {
        throttleTimeMs: v >= 3 ? 1 : 0,
        topics: [{ name: 't', partitions: [{ partitionIndex: 1, errorCode: 0 }] }],
      },
    }),
    OffsetFetch: (v) => ({
      request: {
        groupId: 'g',
        topics: v >= 2 ? null : [{ name: 't', partitionIndexes: [0, 1] }],
        requireStable: v >= 7,
      },
      response: {
        throttleTimeMs: v >= 3 ? 1 : 0,
        topics: [
          {
            name: 't',
            partitions: [
              {
                partitionIndex: 0,
                committedOffset: 5,
                committedLeaderEpoch: v >= 5 ? 1 : -1,
                metadata: null,
                errorCode: 0,
              },
            ],
          },
        ],
        errorCode: v >= 2 ? 14 : 0,
      },
    }),
    DeleteGroups: () => ({
      request: { groupsNames: ['g', 'h'] },
      response: {
        throttleTimeMs: 1,
        results: [
          { groupId: 'g', errorCode: 0 },
          { groupId: 'h', errorCode: 68 },
        ],
      },
    }),
    OffsetForLeaderEpoch: (v) => ({
      request: {
        replicaId: v >= 3 ? 1 : -2,
        topics: [
          {
            name: 't',
            partitions: [{ partitionIndex: 0, currentLeaderEpoch: v >= 2 ? 3 : -1, leaderEpoch: 2 }],
          },
        ],
      },
      response: {
        throttleTimeMs: v >= 2 ? 1 : 0,
        topics: [
          {
            name: 't',
            partitions: [{ errorCode: 0, partitionIndex: 0, leaderEpoch: v >= 1 ? 2 : -1, endOffset: 77 }],
          },
        ],
      },
    }),
  };

  for (const { api, versions } of cases) {
    it(`${api.name} (key ${api.apiKey}) at versions ${versions.join(', ')}`, () => {
      assert.equal(SUPPORTED_APIS.get(api.apiKey), api, 'served, so ApiVersions lists it');
      assert.equal(api.minVersion, versions[0]);
      assert.equal(api.maxVersion, versions.at(-1));
      const sample = samples[api.name];
      assert.ok(sample, `a sample for ${api.name}`);
      for (const version of versions) {
        const { request, response } = sample(version);
        for (const [schema, message] of [
          [api.request, request],
          [api.response, response],
        ] as const) {
          const bytes = encode(schema, version, message);
          const reader = new Reader(bytes);
          const decoded = decodeMessage(schema, version, reader);
          assert.equal(reader.remaining, 0, `${schema.name} v${version} leaves no bytes`);
          assert.deepEqual(decoded, message, `${schema.name} v${version}`);
        }
      }
    });
  }
});
