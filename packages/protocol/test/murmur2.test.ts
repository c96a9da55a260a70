// Tests for murmur2.ts: the hash must equal the Java client's Utils.murmur2 bit for bit, or keyed
// records would land on other partitions than Java producers put them.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { murmur2, partitionForKey, toPositive } from '../src/murmur2.ts';

// Apache Kafka, clients/src/test/java/org/apache/kafka/common/utils/UtilsTest.java, testMurmur2.
const KAFKA_UTILS_TEST: Record<string, number> = {
  '21': -973932308,
  foobar: -790332482,
  'a-little-bit-long-string': -985981536,
  'a-little-bit-longer-string': -1486304829,
  lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8: -58897971,
  abc: 479470107,
};

// KafkaJS, src/producer/partitioners/defaultJava/murmur2.spec.js: values printed by the Java client
// (its Test.java next to the spec).
const KAFKAJS_JAVA_GENERATED: Record<string, number> = {
  '0': 971027396,
  '1': -1993445489,
  '128': -326012175,
  '2187': -1508407203,
  '16384': -325739742,
  '78125': -1654490814,
  '279936': 1462227128,
  '823543': -2014198330,
  '2097152': 607668903,
  '4782969': -1182699775,
  '10000000': -1830336757,
  '19487171': -1603849305,
  '35831808': -857013643,
  '62748517': -1167431028,
  '105413504': -381294639,
  '170859375': -1658323481,
  '100:48069': 1009543857,
};

describe('murmur2', () => {
  test("Kafka's UtilsTest vectors", () => {
    for (const [key, hash] of Object.entries(KAFKA_UTILS_TEST)) {
      assert.equal(murmur2(Buffer.from(key)), hash, key);
    }
  });

  test('Java-generated vectors from KafkaJS', () => {
    for (const [key, hash] of Object.entries(KAFKAJS_JAVA_GENERATED)) {
      assert.equal(murmur2(Buffer.from(key)), hash, key);
    }
  });

  test('empty key and tails of every length', () => {
    assert.equal(murmur2(new Uint8Array(0)), murmur2(Buffer.alloc(0)));
    for (let length = 0; length < 9; length++) {
      const value = murmur2(new Uint8Array(length).fill(0xff));
      assert.equal(value, value | 0);
    }
  });

  test('always a signed int32, any Uint8Array view', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (bytes) => {
        const hash = murmur2(bytes);
        assert.equal(hash, hash | 0);
        const padded = new Uint8Array(bytes.length + 3);
        padded.set(bytes, 3);
        assert.equal(murmur2(padded.subarray(3)), hash);
      }),
    );
  });
});

describe('partitionForKey', () => {
  test('toPositive clears the sign bit', () => {
    assert.equal(toPositive(-1), 0x7fffffff);
    assert.equal(toPositive(-0x80000000), 0);
    assert.equal(toPositive(5), 5);
  });

  test('known key -> partition pairs (from the Java hashes above)', () => {
    const cases: Array<[string, [number, number, number, number]]> = [
      ['0', [2, 2, 8, 46]],
      ['1', [0, 3, 3, 9]],
      ['128', [2, 5, 5, 23]],
      ['823543', [1, 4, 10, 18]],
      ['100:48069', [0, 3, 9, 7]],
      ['21', [0, 0, 0, 40]],
      ['foobar', [0, 0, 6, 16]],
      ['a-little-bit-longer-string', [2, 5, 11, 19]],
      ['abc', [0, 3, 3, 7]],
    ];
    for (const [key, expected] of cases) {
      const actual = [3, 6, 12, 50].map((n) => partitionForKey(Buffer.from(key), n));
      assert.deepEqual(actual, expected, key);
    }
  });

  test('result is in range', () => {
    fc.assert(
      fc.property(fc.uint8Array(), fc.integer({ min: 1, max: 10_000 }), (key, n) => {
        const partition = partitionForKey(key, n);
        assert.ok(Number.isInteger(partition) && partition >= 0 && partition < n);
      }),
    );
  });

  test('numPartitions must be a positive integer', () => {
    assert.throws(() => partitionForKey(Buffer.from('k'), 0), RangeError);
    assert.throws(() => partitionForKey(Buffer.from('k'), 1.5), RangeError);
  });
});
