// The compression codecs: every codec round-trips through encodeRecordBatch / validateRecordBatch /
// decodeRecords, writes Kafka's byte formats (xerial snappy framing, LZ4 frames, gzip and zstd frames),
// reads bare snappy blocks too, and refuses input that inflates past its bound.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import zlib from 'node:zlib';
import { compressSync as snappyCompress } from 'snappy';
import {
  COMPRESSION_TYPES,
  CompressionCodec,
  compressRecords,
  decompressRecordsSection,
} from '../src/compression.ts';
import { ErrorCode, KafkaError } from '../src/errors.ts';
import {
  compressionCodecOf,
  decodeRecords,
  encodeRecordBatch,
  RECORDS_OFFSET,
  readBatchHeader,
  validateRecordBatch,
} from '../src/record-batch.ts';

const records = Array.from({ length: 200 }, (_, i) => ({
  key: i % 3 === 0 ? null : Buffer.from(`key-${i}`),
  value: i % 7 === 0 ? null : Buffer.from(`value ${i} `.repeat(20)),
  headers: [{ key: 'h', value: Buffer.from(String(i)) }],
  timestamp: 1_700_000_000_000 + i,
}));

describe('compression codecs', () => {
  for (const type of COMPRESSION_TYPES) {
    test(`${type}: a batch round-trips and validates`, () => {
      const batch = encodeRecordBatch(records, { compression: type });
      const header = validateRecordBatch(batch, 0, batch.length);
      assert.equal(compressionCodecOf(header.attributes), CompressionCodec[type]);
      assert.equal(header.recordCount, records.length);
      if (type !== 'none') assert.ok(batch.length < encodeRecordBatch(records).length / 3, 'it compresses');
      const decoded = decodeRecords(batch);
      assert.equal(decoded.length, records.length);
      for (const [i, r] of decoded.entries()) {
        assert.equal(r.offset, i);
        assert.deepEqual(r.key, records[i]?.key);
        assert.deepEqual(r.value, records[i]?.value);
        assert.equal(r.timestamp, records[i]?.timestamp);
        assert.equal(r.headers[0]?.value?.toString(), String(i));
      }
    });
  }

  test("snappy writes xerial's framing, as Kafka's Java client does, and reads a bare block", () => {
    const batch = encodeRecordBatch(records, { compression: 'snappy' });
    const section = batch.subarray(RECORDS_OFFSET);
    assert.equal(section.subarray(0, 16).toString('hex'), '82534e4150505900' + '00000001' + '00000001');
    const plain = encodeRecordBatch(records).subarray(RECORDS_OFFSET);
    assert.deepEqual(decompressRecordsSection(section, CompressionCodec.snappy, 1 << 20), plain);
    assert.deepEqual(
      decompressRecordsSection(snappyCompress(plain), CompressionCodec.snappy, 1 << 20),
      plain,
    );
  });

  test('lz4 writes an LZ4 frame; gzip and zstd their standard frames', () => {
    const plain = Buffer.from('x'.repeat(1000));
    assert.equal(compressRecords(plain, CompressionCodec.lz4).readUInt32LE(0), 0x184d2204);
    assert.deepEqual(zlib.gunzipSync(compressRecords(plain, CompressionCodec.gzip)), plain);
    assert.deepEqual(zlib.zstdDecompressSync(compressRecords(plain, CompressionCodec.zstd)), plain);
  });

  test('decompression is bounded and garbage is CORRUPT_MESSAGE', () => {
    const big = Buffer.alloc(1 << 20);
    for (const codec of [1, 2, 3, 4]) {
      const compressed = compressRecords(big, codec);
      assert.throws(
        () => decompressRecordsSection(compressed, codec, 1000),
        (err: unknown) => KafkaError.is(err, ErrorCode.CORRUPT_MESSAGE),
        `codec ${codec}`,
      );
      assert.throws(
        () => decompressRecordsSection(Buffer.from('not compressed at all'), codec, 1000),
        (err: unknown) => KafkaError.is(err, ErrorCode.CORRUPT_MESSAGE),
        `codec ${codec}`,
      );
    }
  });

  test('the header of a compressed batch keeps the producer fields', () => {
    const batch = encodeRecordBatch(records.slice(0, 3), {
      compression: 'zstd',
      producerId: 7,
      producerEpoch: 1,
      baseSequence: 42,
    });
    const header = readBatchHeader(batch);
    assert.equal(header.producerId, 7);
    assert.equal(header.baseSequence, 42);
    assert.equal(header.lastOffsetDelta, 2);
  });
});
