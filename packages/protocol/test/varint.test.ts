// Tests for varint.ts: known encodings (Kafka's ByteUtilsTest values), round trips against a BigInt
// reference for the whole safe-integer range, and hostile input (truncated, overlong, out of range)
// that must fail as KafkaError(CORRUPT_MESSAGE), never as a RangeError.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { ErrorCode, KafkaError } from '../src/errors.ts';
import {
  ByteReader,
  readInt64BE,
  unsignedVarintSize,
  varintSize,
  varlongSize,
  writeInt64BE,
  writeUnsignedVarint,
  writeVarint,
  writeVarlong,
} from '../src/varint.ts';

function encodeVarint(value: number): Buffer {
  const buf = Buffer.alloc(5);
  return buf.subarray(0, writeVarint(buf, value, 0));
}

function encodeVarlong(value: number): Buffer {
  const buf = Buffer.alloc(10);
  return buf.subarray(0, writeVarlong(buf, value, 0));
}

/** Reference zigzag varlong encoder on BigInt, independent of the 32-bit word arithmetic. */
function referenceVarlong(value: bigint): Buffer {
  let zigzag = BigInt.asUintN(64, (value << 1n) ^ (value >> 63n));
  const bytes: number[] = [];
  while (zigzag >= 0x80n) {
    bytes.push(Number(zigzag & 0x7fn) | 0x80);
    zigzag >>= 7n;
  }
  bytes.push(Number(zigzag));
  return Buffer.from(bytes);
}

function isCorrupt(err: unknown): boolean {
  return KafkaError.is(err, ErrorCode.CORRUPT_MESSAGE);
}

describe('varint (zigzag int32)', () => {
  test('known encodings', () => {
    const cases: Array<[number, string]> = [
      [0, '00'],
      [-1, '01'],
      [1, '02'],
      [-2, '03'],
      [63, '7e'],
      [-64, '7f'],
      [64, '8001'],
      [-65, '8101'],
      [300, 'd804'],
      [0x7fffffff, 'feffffff0f'],
      [-0x80000000, 'ffffffff0f'],
    ];
    for (const [value, hex] of cases) {
      assert.equal(encodeVarint(value).toString('hex'), hex, `encode ${value}`);
      assert.equal(varintSize(value), hex.length / 2, `size ${value}`);
      assert.equal(new ByteReader(Buffer.from(hex, 'hex')).readVarint(), value, `decode ${value}`);
    }
  });

  test('round trip and size for every int32', () => {
    fc.assert(
      fc.property(fc.integer({ min: -0x80000000, max: 0x7fffffff }), (value) => {
        const bytes = encodeVarint(value);
        assert.equal(bytes.length, varintSize(value));
        const reader = new ByteReader(bytes);
        assert.equal(reader.readVarint(), value);
        assert.equal(reader.pos, bytes.length);
      }),
      { numRuns: 2000 },
    );
  });

  test('writers return the new offset and write at the offset', () => {
    const buf = Buffer.alloc(8, 0xaa);
    assert.equal(writeVarint(buf, 300, 3), 5);
    assert.equal(buf.toString('hex'), 'aaaaaad804aaaaaa');
  });

  test('writing a non-int32 or past the buffer is a RangeError', () => {
    assert.throws(() => writeVarint(Buffer.alloc(5), 2 ** 31, 0), RangeError);
    assert.throws(() => writeVarint(Buffer.alloc(5), 1.5, 0), RangeError);
    assert.throws(() => writeVarint(Buffer.alloc(2), 0x7fffffff, 0), RangeError);
    assert.throws(() => varintSize(2 ** 40), RangeError);
  });

  test('every truncation of an encoding is CORRUPT_MESSAGE', () => {
    for (const value of [64, 300, 0x7fffffff, -0x80000000]) {
      const bytes = encodeVarint(value);
      for (let cut = 0; cut < bytes.length; cut++) {
        assert.throws(() => new ByteReader(bytes.subarray(0, cut)).readVarint(), isCorrupt);
      }
    }
  });

  test('a reader bounded by `end` does not read past it', () => {
    const bytes = Buffer.from('d804', 'hex');
    assert.throws(() => new ByteReader(bytes, 0, 1).readVarint(), isCorrupt);
  });

  test('more than 5 bytes is CORRUPT_MESSAGE', () => {
    assert.throws(() => new ByteReader(Buffer.from('808080808000', 'hex')).readVarint(), isCorrupt);
    assert.throws(() => new ByteReader(Buffer.from('ffffffffff01', 'hex')).readVarint(), isCorrupt);
  });
});

describe('unsigned varint', () => {
  test('round trip', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 0xffffffff }), (value) => {
        const buf = Buffer.alloc(5);
        const end = writeUnsignedVarint(buf, value, 0);
        assert.equal(end, unsignedVarintSize(value));
        assert.equal(new ByteReader(buf, 0, end).readUnsignedVarint(), value);
      }),
    );
  });

  test('known encodings', () => {
    const buf = Buffer.alloc(5);
    assert.equal(buf.subarray(0, writeUnsignedVarint(buf, 300, 0)).toString('hex'), 'ac02');
    assert.equal(buf.subarray(0, writeUnsignedVarint(buf, 0xffffffff, 0)).toString('hex'), 'ffffffff0f');
    assert.throws(() => unsignedVarintSize(-1), RangeError);
  });
});

