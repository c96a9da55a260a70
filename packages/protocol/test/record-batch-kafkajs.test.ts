// Cross-check of record-batch.ts against an independent implementation: KafkaJS (a devDependency)
// encodes the same records and must produce the same bytes, CRC included; and KafkaJS's decoder must
// read our batches back. KafkaJS is CommonJS without types, so its internals are loaded by path.
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { decodeRecords, encodeRecordBatch, type RecordInput } from '../src/record-batch.ts';

interface KafkaJsEncoder {
  buffer: Buffer;
}
interface KafkaJsRecordInput {
  offsetDelta: number;
  timestampDelta: number;
  key: Buffer | null;
  value: Buffer | null;
  headers: Record<string, Buffer>;
}
interface KafkaJsBatchInput {
  compression: number;
  firstOffset: unknown;
  firstTimestamp: number;
  maxTimestamp: number;
  partitionLeaderEpoch: number;
  lastOffsetDelta: number;
  transactional: boolean;
  producerId: unknown;
  producerEpoch: number;
  firstSequence: number;
  records: KafkaJsEncoder[];
}
interface KafkaJsDecodedRecord {
  offset: string;
  timestamp: string;
  key: Buffer | null;
  value: Buffer | null;
  headers: Record<string, Buffer>;
}

const require = createRequire(import.meta.url);
const Record = require('kafkajs/src/protocol/recordBatch/record/v0/index.js') as (
  input: KafkaJsRecordInput,
) => KafkaJsEncoder;
const { RecordBatch } = require('kafkajs/src/protocol/recordBatch/v0/index.js') as {
  RecordBatch: (input: KafkaJsBatchInput) => Promise<KafkaJsEncoder>;
};
const RecordBatchDecoder = require('kafkajs/src/protocol/recordBatch/v0/decoder.js') as (
  decoder: unknown,
) => Promise<{ records: KafkaJsDecodedRecord[] }>;
const Decoder = require('kafkajs/src/protocol/decoder.js') as new (buffer: Buffer) => unknown;
const Long = require('kafkajs/src/utils/long.js') as { fromNumber(n: number): unknown };

interface Options {
  baseOffset: number;
  partitionLeaderEpoch: number;
  producerId: number;
  producerEpoch: number;
  baseSequence: number;
  isTransactional: boolean;
}

/** KafkaJS's encoding of the same batch: its records carry no null header values. */
async function kafkaJsBatch(records: readonly RecordInput[], options: Options): Promise<Buffer> {
  const timestamps = records.map((r) => r.timestamp ?? 0);
  const firstTimestamp = timestamps[0]!;
  const encoded = records.map((record, i) =>
    Record({
      offsetDelta: i,
      timestampDelta: timestamps[i]! - firstTimestamp,
      key: record.key ?? null,
      value: record.value,
      headers: Object.fromEntries((record.headers ?? []).map((h) => [h.key, h.value ?? Buffer.alloc(0)])),
    }),
  );
  const batch = await RecordBatch({
    compression: 0,
    firstOffset: Long.fromNumber(options.baseOffset),
    firstTimestamp,
    maxTimestamp: Math.max(...timestamps),
    partitionLeaderEpoch: options.partitionLeaderEpoch,
    lastOffsetDelta: records.length - 1,
    transactional: options.isTransactional,
    producerId: Long.fromNumber(options.producerId),
    producerEpoch: options.producerEpoch,
    firstSequence: options.baseSequence,
    records: encoded,
  });
  return batch.buffer;
}

const OPTIONS: Options = {
  baseOffset: 0,
  partitionLeaderEpoch: 0,
  producerId: -1,
  producerEpoch: 0,
  baseSequence: 0,
  isTransactional: false,
};

const bytesArb = fc.uint8Array({ maxLength: 300 }).map((a) => Buffer.from(a));
// KafkaJS keeps headers in a plain object: keys must be distinct, values non-null, and keys must
// neither look like integers (objects list those first) nor shadow Object.prototype ('toString'),
// hence the prefix.
const headersArb = fc
  .uniqueArray(
    fc.record({
      key: fc.string({ maxLength: 10, unit: 'grapheme' }).map((k) => `h-${k}`),
      value: bytesArb,
    }),
    { selector: (h) => h.key, maxLength: 3 },
  )
  .map((headers) => headers.map((h) => ({ key: h.key, value: h.value })));
const recordArb = fc
  .tuple(
    fc.option(bytesArb, { nil: null }),
    fc.option(bytesArb, { nil: null }),
    headersArb,
    fc.integer({ min: 0, max: 2 ** 44 }),
  )
  .map(([key, value, headers, timestamp]): RecordInput => ({ key, value, headers, timestamp }));

describe('cross-check with KafkaJS', () => {
  test('same bytes for a simple batch', async () => {
    const records: RecordInput[] = [
      { key: Buffer.from('key-1'), value: Buffer.from('value-1'), timestamp: 1_600_000_000_000 },
      {
        key: null,
        value: Buffer.from('value-2'),
        timestamp: 1_600_000_000_123,
        headers: [{ key: 'trace', value: Buffer.from('abc') }],
      },
      { key: Buffer.from('k3'), value: null, timestamp: 1_599_999_999_000 },
    ];
    const ours = encodeRecordBatch(records, OPTIONS);
    assert.equal(ours.toString('hex'), (await kafkaJsBatch(records, OPTIONS)).toString('hex'));
  });

  test('same bytes for random batches and header fields', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(recordArb, { minLength: 1, maxLength: 8 }),
        fc.record({
          baseOffset: fc.integer({ min: 0, max: 2 ** 50 }),
          partitionLeaderEpoch: fc.integer({ min: -1, max: 2 ** 31 - 1 }),
          producerId: fc.integer({ min: -1, max: 2 ** 50 }),
          producerEpoch: fc.integer({ min: -1, max: 2 ** 15 - 1 }),
          baseSequence: fc.integer({ min: -1, max: 2 ** 31 - 1 }),
          isTransactional: fc.boolean(),
        }),
        async (records, options) => {
          const ours = encodeRecordBatch(records, options);
          const theirs = await kafkaJsBatch(records, options);
          assert.equal(ours.toString('hex'), theirs.toString('hex'));
        },
      ),
      { numRuns: 200 },
    );
  });

  test("KafkaJS's decoder reads our batches as we do", async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(recordArb, { minLength: 1, maxLength: 8 }), async (records) => {
        const ours = encodeRecordBatch(records, { baseOffset: 1000 });
        const decoded = await RecordBatchDecoder(new Decoder(ours));
        const mine = decodeRecords(ours);
        assert.equal(decoded.records.length, mine.length);
        decoded.records.forEach((theirs, i) => {
          const record = mine[i]!;
          assert.equal(theirs.offset, String(record.offset));
          assert.equal(theirs.timestamp, String(record.timestamp));
          assert.deepEqual(theirs.key, record.key);
          assert.deepEqual(theirs.value, record.value);
          assert.deepEqual(
            Object.entries(theirs.headers),
            record.headers.map((h) => [h.key, h.value]),
          );
        });
      }),
      { numRuns: 100 },
    );
  });
});
