// Kafka's ConsumerProtocol bytes: fixtures written out by hand from the message specs, cross-checks
// against kafkajs's own codec, and a decoder that fails cleanly on every truncation and bad length.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ErrorCode, KafkaError } from '@sluice/protocol';
import fc from 'fast-check';
import kafkajs from 'kafkajs';
import type { Subscription } from '../../src/group/assignor.ts';
import {
  decodeAssignment,
  decodeStickyAssignorUserData,
  decodeSubscription,
  encodeAssignment,
  encodeStickyAssignorUserData,
  encodeSubscription,
} from '../../src/group/consumer-protocol.ts';

const { AssignerProtocol } = kafkajs;

const hex = (s: string): Buffer => Buffer.from(s.replace(/\s+/g, ''), 'hex');
const isProtocolError = (err: unknown): boolean => KafkaError.is(err, ErrorCode.INCONSISTENT_GROUP_PROTOCOL);

// Subscription v1: topics ["ab","c"], user_data 0x0102, owned_partitions [{"ab", [0, 2]}].
const SUBSCRIPTION_V1 = hex(`
  0001
  00000002 0002 6162 0001 63
  00000002 0102
  00000001 0002 6162 00000002 00000000 00000002`);
const SUBSCRIPTION_V1_VALUE: Subscription = {
  topics: ['ab', 'c'],
  userData: Buffer.from([1, 2]),
  ownedPartitions: [{ topic: 'ab', partitions: [0, 2] }],
};

// Assignment v1: [{"ab", [1]}, {"c", [0, 3]}], null user_data.
const ASSIGNMENT_V1 = hex(`
  0001
  00000002 0002 6162 00000001 00000001
           0001 63   00000002 00000000 00000003
  ffffffff`);

describe('consumer protocol: subscription', () => {
  test('v1 encodes byte for byte as the spec lays it out', () => {
    assert.deepEqual(encodeSubscription(SUBSCRIPTION_V1_VALUE), SUBSCRIPTION_V1);
    assert.deepEqual(encodeSubscription(SUBSCRIPTION_V1_VALUE, 1), SUBSCRIPTION_V1);
    assert.deepEqual(decodeSubscription(SUBSCRIPTION_V1), { version: 1, ...SUBSCRIPTION_V1_VALUE });
  });

  test('v0 has no owned partitions; null user data is length -1', () => {
    const bytes = encodeSubscription(
      { topics: ['t'], userData: null, ownedPartitions: [{ topic: 't', partitions: [1] }] },
      0,
    );
    assert.deepEqual(bytes, hex('0000 00000001 0001 74 ffffffff'));
    assert.deepEqual(decodeSubscription(bytes), {
      version: 0,
      topics: ['t'],
      userData: null,
      ownedPartitions: [],
    });
  });

  test('empty user data stays empty, not null', () => {
    const bytes = encodeSubscription({ topics: [], userData: Buffer.alloc(0), ownedPartitions: [] });
    assert.deepEqual(bytes, hex('0001 00000000 00000000 00000000'));
    assert.deepEqual(decodeSubscription(bytes).userData, Buffer.alloc(0));
  });

  test('kafkajs reads what we write and we read what kafkajs writes (it sends v0)', () => {
    const ours = encodeSubscription(
      { topics: ['a', 'b'], userData: Buffer.from('xy'), ownedPartitions: [] },
      0,
    );
    const theirs = AssignerProtocol.MemberMetadata.encode({
      version: 0,
      topics: ['a', 'b'],
      userData: Buffer.from('xy'),
    });
    assert.deepEqual(ours, theirs);
    const decoded = AssignerProtocol.MemberMetadata.decode(encodeSubscription(SUBSCRIPTION_V1_VALUE));
    assert.deepEqual(decoded?.topics, ['ab', 'c']);
    assert.deepEqual(decoded?.userData, Buffer.from([1, 2]));
  });

  test('a newer version is read by its known prefix (v2 appends generation_id)', () => {
    const v2 = Buffer.concat([hex('0002'), SUBSCRIPTION_V1.subarray(2), hex('00000007')]);
    assert.deepEqual(decodeSubscription(v2), { version: 2, ...SUBSCRIPTION_V1_VALUE });
  });

  test('every truncation throws INCONSISTENT_GROUP_PROTOCOL', () => {
    for (let end = 0; end < SUBSCRIPTION_V1.length; end++) {
      assert.throws(
        () => decodeSubscription(SUBSCRIPTION_V1.subarray(0, end)),
        isProtocolError,
        `prefix ${end}`,
      );
    }
  });

  test('lengths beyond the buffer are rejected before anything is allocated', () => {
    for (const bad of [
      hex('0001 7fffffff'), // 2^31 - 1 topics
      hex('0001 00000001 7fff 61'), // a topic of 32767 bytes
      hex('0001 00000000 7ffffff0 00'), // huge user data
      hex('0001 00000000 ffffffff 7fffffff'), // huge owned_partitions
      hex('0001 00000000 ffffffff 00000001 0001 74 40000000'), // huge partition list
      hex('0001 ffffffff'), // null topics array (non-nullable)
      hex('0001 00000001 ffff'), // null topic (non-nullable)
      hex('0001 00000000 fffffffe'), // user data length -2
      hex('ffff 00000000 ffffffff'), // negative version
    ]) {
      assert.throws(() => decodeSubscription(bad), isProtocolError, bad.toString('hex'));
    }
  });

  test('encode refuses what Kafka could not read', () => {
    assert.throws(
      () => encodeSubscription({ topics: ['x'.repeat(0x8000)], userData: null, ownedPartitions: [] }),
      RangeError,
    );
    assert.throws(
      () => encodeSubscription({ topics: [], userData: null, ownedPartitions: [] }, 2),
      RangeError,
    );
    assert.throws(
      () =>
        encodeSubscription({
          topics: [],
          userData: null,
          ownedPartitions: [{ topic: 't', partitions: [2 ** 31] }],
        }),
      RangeError,
    );
  });
});

