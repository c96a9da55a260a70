// Tests for record-batch.ts: a hand-computed fixture, round trips of random batches, corruption
// (every byte under the CRC, truncation, hostile lengths behind a valid CRC) that must end as a typed
// KafkaError, offset-gap batches as compaction leaves them, and in-place stamping.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { crc32c } from '../src/crc32c.ts';
import { ErrorCode, KafkaError } from '../src/errors.ts';
import {
  ATTRIBUTES_OFFSET,
  BASE_OFFSET_OFFSET,
  BASE_SEQUENCE_OFFSET,
  BATCH_LENGTH_OFFSET,
  batchesIn,
  batchSizeAt,
  CRC_OFFSET,
  compressionCodecOf,
  decodeRecords,
  encodeRecordBatch,
  FIRST_TIMESTAMP_OFFSET,
  forEachRecord,
  isControlBatch,
  isTransactionalBatch,
  LAST_OFFSET_DELTA_OFFSET,
  LOG_OVERHEAD,
  MAGIC_OFFSET,
  MAX_TIMESTAMP_OFFSET,
  PARTITION_LEADER_EPOCH_OFFSET,
  PRODUCER_EPOCH_OFFSET,
  PRODUCER_ID_OFFSET,
  RECORD_BATCH_HEADER_BYTES,
  RECORD_COUNT_OFFSET,
  RECORDS_OFFSET,
  RecordBatchBuilder,
  type RecordInput,
  readBatchHeader,
  recordBytesUpperBound,
  setBaseOffset,
  setLogAppendTime,
  setPartitionLeaderEpoch,
  timestampTypeOf,
  validateRecordBatch,
} from '../src/record-batch.ts';
import { writeVarint } from '../src/varint.ts';

const isCorrupt = (err: unknown) => KafkaError.is(err, ErrorCode.CORRUPT_MESSAGE);

/** Rewrites the CRC after a test edits bytes under it, so the structural checks are what is tested. */
function recrc(buf: Buffer, position = 0): Buffer {
  const end = position + LOG_OVERHEAD + buf.readInt32BE(position + BATCH_LENGTH_OFFSET);
  buf.writeUInt32BE(crc32c(buf, position + ATTRIBUTES_OFFSET, end), position + CRC_OFFSET);
  return buf;
}

function validateWhole(buf: Buffer): void {
  validateRecordBatch(buf, 0, buf.length);
}

const FIXTURE_RECORDS: RecordInput[] = [
  {
    key: Buffer.from('k'),
    value: Buffer.from('v'),
    timestamp: 1000,
    headers: [{ key: 'h', value: Buffer.from('x') }],
  },
  { key: null, value: null, timestamp: 1005 },
];

// Computed by hand field by field (CRC with a bitwise CRC-32C), independent of the encoder.
const FIXTURE_HEX = [
  '0000000000000000', // baseOffset 0
  '00000045', // batchLength 69 = 81 - 12
  'ffffffff', // partitionLeaderEpoch -1
  '02', // magic
  'bc161909', // crc
  '0000', // attributes: CreateTime, no compression
  '00000001', // lastOffsetDelta
  '00000000000003e8', // firstTimestamp 1000
  '00000000000003ed', // maxTimestamp 1005
  'ffffffffffffffff', // producerId -1
  'ffff', // producerEpoch -1
  'ffffffff', // baseSequence -1
  '00000002', // recordCount
  // record 0: length 12, attributes, tsDelta 0, offsetDelta 0, key "k", value "v", 1 header h=x
  '18' + '00' + '00' + '00' + '026b' + '0276' + '02' + '0268' + '0278',
  // record 1: length 6, attributes, tsDelta 5, offsetDelta 1, key null, value null, 0 headers
  '0c' + '00' + '0a' + '02' + '01' + '01' + '00',
].join('');

