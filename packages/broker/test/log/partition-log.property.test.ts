// Random sequences of appends (leader and follower), reads, rolls (tiny segments and indexes),
// truncations, retention, timestamp lookups and restarts (clean, and unclean with a torn tail) run
// against a PartitionLog and against a plain in-memory model; both must agree after every step.
import assert from 'node:assert/strict';
import { stat, truncate } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { encodeRecordBatch, setBaseOffset, setPartitionLeaderEpoch } from '@sluice/protocol';
import fc from 'fast-check';
import type { LogConfig } from '../../src/log/log-config.ts';
import type { PartitionLog } from '../../src/log/partition-log.ts';
import { openLog, recordsOf, tempDir } from './helpers.ts';

interface ModelRecord {
  offset: number;
  timestamp: number;
  value: string | null;
  leaderEpoch: number;
}

interface ModelBatch {
  baseOffset: number;
  lastOffset: number;
  size: number;
  records: ModelRecord[];
}

/** The log as a list of batches, and the offsets that bound it. */
class Model {
  batches: ModelBatch[] = [];
  logStartOffset = 0;
  logEndOffset = 0;

  /** Batches holding at least one offset >= the log start offset. */
  get visible(): ModelBatch[] {
    return this.batches.filter((batch) => batch.lastOffset >= this.logStartOffset);
  }

  records(): ModelRecord[] {
    return this.visible.flatMap((batch) => batch.records.filter((r) => r.offset >= this.logStartOffset));
  }

  /** Removes every batch whose last offset is >= offset, as truncateTo does. */
  truncateTo(offset: number): void {
    const firstRemoved = this.batches.find((batch) => batch.lastOffset >= offset);
    this.batches = this.batches.filter((batch) => batch.lastOffset < offset);
    this.logEndOffset = firstRemoved === undefined ? offset : Math.min(offset, firstRemoved.baseOffset);
    this.logStartOffset = Math.min(this.logStartOffset, this.logEndOffset);
  }
}

type Command =
  | { kind: 'leader'; values: string[]; timestamps: number[]; bumpEpoch: boolean }
  | { kind: 'follower'; gap: number; batches: number; values: string[] }
  | { kind: 'read'; at: number; maxBytes: number; limitBack: number | null }
  | { kind: 'truncate'; at: number }
  | { kind: 'truncateFully'; ahead: number }
  | { kind: 'deleteRecords'; at: number }
  | { kind: 'retention'; retentionBytes: number }
  | { kind: 'timestamp'; timestamp: number }
  | { kind: 'reopen' }
  | { kind: 'crash'; tearBytes: number };

const value = fc.string({ minLength: 0, maxLength: 40 });
const fraction = fc.double({ min: 0, max: 1, noNaN: true });
const command: fc.Arbitrary<Command> = fc.oneof(
  {
    weight: 10,
    arbitrary: fc
      .array(fc.tuple(value, fc.integer({ min: 1000, max: 1100 })), { minLength: 1, maxLength: 5 })
      .chain((records) =>
        fc.record({
          kind: fc.constant('leader' as const),
          values: fc.constant(records.map(([v]) => v)),
          timestamps: fc.constant(records.map(([, t]) => t)),
          bumpEpoch: fc.boolean(),
        }),
      ),
  },
  {
    weight: 3,
    arbitrary: fc.record({
      kind: fc.constant('follower' as const),
      gap: fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 5 })),
      batches: fc.integer({ min: 1, max: 3 }),
      values: fc.array(value, { minLength: 1, maxLength: 3 }),
    }),
  },
  {
    weight: 6,
    arbitrary: fc.record({
      kind: fc.constant('read' as const),
      at: fraction,
      maxBytes: fc.integer({ min: 0, max: 1500 }),
      limitBack: fc.option(fc.integer({ min: 0, max: 10 }), { nil: null }),
    }),
  },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('truncate' as const), at: fraction }) },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant('truncateFully' as const),
      ahead: fc.integer({ min: 0, max: 20 }),
    }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('deleteRecords' as const), at: fraction }) },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant('retention' as const),
      retentionBytes: fc.integer({ min: 0, max: 3000 }),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant('timestamp' as const),
      timestamp: fc.integer({ min: 990, max: 1110 }),
    }),
  },
  { weight: 1, arbitrary: fc.constant({ kind: 'reopen' as const }) },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant('crash' as const),
      tearBytes: fc.integer({ min: 0, max: 120 }),
    }),
  },
);

const settings = fc.record({
  segmentBytes: fc.integer({ min: 300, max: 2500 }),
  indexIntervalBytes: fc.integer({ min: 0, max: 300 }),
  segmentIndexBytes: fc.integer({ min: 24, max: 200 }),
});