describe('consumer protocol: assignment', () => {
  test('v1 encodes byte for byte; v0 differs only in the version', () => {
    const value = {
      partitions: [
        { topic: 'ab', partitions: [1] },
        { topic: 'c', partitions: [0, 3] },
      ],
      userData: null,
    };
    assert.deepEqual(encodeAssignment(value), ASSIGNMENT_V1);
    assert.deepEqual(encodeAssignment(value, 0), Buffer.concat([hex('0000'), ASSIGNMENT_V1.subarray(2)]));
    assert.deepEqual(decodeAssignment(ASSIGNMENT_V1), { version: 1, ...value });
  });

  test('kafkajs agrees both ways', () => {
    const theirs = AssignerProtocol.MemberAssignment.encode({
      version: 1,
      assignment: { ab: [1], c: [0, 3] },
      userData: null as unknown as Buffer,
    });
    assert.deepEqual(theirs, ASSIGNMENT_V1);
    const ours = encodeAssignment(
      { partitions: [{ topic: 'x', partitions: [5, 6] }], userData: Buffer.from('u') },
      0,
    );
    assert.deepEqual(AssignerProtocol.MemberAssignment.decode(ours), {
      version: 0,
      assignment: { x: [5, 6] },
      userData: Buffer.from('u'),
    });
  });

  test('truncations, empty buffers and huge lengths throw INCONSISTENT_GROUP_PROTOCOL', () => {
    for (let end = 0; end < ASSIGNMENT_V1.length; end++) {
      assert.throws(() => decodeAssignment(ASSIGNMENT_V1.subarray(0, end)), isProtocolError, `prefix ${end}`);
    }
    assert.throws(() => decodeAssignment(hex('0001 7fffffff')), isProtocolError);
    assert.throws(() => decodeAssignment(hex('0001 00000000 7fffffff')), isProtocolError);
  });

  test('a newer version with appended fields decodes', () => {
    const v3 = Buffer.concat([hex('0003'), ASSIGNMENT_V1.subarray(2), hex('deadbeef')]);
    assert.equal(decodeAssignment(v3).version, 3);
    assert.deepEqual(decodeAssignment(v3).partitions, decodeAssignment(ASSIGNMENT_V1).partitions);
  });
});

describe('sticky assignor user data', () => {
  test('V1: previous_assignment then generation, no version prefix', () => {
    const data = { previousAssignment: [{ topic: 't', partitions: [0, 1] }], generation: 4 };
    const bytes = hex('00000001 0001 74 00000002 00000000 00000001 00000004');
    assert.deepEqual(encodeStickyAssignorUserData(data), bytes);
    assert.deepEqual(decodeStickyAssignorUserData(bytes), data);
  });

  test('V0 (no generation) decodes with a null generation', () => {
    assert.deepEqual(decodeStickyAssignorUserData(hex('00000001 0001 74 00000001 00000003')), {
      previousAssignment: [{ topic: 't', partitions: [3] }],
      generation: null,
    });
  });

  test('garbage throws INCONSISTENT_GROUP_PROTOCOL', () => {
    assert.throws(() => decodeStickyAssignorUserData(hex('7fffffff')), isProtocolError);
    assert.throws(() => decodeStickyAssignorUserData(hex('00')), isProtocolError);
  });
});

describe('consumer protocol properties', () => {
  const topic = fc.string({ maxLength: 20 });
  const topicPartitions = fc.array(
    fc
      .record({
        topic,
        partitions: fc.array(fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }), { maxLength: 5 }),
      })
      .map((r) => ({ ...r })),
    { maxLength: 5 },
  );
  const userData = fc.option(
    fc.uint8Array({ maxLength: 20 }).map((a) => Buffer.from(a)),
    { nil: null },
  );

  test('subscription and assignment round-trip at every version', () => {
    fc.assert(
      fc.property(
        fc.array(topic, { maxLength: 5 }),
        userData,
        topicPartitions,
        fc.constantFrom(0, 1),
        (topics, ud, owned, v) => {
          const decoded = decodeSubscription(
            encodeSubscription({ topics, userData: ud, ownedPartitions: owned }, v),
          );
          assert.deepEqual(decoded, {
            version: v,
            topics,
            userData: ud,
            ownedPartitions: v >= 1 ? owned : [],
          });
          const a = decodeAssignment(encodeAssignment({ partitions: owned, userData: ud }, v));
          assert.deepEqual(a, { version: v, partitions: owned, userData: ud });
        },
      ),
    );
  });

  test('random bytes either decode or throw INCONSISTENT_GROUP_PROTOCOL, nothing else', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (bytes) => {
        const buf = Buffer.from(bytes);
        for (const decode of [decodeSubscription, decodeAssignment, decodeStickyAssignorUserData]) {
          try {
            decode(buf);
          } catch (err) {
            assert.ok(isProtocolError(err), String(err));
          }
        }
      }),
      { numRuns: 2000 },
    );
  });
});