describe('layout constants', () => {
  test('offsets of the v2 header', () => {
    assert.equal(BASE_OFFSET_OFFSET, 0);
    assert.equal(BATCH_LENGTH_OFFSET, 8);
    assert.equal(LOG_OVERHEAD, 12);
    assert.equal(PARTITION_LEADER_EPOCH_OFFSET, 12);
    assert.equal(MAGIC_OFFSET, 16);
    assert.equal(CRC_OFFSET, 17);
    assert.equal(ATTRIBUTES_OFFSET, 21);
    assert.equal(LAST_OFFSET_DELTA_OFFSET, 23);
    assert.equal(FIRST_TIMESTAMP_OFFSET, 27);
    assert.equal(MAX_TIMESTAMP_OFFSET, 35);
    assert.equal(PRODUCER_ID_OFFSET, 43);
    assert.equal(PRODUCER_EPOCH_OFFSET, 51);
    assert.equal(BASE_SEQUENCE_OFFSET, 53);
    assert.equal(RECORD_COUNT_OFFSET, 57);
    assert.equal(RECORDS_OFFSET, 61);
    assert.equal(RECORD_BATCH_HEADER_BYTES, 61);
  });
});

describe('encodeRecordBatch', () => {
  test('matches the hand-computed fixture byte for byte', () => {
    assert.equal(encodeRecordBatch(FIXTURE_RECORDS).toString('hex'), FIXTURE_HEX);
  });

  test('the fixture validates and decodes', () => {
    const buf = Buffer.from(FIXTURE_HEX, 'hex');
    const header = validateRecordBatch(buf, 0, buf.length);
    assert.deepEqual(header, {
      baseOffset: 0,
      batchLength: 69,
      partitionLeaderEpoch: -1,
      magic: 2,
      crc: 0xbc161909,
      attributes: 0,
      lastOffsetDelta: 1,
      firstTimestamp: 1000,
      maxTimestamp: 1005,
      producerId: -1,
      producerEpoch: -1,
      baseSequence: -1,
      recordCount: 2,
    });
    assert.deepEqual(decodeRecords(buf), [
      {
        offset: 0,
        timestamp: 1000,
        key: Buffer.from('k'),
        value: Buffer.from('v'),
        headers: [{ key: 'h', value: Buffer.from('x') }],
      },
      { offset: 1, timestamp: 1005, key: null, value: null, headers: [] },
    ]);
  });

  test('options land in the header', () => {
    const buf = encodeRecordBatch([{ value: Buffer.from('a') }], {
      baseOffset: 2 ** 40,
      partitionLeaderEpoch: 7,
      producerId: 123456789012,
      producerEpoch: 3,
      baseSequence: 99,
      isTransactional: true,
    });
    const header = validateRecordBatch(buf, 0, buf.length);
    assert.equal(header.baseOffset, 2 ** 40);
    assert.equal(header.partitionLeaderEpoch, 7);
    assert.equal(header.producerId, 123456789012);
    assert.equal(header.producerEpoch, 3);
    assert.equal(header.baseSequence, 99);
    assert.equal(isTransactionalBatch(header.attributes), true);
    assert.equal(isControlBatch(header.attributes), false);
    assert.equal(compressionCodecOf(header.attributes), 0);
    assert.equal(timestampTypeOf(header.attributes), 'CreateTime');
    assert.equal(decodeRecords(buf)[0]?.offset, 2 ** 40);
  });

  test('timestamps default to now; first and max timestamps', () => {
    const before = Date.now();
    const buf = encodeRecordBatch([
      { value: null },
      { value: null, timestamp: before + 10_000 },
      { value: null },
    ]);
    const after = Date.now();
    const header = readBatchHeader(buf);
    assert.ok(header.firstTimestamp >= before && header.firstTimestamp <= after);
    assert.equal(header.maxTimestamp, before + 10_000);
    const records = decodeRecords(buf);
    assert.equal(records[0]?.timestamp, header.firstTimestamp);
    assert.equal(records[2]?.timestamp, header.firstTimestamp);
  });

  test('records earlier than the first give negative deltas', () => {
    const buf = encodeRecordBatch([
      { value: null, timestamp: 5000 },
      { value: null, timestamp: 1000 },
    ]);
    validateWhole(buf);
    assert.equal(readBatchHeader(buf).maxTimestamp, 5000);
    assert.deepEqual(
      decodeRecords(buf).map((r) => r.timestamp),
      [5000, 1000],
    );
  });

  test('LogAppendTime: attribute bit set, every record reads maxTimestamp', () => {
    const buf = encodeRecordBatch(
      [
        { value: null, timestamp: 10 },
        { value: null, timestamp: 30 },
        { value: null, timestamp: 20 },
      ],
      { timestampType: 'LogAppendTime' },
    );
    const header = validateRecordBatch(buf, 0, buf.length);
    assert.equal(timestampTypeOf(header.attributes), 'LogAppendTime');
    assert.deepEqual(
      decodeRecords(buf).map((r) => r.timestamp),
      [30, 30, 30],
    );
  });

  test('utf-8 header keys and empty (not null) values', () => {
    const input: RecordInput[] = [
      {
        key: Buffer.alloc(0),
        value: Buffer.alloc(0),
        headers: [
          { key: 'ключ-🔑', value: Buffer.alloc(0) },
          { key: '', value: null },
        ],
      },
    ];
    const buf = encodeRecordBatch(input);
    validateWhole(buf);
    const [record] = decodeRecords(buf);
    assert.deepEqual(record?.key, Buffer.alloc(0));
    assert.deepEqual(record?.value, Buffer.alloc(0));
    assert.deepEqual(record?.headers, [
      { key: 'ключ-🔑', value: Buffer.alloc(0) },
      { key: '', value: null },
    ]);
  });

  test('deterministic: every byte of the allocation is written', () => {
    const input: RecordInput[] = [{ key: Buffer.from('k'), value: Buffer.from('v'), timestamp: 1 }];
    for (let i = 0; i < 50; i++) {
      Buffer.allocUnsafe(4096).fill(i); // dirty the pool
      assert.equal(encodeRecordBatch(input).toString('hex'), encodeRecordBatch(input).toString('hex'));
    }
  });

  test('refuses an empty batch and bad options', () => {
    assert.throws(() => encodeRecordBatch([]), RangeError);
    assert.throws(() => encodeRecordBatch([{ value: null }], { baseOffset: -1 }), RangeError);
    assert.throws(() => encodeRecordBatch([{ value: null }], { producerEpoch: 40000 }), RangeError);
    assert.throws(() => encodeRecordBatch([{ value: null }], { partitionLeaderEpoch: 2 ** 31 }), RangeError);
    assert.throws(() => encodeRecordBatch([{ value: null, timestamp: 1.5 }]), RangeError);
    assert.throws(
      () => encodeRecordBatch([{ value: null }], { compression: 'brotli' as 'none' }),
      (err: unknown) => KafkaError.is(err, ErrorCode.UNSUPPORTED_COMPRESSION_TYPE),
    );
  });
});