function pick(at: number, low: number, high: number): number {
  return low + Math.floor(at * (high - low + 1 - 1e-9));
}

async function runScenario(
  config: Pick<LogConfig, 'segmentBytes' | 'indexIntervalBytes' | 'segmentIndexBytes'>,
  commands: readonly Command[],
): Promise<void> {
  const dir = await tempDir('sluice-prop-');
  const logConfig = { ...config, retentionMs: -1, retentionBytes: -1, segmentMs: 2 ** 40 };
  let log: PartitionLog = await openLog(dir.path, logConfig);
  const model = new Model();
  let epoch = 0;
  try {
    for (const cmd of commands) {
      switch (cmd.kind) {
        case 'leader': {
          if (cmd.bumpEpoch) epoch++;
          const batch = encodeRecordBatch(
            cmd.values.map((v, i) => ({ value: Buffer.from(v), timestamp: cmd.timestamps[i]! })),
          );
          if (batch.length > config.segmentBytes) break;
          const result = await log.appendAsLeader(batch, epoch);
          assert.equal(result.baseOffset, model.logEndOffset);
          model.batches.push({
            baseOffset: result.baseOffset,
            lastOffset: result.lastOffset,
            size: batch.length,
            records: cmd.values.map((v, i) => ({
              offset: result.baseOffset + i,
              timestamp: cmd.timestamps[i]!,
              value: v,
              leaderEpoch: epoch,
            })),
          });
          model.logEndOffset = result.lastOffset + 1;
          break;
        }
        case 'follower': {
          epoch++;
          let offset = model.logEndOffset + cmd.gap;
          const buffers: Buffer[] = [];
          const batches: ModelBatch[] = [];
          for (let b = 0; b < cmd.batches; b++) {
            const batch = encodeRecordBatch(
              cmd.values.map((v, i) => ({ value: Buffer.from(v), timestamp: 1000 + i })),
            );
            setBaseOffset(batch, 0, offset);
            setPartitionLeaderEpoch(batch, 0, epoch);
            buffers.push(batch);
            batches.push({
              baseOffset: offset,
              lastOffset: offset + cmd.values.length - 1,
              size: batch.length,
              records: cmd.values.map((v, i) => ({
                offset: offset + i,
                timestamp: 1000 + i,
                value: v,
                leaderEpoch: epoch,
              })),
            });
            offset += cmd.values.length;
          }
          if (batches.some((b) => b.size > config.segmentBytes)) break;
          const result = await log.appendAsFollower(Buffer.concat(buffers));
          assert.equal(result.lastOffset, offset - 1);
          model.batches.push(...batches);
          model.logEndOffset = offset;
          break;
        }
        case 'read': {
          const offset = pick(cmd.at, model.logStartOffset, model.logEndOffset);
          const limit = cmd.limitBack === null ? undefined : Math.max(model.logEndOffset - cmd.limitBack, 0);
          const { records, logStartOffset, logEndOffset } = await log.read(offset, cmd.maxBytes, limit);
          assert.equal(logStartOffset, model.logStartOffset);
          assert.equal(logEndOffset, model.logEndOffset);
          const got = recordsOf(records);
          const bound = limit ?? model.logEndOffset;
          const first = model.batches.find((batch) => batch.lastOffset >= offset);
          if (offset >= bound || first === undefined || first.lastOffset >= bound) {
            assert.equal(got.length, 0, `read(${offset}) should be empty below ${bound}`);
            break;
          }
          assert.ok(got.length > 0, `read(${offset}, ${cmd.maxBytes}, ${limit}) returned nothing`);
          const start = model.batches.indexOf(first);
          let bytes = 0;
          const expected: ModelRecord[] = [];
          let b = start;
          for (; b < model.batches.length; b++) {
            const batch = model.batches[b]!;
            if (batch.lastOffset >= bound) break;
            if (b > start && bytes + batch.size > cmd.maxBytes) break;
            bytes += batch.size;
            expected.push(...batch.records);
          }
          // A read serves one segment: it may stop early at a segment boundary, never run past the limit.
          assert.ok(records.length <= Math.max(bytes, first.size));
          assert.deepEqual(got, expected.slice(0, got.length));
          assert.ok(got.length >= first.records.length);
          break;
        }
        case 'truncate': {
          const offset = pick(cmd.at, 0, model.logEndOffset);
          const firstBase = log.segmentBaseOffsets[0]!;
          await log.truncateTo(offset);
          if (offset >= model.logEndOffset) break;
          if (offset < firstBase) {
            model.batches = [];
            model.logStartOffset = offset;
            model.logEndOffset = offset;
          } else {
            model.truncateTo(offset);
          }
          break;
        }
        case 'truncateFully': {
          const offset = model.logEndOffset + cmd.ahead;
          await log.truncateFullyAndStartAt(offset);
          model.batches = [];
          model.logStartOffset = offset;
          model.logEndOffset = offset;
          break;
        }
        case 'deleteRecords': {
          const offset = pick(cmd.at, model.logStartOffset, model.logEndOffset);
          log.setHighWatermark(model.logEndOffset);
          assert.equal(await log.deleteRecordsBefore(offset), Math.max(offset, model.logStartOffset));
          model.logStartOffset = Math.max(offset, model.logStartOffset);
          break;
        }
        case 'retention': {
          log.updateConfig({ ...log.config, retentionBytes: cmd.retentionBytes });
          const activeBase = log.segmentBaseOffsets.at(-1)!;
          await log.deleteOldSegments();
          log.updateConfig({ ...log.config, retentionBytes: -1 });
          const start = log.logStartOffset;
          assert.ok(start >= model.logStartOffset && start <= Math.max(activeBase, model.logStartOffset));
          assert.equal(log.segmentBaseOffsets.at(-1), activeBase, 'the active segment is never deleted');
          model.logStartOffset = start;
          break;
        }
        case 'timestamp': {
          const expected = model.records().find((r) => r.timestamp >= cmd.timestamp);
          const found = await log.offsetForTimestamp(cmd.timestamp);
          assert.deepEqual(
            found,
            expected === undefined ? null : { offset: expected.offset, timestamp: expected.timestamp },
          );
          break;
        }
        case 'reopen': {
          await log.close();
          log = await openLog(dir.path, logConfig, { logStartOffset: model.logStartOffset });
          break;
        }
        case 'crash': {
          // The tail past the recovery point was not flushed: tear off its last bytes, restart unclean.
          const lastBase = log.segmentBaseOffsets.at(-1)!;
          await log.close();
          const path = join(dir.path, `${String(lastBase).padStart(20, '0')}.log`);
          const size = (await stat(path)).size;
          const newSize = Math.max(0, size - cmd.tearBytes);
          await truncate(path, newSize);
          log = await openLog(dir.path, logConfig, {
            logStartOffset: model.logStartOffset,
            hadCleanShutdown: false,
            recoveryPoint: lastBase,
          });
          let position = 0;
          let keptInLast = 0;
          const kept: ModelBatch[] = [];
          for (const batch of model.batches) {
            if (batch.baseOffset < lastBase) kept.push(batch);
            else if (position + batch.size <= newSize) {
              kept.push(batch);
              keptInLast++;
              position += batch.size;
            } else break;
          }
          if (kept.length < model.batches.length) {
            model.batches = kept;
            // An emptied segment still starts at its base offset: the log ends there.
            model.logEndOffset = keptInLast > 0 ? kept.at(-1)!.lastOffset + 1 : lastBase;
            if (model.logEndOffset < model.logStartOffset) {
              model.batches = [];
              model.logEndOffset = model.logStartOffset;
            }
          }
          break;
        }
      }
      assert.equal(log.logEndOffset, model.logEndOffset, `log end offset after ${cmd.kind}`);
      assert.equal(log.logStartOffset, model.logStartOffset, `log start offset after ${cmd.kind}`);
      const latest = model.batches.at(-1)?.records[0]?.leaderEpoch;
      if (latest !== undefined && model.logEndOffset > model.logStartOffset) {
        assert.equal(log.endOffsetForEpoch(latest).endOffset, model.logEndOffset);
      }
    }
    // Everything the model holds, read back in small steps.
    const all: ModelRecord[] = [];
    let offset = model.logStartOffset;
    while (offset < model.logEndOffset) {
      const got = recordsOf((await log.read(offset, 500)).records).filter((r) => r.offset >= offset);
      if (got.length === 0) {
        offset++;
        continue;
      }
      all.push(...got);
      offset = got.at(-1)!.offset + 1;
    }
    assert.deepEqual(all, model.records());
  } finally {
    await log.close().catch(() => {});
    await dir.cleanup();
  }
}

describe('PartitionLog against an in-memory model', () => {
  // SLUICE_PROPERTY_CASE='<counterexample JSON>' replays one failure printed by fast-check.
  const replay = process.env.SLUICE_PROPERTY_CASE;
  if (replay !== undefined) {
    it('replays SLUICE_PROPERTY_CASE', async () => {
      const [config, commands] = JSON.parse(replay) as [Parameters<typeof runScenario>[0], Command[]];
      await runScenario(config, commands);
    });
  }

  it('agrees on random appends, reads, rolls, truncations, retention and restarts', async () => {
    await fc.assert(
      fc.asyncProperty(settings, fc.array(command, { minLength: 5, maxLength: 60 }), runScenario),
      { numRuns: Number(process.env.SLUICE_PROPERTY_RUNS ?? 200) },
    );
  });
});
