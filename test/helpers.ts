// Helpers shared by the cluster tests: temporary directories, a cluster per test file that is always
// stopped, and waiting for a condition with a deadline (never a bare sleep).
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DevCluster, type DevClusterOptions, SLUICE_BIN } from '@sluice/client/dev-cluster';

export async function tempDir(prefix: string): Promise<string> {
  return mkdtemp(join(tmpdir(), `sluice-${prefix}-`));
}

export async function removeDir(dir: string): Promise<void> {
  await rm(dir, { recursive: true, force: true });
}

/** Polls `condition` until it returns a truthy value or the deadline passes; returns that value. */
export async function waitFor<T>(
  condition: () => T | Promise<T>,
  options: { timeoutMs: number; intervalMs?: number; message: string },
): Promise<NonNullable<T>> {
  const deadline = Date.now() + options.timeoutMs;
  let lastError: unknown;
  while (Date.now() < deadline) {
    try {
      const value = await condition();
      if (value) return value as NonNullable<T>;
    } catch (err) {
      lastError = err;
    }
    await new Promise((resolve) => setTimeout(resolve, options.intervalMs ?? 50));
  }
  const suffix = lastError instanceof Error ? ` (last error: ${lastError.message})` : '';
  throw new Error(`Timed out after ${options.timeoutMs} ms waiting for: ${options.message}${suffix}`);
}

export interface TestCluster {
  cluster: DevCluster;
  dataDir: string;
  stop(): Promise<void>;
}

export async function startCluster(
  options: Partial<DevClusterOptions> & { brokers: number },
): Promise<TestCluster> {
  const dataDir = await tempDir('cluster');
  const cluster = await DevCluster.start({ dataDir, zookeeperPort: 0, basePort: 0, ...options });
  return {
    cluster,
    dataDir,
    async stop() {
      await cluster.stop();
      await removeDir(dataDir);
    },
  };
}

export interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
  elapsedMs: number;
}

/**
 * Runs `sluice ...args` as a person would, to completion: `input` goes to its standard input (closed
 * after), and a run longer than timeoutMs is killed and fails the test. `onSpawn` gets the child, e.g. to
 * send it a signal.
 */
export function runSluice(
  args: readonly string[],
  options: { input?: string; timeoutMs?: number; onSpawn?: (child: ChildProcess) => void } = {},
): Promise<RunResult> {
  const timeoutMs = options.timeoutMs ?? 60_000;
  return new Promise((resolve, reject) => {
    const startedMs = Date.now();
    const child = spawn(process.execPath, [SLUICE_BIN, ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
    });
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    options.onSpawn?.(child);
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`sluice ${args.join(' ')} did not finish in ${timeoutMs} ms; stderr: ${stderr}`));
    }, timeoutMs);
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr, elapsedMs: Date.now() - startedMs });
    });
    child.stdin.end(options.input ?? '');
  });
}
