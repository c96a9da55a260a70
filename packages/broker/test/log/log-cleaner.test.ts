// The log cleaner on real files: what survives a clean (the latest record per key, at its offset),
// tombstones and delete.retention.ms, min.compaction.lag.ms, the untouched active segment, crash
// leftovers of a swap, reads across cleaned segments, the log manager's entry points, and a property
// test against a model (key -> last value).
import assert from 'node:assert/strict';
import { copyFile, mkdir, readdir, readFile, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import type { BatchOptions } from '@sluice/protocol';
import { batchesIn, decodeRecords, encodeRecordBatch, readBatchHeader } from '@sluice/protocol';
import fc from 'fast-check';
import { readOffsetCheckpoint } from '../../src/log/checkpoint-file.ts';
import type { HostedLogRef } from '../../src/log/log-cleaner.ts';
import { LogCleaner } from '../../src/log/log-cleaner.ts';
import type { LogConfig } from '../../src/log/log-config.ts';
import { CLEANER_CHECKPOINT_FILE, offsetFileStem } from '../../src/log/log-files.ts';
import { LogManager } from '../../src/log/log-manager.ts';
import type { PartitionLog } from '../../src/log/partition-log.ts';
import { openLog, rejectsWithCode, silentLogger, tempDir, testConfig } from './helpers.ts';

/** A key and value (null = tombstone; key null = no key). */
type Entry = [key: string | null, value: string | null];

/** Records of one segment apart: segment.ms is 1000 and each segment's timestamps start 10 s later. */
const SEGMENT_SPACING_MS = 10_000;

function keyedBatch(entries: readonly Entry[], timestamp: number, options: BatchOptions = {}): Buffer {
  return encodeRecordBatch(
    entries.map(([key, value], i) => ({
      key: key === null ? null : Buffer.from(key),
      value: value === null ? null : Buffer.from(value),
      timestamp: timestamp + i,
    })),
    options,
  );
}

interface Seen {
  offset: number;
  key: string | null;
  value: string | null;
}

function recordsIn(buffer: Buffer): Seen[] {
  const result: Seen[] = [];
  for (const { position } of batchesIn(buffer)) {
    for (const record of decodeRecords(buffer, position)) {
      result.push({
        offset: record.offset,
        key: record.key === null ? null : record.key.toString(),
        value: record.value === null ? null : record.value.toString(),
      });
    }
  }
  return result;
}

/** Every record from the log start to the log end, read `maxBytes` at a time. */
async function readEverything(log: PartitionLog, maxBytes = 1 << 20): Promise<Seen[]> {
  const result: Seen[] = [];
  let offset = log.logStartOffset;
  while (offset < log.logEndOffset) {
    const { records } = await log.read(offset, maxBytes);
    if (records.length === 0) break;
    for (const record of recordsIn(records)) if (record.offset >= offset) result.push(record);
    let next = offset;
    for (const { header } of batchesIn(records)) next = header.baseOffset + header.lastOffsetDelta + 1;
    offset = next;
  }
  return result;
}

const COMPACT: Partial<LogConfig> = {
  cleanupPolicy: ['compact'],
  segmentMs: 1000,
  deleteRetentionMs: 24 * 60 * 60 * 1000,
  minCompactionLagMs: 0,
  minCleanableDirtyRatio: 0.5,
};

describe('LogCleaner', () => {
  let dir: { path: string; cleanup: () => Promise<void> };
  let nowMs: number;
  const opened: PartitionLog[] = [];
  const open = async (config: Partial<LogConfig> = {}, hadCleanShutdown = true): Promise<PartitionLog> => {
    const log = await openLog(
      join(dir.path, 't-0'),
      { ...COMPACT, ...config },
      { hadCleanShutdown, now: () => nowMs },
    );
    opened.push(log);
    return log;
  };
  const cleaner = (): LogCleaner => new LogCleaner({ logger: silentLogger, now: () => nowMs });
  const ref = (log: PartitionLog): HostedLogRef => ({ log, logDir: dir.path });
  /** Appends each group as its own segment (the last one stays active). */
  const appendSegments = async (log: PartitionLog, segments: readonly (readonly Entry[])[], from = 0) => {
    for (let i = 0; i < segments.length; i++) {
      await log.appendAsLeader(keyedBatch(segments[i]!, (from + i + 1) * SEGMENT_SPACING_MS), 0);
    }
  };

  beforeEach(async () => {
    dir = await tempDir('sluice-cleaner-');
    nowMs = 1_000_000;
  });
  afterEach(async () => {
    for (const log of opened.splice(0)) await log.close().catch(() => {});
    await dir.cleanup();
  });

  it('keeps the latest record per key at its offset and leaves the active segment alone', async () => {
    const log = await open();
    await appendSegments(log, [
      [
        ['a', 'a1'],
        ['b', 'b1'],
      ],
      [
        ['a', 'a2'],
        ['c', 'c1'],
        ['b', 'b2'],
      ],
      [['a', 'a3']],
    ]);
    assert.equal(log.segmentCount, 3);
    const activePath = join(log.dir, `${offsetFileStem(5)}.log`);
    const activeBefore = await readFile(activePath);
    const result = await cleaner().clean(ref(log), true);
    assert.equal(result.cleaned, true);
    assert.equal(result.cleanedUpTo, 5);
    assert.equal(result.recordsRemoved, 2);
    // a2 stays: the newer a3 is in the active segment, which is never cleaned nor mapped.
    assert.deepEqual(await readEverything(log), [
      { offset: 2, key: 'a', value: 'a2' },
      { offset: 3, key: 'c', value: 'c1' },
      { offset: 4, key: 'b', value: 'b2' },
      { offset: 5, key: 'a', value: 'a3' },
    ]);
    assert.deepEqual(await readFile(activePath), activeBefore);
    assert.equal(log.logStartOffset, 0);
    assert.equal(log.logEndOffset, 6);
    assert.deepEqual(log.segmentBaseOffsets, [0, 2, 5]);
  });

  it('rewrites batches with a fresh CRC, kept lastOffsetDelta and producer fields', async () => {
    const log = await open();
    await log.appendAsLeader(
      keyedBatch(
        [
          ['k', 'v1'],
          ['x', 'x1'],
          ['k', 'v2'],
          ['k', 'v3'],
        ],
        SEGMENT_SPACING_MS,
        { producerId: 7, producerEpoch: 2, baseSequence: 0, compression: 'gzip' },
      ),
      3,
    );
    await appendSegments(log, [[['y', 'y1']]], 1);
    await cleaner().clean(ref(log), true);
    const { records } = await log.read(0, 1 << 20);
    const [first] = Array.from(batchesIn(records));
    const header = readBatchHeader(records, first!.position);
    assert.equal(header.baseOffset, 0);
    assert.equal(header.lastOffsetDelta, 3);
    assert.equal(header.recordCount, 2);
    assert.equal(header.producerId, 7);
    assert.equal(header.producerEpoch, 2);
    assert.equal(header.baseSequence, 0);
    assert.equal(header.partitionLeaderEpoch, 3);
    assert.equal(header.attributes & 7, 1, 'still gzip');
    assert.equal(header.maxTimestamp, SEGMENT_SPACING_MS + 3);
    assert.deepEqual(
      recordsIn(records).filter((r) => r.offset < 4),
      [
        { offset: 1, key: 'x', value: 'x1' },
        { offset: 3, key: 'k', value: 'v3' },
      ],
    );
    // Reopened after an unclean stop, recovery validates the rewritten batch (CRC, offsets).
    await log.close();
    const reopened = await open({}, false);
    assert.deepEqual(
      (await readEverything(reopened)).map((r) => r.offset),
      [1, 3, 4],
    );
  });

  it('removes tombstones only once delete.retention.ms has passed the clean point', async () => {
    const log = await open({ deleteRetentionMs: 25_000 });
    const clean = cleaner();
    // Segment timestamps: 10 s, 20 s, 30 s, ... (SEGMENT_SPACING_MS apart).
    await appendSegments(log, [
      [
        ['a', 'a1'],
        ['a', null],
      ],
      [['b', 'b1']],
      [['c', 'c1']],
    ]);
    await clean.clean(ref(log), true);
    const values = async () => (await readEverything(log)).map((r) => `${r.key}=${r.value ?? 'null'}`);
    assert.deepEqual(await values(), ['a=null', 'b=b1', 'c=c1']);
    // Horizon = 20 s (last clean segment) - 25 s: the tombstone (10 s) stays.
    await appendSegments(log, [[['d', 'd1']], [['e', 'e1']]], 3);
    await clean.clean(ref(log), true);
    assert.deepEqual(await values(), ['a=null', 'b=b1', 'c=c1', 'd=d1', 'e=e1']);
    // Horizon = 40 s - 25 s = 15 s >= 11 s, the tombstone's segment: it goes.
    await appendSegments(log, [[['f', 'f1']], [['g', 'g1']]], 5);
    await clean.clean(ref(log), true);
    assert.deepEqual(await values(), ['b=b1', 'c=c1', 'd=d1', 'e=e1', 'f=f1', 'g=g1']);
    assert.equal(log.logStartOffset, 0, 'the emptied first segment stays');
  });

  it('does not clean segments younger than min.compaction.lag.ms', async () => {
    const log = await open({ minCompactionLagMs: 15_000 });
    await appendSegments(log, [[['a', 'a1']], [['a', 'a2']], [['a', 'a3']], [['z', 'z']]]);
    // Segments end at 10 s, 20 s, 30 s; now = 36 s: only the first two are 15 s old.
    nowMs = 36_000;
    const result = await cleaner().clean(ref(log), true);
    assert.equal(result.cleanedUpTo, 2);
    assert.deepEqual(
      (await readEverything(log)).map((r) => r.value),
      ['a2', 'a3', 'z'],
    );
    nowMs = 100_000;
    await cleaner().clean(ref(log), true);
    assert.deepEqual(
      (await readEverything(log)).map((r) => r.value),
      ['a3', 'z'],
    );
  });

  it('skips a log below min.cleanable.dirty.ratio unless forced', async () => {
    const log = await open({ minCleanableDirtyRatio: 0.9 });
    const clean = cleaner();
    await appendSegments(log, [[['a', 'a1']], [['a', 'a2']], [['z', 'z']]]);
    assert.equal(await clean.runPass([ref(log)]), 1, 'all dirty: ratio 1');
    await appendSegments(log, [[['a', 'a3']], [['z', 'z']]], 3);
    assert.equal(await clean.runPass([ref(log)]), 0, 'one dirty segment of three');
    assert.equal((await clean.clean(ref(log), true)).cleaned, true);
  });

  it('refuses records without a key on a compacted topic (CORRUPT_MESSAGE)', async () => {
    const log = await open();
    await rejectsWithCode(log.appendAsLeader(keyedBatch([[null, 'v']], 1000), 0), 'CORRUPT_MESSAGE');
    assert.equal(log.logEndOffset, 0);
  });

  it('keeps old segments of a compact-only topic from retention', async () => {
    const log = await open({ retentionMs: 1, retentionBytes: 1 });
    await appendSegments(log, [[['a', 'a1']], [['b', 'b1']], [['c', 'c1']]]);
    assert.equal(await log.deleteOldSegments(), 0);
    await log.close();
    const both = await open({ cleanupPolicy: ['compact', 'delete'], retentionMs: 1 });
    assert.equal(await both.deleteOldSegments(), 2);
  });

  it('returns exactly the kept records when read in small pieces across cleaned segments', async () => {
    const log = await open();
    const segments: Entry[][] = [];
    for (let s = 0; s < 6; s++) {
      segments.push(Array.from({ length: 20 }, (_, i): Entry => [`k${(s * 7 + i) % 13}`, `v${s}-${i}`]));
    }
    await appendSegments(log, segments);
    await cleaner().clean(ref(log), true);
    const all = segments.flat().map(([key, value], offset) => ({ offset, key, value }));
    const closedEnd = 100; // the last group (offsets 100..119) is the active segment
    const expected = all.filter(
      (record) =>
        record.offset >= closedEnd ||
        !all.some(
          (later) => later.key === record.key && later.offset > record.offset && later.offset < closedEnd,
        ),
    );
    for (const maxBytes of [1, 100, 1 << 20]) assert.deepEqual(await readEverything(log, maxBytes), expected);
    // Timestamp lookups go through the rebuilt time indexes.
    const found = await log.offsetForTimestamp(4 * SEGMENT_SPACING_MS);
    // Segment 3 (offsets 60..79) is the first with timestamps from 40 s.
    assert.equal(found?.offset, expected.find((record) => record.offset >= 60)!.offset);
  });

  describe('crash recovery', () => {
    /** A log with duplicates, and the cleaned files of its first segment made in a twin directory. */
    const prepare = async (): Promise<{ cleanedDir: string; expected: Seen[] }> => {
      const twinRoot = join(dir.path, 'twin');
      await mkdir(twinRoot);
      const segments: Entry[][] = [
        [
          ['a', 'a1'],
          ['b', 'b1'],
        ],
        [['a', 'a2']],
        [['z', 'z']],
      ];
      const log = await open();
      await appendSegments(log, segments);
      await log.close();
      const twin = await openLog(join(twinRoot, 't-0'), COMPACT, { now: () => nowMs });
      await appendSegments(twin, segments);
      await cleaner().clean({ log: twin, logDir: twinRoot }, true);
      const expected = await readEverything(twin);
      await twin.close();
      return { cleanedDir: join(twinRoot, 't-0'), expected };
    };
    const stem = offsetFileStem(0);
    const suffixes = ['.log', '.index', '.timeindex'];

    it('discards .cleaned files of an uncommitted clean', async () => {
      const { cleanedDir } = await prepare();
      const logDir = join(dir.path, 't-0');
      for (const suffix of suffixes)
        await copyFile(join(cleanedDir, stem + suffix), join(logDir, `${stem}${suffix}.cleaned`));
      // A partial commit: one index already renamed .swap, the log not.
      await copyFile(join(cleanedDir, `${stem}.index`), join(logDir, `${stem}.index.swap`));
      const log = await open({}, false);
      assert.deepEqual(
        (await readEverything(log)).map((r) => r.value),
        ['a1', 'b1', 'a2', 'z'],
      );
      assert.deepEqual(
        (await readdir(logDir)).filter((name) => name.endsWith('.cleaned') || name.endsWith('.swap')),
        [],
      );
    });

    it('completes a committed swap, before or after the original files went', async () => {
      for (const originalsGone of [false, true]) {
        const { cleanedDir, expected } = await prepare();
        const logDir = join(dir.path, 't-0');
        for (const suffix of suffixes) {
          await copyFile(join(cleanedDir, stem + suffix), join(logDir, `${stem}${suffix}.swap`));
        }
        if (originalsGone) {
          // A crash in the install: the originals deleted, one index already renamed into place.
          await rm(join(logDir, `${stem}.log`));
          await rm(join(logDir, `${stem}.index`));
          await rename(join(logDir, `${stem}.index.swap`), join(logDir, `${stem}.index`));
        }
        const log = await open({}, false);
        assert.deepEqual(await readEverything(log), expected);
        assert.deepEqual(
          (await readdir(logDir)).filter((name) => name.endsWith('.swap')),
          [],
        );
        await log.close();
        opened.splice(0);
        await dir.cleanup();
        dir = await tempDir('sluice-cleaner-');
      }
    });
  });

  describe('in the log manager', () => {
    it('cleans on demand, writes cleaner-offset-checkpoint, and runs passes on its timer', async () => {
      const manager = await LogManager.open({
        logDirs: [dir.path],
        defaultConfig: testConfig(COMPACT),
        logger: silentLogger,
        retentionCheckIntervalMs: 600_000,
        flushCheckpointIntervalMs: 600_000,
        now: () => nowMs,
        cleanerBackoffMs: 20,
      });
      try {
        const log = await manager.getOrCreateLog('offsets', 0);
        const other = await manager.getOrCreateLog('offsets', 1);
        await appendSegments(log, [[['a', 'a1']], [['a', 'a2']], [['z', 'z']]]);
        // The background loop may have been first (it runs every 20 ms): either way the clean ends at 2.
        const result = await manager.cleanLogNow('offsets', 0);
        assert.equal(result.cleanedUpTo, 2);
        const stored = await readOffsetCheckpoint(join(dir.path, CLEANER_CHECKPOINT_FILE));
        assert.deepEqual([...stored], [['offsets-0', 2]]);
        assert.equal(await manager.cleanerCheckpoint('offsets', 0), 2);
        // The background loop finds the other partition's dirty segments by itself.
        await appendSegments(other, [[['b', 'b1']], [['b', 'b2']], [['z', 'z']]]);
        for (let i = 0; i < 200 && (await manager.cleanerCheckpoint('offsets', 1)) < 2; i++) {
          await new Promise((resolve) => setTimeout(resolve, 10));
        }
        assert.equal(await manager.cleanerCheckpoint('offsets', 1), 2);
        assert.deepEqual(
          (await readEverything(other)).map((r) => r.value),
          ['b2', 'z'],
        );
      } finally {
        await manager.close();
      }
    });

    it('does not run the loop with log.cleaner.enable=false', async () => {
      const manager = await LogManager.open({
        logDirs: [dir.path],
        defaultConfig: testConfig(COMPACT),
        logger: silentLogger,
        retentionCheckIntervalMs: 600_000,
        flushCheckpointIntervalMs: 600_000,
        now: () => nowMs,
        cleanerEnable: false,
        cleanerBackoffMs: 5,
      });
      try {
        const log = await manager.getOrCreateLog('offsets', 0);
        await appendSegments(log, [[['a', 'a1']], [['a', 'a2']], [['z', 'z']]]);
        await new Promise((resolve) => setTimeout(resolve, 100));
        assert.equal(await manager.cleanerCheckpoint('offsets', 0), 0);
        assert.equal((await readEverything(log)).length, 3);
      } finally {
        await manager.close();
      }
    });
  });

  it('agrees with a model of key -> last value (property)', async () => {
    const keys = ['a', 'b', 'c', 'd', 'e'];
    const entry = fc.tuple(
      fc.constantFrom(...keys),
      fc.option(fc.string({ maxLength: 6 }), { nil: null, freq: 4 }),
    );
    const batches = fc.array(fc.array(entry, { minLength: 1, maxLength: 5 }), {
      minLength: 1,
      maxLength: 12,
    });
    // Rounds of batches (each one its own segment), each round followed or not by a clean.
    const script = fc.array(fc.tuple(batches, fc.boolean()), { minLength: 1, maxLength: 4 });
    await fc.assert(
      fc.asyncProperty(script, async (rounds) => {
        await dir.cleanup();
        dir = await tempDir('sluice-cleaner-');
        let log = await open({ deleteRetentionMs: 0 });
        const clean = cleaner();
        const model = new Map<string, string | null>();
        let segment = 1;
        try {
          for (const [roundBatches, cleanAfter] of rounds) {
            for (const entries of roundBatches) {
              segment++;
              await log.appendAsLeader(keyedBatch(entries as Entry[], segment * SEGMENT_SPACING_MS), 0);
              for (const [key, value] of entries) model.set(key, value);
            }
            if (cleanAfter) await clean.clean(ref(log), true);
            const seen = await readEverything(log, 64);
            // Offsets increase; the latest value of every key is what the model says.
            for (let i = 1; i < seen.length; i++) assert.ok(seen[i]!.offset > seen[i - 1]!.offset);
            const latest = new Map<string, string | null>();
            for (const record of seen) latest.set(record.key!, record.value);
            const live = (map: Map<string, string | null>) =>
              [...map].filter(([, value]) => value !== null).sort(([a], [b]) => a.localeCompare(b));
            assert.deepEqual(live(latest), live(model));
            // Below the clean point a key appears once at most.
            const checkpoint = await clean.checkpointOf(ref(log));
            const cleanKeys = seen.filter((r) => r.offset < checkpoint).map((r) => r.key);
            assert.equal(new Set(cleanKeys).size, cleanKeys.length);
          }
          // After an unclean stop, recovery accepts every cleaned batch and the log reads the same.
          const before = await readEverything(log);
          await log.close();
          log = await open({ deleteRetentionMs: 0 }, false);
          assert.deepEqual(await readEverything(log, 64), before);
        } finally {
          for (const each of opened.splice(0)) await each.close();
        }
      }),
      { numRuns: 40 },
    );
  });
});