// --------------------------------------------------------------------------------------------------
// Random batches

const bytesArb = fc.uint8Array({ maxLength: 40 }).map((a) => Buffer.from(a));
const recordArb: fc.Arbitrary<RecordInput> = fc.record(
  {
    key: fc.option(bytesArb, { nil: null }),
    value: fc.option(bytesArb, { nil: null }),
    headers: fc.array(
      fc.record({
        key: fc.string({ maxLength: 12, unit: 'grapheme' }),
        value: fc.option(bytesArb, { nil: null }),
      }),
      { maxLength: 4 },
    ),
    timestamp: fc.integer({ min: 0, max: 2 ** 45 }),
  },
  { requiredKeys: ['value'] },
);
const recordsArb = fc.array(recordArb, { minLength: 1, maxLength: 12 });

describe('round trip', () => {
  test('encode -> validate -> decode returns the input', () => {
    fc.assert(
      fc.property(recordsArb, fc.integer({ min: 0, max: 2 ** 50 }), (records, baseOffset) => {
        const before = Date.now();
        const buf = encodeRecordBatch(records, { baseOffset });
        const after = Date.now();
        const header = validateRecordBatch(buf, 0, buf.length);
        assert.equal(header.recordCount, records.length);
        assert.equal(header.lastOffsetDelta, records.length - 1);
        const decoded = decodeRecords(buf);
        assert.equal(decoded.length, records.length);
        decoded.forEach((record, i) => {
          const input = records[i]!;
          assert.equal(record.offset, baseOffset + i);
          if (input.timestamp === undefined)
            assert.ok(record.timestamp >= before && record.timestamp <= after);
          else assert.equal(record.timestamp, input.timestamp);
          assert.deepEqual(record.key, input.key ?? null);
          assert.deepEqual(record.value, input.value);
          // fast-check builds null-prototype objects; compare as plain ones.
          const expectedHeaders = (input.headers ?? []).map((h) => ({ key: h.key, value: h.value }));
          assert.deepEqual(record.headers, expectedHeaders);
        });
      }),
      { numRuns: 300 },
    );
  });

  test('forEachRecord hands out the fields decodeRecords builds records of', () => {
    fc.assert(
      fc.property(recordsArb, fc.integer({ min: 0, max: 2 ** 40 }), (records, baseOffset) => {
        const buf = encodeRecordBatch(records, { baseOffset, compression: 'gzip' });
        const seen: unknown[] = [];
        forEachRecord(buf, 0, (offset, timestamp, key, value, headers) => {
          seen.push({ offset, timestamp, key, value, headers });
        });
        assert.deepEqual(seen, decodeRecords(buf));
      }),
      { numRuns: 100 },
    );
  });

  test('keys and values are views into the batch, not copies', () => {
    const buf = encodeRecordBatch([{ key: Buffer.from('key'), value: Buffer.from('value') }]);
    const [record] = decodeRecords(buf);
    assert.equal(record?.key?.buffer, buf.buffer);
    assert.equal(record?.value?.buffer, buf.buffer);
  });
});

