import assert from 'node:assert/strict';
import { access, mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import pino from 'pino';
import type { LogConfig } from '../../src/log/log-config.ts';
import type { LogManagerOptions } from '../../src/log/log-manager.ts';
import { LogManager } from '../../src/log/log-manager.ts';
import {
  batchOf,
  readAll,
  recordingLogger,
  rejectsWithCode,
  silentLogger,
  tempDir,
  testConfig,
} from './helpers.ts';

const exists = (path: string): Promise<boolean> =>
  access(path).then(
    () => true,
    () => false,
  );

describe('LogManager', () => {
  let root: { path: string; cleanup: () => Promise<void> };
  let dirs: string[];
  const managers: LogManager[] = [];
  const openManager = async (
    overrides: Partial<LogManagerOptions> = {},
    config: Partial<LogConfig> = {},
  ): Promise<LogManager> => {
    const manager = await LogManager.open({
      logDirs: dirs,
      defaultConfig: testConfig(config),
      logger: silentLogger,
      retentionCheckIntervalMs: 600_000,
      flushCheckpointIntervalMs: 600_000,
      ...overrides,
    });
    managers.push(manager);
    return manager;
  };
  beforeEach(async () => {
    root = await tempDir();
    dirs = [join(root.path, 'a'), join(root.path, 'b')];
  });
  afterEach(async () => {
    for (const manager of managers.splice(0)) await manager.close().catch(() => {});
    await root.cleanup();
  });

  it('spreads new logs over the dirs with the fewest logs', async () => {
    const manager = await openManager();
    for (let p = 0; p < 4; p++) await manager.getOrCreateLog('t', p);
    assert.deepEqual(
      [0, 1, 2, 3].map((p) => manager.logDirOf('t', p)),
      [dirs[0], dirs[1], dirs[0], dirs[1]],
    );
    assert.ok(await exists(join(dirs[0]!, 't-0')));
    assert.ok(await exists(join(dirs[1]!, 't-1')));
    assert.equal([...manager.allLogs()].length, 4);
    const same = await Promise.all([manager.getOrCreateLog('u', 0), manager.getOrCreateLog('u', 0)]);
    assert.equal(same[0], same[1]);
  });

  it('writes checkpoints and the clean-shutdown marker on close, and loads them back', async () => {
    const manager = await openManager();
    const log = await manager.getOrCreateLog('orders', 3);
    for (let i = 0; i < 10; i++) await log.appendAsLeader(batchOf([`v${i}`]), 2);
    log.setHighWatermark(7);
    await manager.close();
    const dir = dirs[0]!;
    assert.ok(await exists(join(dir, '.kafka_cleanshutdown')));
    assert.equal(
      await readFile(join(dir, 'recovery-point-offset-checkpoint'), 'utf8'),
      '0\n1\norders 3 10\n',
    );
    assert.equal(await readFile(join(dir, 'replication-offset-checkpoint'), 'utf8'), '0\n1\norders 3 7\n');
    assert.equal(await readFile(join(dir, 'log-start-offset-checkpoint'), 'utf8'), '0\n1\norders 3 0\n');
    assert.equal(await readFile(join(dir, 'orders-3', 'leader-epoch-checkpoint'), 'utf8'), '0\n1\n2 0\n');
    assert.equal(await readFile(join(dirs[1]!, 'recovery-point-offset-checkpoint'), 'utf8'), '0\n0\n');

    const { logger, lines } = recordingLogger();
    const reopened = await openManager({ logger });
    assert.equal(await exists(join(dir, '.kafka_cleanshutdown')), false, 'the marker is consumed at start');
    const loaded = reopened.getLog('orders', 3)!;
    assert.equal(loaded.logEndOffset, 10);
    assert.equal(loaded.highWatermark, 7);
    assert.equal(loaded.latestEpoch, 2);
    assert.equal((await readAll(loaded)).length, 10);
    assert.ok(!lines.some((line) => line.msg === 'recovered log after an unclean shutdown'));
  });

  it('recovers logs after an unclean stop (no marker)', async () => {
    const manager = await openManager();
    const log = await manager.getOrCreateLog('t', 0);
    for (let i = 0; i < 10; i++) await log.appendAsLeader(batchOf([`v${i}`]), 0);
    await manager.checkpoint();
    // Simulate a crash: drop the manager without close().
    managers.splice(managers.indexOf(manager), 1);
    const { logger, lines } = recordingLogger();
    const reopened = await openManager({ logger });
    assert.ok(lines.some((line) => line.msg === 'recovered log after an unclean shutdown'));
    assert.equal(reopened.getLog('t', 0)!.logEndOffset, 10);
    await log.close();
  });

  it('deletes a log and its directory', async () => {
    const manager = await openManager();
    const log = await manager.getOrCreateLog('gone', 0);
    await log.appendAsLeader(batchOf(['x']), 0);
    await manager.getOrCreateLog('kept', 0);
    await manager.deleteLog('gone', 0);
    assert.equal(manager.getLog('gone', 0), undefined);
    assert.deepEqual(await readdir(dirs[0]!).then((names) => names.filter((n) => n.startsWith('gone'))), []);
    await rejectsWithCode(log.read(0, 10), 'UNKNOWN_TOPIC_OR_PARTITION');
    await manager.deleteLog('gone', 0);
    await manager.close();
    assert.equal(await readFile(join(dirs[0]!, 'recovery-point-offset-checkpoint'), 'utf8'), '0\n0\n');
  });

  it('removes leftover *-delete directories and ignores other names at load', async () => {
    await mkdir(join(dirs[0]!, 't-0.abc123-delete'), { recursive: true });
    await writeFile(join(dirs[0]!, 't-0.abc123-delete', '00000000000000000000.log'), 'x');
    await mkdir(join(dirs[0]!, 'lost+found'), { recursive: true });
    const manager = await openManager();
    assert.equal(await exists(join(dirs[0]!, 't-0.abc123-delete')), false);
    assert.equal([...manager.allLogs()].length, 0);
  });

  it('refuses to start with a partition in two dirs', async () => {
    const first = await openManager();
    await first.getOrCreateLog('t', 0);
    await first.close();
    await mkdir(join(dirs[1]!, 't-0'), { recursive: true });
    await assert.rejects(openManager(), /both/);
  });

  it('applies topic configs to existing and future logs', async () => {
    const manager = await openManager();
    const log = await manager.getOrCreateLog('t', 0);
    manager.updateConfig('t', testConfig({ segmentBytes: 300 }));
    assert.equal(log.config.segmentBytes, 300);
    assert.equal((await manager.getOrCreateLog('t', 1)).config.segmentBytes, 300);
    assert.equal((await manager.getOrCreateLog('u', 0)).config.segmentBytes, testConfig().segmentBytes);
    assert.throws(() => manager.updateConfig('t', testConfig({ segmentBytes: 0 })), RangeError);
  });

  it('starts with an unusable dir offline and serves from the others', async () => {
    await mkdir(root.path, { recursive: true });
    await writeFile(dirs[0]!, 'not a directory');
    const failures: string[] = [];
    const manager = await openManager({ onLogDirFailure: (dir) => failures.push(dir) });
    assert.deepEqual(manager.offlineLogDirs(), [dirs[0]]);
    assert.deepEqual(manager.liveLogDirs(), [dirs[1]]);
    assert.deepEqual(failures, [dirs[0]]);
    const log = await manager.getOrCreateLog('t', 0);
    assert.equal(manager.logDirOf('t', 0), dirs[1]);
    await log.appendAsLeader(batchOf(['ok']), 0);
  });

  it('fails to start when no dir is usable', async () => {
    await mkdir(root.path, { recursive: true });
    await writeFile(dirs[0]!, 'x');
    await writeFile(dirs[1]!, 'x');
    await rejectsWithCode(openManager(), 'KAFKA_STORAGE_ERROR');
  });

  it('takes a whole dir offline on an I/O error and keeps the other dir serving', async () => {
    const failures: Array<[string, string]> = [];
    const manager = await openManager({
      onLogDirFailure: (dir, error) => failures.push([dir, (error as NodeJS.ErrnoException).code ?? '']),
    });
    const broken = await manager.getOrCreateLog('t', 0); // in dirs[0]
    const healthy = await manager.getOrCreateLog('t', 1); // in dirs[1]
    const sibling = await manager.getOrCreateLog('t', 2); // in dirs[0]
    for (const log of [broken, healthy, sibling]) await log.appendAsLeader(batchOf(['before']), 0);
    // Pull the partition directory out from under the log: the next index write fails with ENOTDIR.
    await rename(broken.dir, `${broken.dir}.moved`);
    await writeFile(broken.dir, 'in the way');
    await rejectsWithCode(broken.flush(), 'KAFKA_STORAGE_ERROR');
    assert.deepEqual(failures, [[dirs[0], 'ENOTDIR']]);
    assert.deepEqual(manager.offlineLogDirs(), [dirs[0]]);
    await rejectsWithCode(broken.appendAsLeader(batchOf(['after']), 0), 'KAFKA_STORAGE_ERROR');
    await rejectsWithCode(sibling.read(0, 100), 'KAFKA_STORAGE_ERROR');
    await rejectsWithCode(manager.getOrCreateLog('t', 2), 'KAFKA_STORAGE_ERROR');
    await healthy.appendAsLeader(batchOf(['after']), 0);
    assert.equal((await readAll(healthy)).length, 2);
    const fresh = await manager.getOrCreateLog('t', 3);
    assert.equal(manager.logDirOf('t', 3), dirs[1]);
    await fresh.appendAsLeader(batchOf(['new']), 0);
    await manager.close();
    assert.equal(
      await exists(join(dirs[0]!, '.kafka_cleanshutdown')),
      false,
      'no clean marker on a failed dir',
    );
    assert.ok(await exists(join(dirs[1]!, '.kafka_cleanshutdown')));
    await rm(broken.dir);
  });

  it('runs retention and checkpoints on its timers', async () => {
    let signal: () => void = () => {};
    const retained = new Promise<void>((resolve) => {
      signal = resolve;
    });
    const lines: string[] = [];
    const logger = pino(
      { level: 'info' },
      {
        write: (line: string) => {
          lines.push(line);
          if (line.includes('deleted segments by retention')) signal();
        },
      },
    );
    const manager = await openManager(
      { logger, retentionCheckIntervalMs: 20, flushCheckpointIntervalMs: 20 },
      { segmentBytes: 300, retentionBytes: 600, retentionMs: -1 },
    );
    const log = await manager.getOrCreateLog('t', 0);
    for (let i = 0; i < 30; i++) await log.appendAsLeader(batchOf([`v${i}`]), 0);
    await retained;
    assert.ok(log.logStartOffset > 0);
    await manager.close();
    const checkpoint = await readFile(join(dirs[0]!, 'log-start-offset-checkpoint'), 'utf8');
    assert.equal(checkpoint, `0\n1\nt 0 ${log.logStartOffset}\n`);
  });

  it('flushes logs whose flush.ms has passed', async () => {
    let now = 1_000_000;
    const manager = await openManager({ now: () => now, flushCheckIntervalMs: 600_000 }, { flushMs: 5000 });
    const log = await manager.getOrCreateLog('t', 0);
    await log.appendAsLeader(batchOf(['a']), 0);
    await log.flushIfDue(now + 1000);
    assert.equal(log.recoveryPoint, 0);
    now += 6000;
    await log.flushIfDue(now);
    assert.equal(log.recoveryPoint, 1);
  });
});
