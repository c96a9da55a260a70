// The producer's buffer without a network: records are encoded into their batch as they arrive, a batch
// is ready at batch.size, after linger.ms or on flush, a batch the sender has not taken keeps filling
// up to max.request.size, muted partitions wait, deadlines expire batches, and memory is counted and
// given back.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { decodeRecords, recordBytesUpperBound, validateRecordBatch } from '@sluice/protocol';
import type { DeliveryCallback } from '../src/producer-record.ts';
import { type AppendedRecord, RecordAccumulator } from '../src/record-accumulator.ts';

function record(valueBytes: number, deadlineMs = 10_000, callback?: DeliveryCallback): AppendedRecord {
  const value = Buffer.alloc(valueBytes, 'v');
  return {
    timestamp: 1_700_000_000_000,
    key: null,
    value,
    headers: undefined,
    maxBytes: recordBytesUpperBound(null, value),
    callback,
    record: { topic: 't', value },
    deadlineMs,
  };
}

const options = { lingerMs: 1000, bufferMemoryBytes: 100_000, batchSizeBytes: 1000, maxBatchBytes: 10_000 };

describe('RecordAccumulator', () => {
  test('encodes records into the batch as they arrive; the built batch is valid RecordBatch v2', () => {
    const acc = new RecordAccumulator(options);
    const values = ['a', 'bb', 'ccc'];
    for (const v of values) {
      const value = Buffer.from(v);
      acc.append(
        't',
        0,
        {
          ...record(0),
          key: Buffer.from(`k${v}`),
          value,
          headers: [{ key: 'h', value: Buffer.from(v) }],
          maxBytes: 64,
        },
        0,
      );
    }
    const [batch] = acc.drainReady(0, true, () => true).ready;
    assert.ok(batch);
    assert.equal(batch.recordCount, 3);
    assert.equal(acc.usedBytes, batch.recordBytes);
    assert.equal(batch.recordBytes, batch.sizeBytes - 61, 'memory counts the encoded records exactly');
    const built = batch.builder.build();
    validateRecordBatch(built, 0, built.length);
    assert.deepEqual(
      decodeRecords(built).map((r) => [r.offset, r.key?.toString(), r.value?.toString(), r.headers[0]?.key]),
      values.map((v, i) => [i, `k${v}`, v, 'h']),
    );
  });

  test('a batch is ready at batch.size; below it, after linger.ms', () => {
    const acc = new RecordAccumulator(options);
    let readyAt = -1;
    for (let i = 0; i < 10 && readyAt < 0; i++) if (acc.append('t', 0, record(279), 0)) readyAt = i;
    assert.equal(readyAt, 3, 'the fourth 300-byte record takes the batch past 1000 bytes');
    assert.equal(acc.append('t', 0, record(10), 0), true, 'and it stays full');
    assert.equal(acc.drainReady(1, false, () => true).ready.length, 1);
    assert.equal(acc.append('t', 0, record(10), 5), false, 'a new batch');
    assert.equal(acc.drainReady(6, false, () => true).ready.length, 0, 'the new batch lingers');
    assert.equal(acc.drainReady(6, false, () => true).nextReadyMs, 1005);
    assert.equal(acc.drainReady(1005, false, () => true).ready[0]?.recordCount, 1);
  });

  test('a batch the sender has not taken fills up to max.request.size, then another opens', () => {
    const acc = new RecordAccumulator({ ...options, batchSizeBytes: 100, maxBatchBytes: 700 });
    const order: number[] = [];
    for (let i = 0; i < 8; i++) {
      acc.append(
        't',
        0,
        record(19, 10_000, () => order.push(i)),
        0,
      );
    }
    // Each record takes 26 bytes and is admitted by its upper bound, 47.
    const { ready } = acc.drainReady(1, false, () => true);
    assert.equal(ready.length, 1, 'one batch per partition per drain');
    const first = ready[0]!;
    assert.ok(first.sizeBytes > 100, 'past batch.size');
    assert.ok(first.sizeBytes <= 700, 'within max.request.size');
    assert.equal(first.recordCount, 8);
    for (const callback of first.callbacks) callback?.(null, null);
    assert.deepEqual(order, [0, 1, 2, 3, 4, 5, 6, 7], 'callbacks in record order');

    const many = new RecordAccumulator({ ...options, batchSizeBytes: 100, maxBatchBytes: 300 });
    for (let i = 0; i < 12; i++) many.append('t', 0, record(19), 0);
    const counts: number[] = [];
    for (let round = 0; round < 5; round++) {
      const [batch] = many.drainReady(round, true, () => true).ready;
      if (batch) counts.push(batch.recordCount);
    }
    assert.deepEqual(counts, [8, 4], 'what fits under 300 bytes (61 + 8 x 26 + 47 > 300), in order');
  });

  test('flush and force make lingering batches ready; muted partitions wait', () => {
    const acc = new RecordAccumulator({ ...options, lingerMs: 60_000 });
    acc.append('t', 0, record(10, 100_000), 0);
    acc.append('t', 1, record(10, 100_000), 0);
    assert.equal(acc.drainReady(1, false, () => true).ready.length, 0);
    acc.mute('t', 1);
    acc.beginFlush();
    const { ready } = acc.drainReady(1, false, () => true);
    assert.deepEqual(
      ready.map((b) => b.partition),
      [0],
    );
    acc.endFlush();
    acc.unmute('t', 1);
    assert.deepEqual(
      acc.drainReady(1, true, () => true).ready.map((b) => b.partition),
      [1],
    );
  });

  test('a batch that accept() refuses stays; past its deadline it expires', () => {
    const acc = new RecordAccumulator({ ...options, lingerMs: 0 });
    acc.append('t', 0, record(10, 500), 0);
    assert.equal(acc.drainReady(10, false, () => false).ready.length, 0);
    const { ready, expired } = acc.drainReady(500, false, () => false);
    assert.equal(ready.length, 0);
    assert.equal(expired.length, 1);
  });

  test('the earliest record deadline is the batch deadline', () => {
    const acc = new RecordAccumulator(options);
    acc.append('t', 0, record(10, 900), 0);
    acc.append('t', 0, record(10, 400), 0);
    assert.equal(acc.drainReady(399, false, () => false).expired.length, 0);
    assert.equal(acc.drainReady(400, false, () => false).expired.length, 1);
  });

  test('memory: counted on append, given back on release; an empty buffer takes any record', () => {
    const acc = new RecordAccumulator({ ...options, lingerMs: 0, bufferMemoryBytes: 200 });
    assert.equal(acc.hasRoomFor(500), true);
    acc.append('t', 0, record(129), 0);
    const used = acc.usedBytes;
    assert.equal(used, 138, '129 bytes of value and 9 of framing');
    assert.equal(acc.hasRoomFor(200 - used), true);
    assert.equal(acc.hasRoomFor(200 - used + 1), false);
    const [batch] = acc.drainReady(0, false, () => true).ready;
    assert.ok(batch);
    acc.release(batch);
    assert.equal(acc.usedBytes, 0);
  });

  test('a re-enqueued batch goes back to the head and waits for its backoff', () => {
    const acc = new RecordAccumulator({ ...options, lingerMs: 0 });
    acc.append('t', 0, record(1), 0);
    const [first] = acc.drainReady(0, false, () => true).ready;
    assert.ok(first);
    acc.append('t', 0, record(2), 1);
    first.attempts = 1;
    acc.reenqueue(first, 100);
    assert.equal(
      acc.drainReady(50, false, () => true).ready.length,
      0,
      'the head waits; the next does not jump it',
    );
    assert.equal(acc.drainReady(100, false, () => true).ready[0], first);
    assert.equal(acc.drainReady(100, false, () => true).ready[0]?.recordCount, 1, 'then the one behind it');
  });

  test('takeAll empties the buffer; keepRecords keeps the application records for the hook', () => {
    const acc = new RecordAccumulator({ ...options, keepRecords: true });
    acc.append('t', 0, record(1), 0);
    acc.append('u', 3, record(1), 0);
    assert.equal(acc.isEmpty, false);
    const all = acc.takeAll();
    assert.deepEqual(
      all.map((b) => [b.topic, b.partition, b.records?.length]),
      [
        ['t', 0, 1],
        ['u', 3, 1],
      ],
    );
    assert.equal(acc.isEmpty, true);
  });
});
