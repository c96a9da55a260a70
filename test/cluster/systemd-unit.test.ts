// The systemd units of deploy/systemd, without systemd running: `systemd-analyze verify` accepts them
// (under a scratch root that has the binaries they name), the broker unit's settings are the ones the
// deployment guide promises, and the unit's own ExecStart line, with %i and the install paths mapped to
// this checkout, runs a broker from the example config that registers in a real ZooKeeper, is healthy
// by `broker-health --config` (the guide's check), and exits 0 within TimeoutStopSec of the unit's
// KillSignal.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { chmod, cp, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { freePort, ZooKeeperClient, ZooKeeperServer } from '@sluice/coordinator';
import { removeDir, tempDir, waitFor } from '../helpers.ts';

const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url));
const UNITS = join(REPO_ROOT, 'deploy/systemd');
const BROKER_UNIT = 'sluice-broker@.service';

/** A unit file's [Service]/[Unit] settings: continuation lines joined, later values appended. */
function parseUnit(text: string): Map<string, string[]> {
  const settings = new Map<string, string[]>();
  const joined = text.replace(/\\\n\s*/g, ' ');
  for (const raw of joined.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#') || line.startsWith(';') || line.startsWith('[')) continue;
    const eq = line.indexOf('=');
    if (eq <= 0) continue;
    const key = line.slice(0, eq);
    settings.set(key, [...(settings.get(key) ?? []), line.slice(eq + 1)]);
  }
  return settings;
}

function one(settings: Map<string, string[]>, key: string): string {
  const values = settings.get(key);
  assert.ok(values && values.length === 1, `exactly one ${key}= in the unit`);
  return values[0] as string;
}

/** A systemd time span as used in the units ("300", "5s", "2min") in milliseconds. */
function timeSpanMs(value: string): number {
  const match = /^(\d+)\s*(ms|s|sec|min|m)?$/.exec(value.trim());
  assert.ok(match, `time span ${value}`);
  const n = Number(match[1]);
  const unit = match[2] ?? 's';
  return unit === 'ms' ? n : unit === 'min' || unit === 'm' ? n * 60_000 : n * 1000;
}

