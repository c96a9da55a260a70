// A full disk on one log dir (a 1 MiB tmpfs) takes that dir offline with KAFKA_STORAGE_ERROR to
// callers; the process keeps going and the other dir keeps serving. Needs root for mount(8): when the
// mount fails the test fails and says why, it is never skipped.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { access, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { promisify } from 'node:util';
import { encodeRecordBatch, KafkaError } from '@sluice/protocol';
import { LogManager } from '../../src/log/log-manager.ts';
import { readAll, rejectsWithCode, silentLogger, tempDir, testConfig } from './helpers.ts';

const run = promisify(execFile);

async function mountTmpfs(path: string, size: string): Promise<void> {
  try {
    await run('mount', ['-t', 'tmpfs', '-o', `size=${size}`, 'tmpfs', path]);
  } catch (err) {
    throw new Error(
      `this test mounts a ${size} tmpfs to fill a disk and needs root and mount(8); mount failed: ${(err as Error).message}`,
    );
  }
}

const batch = (index: number): Buffer =>
  encodeRecordBatch(
    Array.from({ length: 16 }, (_, i) => ({
      value: Buffer.alloc(1000, 65 + ((index + i) % 26)),
      timestamp: 1000 + index,
    })),
  );

describe('a full disk', () => {
  it('takes its log dir offline with KAFKA_STORAGE_ERROR while the other dir keeps serving', async (t) => {
    const root = await tempDir('sluice-full-');
    const small = join(root.path, 'small');
    const large = join(root.path, 'large');
    await mkdir(small);
    await mountTmpfs(small, '1m');
    const failures: string[] = [];
    let manager: LogManager | undefined;
    try {
      manager = await LogManager.open({
        logDirs: [small, large],
        defaultConfig: testConfig({ segmentBytes: 10 * 1024 * 1024 }),
        logger: silentLogger,
        retentionCheckIntervalMs: 3_600_000,
        flushCheckpointIntervalMs: 3_600_000,
        onLogDirFailure: (dir) => failures.push(dir),
      });
      const filling = await manager.getOrCreateLog('t', 0);
      const healthy = await manager.getOrCreateLog('t', 1);
      assert.equal(manager.logDirOf('t', 0), small);
      assert.equal(manager.logDirOf('t', 1), large);

      let acked = 0;
      let failure: unknown = null;
      // 1 MiB holds about 60 of these 16 KiB batches: the bound is only a guard.
      for (let i = 0; i < 200 && failure === null; i++) {
        try {
          await filling.appendAsLeader(batch(i), 0);
          acked++;
        } catch (err) {
          failure = err;
        }
      }
      assert.ok(failure instanceof KafkaError, `expected a KafkaError, got ${String(failure)}`);
      assert.equal(failure.errorName, 'KAFKA_STORAGE_ERROR');
      assert.match(failure.message, /ENOSPC/);
      assert.ok(acked > 30 && acked < 70, `${acked} batches fit`);
      assert.deepEqual(failures, [small]);
      assert.deepEqual(manager.offlineLogDirs(), [small]);

      await rejectsWithCode(filling.appendAsLeader(batch(0), 0), 'KAFKA_STORAGE_ERROR');
      await rejectsWithCode(filling.read(0, 1000), 'KAFKA_STORAGE_ERROR');
      await rejectsWithCode(filling.flush(), 'KAFKA_STORAGE_ERROR');
      await rejectsWithCode(manager.getOrCreateLog('t', 0), 'KAFKA_STORAGE_ERROR');

      for (let i = 0; i < 10; i++) await healthy.appendAsLeader(batch(i), 0);
      assert.equal((await readAll(healthy)).length, 160);
      const created = await manager.getOrCreateLog('t', 2);
      assert.equal(manager.logDirOf('t', 2), large, 'new logs go to the dir that is still online');
      await created.appendAsLeader(batch(0), 0);

      await manager.close();
      manager = undefined;
      await assert.rejects(
        access(join(small, '.kafka_cleanshutdown')),
        'no clean-shutdown marker on the full dir',
      );
      await access(join(large, '.kafka_cleanshutdown'));

      // A restart while the disk is still full does not crash either: the dir stays offline, or comes
      // back if recovery found the room it needs.
      const options = {
        logDirs: [small, large],
        defaultConfig: testConfig({ segmentBytes: 10 * 1024 * 1024 }),
        logger: silentLogger,
        retentionCheckIntervalMs: 3_600_000,
        flushCheckpointIntervalMs: 3_600_000,
      };
      manager = await LogManager.open(options);
      assert.equal(manager.getLog('t', 1)!.logEndOffset, 160);
      const stillFull = manager.offlineLogDirs().length > 0;
      await manager.close();
      manager = undefined;

      // Once the operator makes room, the full dir's log recovers to its last whole batch: every ack is there.
      await run('mount', ['-o', 'remount,size=4m', small]);
      manager = await LogManager.open(options);
      assert.deepEqual(manager.offlineLogDirs(), []);
      const recovered = manager.getLog('t', 0)!;
      assert.ok(recovered.logEndOffset >= acked * 16, `${recovered.logEndOffset} < ${acked * 16}`);
      assert.equal((await readAll(recovered)).length, recovered.logEndOffset);
      await recovered.appendAsLeader(batch(0), 0);
      t.diagnostic(
        `${acked} batches fit; restart while full: ${stillFull ? 'dir stayed offline' : 'recovered'}; ` +
          `after making room: recovered to offset ${recovered.logEndOffset - 16}`,
      );
    } finally {
      await manager?.close().catch(() => {});
      let unmountError: Error | null = null;
      try {
        await run('umount', [small]);
      } catch (err) {
        // Never leave a mount behind, even when something still holds a file open in it.
        await run('umount', ['-l', small]).catch(() => {});
        unmountError = new Error(`could not unmount ${small} cleanly: ${(err as Error).message}`);
      }
      await root.cleanup();
      if (unmountError !== null) assert.fail(unmountError);
    }
  });
});
