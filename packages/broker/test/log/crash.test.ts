// SIGKILL a writer at random moments over many bounded rounds. After each kill the log, reopened
// (and so recovered), must be a prefix of what was written: offsets 0..n-1 with exactly the values
// written there, every acknowledged and every flushed record present, every batch valid.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { describe, it } from 'node:test';
import { batchesIn, decodeRecords, validateRecordBatch } from '@sluice/protocol';
import { CLEAN_SHUTDOWN_FILE } from '../../src/log/log-files.ts';
import { LogManager } from '../../src/log/log-manager.ts';
import { recordValue } from './fixtures/record-value.ts';
import { recordingLogger, tempDir, testConfig } from './helpers.ts';

const ROUNDS = Number(process.env.SLUICE_CRASH_ROUNDS ?? 12);
const ROUND_TIMEOUT_MS = 30_000;
const WRITER = join(import.meta.dirname, 'fixtures', 'crash-writer.ts');

interface RoundResult {
  maxAcked: number;
  maxFlushed: number;
}

/** Runs the writer until it has acknowledged `killAfter` appends, then SIGKILLs it. */
function runWriter(
  dir: string,
  epoch: number,
  flushMessages: number,
  killAfter: number,
  seed: number,
): Promise<RoundResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [WRITER, dir, String(epoch), String(flushMessages), String(seed)], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let acks = 0;
    let ready = false;
    let killed = false;
    const result: RoundResult = { maxAcked: -1, maxFlushed: 0 };
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    const kill = (): void => {
      if (killed) return;
      killed = true;
      child.kill('SIGKILL');
    };
    const timer = setTimeout(() => {
      kill();
      reject(new Error(`writer made no progress in ${ROUND_TIMEOUT_MS} ms (acks ${acks}): ${stderr}`));
    }, ROUND_TIMEOUT_MS);
    createInterface({ input: child.stdout }).on('line', (line) => {
      const [word, first, second] = line.split(' ');
      if (word === 'ready') ready = true;
      if (word === 'acked') {
        acks++;
        result.maxAcked = Math.max(result.maxAcked, Number(first));
        result.maxFlushed = Math.max(result.maxFlushed, Number(second));
      }
      if (ready && acks >= killAfter) kill();
    });
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      if (signal !== 'SIGKILL') reject(new Error(`writer exited on its own (${code}, ${signal}): ${stderr}`));
      else resolve(result);
    });
  });
}

describe('crash safety', () => {
  it(`keeps a valid prefix of what was written across ${ROUNDS} SIGKILLs`, async (t) => {
    const root = await tempDir('sluice-crash-');
    const dir = join(root.path, 'logs');
    // Printed with any failure: SLUICE_CRASH_SEED=<seed> replays the same rounds.
    const initialSeed = Number(process.env.SLUICE_CRASH_SEED ?? Date.now() % 1_000_000);
    let seed = initialSeed;
    const random = (): number => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    try {
      let previousEnd = 0;
      let tornTails = 0;
      for (let round = 1; round <= ROUNDS; round++) {
        const flushMessages = random() < 0.3 ? 1 + Math.floor(random() * 50) : Number.MAX_SAFE_INTEGER;
        const killAfter = Math.floor(random() * random() * 400);
        const acked = await runWriter(dir, round, flushMessages, killAfter, Math.floor(random() * 1e9));

        const { logger, lines } = recordingLogger('warn');
        const manager = await LogManager.open({
          logDirs: [dir],
          defaultConfig: testConfig({ segmentBytes: 256 * 1024, indexIntervalBytes: 1024, retentionMs: -1 }),
          logger,
          retentionCheckIntervalMs: 3_600_000,
          flushCheckpointIntervalMs: 3_600_000,
        });
        try {
          const log = manager.getLog('crash', 0);
          assert.ok(log, `round ${round}: the partition is loaded`);
          const end = log.logEndOffset;
          const context = `round ${round} (SLUICE_CRASH_SEED=${initialSeed}, kill after ${killAfter}, flush.messages ${flushMessages})`;
          assert.ok(end >= previousEnd, `${context}: log end ${end} went back from ${previousEnd}`);
          assert.ok(
            end > acked.maxAcked,
            `${context}: acknowledged offset ${acked.maxAcked} lost (end ${end})`,
          );
          assert.ok(
            end >= acked.maxFlushed,
            `${context}: flushed offset ${acked.maxFlushed} lost (end ${end})`,
          );
          let offset = 0;
          while (offset < end) {
            const { records } = await log.read(offset, 512 * 1024);
            assert.ok(records.length > 0, `${context}: nothing served at ${offset} below ${end}`);
            for (const { position, size } of batchesIn(records)) {
              validateRecordBatch(records, position, size);
              for (const record of decodeRecords(records, position)) {
                assert.equal(record.offset, offset, `${context}: offsets must be contiguous`);
                assert.ok(record.value?.equals(recordValue(offset)), `${context}: wrong value at ${offset}`);
                offset++;
              }
            }
          }
          assert.equal(log.endOffsetForEpoch(log.latestEpoch!).endOffset, end);
          const epochs = log.epochEntries;
          for (let i = 1; i < epochs.length; i++) {
            assert.ok(
              epochs[i]!.epoch > epochs[i - 1]!.epoch && epochs[i]!.startOffset > epochs[i - 1]!.startOffset,
            );
          }
          previousEnd = end;
          if (lines.some((line) => line.msg.includes('recovery truncated the log'))) tornTails++;
        } finally {
          await manager.close();
        }
        // Every other round the writer starts after a clean shutdown, the others recover on their own.
        if (round % 2 === 0) await unlink(join(dir, CLEAN_SHUTDOWN_FILE));
      }
      t.diagnostic(`${tornTails} of ${ROUNDS} restarts cut a torn tail; log end ${previousEnd}`);
    } finally {
      await root.cleanup();
    }
  });
});