// --------------------------------------------------------------------------------------------------
// Corruption

describe('RecordBatchBuilder', () => {
  test('a builder that grows from one byte writes the same batch as encodeRecordBatch', () => {
    fc.assert(
      fc.property(recordsArb, (records) => {
        const now = Date.now();
        const stamped = records.map((r) => ({ ...r, timestamp: r.timestamp ?? now }));
        const builder = new RecordBatchBuilder(1);
        let appended = 0;
        for (const r of stamped) {
          const bytes = builder.append(r.timestamp, r.key ?? null, r.value, r.headers);
          assert.ok(
            bytes <= recordBytesUpperBound(r.key ?? null, r.value, r.headers),
            'within the upper bound',
          );
          appended += bytes;
        }
        assert.equal(builder.recordCount, stamped.length);
        assert.equal(builder.sizeBytes, RECORD_BATCH_HEADER_BYTES + appended);
        const built = builder.build({ producerId: 7, producerEpoch: 1, baseSequence: 3 });
        assert.deepEqual(
          built,
          encodeRecordBatch(stamped, { producerId: 7, producerEpoch: 1, baseSequence: 3 }),
        );
      }),
      { numRuns: 200 },
    );
  });

  test('compressed builds decode to the appended records', () => {
    const builder = new RecordBatchBuilder(64);
    for (let i = 0; i < 100; i++) builder.append(1000 + i, null, Buffer.from(`value-${i}`));
    const built = builder.build({ compression: 'gzip' });
    assert.equal(compressionCodecOf(readBatchHeader(built).attributes), 1);
    assert.deepEqual(
      decodeRecords(built).map((r) => r.value?.toString()),
      Array.from({ length: 100 }, (_, i) => `value-${i}`),
    );
  });

  test('builds once: no append after build, no second build, no empty batch', () => {
    assert.throws(() => new RecordBatchBuilder().build(), RangeError);
    const builder = new RecordBatchBuilder();
    builder.append(1, null, Buffer.from('x'));
    builder.build();
    assert.throws(() => builder.append(2, null, null), /append after build/);
    assert.throws(() => builder.build(), /built twice/);
    assert.throws(() => new RecordBatchBuilder().append(1.5, null, null), RangeError);
  });
});

