// `sluice dev-cluster` as a person runs it: a ready line with every broker, then a clean stop on
// SIGTERM that leaves nothing listening.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import net from 'node:net';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { SLUICE_BIN } from '@sluice/client/dev-cluster';
import { removeDir, tempDir, waitFor } from '../helpers.ts';

function listening(address: string): Promise<boolean> {
  const [host, port] = address.split(':');
  return new Promise((resolve) => {
    const socket = net.connect({ host: host ?? '127.0.0.1', port: Number(port) });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

describe('sluice dev-cluster', () => {
  let dir: string | undefined;
  after(async () => {
    if (dir) await removeDir(dir);
  });

  it('prints the ready line, serves, and stops everything on SIGTERM', async () => {
    dir = await tempDir('dev-cluster');
    const readyFile = join(dir, 'ready.json');
    const child = spawn(
      process.execPath,
      [
        SLUICE_BIN,
        'dev-cluster',
        '--brokers',
        '2',
        '--data-dir',
        join(dir, 'data'),
        '--zookeeper-port',
        '0',
        '--base-port',
        '0',
        '--ready-file',
        readyFile,
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
    });
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    try {
      // An exited child ends the wait at once (waitFor itself treats a throw as 'not yet').
      const line = await waitFor(
        () => (child.exitCode !== null ? 'EXITED' : stdout.split('\n').find((l) => l.startsWith('{'))),
        { timeoutMs: 60_000, message: 'the ready line' },
      ).catch((err: Error) => {
        throw new Error(`${err.message}; dev-cluster stderr: ${stderr}`);
      });
      if (line === 'EXITED') throw new Error(`dev-cluster exited with ${child.exitCode}: ${stderr}`);
      const ready = JSON.parse(line) as {
        zookeeper: string;
        brokers: Array<{ id: number; grpc: string; kafka: string }>;
      };
      assert.match(ready.zookeeper, /^127\.0\.0\.1:\d+$/);
      assert.deepEqual(
        ready.brokers.map((b) => b.id),
        [1, 2],
      );
      assert.equal((await readFile(readyFile, 'utf8')).trim(), line);
      assert.match(stderr, /starting ZooKeeper/);
      for (const broker of ready.brokers) {
        assert.ok(await listening(broker.grpc), `broker ${broker.id} listens`);
        assert.match(broker.kafka, /^127\.0\.0\.1:\d+$/);
        assert.ok(await listening(broker.kafka), `broker ${broker.id} listens for Kafka clients`);
      }

      child.kill('SIGTERM');
      assert.equal(await exited, 0);
      for (const address of [ready.zookeeper, ...ready.brokers.flatMap((b) => [b.grpc, b.kafka])]) {
        assert.equal(await listening(address), false, `${address} is closed after stop`);
      }
    } finally {
      // SIGTERM, not SIGKILL: the cluster must get to stop its ZooKeeper and brokers.
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 30_000))]);
      }
    }
  });
});