describe('varlong (zigzag int64 as number)', () => {
  test('known encodings', () => {
    const cases: Array<[number, string]> = [
      [0, '00'],
      [-1, '01'],
      [1, '02'],
      [2 ** 31, '8080808010'],
      [-(2 ** 31) - 1, '8180808010'],
      [1_600_000_000_000, '8080f4f6905d'],
      [Number.MAX_SAFE_INTEGER, 'feffffffffffff1f'],
      [Number.MIN_SAFE_INTEGER, 'fdffffffffffff1f'],
    ];
    for (const [value, hex] of cases) {
      assert.equal(encodeVarlong(value).toString('hex'), referenceVarlong(BigInt(value)).toString('hex'));
      assert.equal(encodeVarlong(value).toString('hex'), hex, `encode ${value}`);
      assert.equal(varlongSize(value), hex.length / 2, `size ${value}`);
      assert.equal(new ByteReader(Buffer.from(hex, 'hex')).readVarlong(), value, `decode ${value}`);
    }
  });

  test('matches the BigInt reference and round trips over the safe range', () => {
    fc.assert(
      fc.property(fc.maxSafeInteger(), (value) => {
        const bytes = encodeVarlong(value);
        assert.deepEqual(bytes, referenceVarlong(BigInt(value)));
        assert.equal(bytes.length, varlongSize(value));
        const reader = new ByteReader(bytes);
        assert.equal(reader.readVarlong(), value);
        assert.equal(reader.pos, bytes.length);
      }),
      { numRuns: 2000 },
    );
  });

  test('-(2^53) decodes exactly (beyond safe, still exact)', () => {
    assert.equal(new ByteReader(referenceVarlong(-(2n ** 53n))).readVarlong(), -(2 ** 53));
  });

  test('values of 2^53 and beyond are CORRUPT_MESSAGE, not rounded', () => {
    for (const big of [2n ** 53n, -(2n ** 53n) - 1n, 2n ** 62n, -(2n ** 63n), 2n ** 63n - 1n]) {
      assert.throws(() => new ByteReader(referenceVarlong(big)).readVarlong(), isCorrupt, String(big));
    }
  });

  test('unsafe numbers are refused on write', () => {
    assert.throws(() => writeVarlong(Buffer.alloc(10), 2 ** 53, 0), RangeError);
    assert.throws(() => writeVarlong(Buffer.alloc(10), 0.5, 0), RangeError);
    assert.throws(() => varlongSize(Number.NaN), RangeError);
  });

  test('every truncation is CORRUPT_MESSAGE; more than 10 bytes is CORRUPT_MESSAGE', () => {
    const bytes = encodeVarlong(Number.MAX_SAFE_INTEGER);
    for (let cut = 0; cut < bytes.length; cut++) {
      assert.throws(() => new ByteReader(bytes.subarray(0, cut)).readVarlong(), isCorrupt);
    }
    assert.throws(
      () => new ByteReader(Buffer.from('8080808080808080808000', 'hex')).readVarlong(),
      isCorrupt,
    );
  });

  test('random bytes either decode or fail as CORRUPT_MESSAGE', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 12 }), (bytes) => {
        for (const read of ['readVarint', 'readVarlong', 'readUnsignedVarint'] as const) {
          try {
            new ByteReader(Buffer.from(bytes))[read]();
          } catch (err) {
            assert.ok(isCorrupt(err), String(err));
          }
        }
      }),
    );
  });
});

describe('int64 as number', () => {
  test('round trip against Buffer BigInt reads', () => {
    fc.assert(
      fc.property(fc.maxSafeInteger(), (value) => {
        const buf = Buffer.alloc(8);
        assert.equal(writeInt64BE(buf, value, 0), 8);
        assert.equal(buf.readBigInt64BE(0), BigInt(value));
        assert.equal(readInt64BE(buf, 0), value);
      }),
    );
  });

  test('-1 is all ones', () => {
    const buf = Buffer.alloc(8);
    writeInt64BE(buf, -1, 0);
    assert.equal(buf.toString('hex'), 'ffffffffffffffff');
  });
});

describe('ByteReader', () => {
  test('fixed-width reads advance and bound-check', () => {
    const buf = Buffer.from('ff00010000000200000003ffffffff000000000000000a6869', 'hex');
    const reader = new ByteReader(buf);
    assert.equal(reader.readInt8(), -1);
    assert.equal(reader.readInt16(), 1);
    assert.equal(reader.readInt32(), 2);
    assert.equal(reader.readInt32(), 3);
    assert.equal(reader.readUInt32(), 0xffffffff);
    assert.equal(reader.readInt64(), 10);
    assert.equal(reader.readBytes(2).toString(), 'hi');
    assert.equal(reader.remaining, 0);
    assert.throws(() => reader.readInt8(), isCorrupt);
    assert.throws(() => reader.readBytes(1), isCorrupt);
  });

  test('readBytes returns a view', () => {
    const buf = Buffer.from('abcd');
    const view = new ByteReader(buf).readBytes(2);
    buf[0] = 0x7a;
    assert.equal(view.toString(), 'zb');
  });

  test('a huge length is refused before any allocation', () => {
    const reader = new ByteReader(Buffer.alloc(4));
    assert.throws(() => reader.readBytes(0x7fffffff), isCorrupt);
    assert.throws(() => reader.skip(2 ** 40), isCorrupt);
  });

  test('constructor bounds are a RangeError', () => {
    assert.throws(() => new ByteReader(Buffer.alloc(2), 0, 3), RangeError);
    assert.throws(() => new ByteReader(Buffer.alloc(2), 2, 1), RangeError);
  });
});