describe('systemd units (deploy/systemd)', () => {
  let dir: string;
  let unit: Map<string, string[]>;

  before(async () => {
    dir = await tempDir('systemd');
    unit = parseUnit(await readFile(join(UNITS, BROKER_UNIT), 'utf8'));
  });

  after(async () => {
    await removeDir(dir);
  });

  it('passes systemd-analyze verify', async () => {
    const found = spawnSync('systemd-analyze', ['--version'], { encoding: 'utf8' });
    assert.equal(
      found.status,
      0,
      'systemd-analyze is missing: apt-get install systemd (it verifies the units; systemd need not run)',
    );
    // A scratch root with systemd's own units and stand-ins for the binaries the units start, so that
    // verify checks our units and not what this machine happens to have installed.
    const root = join(dir, 'root');
    const systemUnits = ['/usr/lib/systemd/system', '/lib/systemd/system'].find(
      (d) => spawnSync('test', ['-f', join(d, 'sysinit.target')]).status === 0,
    );
    assert.ok(systemUnits, "systemd's units (sysinit.target) not found");
    await cp(systemUnits, join(root, 'usr/lib/systemd/system'), { recursive: true });
    await mkdir(join(root, 'etc/systemd/system'), { recursive: true });
    for (const name of [BROKER_UNIT, 'zookeeper.service'])
      await cp(join(UNITS, name), join(root, 'etc/systemd/system', name));
    for (const binary of ['usr/local/bin/node', 'usr/bin/java']) {
      await mkdir(join(root, binary, '..'), { recursive: true });
      await writeFile(join(root, binary), '#!/bin/sh\n');
      await chmod(join(root, binary), 0o755);
    }
    const result = spawnSync(
      'systemd-analyze',
      ['verify', `--root=${root}`, 'sluice-broker@1.service', 'zookeeper.service'],
      { encoding: 'utf8', timeout: 60_000 },
    );
    assert.equal(result.status, 0, result.stderr);
    // verify exits 0 on settings it ignores; a warning is a mistake in the unit all the same.
    assert.equal(result.stderr.trim(), '', `systemd-analyze verify warned:\n${result.stderr}`);
  });

  it('restarts on failure, raises the file limit, runs as sluice, hardened, with a long stop timeout', () => {
    assert.equal(one(unit, 'Restart'), 'on-failure');
    assert.ok(Number(one(unit, 'LimitNOFILE')) >= 100_000);
    assert.equal(one(unit, 'User'), 'sluice');
    assert.equal(one(unit, 'NoNewPrivileges'), 'yes');
    assert.equal(one(unit, 'ProtectSystem'), 'strict');
    assert.equal(one(unit, 'KillSignal'), 'SIGTERM');
    assert.ok(timeSpanMs(one(unit, 'TimeoutStopSec')) >= 120_000, 'time for a controlled shutdown');
    assert.match(one(unit, 'ExecStart'), /server-start \/etc\/sluice\/server-%i\.properties$/);
  });

  it('lets every example broker config write its log.dirs (ReadWritePaths)', async () => {
    const writable = one(unit, 'ReadWritePaths').split(/\s+/);
    for (const n of [1, 2, 3]) {
      const text = await readFile(join(REPO_ROOT, `deploy/config/server-${n}.properties`), 'utf8');
      const logDirs = /^log\.dirs=(.+)$/m.exec(text)?.[1]?.split(',') ?? [];
      assert.ok(logDirs.length > 0);
      for (const logDir of logDirs) {
        assert.ok(
          writable.some((w) => logDir.trim() === w || logDir.trim().startsWith(`${w}/`)),
          `server-${n}.properties: ${logDir} is under ReadWritePaths ${writable.join(' ')}`,
        );
      }
      assert.match(text, new RegExp(`^broker\\.id=${n}$`, 'm'));
    }
  });

  it("runs the unit's ExecStart (healthy by broker-health) and stops with its KillSignal within TimeoutStopSec", {
    timeout: 120_000,
  }, async () => {
    const instance = '1';
    const etc = join(dir, 'etc/sluice');
    const logDir = join(dir, 'var/lib/sluice/broker-1');
    await mkdir(etc, { recursive: true });
    const zookeeper = await ZooKeeperServer.start({ dataDir: join(dir, 'zookeeper') });
    let zk: ZooKeeperClient | undefined;
    try {
      zk = await ZooKeeperClient.connect({
        connectString: zookeeper.connectString,
        sessionTimeoutMs: 10_000,
        connectionTimeoutMs: 10_000,
      });
      // The example config, with this test's ZooKeeper, a free port and a scratch log dir.
      const port = await freePort();
      const example = await readFile(join(REPO_ROOT, `deploy/config/server-${instance}.properties`), 'utf8');
      const config = example
        .replace(/^zookeeper\.connect=.*$/m, `zookeeper.connect=${zookeeper.connectString}`)
        .replace(/^listeners=.*$/m, `listeners=GRPC://127.0.0.1:${port}`)
        .replace(/^advertised\.listeners=.*$/m, `advertised.listeners=GRPC://127.0.0.1:${port}`)
        .replace(/^log\.dirs=.*$/m, `log.dirs=${logDir}`);
      await writeFile(join(etc, `server-${instance}.properties`), config);

      // ExecStart as systemd would run it for sluice-broker@1, with the install paths mapped here.
      const map = (word: string) =>
        word
          .replaceAll('%i', instance)
          .replace(/^\/usr\/local\/bin\/node$/, process.execPath)
          .replace(/^\/opt\/sluice\//, REPO_ROOT)
          .replace(/^\/etc\/sluice\//, `${etc}/`);
      const [command, ...args] = one(unit, 'ExecStart').split(/\s+/).map(map);
      assert.equal(command, process.execPath);
      const env: NodeJS.ProcessEnv = { ...process.env };
      for (const assignment of unit.get('Environment') ?? []) {
        const [key, value] = assignment.split('=', 2);
        env[key as string] = value;
      }
      const cwd = map(one(unit, 'WorkingDirectory').replace(/^\/opt\/sluice$/, '/opt/sluice/'));
      let output = '';
      const child = spawn(command as string, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
      child.stdout.on('data', (d: Buffer) => {
        output += d.toString();
      });
      child.stderr.on('data', (d: Buffer) => {
        output += d.toString();
      });
      const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
        child.once('exit', (code, signal) => resolve({ code, signal })),
      );
      try {
        const client = zk;
        await waitFor(async () => (await client.exists('/brokers/ids/1')) !== null, {
          timeoutMs: 30_000,
          message: `broker 1 registers (output: ${output.slice(-2000)})`,
        });
      } catch (err) {
        child.kill('SIGKILL');
        throw err;
      }
      // The guide's check of a running instance: the health probe reads the same config file.
      const health = (): { status: number | null; stdout: string } =>
        spawnSync(
          process.execPath,
          [
            join(REPO_ROOT, 'packages/client/src/cli/health.ts'),
            '--config',
            join(etc, `server-${instance}.properties`),
          ],
          { encoding: 'utf8', timeout: 30_000 },
        );
      const healthy = await waitFor(
        () => {
          const result = health();
          return result.status === 0 ? result.stdout : null;
        },
        { timeoutMs: 15_000, intervalMs: 200, message: 'broker-health --config says healthy' },
      );
      assert.match(healthy, new RegExp(`^healthy: broker 1 at 127\\.0\\.0\\.1:${port}, `));

      const signal = one(unit, 'KillSignal') as NodeJS.Signals;
      const stopTimeoutMs = timeSpanMs(one(unit, 'TimeoutStopSec'));
      const stoppedAt = Date.now();
      child.kill(signal);
      const timer = setTimeout(() => child.kill('SIGKILL'), stopTimeoutMs);
      const { code, signal: bySignal } = await exited;
      clearTimeout(timer);
      const tookMs = Date.now() - stoppedAt;
      assert.equal(bySignal, null, `exited by itself, not killed (output: ${output.slice(-2000)})`);
      assert.equal(code, 0, `exit code 0 after ${signal}`);
      assert.ok(tookMs < stopTimeoutMs, `stopped in ${tookMs} ms, within TimeoutStopSec`);
      assert.match(output, /"msg":"shut down"/);
      assert.equal(await zk.exists('/brokers/ids/1'), null, 'deregistered');
      const down = health();
      assert.equal(down.status, 1);
      assert.match(down.stdout, /^unhealthy: 127\.0\.0\.1:\d+: /);
    } finally {
      zk?.close();
      await zookeeper.stop();
    }
  });
});