describe('validateRecordBatch refuses corruption', () => {
  test('any byte changed under the CRC is CORRUPT_MESSAGE', () => {
    fc.assert(
      fc.property(recordsArb, fc.nat(), fc.integer({ min: 1, max: 255 }), (records, at, xor) => {
        const buf = encodeRecordBatch(records);
        const index = ATTRIBUTES_OFFSET + (at % (buf.length - ATTRIBUTES_OFFSET));
        buf[index] = buf[index]! ^ xor;
        assert.throws(() => validateWhole(buf), isCorrupt);
      }),
      { numRuns: 500 },
    );
  });

  test('every byte of the fixture, flipped, under the CRC or in the CRC', () => {
    const clean = Buffer.from(FIXTURE_HEX, 'hex');
    for (let index = CRC_OFFSET; index < clean.length; index++) {
      const buf = Buffer.from(clean);
      buf[index] = buf[index]! ^ 0x01;
      assert.throws(() => validateWhole(buf), isCorrupt, `byte ${index}`);
    }
  });

  test('baseOffset and partitionLeaderEpoch are outside the CRC', () => {
    const buf = Buffer.from(FIXTURE_HEX, 'hex');
    for (let index = 0; index < MAGIC_OFFSET; index++) {
      if (index >= BATCH_LENGTH_OFFSET && index < PARTITION_LEADER_EPOCH_OFFSET) continue;
      buf[index] = buf[index]! ^ 0x40;
    }
    assert.doesNotThrow(() => validateWhole(buf));
  });

  test('wrong magic is CORRUPT_MESSAGE naming the magic', () => {
    for (const magic of [0, 1, 3, -1]) {
      const buf = Buffer.from(FIXTURE_HEX, 'hex');
      buf.writeInt8(magic, MAGIC_OFFSET);
      assert.throws(
        () => validateWhole(buf),
        (err: unknown) => isCorrupt(err) && /magic/.test((err as Error).message),
      );
      assert.throws(() => decodeRecords(buf), isCorrupt);
    }
  });

  test('batchLength disagreeing with size is CORRUPT_MESSAGE', () => {
    const buf = Buffer.from(FIXTURE_HEX, 'hex');
    buf.writeInt32BE(70, BATCH_LENGTH_OFFSET);
    assert.throws(() => validateWhole(buf), isCorrupt);
    const padded = Buffer.concat([Buffer.from(FIXTURE_HEX, 'hex'), Buffer.alloc(1)]);
    assert.throws(() => validateRecordBatch(padded, 0, padded.length), isCorrupt);
  });

  test('every truncation is CORRUPT_MESSAGE, for validate and decode', () => {
    const whole = encodeRecordBatch([
      { key: Buffer.from('a'), value: Buffer.from('bb'), headers: [{ key: 'c', value: Buffer.from('d') }] },
      { value: Buffer.from('eee') },
    ]);
    for (let cut = 0; cut < whole.length; cut++) {
      const part = whole.subarray(0, cut);
      assert.throws(() => validateRecordBatch(part, 0, cut), isCorrupt, `size ${cut}`);
      assert.throws(() => validateRecordBatch(part, 0, whole.length), isCorrupt, `claimed ${cut}`);
      assert.throws(() => decodeRecords(part), isCorrupt, `decode ${cut}`);
    }
  });

  test('MESSAGE_TOO_LARGE above maxBatchBytes, fine at it', () => {
    const buf = Buffer.from(FIXTURE_HEX, 'hex');
    assert.throws(
      () => validateRecordBatch(buf, 0, buf.length, buf.length - 1),
      (err: unknown) => KafkaError.is(err, ErrorCode.MESSAGE_TOO_LARGE),
    );
    assert.doesNotThrow(() => validateRecordBatch(buf, 0, buf.length, buf.length));
  });

  test('a codec bit over records that are not compressed, and codec ids 5-7: CORRUPT_MESSAGE', () => {
    // Before the codecs landed codecs 1-4 answered UNSUPPORTED_COMPRESSION_TYPE; now the section must
    // decompress, and plain records under a codec bit do not.
    for (let codec = 1; codec <= 7; codec++) {
      const buf = Buffer.from(FIXTURE_HEX, 'hex');
      buf.writeInt16BE(codec, ATTRIBUTES_OFFSET);
      recrc(buf);
      const matches = (err: unknown) => KafkaError.is(err, ErrorCode.CORRUPT_MESSAGE);
      assert.throws(() => validateWhole(buf), matches, `codec ${codec}`);
      assert.throws(() => decodeRecords(buf), matches, `codec ${codec}`);
    }
  });

  test('record count or lastOffsetDelta that disagree with the records', () => {
    for (const [offset, value] of [
      [RECORD_COUNT_OFFSET, 3],
      [RECORD_COUNT_OFFSET, 1],
      [RECORD_COUNT_OFFSET, 0],
      [RECORD_COUNT_OFFSET, -1],
      [RECORD_COUNT_OFFSET, 0x7fffffff],
      [LAST_OFFSET_DELTA_OFFSET, 2],
      [LAST_OFFSET_DELTA_OFFSET, 0],
      [LAST_OFFSET_DELTA_OFFSET, -1],
    ] as const) {
      const buf = Buffer.from(FIXTURE_HEX, 'hex');
      buf.writeInt32BE(value, offset);
      recrc(buf);
      assert.throws(() => validateWhole(buf), isCorrupt, `${offset}=${value}`);
    }
  });

  test('hostile lengths behind a valid CRC are CORRUPT_MESSAGE, not allocations', () => {
    // Record 0 starts at 61: [61] length, [62] attrs, [63] tsDelta, [64] offsetDelta, [65] keyLength.
    const patches: Array<[number, number]> = [
      [61, 0x7fffffff], // record length
      [61, -5], // negative record length
      [65, 0x7fffffff], // key length
      [65, -2], // key length below -1
    ];
    for (const [at, value] of patches) {
      const base = Buffer.from(FIXTURE_HEX, 'hex');
      // Replace one varint byte with a multi-byte varint, keeping batchLength consistent.
      const varint = Buffer.alloc(5);
      const n = writeVarint(varint, value, 0);
      const buf = Buffer.concat([base.subarray(0, at), varint.subarray(0, n), base.subarray(at + 1)]);
      buf.writeInt32BE(buf.length - LOG_OVERHEAD, BATCH_LENGTH_OFFSET);
      recrc(buf);
      assert.throws(() => validateWhole(buf), isCorrupt, `patch ${at}=${value}`);
      assert.throws(() => decodeRecords(buf), isCorrupt, `decode patch ${at}=${value}`);
    }
  });

  test('huge header count is refused', () => {
    const buf = encodeRecordBatch([{ value: null, timestamp: 0 }]);
    // Record: [61] length 6, [62] attrs, [63] ts, [64] offsetDelta, [65] key -1, [66] value -1, [67] headers.
    buf[67] = 0x7e; // 63 headers in 0 bytes
    recrc(buf);
    assert.throws(() => validateWhole(buf), isCorrupt);
  });

  test('bytes after the last record are refused', () => {
    const base = encodeRecordBatch([{ value: null, timestamp: 0 }]);
    const buf = Buffer.concat([base, Buffer.alloc(7)]);
    buf.writeInt32BE(buf.length - LOG_OVERHEAD, BATCH_LENGTH_OFFSET);
    recrc(buf);
    assert.throws(() => validateWhole(buf), isCorrupt);
  });

  test('random edits behind a valid CRC: valid, or a typed KafkaError, never anything else', () => {
    fc.assert(
      fc.property(
        recordsArb,
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 4 }),
        (records, edits) => {
          const buf = encodeRecordBatch(records);
          for (const [at, byte] of edits)
            buf[ATTRIBUTES_OFFSET + (at % (buf.length - ATTRIBUTES_OFFSET))] = byte;
          recrc(buf);
          for (const run of [() => validateWhole(buf), () => decodeRecords(buf)]) {
            try {
              run();
            } catch (err) {
              assert.ok(err instanceof KafkaError, `untyped ${String(err)}`);
              assert.ok(
                err.code === ErrorCode.CORRUPT_MESSAGE || err.code === ErrorCode.UNSUPPORTED_COMPRESSION_TYPE,
                err.message,
              );
            }
          }
        },
      ),
      { numRuns: 1000 },
    );
  });
});

