import assert from 'node:assert/strict';
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { readBatchHeader, setBaseOffset } from '@sluice/protocol';
import { FileHandlePool } from '../../src/log/file-handle-pool.ts';
import { IndexMemoryBudget } from '../../src/log/index-memory-budget.ts';
import type { SegmentResources } from '../../src/log/log-segment.ts';
import { LogSegment } from '../../src/log/log-segment.ts';
import { baseOffsetsOf, batchOf, silentLogger, tempDir } from './helpers.ts';

describe('LogSegment', () => {
  let dir: { path: string; cleanup: () => Promise<void> };
  let resources: SegmentResources;
  const segments: LogSegment[] = [];
  beforeEach(async () => {
    dir = await tempDir();
    resources = {
      handles: new FileHandlePool(2),
      indexBudget: new IndexMemoryBudget(64),
      logger: silentLogger,
      indexIntervalBytes: () => 100,
    };
  });
  afterEach(async () => {
    for (const segment of segments.splice(0)) await segment.close();
    await dir.cleanup();
  });

  /** A segment at `base` holding `count` two-record batches; returns it and the batches' sizes. */
  const filled = async (base: number, count: number): Promise<LogSegment> => {
    const segment = await LogSegment.create(dir.path, base, 10 * 1024, resources, 0);
    segments.push(segment);
    let offset = base;
    for (let i = 0; i < count; i++) {
      const batch = batchOf([`a${String(i).padStart(2, '0')}`, `b${String(i).padStart(2, '0')}`], {
        timestamps: [1000 + i * 10, 1000 + i * 10 + 1],
      });
      setBaseOffset(batch, 0, offset);
      await segment.append(
        [batch],
        [{ baseOffset: offset, lastOffset: offset + 1, maxTimestamp: 1000 + i * 10 + 1, size: batch.length }],
      );
      offset += 2;
    }
    return segment;
  };

  it('writes batches back to back and indexes one every index.interval.bytes', async () => {
    const segment = await filled(100, 20);
    const bytes = await readFile(join(dir.path, '00000000000000000100.log'));
    assert.equal(bytes.length, segment.size);
    assert.equal(readBatchHeader(bytes, 0).baseOffset, 100);
    const batchSize = bytes.length / 20;
    // Entries once more than 100 bytes went by since the last one: every other batch here.
    assert.equal(segment.offsetIndex.entries, Math.floor(19 / Math.ceil(101 / batchSize)));
    assert.deepEqual(segment.offsetIndex.lastEntry().position % batchSize, 0);
  });

  it('translates offsets to batch positions', async () => {
    const segment = await filled(100, 20);
    const batchSize = segment.size / 20;
    assert.deepEqual(await segment.translateOffset(100), {
      position: 0,
      size: batchSize,
      baseOffset: 100,
      lastOffset: 101,
    });
    assert.equal((await segment.translateOffset(117))!.position, 8 * batchSize);
    assert.equal(await segment.translateOffset(140), null);
  });

  it('reads whole batches, bounded by bytes and by an offset', async () => {
    const segment = await filled(0, 20);
    const batchSize = segment.size / 20;
    assert.deepEqual(baseOffsetsOf((await segment.read(5, batchSize * 2, 1000))!), [4, 6]);
    assert.deepEqual(baseOffsetsOf((await segment.read(5, 1, 1000))!), [4]);
    assert.deepEqual(baseOffsetsOf((await segment.read(0, 10_000, 7))!), [0, 2, 4]);
    assert.equal((await segment.read(8, 10_000, 8))!.length, 0);
    assert.equal(await segment.read(40, 10_000, 1000), null);
  });

  it('decides to roll on size, time, full indexes and offsets that do not fit', async () => {
    const segment = await filled(0, 3);
    const base = {
      bytes: 10,
      indexEntries: 1,
      maxTimestamp: 1030,
      lastOffset: 10,
      nowMs: 0,
      segmentBytes: 10_000,
      segmentMs: 1000,
    };
    assert.equal(segment.shouldRoll(base), false);
    assert.equal(segment.shouldRoll({ ...base, segmentBytes: segment.size + 9 }), true);
    assert.equal(segment.shouldRoll({ ...base, maxTimestamp: 1001 + 1001 }), true, 'judged by record time');
    assert.equal(segment.shouldRoll({ ...base, indexEntries: 10 * 1024 }), true);
    assert.equal(segment.shouldRoll({ ...base, lastOffset: 2 ** 31 }), true);
  });

  it('recovers: a torn tail is cut and the indexes rebuilt', async () => {
    const segment = await filled(0, 10);
    const batchSize = segment.size / 10;
    await segment.close();
    segments.splice(0);
    const path = join(dir.path, '00000000000000000000.log');
    const { truncate } = await import('node:fs/promises');
    await truncate(path, batchSize * 7 + 20);
    const reopened = await LogSegment.open(dir.path, 0, 10 * 1024, resources, 0);
    segments.push(reopened);
    const epochs: number[] = [];
    const result = await reopened.recover(1 << 20, (header) => epochs.push(header.baseOffset));
    assert.deepEqual(result, {
      validBytes: batchSize * 7,
      truncatedBytes: 20,
      nextOffset: 14,
      reason: `torn batch: 20 of ${batchSize} bytes present`,
    });
    assert.equal((await stat(path)).size, batchSize * 7);
    assert.deepEqual(epochs, [0, 2, 4, 6, 8, 10, 12]);
    assert.ok(reopened.offsetIndex.entries > 0);
  });

  it('truncates to an offset, whole batches only', async () => {
    const segment = await filled(0, 10);
    const batchSize = segment.size / 10;
    assert.deepEqual(await segment.truncateTo(7, 0), {
      bytesTruncated: batchSize * 7,
      firstRemovedOffset: 6,
    });
    assert.equal(segment.size, batchSize * 3);
    assert.equal(segment.offsetIndex.lastEntry().position < segment.size, true);
    assert.deepEqual(await segment.truncateTo(100, 0), { bytesTruncated: 0, firstRemovedOffset: null });
  });

  it('finds offsets by timestamp and reports its largest timestamp once closed', async () => {
    const segment = await filled(0, 10);
    assert.deepEqual(await segment.findOffsetByTimestamp(1045, 0), { offset: 10, timestamp: 1050 });
    assert.deepEqual(await segment.findOffsetByTimestamp(1041, 0), { offset: 9, timestamp: 1041 });
    assert.deepEqual(await segment.findOffsetByTimestamp(0, 5), { offset: 5, timestamp: 1021 });
    assert.equal(await segment.findOffsetByTimestamp(2000, 0), null);
    segment.seal();
    assert.equal(await segment.largestTimestamp(), 1091);
  });

  it('keeps closed segments within the descriptor and index budgets', async () => {
    const closed: LogSegment[] = [];
    for (let s = 0; s < 6; s++) {
      const segment = await filled(s * 100, 10);
      segment.seal();
      await segment.flush();
      closed.push(segment);
    }
    for (const segment of closed) assert.ok((await segment.read(segment.baseOffset, 100, 1e9))!.length > 0);
    assert.ok(resources.handles.openCount <= 2, `${resources.handles.openCount} descriptors open`);
    assert.ok(resources.indexBudget.bytes <= 64 + 8 * 64, `${resources.indexBudget.bytes} index bytes`);
  });
});
