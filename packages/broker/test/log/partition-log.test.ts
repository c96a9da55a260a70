import assert from 'node:assert/strict';
import { readdir, readFile, stat, truncate, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { encodeRecordBatch, readBatchHeader, setBaseOffset, setPartitionLeaderEpoch } from '@sluice/protocol';
import type { PartitionLog } from '../../src/log/partition-log.ts';
import {
  baseOffsetsOf,
  batchOf,
  openLog,
  readAll,
  recordingLogger,
  recordsOf,
  rejectsWithCode,
  tempDir,
} from './helpers.ts';

describe('PartitionLog', () => {
  let dir: { path: string; cleanup: () => Promise<void> };
  const opened: PartitionLog[] = [];
  const open = async (...args: Parameters<typeof openLog> extends [string, ...infer Rest] ? Rest : never) => {
    const log = await openLog(dir.path, ...args);
    opened.push(log);
    return log;
  };
  beforeEach(async () => {
    dir = await tempDir();
  });
  afterEach(async () => {
    for (const log of opened.splice(0)) await log.close().catch(() => {});
    await dir.cleanup();
  });

  describe('appending as leader', () => {
    it('assigns offsets and stamps the leader epoch, keeping the rest of the bytes', async () => {
      const log = await open();
      const batch = batchOf(['a', 'b', 'c'], { baseOffset: 999, partitionLeaderEpoch: 77 });
      const original = Buffer.from(batch);
      const first = await log.appendAsLeader(batch, 5);
      assert.deepEqual(first, { baseOffset: 0, lastOffset: 2, logAppendTimeMs: -1, maxTimestamp: 1002 });
      const second = await log.appendAsLeader(batchOf(['d']), 5);
      assert.equal(second.baseOffset, 3);
      assert.equal(log.logEndOffset, 4);
      const { records } = await log.read(0, 1 << 20);
      const header = readBatchHeader(records, 0);
      assert.equal(header.baseOffset, 0);
      assert.equal(header.partitionLeaderEpoch, 5);
      assert.deepEqual(
        records.subarray(17, original.length),
        original.subarray(17),
        'bytes from the CRC on are unchanged',
      );
      assert.deepEqual(
        recordsOf(records).map((r) => [r.offset, r.value]),
        [
          [0, 'a'],
          [1, 'b'],
          [2, 'c'],
          [3, 'd'],
        ],
      );
    });

    it('serialises concurrent appends into consecutive offsets', async () => {
      const log = await open({ segmentBytes: 2000 });
      const results = await Promise.all(
        Array.from({ length: 200 }, (_, i) => log.appendAsLeader(batchOf([`v${i}`, `w${i}`]), 1)),
      );
      assert.deepEqual(
        results.map((r) => r.baseOffset),
        Array.from({ length: 200 }, (_, i) => i * 2),
      );
      assert.ok(log.segmentCount > 5, 'rolled while grouping');
      const all = await readAll(log);
      assert.equal(all.length, 400);
      assert.deepEqual(
        all.map((r) => r.offset),
        Array.from({ length: 400 }, (_, i) => i),
      );
      for (const size of await segmentSizes(dir.path)) assert.ok(size <= 2000, `segment of ${size} bytes`);
    });

    it('stamps LogAppendTime when message.timestamp.type says so', async () => {
      let now = 1_650_000_000_000;
      const log = await open({ messageTimestampType: 'LogAppendTime' }, { now: () => now });
      const result = await log.appendAsLeader(batchOf(['a', 'b'], { timestamps: [5, 6] }), 0);
      assert.deepEqual(result, { baseOffset: 0, lastOffset: 1, logAppendTimeMs: now, maxTimestamp: now });
      now += 10;
      const read = recordsOf((await log.read(0, 1000)).records);
      assert.deepEqual(
        read.map((r) => r.timestamp),
        [1_650_000_000_000, 1_650_000_000_000],
      );
    });

    it('rejects a batch with a bad CRC and appends nothing', async () => {
      const log = await open();
      await log.appendAsLeader(batchOf(['ok']), 0);
      const batch = batchOf(['x', 'y']);
      batch[batch.length - 1]! ^= 0xff;
      await rejectsWithCode(log.appendAsLeader(batch, 0), 'CORRUPT_MESSAGE');
      assert.equal(log.logEndOffset, 1);
      assert.equal(recordsOf((await log.read(0, 1000)).records).length, 1);
    });

    it('rejects a batch larger than max.message.bytes', async () => {
      const log = await open({ maxMessageBytes: 200 });
      await rejectsWithCode(log.appendAsLeader(batchOf(['x'.repeat(300)]), 0), 'MESSAGE_TOO_LARGE');
      assert.equal(log.logEndOffset, 0);
    });

    it('rejects a batch larger than segment.bytes', async () => {
      const log = await open({ segmentBytes: 150 });
      await rejectsWithCode(log.appendAsLeader(batchOf(['x'.repeat(200)]), 0), 'RECORD_LIST_TOO_LARGE');
    });

    it('rejects a wrong magic, a truncated batch, trailing bytes and a header-only buffer', async () => {
      const log = await open();
      const wrongMagic = batchOf(['x']);
      wrongMagic[16] = 1;
      await rejectsWithCode(log.appendAsLeader(wrongMagic, 0), 'CORRUPT_MESSAGE');
      const whole = batchOf(['abc', 'def']);
      await rejectsWithCode(log.appendAsLeader(whole.subarray(0, whole.length - 3), 0), 'CORRUPT_MESSAGE');
      await rejectsWithCode(
        log.appendAsLeader(Buffer.concat([whole, Buffer.alloc(4)]), 0),
        'CORRUPT_MESSAGE',
      );
      await rejectsWithCode(
        log.appendAsLeader(Buffer.concat([batchOf(['a']), batchOf(['b'])]), 0),
        'CORRUPT_MESSAGE',
      );
      await rejectsWithCode(log.appendAsLeader(Buffer.alloc(20), 0), 'CORRUPT_MESSAGE');
      const miscounted = batchOf(['a', 'b']);
      miscounted.writeInt32BE(3, 57);
      await rejectsWithCode(log.appendAsLeader(miscounted, 0), 'CORRUPT_MESSAGE');
      assert.equal(log.logEndOffset, 0);
    });
  });

  describe('appending as follower', () => {
    const leaderBatches = (start: number, count: number, epoch: number): Buffer => {
      const buffers: Buffer[] = [];
      let offset = start;
      for (let i = 0; i < count; i++) {
        const batch = batchOf([`r${offset}`, `r${offset + 1}`]);
        setBaseOffset(batch, 0, offset);
        setPartitionLeaderEpoch(batch, 0, epoch);
        buffers.push(batch);
        offset += 2;
      }
      return Buffer.concat(buffers);
    };

    it('keeps the offsets and epochs of the leader', async () => {
      const log = await open({ segmentBytes: 400 });
      assert.deepEqual(await log.appendAsFollower(leaderBatches(0, 5, 1)), { lastOffset: 9 });
      assert.deepEqual(await log.appendAsFollower(leaderBatches(10, 5, 3)), { lastOffset: 19 });
      assert.equal(log.logEndOffset, 20);
      assert.deepEqual(log.epochEntries, [
        { epoch: 1, startOffset: 0 },
        { epoch: 3, startOffset: 10 },
      ]);
      assert.deepEqual(log.endOffsetForEpoch(1), { epoch: 1, endOffset: 10 });
      assert.deepEqual(log.endOffsetForEpoch(2), { epoch: 1, endOffset: 10 });
      assert.deepEqual(log.endOffsetForEpoch(3), { epoch: 3, endOffset: 20 });
      const all = await readAll(log);
      assert.deepEqual(
        all.map((r) => r.offset),
        Array.from({ length: 20 }, (_, i) => i),
      );
      assert.ok(log.segmentCount > 1);
    });

    it('accepts a gap but not offsets below the log end or going back', async () => {
      const log = await open();
      await log.appendAsFollower(leaderBatches(0, 2, 0));
      await rejectsWithCode(log.appendAsFollower(leaderBatches(2, 2, 0)), 'OFFSET_OUT_OF_RANGE');
      const backwards = Buffer.concat([leaderBatches(10, 1, 0), leaderBatches(8, 1, 0)]);
      await rejectsWithCode(log.appendAsFollower(backwards), 'INVALID_RECORD');
      await log.appendAsFollower(leaderBatches(20, 1, 0));
      assert.equal(log.logEndOffset, 22);
      assert.deepEqual(baseOffsetsOf((await log.read(4, 1000)).records), [20]);
    });

    it('ignores a trailing partial batch and validates every whole one', async () => {
      const log = await open();
      const two = leaderBatches(0, 2, 0);
      assert.deepEqual(await log.appendAsFollower(two.subarray(0, two.length - 5)), { lastOffset: 1 });
      const corrupt = leaderBatches(2, 2, 0);
      corrupt[corrupt.length - 1]! ^= 1;
      await rejectsWithCode(log.appendAsFollower(corrupt), 'CORRUPT_MESSAGE');
      assert.equal(log.logEndOffset, 2);
    });

    it('rolls when an offset would not fit the segment', async () => {
      const log = await open();
      await log.appendAsFollower(leaderBatches(0, 1, 0));
      await log.appendAsFollower(leaderBatches(2 ** 31 + 10, 1, 0));
      assert.deepEqual(log.segmentBaseOffsets, [0, 2 ** 31 + 10]);
      assert.deepEqual(baseOffsetsOf((await log.read(2, 1000)).records), [2 ** 31 + 10]);
    });
  });

  describe('reading', () => {
    const fill = async (log: PartitionLog, batches: number, perBatch = 2): Promise<void> => {
      for (let i = 0; i < batches; i++) {
        await log.appendAsLeader(batchOf(Array.from({ length: perBatch }, (_, k) => `v${i}-${k}`)), 0);
      }
    };

    it('returns whole batches up to the byte limit, and the first batch even if larger', async () => {
      const log = await open();
      await fill(log, 10);
      const one = (await log.read(0, 1)).records;
      assert.deepEqual(baseOffsetsOf(one), [0]);
      const size = one.length;
      assert.deepEqual(baseOffsetsOf((await log.read(0, size * 3 + 5)).records), [0, 2, 4]);
      assert.deepEqual(
        baseOffsetsOf((await log.read(5, size * 2)).records),
        [4, 6],
        'from the batch holding 5',
      );
      assert.equal((await log.read(0, 0)).records.length, size);
    });

    it('stops below maxOffsetExclusive (the high watermark)', async () => {
      const log = await open();
      await fill(log, 10);
      assert.deepEqual(baseOffsetsOf((await log.read(0, 1 << 20, 6)).records), [0, 2, 4]);
      assert.deepEqual(
        baseOffsetsOf((await log.read(0, 1 << 20, 7)).records),
        [0, 2, 4],
        'a batch holding it is excluded',
      );
      assert.equal((await log.read(6, 1 << 20, 6)).records.length, 0);
      assert.equal((await log.read(8, 1 << 20, 6)).records.length, 0);
    });

    it('answers OFFSET_OUT_OF_RANGE below the log start and past the log end, nothing at the end', async () => {
      const log = await open();
      await fill(log, 3);
      await rejectsWithCode(log.read(7, 100), 'OFFSET_OUT_OF_RANGE');
      await rejectsWithCode(log.read(-1, 100), 'OFFSET_OUT_OF_RANGE');
      const atEnd = await log.read(6, 100);
      assert.deepEqual(atEnd, { records: atEnd.records, logStartOffset: 0, logEndOffset: 6 });
      assert.equal(atEnd.records.length, 0);
    });

    it('reads across many segments through the sparse index', async () => {
      const log = await open({ segmentBytes: 1500, indexIntervalBytes: 100 });
      await fill(log, 200, 3);
      assert.ok(log.segmentCount > 10, `${log.segmentCount} segments`);
      for (const offset of [0, 1, 2, 3, 299, 300, 301, 599]) {
        const { records } = await log.read(offset, 1);
        const first = recordsOf(records);
        assert.ok(first[0]!.offset <= offset && first.at(-1)!.offset >= offset, `offset ${offset}`);
      }
      const all = await readAll(log, 0, 700);
      assert.equal(all.length, 600);
    });

    it('finds offsets by timestamp, with -1 and -2 for latest and earliest', async () => {
      const log = await open({ segmentBytes: 800, indexIntervalBytes: 50 });
      for (let i = 0; i < 40; i++) {
        await log.appendAsLeader(
          batchOf(['a', 'b'], { timestamps: [10_000 + i * 10, 10_000 + i * 10 + 5] }),
          0,
        );
      }
      assert.ok(log.segmentCount > 2);
      assert.deepEqual(await log.offsetForTimestamp(0), { offset: 0, timestamp: 10_000 });
      assert.deepEqual(await log.offsetForTimestamp(10_001), { offset: 1, timestamp: 10_005 });
      assert.deepEqual(await log.offsetForTimestamp(10_200), { offset: 40, timestamp: 10_200 });
      assert.deepEqual(await log.offsetForTimestamp(10_203), { offset: 41, timestamp: 10_205 });
      assert.deepEqual(await log.offsetForTimestamp(10_395), { offset: 79, timestamp: 10_395 });
      assert.equal(await log.offsetForTimestamp(10_396), null);
      assert.deepEqual(await log.offsetForTimestamp(-1), { offset: 80, timestamp: -1 });
      assert.deepEqual(await log.offsetForTimestamp(-2), { offset: 0, timestamp: -1 });
    });
  });

  describe('rolling', () => {
    it('rolls on segment.bytes and keeps the older segments read-only', async () => {
      const log = await open({ segmentBytes: 300 });
      for (let i = 0; i < 20; i++) await log.appendAsLeader(batchOf([`v${i}`]), 0);
      assert.ok(log.segmentCount >= 5);
      const names = await readdir(dir.path);
      for (const base of log.segmentBaseOffsets) {
        const stem = String(base).padStart(20, '0');
        for (const suffix of ['.log', '.index', '.timeindex'])
          assert.ok(names.includes(stem + suffix), stem + suffix);
      }
    });

    it('rolls on segment.ms, judged by record timestamps', async () => {
      const log = await open({ segmentMs: 1000 });
      await log.appendAsLeader(batchOf(['a'], { timestamps: [10_000] }), 0);
      await log.appendAsLeader(batchOf(['b'], { timestamps: [10_900] }), 0);
      assert.equal(log.segmentCount, 1);
      await log.appendAsLeader(batchOf(['c'], { timestamps: [11_001] }), 0);
      assert.deepEqual(log.segmentBaseOffsets, [0, 2]);
    });

    it('rolls when the offset index is full', async () => {
      const log = await open({ segmentIndexBytes: 8 * 4, indexIntervalBytes: 0 });
      for (let i = 0; i < 12; i++) await log.appendAsLeader(batchOf([`v${i}`]), 0);
      assert.ok(log.segmentCount >= 3, `${log.segmentCount} segments`);
      assert.equal((await readAll(log)).length, 12);
    });
  });

  describe('truncation', () => {
    it('truncates to an offset, dropping later segments and epochs', async () => {
      const log = await open({ segmentBytes: 400 });
      for (let i = 0; i < 30; i++) await log.appendAsLeader(batchOf([`a${i}`, `b${i}`]), i < 15 ? 1 : 2);
      log.setHighWatermark(60);
      assert.ok(log.segmentCount > 3);
      await log.truncateTo(21);
      assert.equal(log.logEndOffset, 20, 'the batch holding offset 20..21 goes whole');
      assert.equal(log.highWatermark, 20);
      assert.deepEqual(log.epochEntries, [{ epoch: 1, startOffset: 0 }]);
      assert.equal((await readAll(log)).length, 20);
      await rejectsWithCode(log.read(21, 100), 'OFFSET_OUT_OF_RANGE');
      const next = await log.appendAsLeader(batchOf(['new']), 3);
      assert.equal(next.baseOffset, 20);
      assert.deepEqual(log.epochEntries, [
        { epoch: 1, startOffset: 0 },
        { epoch: 3, startOffset: 20 },
      ]);
      await log.truncateTo(100);
      assert.equal(log.logEndOffset, 21, 'truncating past the end does nothing');
    });

    it('truncates fully and starts at a new offset', async () => {
      const log = await open({ segmentBytes: 400 });
      for (let i = 0; i < 10; i++) await log.appendAsLeader(batchOf([`a${i}`]), 1);
      await log.truncateFullyAndStartAt(500);
      assert.equal(log.logStartOffset, 500);
      assert.equal(log.logEndOffset, 500);
      assert.deepEqual(log.segmentBaseOffsets, [500]);
      assert.equal(log.latestEpoch, undefined);
      await rejectsWithCode(log.read(0, 100), 'OFFSET_OUT_OF_RANGE');
      assert.equal((await log.appendAsLeader(batchOf(['x']), 2)).baseOffset, 500);
    });

    it('survives a reopen after truncation', async () => {
      const log = await open({ segmentBytes: 400 });
      for (let i = 0; i < 30; i++) await log.appendAsLeader(batchOf([`a${i}`]), 1);
      await log.truncateTo(17);
      await log.appendAsLeader(batchOf(['after']), 2);
      await log.close();
      const reopened = await open({ segmentBytes: 400 });
      assert.equal(reopened.logEndOffset, 18);
      const all = await readAll(reopened);
      assert.deepEqual(all.at(-1), { offset: 17, timestamp: 1000, value: 'after', leaderEpoch: 2 });
    });
  });

  describe('retention', () => {
    it('deletes closed segments older than retention.ms, never the active one', async () => {
      let now = 30_000;
      const log = await open({ segmentBytes: 300, retentionMs: 50_000 }, { now: () => now });
      for (let i = 0; i < 20; i++)
        await log.appendAsLeader(batchOf([`v${i}`], { timestamps: [10_000 + i * 1000] }), 0);
      const segments = log.segmentCount;
      assert.equal(await log.deleteOldSegments(), 0);
      now = 15_000 + 50_001;
      const deleted = await log.deleteOldSegments();
      assert.ok(deleted > 0 && deleted < segments);
      assert.equal(log.logStartOffset, log.segmentBaseOffsets[0]);
      await rejectsWithCode(log.read(0, 100), 'OFFSET_OUT_OF_RANGE');
      now = 10_000_000;
      await log.deleteOldSegments();
      assert.equal(log.segmentCount, 1, 'the active segment stays');
      assert.ok((await readAll(log)).length > 0);
    });

    it('deletes the oldest segments while the log is over retention.bytes', async () => {
      const log = await open({ segmentBytes: 300, retentionBytes: 1000, retentionMs: -1 });
      for (let i = 0; i < 40; i++) await log.appendAsLeader(batchOf([`v${i}`]), 0);
      await log.deleteOldSegments();
      assert.ok(log.size <= 1000 + 300, `size ${log.size}`);
      assert.ok(log.size > 1000 - 300);
      const records = await readAll(log);
      assert.equal(records[0]!.offset, log.logStartOffset);
      assert.equal(records.at(-1)!.offset, 39);
    });

    it('moves the log start offset for DeleteRecords, up to the high watermark', async () => {
      const log = await open({ segmentBytes: 300 });
      for (let i = 0; i < 30; i++) await log.appendAsLeader(batchOf([`v${i}`]), 0);
      log.setHighWatermark(25);
      await rejectsWithCode(log.deleteRecordsBefore(26), 'OFFSET_OUT_OF_RANGE');
      assert.equal(await log.deleteRecordsBefore(12), 12);
      assert.equal(log.logStartOffset, 12);
      assert.ok(log.segmentBaseOffsets[0]! <= 12 && log.segmentBaseOffsets[1]! > 12);
      await rejectsWithCode(log.read(11, 100), 'OFFSET_OUT_OF_RANGE');
      assert.equal((await readAll(log))[0]!.offset, 12);
    });
  });

  describe('flush, close and recovery', () => {
    it('moves the recovery point on flush, and on its own with flush.messages', async () => {
      const log = await open({ flushMessages: 3 });
      await log.appendAsLeader(batchOf(['a']), 0);
      await log.appendAsLeader(batchOf(['b']), 0);
      assert.equal(log.recoveryPoint, 0);
      await log.appendAsLeader(batchOf(['c']), 0);
      assert.equal(log.recoveryPoint, 3);
      await log.appendAsLeader(batchOf(['d']), 0);
      await log.flush();
      assert.equal(log.recoveryPoint, 4);
    });

    it('reopens after a clean close without scanning, with everything readable', async () => {
      const log = await open({ segmentBytes: 500, indexIntervalBytes: 100 });
      for (let i = 0; i < 50; i++) await log.appendAsLeader(batchOf([`v${i}`, `w${i}`]), i < 25 ? 0 : 1);
      await log.close();
      const reopened = await open({ segmentBytes: 500, indexIntervalBytes: 100 });
      assert.equal(reopened.logEndOffset, 100);
      assert.deepEqual(reopened.epochEntries, [
        { epoch: 0, startOffset: 0 },
        { epoch: 1, startOffset: 50 },
      ]);
      assert.equal((await readAll(reopened)).length, 100);
      assert.equal((await reopened.appendAsLeader(batchOf(['z']), 1)).baseOffset, 100);
    });

    it('recovers after an unclean stop: a torn tail is cut and logged with offset and bytes', async () => {
      const log = await open({ segmentBytes: 600 });
      for (let i = 0; i < 30; i++) await log.appendAsLeader(batchOf([`v${i}`]), 0);
      await log.close();
      const last = join(dir.path, `${String(log.segmentBaseOffsets.at(-1)).padStart(20, '0')}.log`);
      const size = (await stat(last)).size;
      await truncate(last, size - 10);
      const { logger, lines } = recordingLogger();
      const recovered = await open(
        { segmentBytes: 600 },
        { hadCleanShutdown: false, recoveryPoint: 0, logger },
      );
      assert.equal(recovered.logEndOffset, 29);
      const warning = lines.find((line) => line.msg.includes('recovery truncated the log'));
      assert.ok(warning, 'truncation is logged');
      assert.equal(warning.offset, 29);
      assert.equal(warning.bytesDropped, batchOf(['v29']).length - 10, 'the torn batch is what is dropped');
      assert.equal((await readAll(recovered)).length, 29);
      assert.equal((await recovered.appendAsLeader(batchOf(['again']), 0)).baseOffset, 29);
    });

    it('rebuilds a corrupt or missing index of a closed segment from its log', async () => {
      const log = await open({ segmentBytes: 600, indexIntervalBytes: 50 });
      for (let i = 0; i < 30; i++) await log.appendAsLeader(batchOf([`v${i}`]), 0);
      await log.close();
      const first = join(dir.path, '00000000000000000000');
      await writeFile(`${first}.index`, Buffer.alloc(13));
      await writeFile(`${first}.timeindex`, '');
      const { logger, lines } = recordingLogger();
      const reopened = await open({ segmentBytes: 600, indexIntervalBytes: 50 }, { logger });
      assert.equal((await readAll(reopened)).length, 30);
      assert.ok(lines.some((line) => line.msg === 'rebuilding segment indexes'));
      assert.ok((await readFile(`${first}.index`)).length % 8 === 0);
    });

    it('fails every call after close with UNKNOWN_TOPIC_OR_PARTITION', async () => {
      const log = await open();
      await log.close();
      await rejectsWithCode(log.read(0, 10), 'UNKNOWN_TOPIC_OR_PARTITION');
      await rejectsWithCode(log.appendAsLeader(batchOf(['a']), 0), 'UNKNOWN_TOPIC_OR_PARTITION');
    });
  });

  it('keeps the producer bytes in the segment file byte for byte after the header fields it owns', async () => {
    const log = await open();
    const batch = encodeRecordBatch([
      { key: Buffer.from('k'), value: Buffer.from('v'), headers: [{ key: 'h', value: null }] },
    ]);
    const copy = Buffer.from(batch);
    await log.appendAsLeader(batch, 9);
    await log.flush();
    const onDisk = await readFile(join(dir.path, '00000000000000000000.log'));
    assert.equal(onDisk.length, copy.length);
    assert.deepEqual(onDisk.subarray(16), copy.subarray(16));
  });
});

async function segmentSizes(path: string): Promise<number[]> {
  const names = (await readdir(path)).filter((name) => name.endsWith('.log'));
  return Promise.all(names.map(async (name) => (await stat(join(path, name))).size));
}