// --------------------------------------------------------------------------------------------------
// Offset gaps (compaction)

/** Encodes three records and cuts out the middle one, as log compaction would. */
function batchWithGap(): Buffer {
  const full = encodeRecordBatch([
    { key: Buffer.from('a'), value: Buffer.from('1'), timestamp: 100 },
    { key: Buffer.from('b'), value: Buffer.from('2'), timestamp: 100 },
    { key: Buffer.from('c'), value: Buffer.from('3'), timestamp: 100 },
  ]);
  // Each record here is 1 (length) + 8 bytes.
  const recordBytes = 9;
  const buf = Buffer.concat([
    full.subarray(0, RECORDS_OFFSET + recordBytes),
    full.subarray(RECORDS_OFFSET + 2 * recordBytes),
  ]);
  assert.equal(buf.length, full.length - recordBytes);
  buf.writeInt32BE(buf.length - LOG_OVERHEAD, BATCH_LENGTH_OFFSET);
  buf.writeInt32BE(2, RECORD_COUNT_OFFSET);
  return recrc(buf);
}

describe('offset gaps', () => {
  test('refused by default, accepted with allowOffsetGaps, decoded with real offsets', () => {
    const buf = batchWithGap();
    assert.throws(() => validateWhole(buf), isCorrupt);
    const header = validateRecordBatch(buf, 0, buf.length, undefined, { allowOffsetGaps: true });
    assert.equal(header.lastOffsetDelta, 2);
    assert.deepEqual(
      decodeRecords(buf).map((r) => [r.offset, r.key?.toString()]),
      [
        [0, 'a'],
        [2, 'c'],
      ],
    );
  });

  test('an empty batch (all records compacted away) is valid only with allowOffsetGaps', () => {
    const full = encodeRecordBatch([{ value: null, timestamp: 0 }]);
    const buf = Buffer.from(full.subarray(0, RECORDS_OFFSET));
    buf.writeInt32BE(buf.length - LOG_OVERHEAD, BATCH_LENGTH_OFFSET);
    buf.writeInt32BE(0, RECORD_COUNT_OFFSET);
    recrc(buf);
    assert.throws(() => validateWhole(buf), isCorrupt);
    assert.doesNotThrow(() => validateRecordBatch(buf, 0, buf.length, undefined, { allowOffsetGaps: true }));
    assert.deepEqual(decodeRecords(buf), []);
  });

  test('offset deltas must still increase and stay within lastOffsetDelta', () => {
    const buf = batchWithGap();
    buf.writeInt32BE(1, LAST_OFFSET_DELTA_OFFSET); // second record has delta 2
    recrc(buf);
    assert.throws(
      () => validateRecordBatch(buf, 0, buf.length, undefined, { allowOffsetGaps: true }),
      isCorrupt,
    );
    assert.throws(() => decodeRecords(buf), isCorrupt);
  });
});

