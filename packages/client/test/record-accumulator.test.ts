// The producer's buffer without a network: batches fill to batch.size, linger.ms and flush make them
// ready, muted partitions wait, deadlines expire batches, and memory is counted and given back.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { estimateRecordBytes, RecordAccumulator } from '../src/record-accumulator.ts';

const noop = { resolve: () => undefined, reject: () => undefined };
const record = (n: number) => ({ key: null, value: Buffer.alloc(n) });

describe('RecordAccumulator', () => {
  test('fills a batch to batch.size, then opens another', () => {
    const acc = new RecordAccumulator({ batchSizeBytes: 1000, lingerMs: 1000, bufferMemoryBytes: 10_000 });
    const bytes = estimateRecordBytes(record(279));
    assert.equal(bytes, 300);
    for (let i = 0; i < 4; i++) acc.append('t', 0, record(279), bytes, noop, 10_000, 0);
    assert.equal(acc.usedBytes, 1200);
    const { ready, nextReadyMs } = acc.drainReady(1, false, () => true);
    assert.equal(ready.length, 1, 'the full batch is ready, the open one lingers');
    assert.equal(ready[0]?.records.length, 3);
    assert.equal(nextReadyMs, Number.POSITIVE_INFINITY, 'one batch per partition per drain');
    assert.equal(acc.drainReady(2, false, () => true).nextReadyMs, 1000);
    assert.equal(acc.drainReady(1000, false, () => true).ready[0]?.records.length, 1);
  });

  test('flush and force make lingering batches ready; muted partitions wait', () => {
    const acc = new RecordAccumulator({ batchSizeBytes: 1000, lingerMs: 60_000, bufferMemoryBytes: 10_000 });
    acc.append('t', 0, record(10), 31, noop, 100_000, 0);
    acc.append('t', 1, record(10), 31, noop, 100_000, 0);
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
    const acc = new RecordAccumulator({ batchSizeBytes: 1000, lingerMs: 0, bufferMemoryBytes: 10_000 });
    acc.append('t', 0, record(10), 31, noop, 500, 0);
    assert.equal(acc.drainReady(10, false, () => false).ready.length, 0);
    const { ready, expired } = acc.drainReady(500, false, () => false);
    assert.equal(ready.length, 0);
    assert.equal(expired.length, 1);
  });

  test('memory: counted on append, given back on release; an empty buffer takes any record', () => {
    const acc = new RecordAccumulator({ batchSizeBytes: 100, lingerMs: 0, bufferMemoryBytes: 200 });
    assert.equal(acc.hasRoomFor(500), true);
    acc.append('t', 0, record(129), 150, noop, 1000, 0);
    assert.equal(acc.hasRoomFor(50), true);
    assert.equal(acc.hasRoomFor(51), false);
    const [batch] = acc.drainReady(0, false, () => true).ready;
    assert.ok(batch);
    acc.release(batch);
    assert.equal(acc.usedBytes, 0);
  });

  test('a re-enqueued batch goes back to the head and waits for its backoff', () => {
    const acc = new RecordAccumulator({ batchSizeBytes: 1000, lingerMs: 0, bufferMemoryBytes: 10_000 });
    acc.append('t', 0, record(1), 22, noop, 10_000, 0);
    const [first] = acc.drainReady(0, false, () => true).ready;
    assert.ok(first);
    acc.append('t', 0, record(2), 23, noop, 10_000, 1);
    first.attempts = 1;
    acc.reenqueue(first, 100);
    assert.equal(
      acc.drainReady(50, false, () => true).ready.length,
      0,
      'the head waits; the next does not jump it',
    );
    assert.equal(acc.drainReady(100, false, () => true).ready[0], first);
  });

  test('batches queued behind one in flight go out merged, in order, up to the limit', () => {
    const acc = new RecordAccumulator({
      batchSizeBytes: 100,
      lingerMs: 1000,
      bufferMemoryBytes: 10_000,
      maxMergedBytes: 300,
    });
    const sent: number[] = [];
    const delivery = (i: number) => ({ resolve: () => sent.push(i), reject: () => undefined });
    for (let i = 0; i < 8; i++) acc.append('t', 0, record(19), 40, delivery(i), 10_000, 0);
    // 61 + 40 = 101 > 100: every record opens a batch of its own.
    const { ready } = acc.drainReady(1, false, () => true);
    assert.equal(ready.length, 1);
    const merged = ready[0]!;
    // Each batch is 61 + 40 bytes; merging stops before the next whole batch would pass 300.
    assert.equal(merged.records.length, 4);
    assert.ok(merged.sizeBytes <= 300);
    for (const [i, d] of merged.deliveries.entries()) d.resolve({ offset: i, timestamp: 0 });
    assert.deepEqual(sent, [0, 1, 2, 3]);
    acc.beginFlush();
    const rest = acc.drainReady(2, false, () => true).ready[0]!;
    assert.equal(rest.deliveries.length, 4, 'the rest, the open batch included while flushing');
    assert.equal(acc.isEmpty, true);
  });
});
