// Shared by the SDK benchmarks: a 3-broker cluster on this machine (the dev-cluster harness), and the
// physical baseline every SDK figure is divided by: the same bytes through a loopback TCP socket
// between this process and a child process, in the same chunk size, with nothing else done to them.
import { fork } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DevCluster } from '@sluice/client/dev-cluster';

export async function benchCluster(brokers = 3): Promise<{ cluster: DevCluster; stop: () => Promise<void> }> {
  const dataDir = await mkdtemp(join(tmpdir(), 'sluice-bench-'));
  const cluster = await DevCluster.start({ dataDir, zookeeperPort: 0, basePort: 0, brokers });
  return {
    cluster,
    async stop() {
      await cluster.stop();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

/**
 * Bytes per second of `totalBytes` written in `chunkBytes` writes through a loopback socket to a child
 * process that counts them and answers when it has them all: the most any networked path on this
 * machine can carry, before any protocol, encoding or disk.
 */
export async function loopbackBytesPerSecond(totalBytes: number, chunkBytes: number): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  const child = fork(join(import.meta.dirname, 'loopback-sink.ts'), [String(port), String(totalBytes)], {
    stdio: 'inherit',
  });
  const socket = await new Promise<net.Socket>((resolve) => server.once('connection', resolve));
  const chunk = Buffer.alloc(chunkBytes, 7);
  const done = new Promise<void>((resolve) => socket.once('data', () => resolve()));
  const start = performance.now();
  let sent = 0;
  while (sent < totalBytes) {
    const n = Math.min(chunkBytes, totalBytes - sent);
    if (!socket.write(n === chunkBytes ? chunk : chunk.subarray(0, n))) {
      await new Promise((resolve) => socket.once('drain', resolve));
    }
    sent += n;
  }
  await done;
  const seconds = (performance.now() - start) / 1000;
  socket.destroy();
  server.close();
  child.kill();
  return totalBytes / seconds;
}

export function mb(bytesPerSecond: number): string {
  return (bytesPerSecond / 1_000_000).toFixed(1);
}