// --------------------------------------------------------------------------------------------------
// Framing

describe('batchSizeAt and batchesIn', () => {
  test('batchSizeAt', () => {
    const buf = Buffer.from(FIXTURE_HEX, 'hex');
    assert.equal(batchSizeAt(buf, 0), 81);
    assert.equal(batchSizeAt(buf.subarray(0, 12), 0), 81);
    assert.equal(batchSizeAt(buf.subarray(0, 11), 0), null);
    assert.equal(batchSizeAt(buf, 70), null);
    const bad = Buffer.from(buf);
    bad.writeInt32BE(48, BATCH_LENGTH_OFFSET);
    assert.throws(() => batchSizeAt(bad, 0), isCorrupt);
    bad.writeInt32BE(-1, BATCH_LENGTH_OFFSET);
    assert.throws(() => batchSizeAt(bad, 0), isCorrupt);
  });

  test('batchesIn walks concatenated batches and stops at a trailing partial one', () => {
    const batches = [
      encodeRecordBatch([{ value: Buffer.from('a') }], { baseOffset: 0 }),
      encodeRecordBatch([{ value: Buffer.from('b') }, { value: Buffer.from('c') }], { baseOffset: 1 }),
      encodeRecordBatch([{ value: Buffer.from('d') }], { baseOffset: 3 }),
    ];
    const whole = Buffer.concat(batches);
    const found = [...batchesIn(whole)];
    assert.deepEqual(
      found.map((b) => [b.position, b.size, b.header.baseOffset]),
      [
        [0, batches[0]!.length, 0],
        [batches[0]!.length, batches[1]!.length, 1],
        [batches[0]!.length + batches[1]!.length, batches[2]!.length, 3],
      ],
    );
    for (const { position, size } of found) validateRecordBatch(whole, position, size);

    const fourth = encodeRecordBatch([{ value: Buffer.from('e') }], { baseOffset: 4 });
    for (let cut = 0; cut < fourth.length; cut++) {
      const withPartial = Buffer.concat([whole, fourth.subarray(0, cut)]);
      assert.equal([...batchesIn(withPartial)].length, 3, `partial of ${cut} bytes`);
    }
    assert.deepEqual([...batchesIn(Buffer.alloc(0))], []);
  });

  test('readBatchHeader on fewer than 61 bytes is CORRUPT_MESSAGE', () => {
    assert.throws(() => readBatchHeader(Buffer.alloc(60)), isCorrupt);
    assert.throws(() => readBatchHeader(Buffer.from(FIXTURE_HEX, 'hex'), 30), isCorrupt);
  });
});

// --------------------------------------------------------------------------------------------------
// Stamping

describe('in-place stamping', () => {
  test('setBaseOffset keeps the CRC valid and moves every offset, exact up to 2^53', () => {
    const buf = encodeRecordBatch([{ value: null }, { value: null }]);
    const crc = buf.readUInt32BE(CRC_OFFSET);
    setBaseOffset(buf, 0, Number.MAX_SAFE_INTEGER - 1);
    assert.equal(buf.readUInt32BE(CRC_OFFSET), crc);
    assert.equal(validateRecordBatch(buf, 0, buf.length).baseOffset, Number.MAX_SAFE_INTEGER - 1);
    assert.deepEqual(
      decodeRecords(buf).map((r) => r.offset),
      [Number.MAX_SAFE_INTEGER - 1, Number.MAX_SAFE_INTEGER],
    );
    assert.throws(() => setBaseOffset(buf, 0, -1), RangeError);
  });

  test('setPartitionLeaderEpoch keeps the CRC valid', () => {
    const buf = encodeRecordBatch([{ value: null }]);
    setPartitionLeaderEpoch(buf, 0, 42);
    assert.equal(validateRecordBatch(buf, 0, buf.length).partitionLeaderEpoch, 42);
  });

  test('setLogAppendTime sets the bit and maxTimestamp, rewrites the CRC, keeps the rest', () => {
    const buf = encodeRecordBatch(
      [
        { value: null, timestamp: 1000 },
        { value: null, timestamp: 2000 },
      ],
      { isTransactional: true, producerId: 5, producerEpoch: 1, baseSequence: 0 },
    );
    setLogAppendTime(buf, 0, 9_999_999);
    const header = validateRecordBatch(buf, 0, buf.length);
    assert.equal(timestampTypeOf(header.attributes), 'LogAppendTime');
    assert.equal(isTransactionalBatch(header.attributes), true);
    assert.equal(header.maxTimestamp, 9_999_999);
    assert.equal(header.firstTimestamp, 1000);
    assert.deepEqual(
      decodeRecords(buf).map((r) => r.timestamp),
      [9_999_999, 9_999_999],
    );
    const again = Buffer.from(buf);
    setLogAppendTime(again, 0, 9_999_999);
    assert.deepEqual(again, buf);
  });

  test('stamping a batch in the middle of a buffer touches only that batch', () => {
    const a = encodeRecordBatch([{ value: Buffer.from('a') }]);
    const b = encodeRecordBatch([{ value: Buffer.from('b') }]);
    const buf = Buffer.concat([a, b]);
    setBaseOffset(buf, a.length, 10);
    setPartitionLeaderEpoch(buf, a.length, 3);
    setLogAppendTime(buf, a.length, 77);
    assert.deepEqual(buf.subarray(0, a.length), a);
    const [, second] = [...batchesIn(buf)];
    assert.ok(second);
    const header = validateRecordBatch(buf, second.position, second.size);
    assert.deepEqual([header.baseOffset, header.partitionLeaderEpoch, header.maxTimestamp], [10, 3, 77]);
  });

  test('stamping outside a whole batch is a RangeError', () => {
    const buf = encodeRecordBatch([{ value: null }]);
    assert.throws(() => setBaseOffset(buf, buf.length - 60, 0), RangeError);
    assert.throws(() => setPartitionLeaderEpoch(buf.subarray(0, 60), 0, 0), RangeError);
    assert.throws(() => setLogAppendTime(buf.subarray(0, buf.length - 1), 0, 0), RangeError);
  });
});
