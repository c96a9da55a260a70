// Helpers of the container suite (test/containers): the Docker engine check that fails loudly, the
// image build, and ZooKeeper and broker containers started with testcontainers on the host's network,
// so that every byte of traffic stays on 127.0.0.1. Images: deploy/docker/Dockerfile (built here),
// zookeeper:3.8 (the official image, or the offline stand-in of scripts/build-offline-images.sh).
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ZooKeeperClient } from '@sluice/coordinator';
import type { StartedTestContainer } from 'testcontainers';
import { waitFor } from '../helpers.ts';

// Ryuk, testcontainers' reaper, is an image from a registry; every test removes what it starts itself.
process.env.TESTCONTAINERS_RYUK_DISABLED ??= 'true';
const { GenericContainer, Wait } = await import('testcontainers');

export const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url));
export const SLUICE_BIN = join(REPO_ROOT, 'packages/client/bin/sluice.ts');
export const ZOOKEEPER_IMAGE = 'zookeeper:3.8';
/** The tag the suite builds; docker-compose.yml's default is sluice:latest. */
export const TEST_IMAGE = process.env.SLUICE_TEST_IMAGE ?? 'sluice:test';
/** Labels every container the suite starts, so that a crashed run's leftovers can be found. */
const SUITE_LABELS = { 'org.sluice.test': 'containers' };
/** The broker image's title label (deploy/docker/Dockerfile). */
const IMAGE_TITLE_LABEL = 'org.opencontainers.image.title=Sluice broker';

export interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a command to completion (bounded by timeoutMs), capturing its output. */
export function run(
  command: string,
  args: readonly string[],
  options: { timeoutMs?: number; input?: string; env?: NodeJS.ProcessEnv; cwd?: string } = {},
): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      cwd: options.cwd ?? REPO_ROOT,
      env: options.env ?? process.env,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
    });
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 120_000);
    child.once('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
    child.stdin.end(options.input ?? '');
  });
}

/** `docker ...`; throws with the command's stderr unless it exits 0. */
export async function docker(args: readonly string[], timeoutMs = 120_000): Promise<string> {
  const result = await run('docker', args, { timeoutMs });
  if (result.code !== 0) {
    throw new Error(`docker ${args.join(' ')} exited ${result.code}: ${result.stderr.trim()}`);
  }
  return result.stdout;
}

/**
 * Fails, loudly, when no Docker engine answers: the container suite never skips. `.ci/run` runs
 * scripts/ci-docker.sh first, which installs and starts one.
 */
export async function requireDockerEngine(): Promise<void> {
  let detail: string;
  try {
    const result = await run('docker', ['info', '--format', '{{.ServerVersion}}'], { timeoutMs: 30_000 });
    if (result.code === 0) return;
    detail = result.stderr.trim() || result.stdout.trim();
  } catch (err) {
    detail = err instanceof Error ? err.message : String(err);
  }
  const banner = '!'.repeat(100);
  const message = `NO DOCKER ENGINE: the container suite cannot run here and FAILS rather than skip. ${detail}. Run scripts/ci-docker.sh (as root) to install and start one.`;
  process.stderr.write(`\n${banner}\n${message}\n${banner}\n\n`);
  throw new Error(message);
}

/** Extra CA certificates for npm inside the build: $SLUICE_EXTRA_CA_CERTS, else the host's local CAs. */
export function extraCaCerts(): string {
  if (process.env.SLUICE_EXTRA_CA_CERTS !== undefined) return process.env.SLUICE_EXTRA_CA_CERTS;
  const dir = '/usr/local/share/ca-certificates';
  try {
    return readdirSync(dir, { recursive: true })
      .map(String)
      .filter((f) => f.endsWith('.crt'))
      .sort()
      .map((f) => readFileSync(join(dir, f), 'utf8').trim())
      .join('\n');
  } catch {
    return '';
  }
}

/**
 * Builds deploy/docker/Dockerfile from the repository root, as docs/deployment.md says, on the host's
 * network (the build's npm ci reaches the registry without a bridge). Returns the build's seconds.
 */
export async function buildImage(tag = TEST_IMAGE): Promise<number> {
  const started = Date.now();
  const result = await run(
    'docker',
    [
      'build',
      '--network',
      'host',
      '--build-arg',
      `EXTRA_CA_CERTS=${extraCaCerts()}`,
      '-f',
      'deploy/docker/Dockerfile',
      '-t',
      tag,
      '.',
    ],
    { timeoutMs: 600_000 },
  );
  if (result.code !== 0) {
    throw new Error(`docker build failed (${result.code}):\n${result.stdout.slice(-3000)}\n${result.stderr}`);
  }
  // Earlier builds of the image, untagged by this one, would pile up run after run.
  await run('docker', ['image', 'prune', '-f', '--filter', `label=${IMAGE_TITLE_LABEL}`], {
    timeoutMs: 60_000,
  });
  return (Date.now() - started) / 1000;
}

export interface ImageInfo {
  Size: number;
  Config: {
    User: string;
    Healthcheck?: { Test: string[]; Interval: number; Timeout: number; StartPeriod: number; Retries: number };
    Volumes: Record<string, unknown> | null;
    Entrypoint: string[];
    Cmd: string[];
    StopSignal?: string;
    Env: string[];
  };
}

export async function inspectImage(tag: string): Promise<ImageInfo> {
  return (JSON.parse(await docker(['image', 'inspect', tag])) as ImageInfo[])[0] as ImageInfo;
}

export interface ContainerState {
  Status: string;
  Running: boolean;
  ExitCode: number;
  Health?: { Status: string; Log: Array<{ ExitCode: number; Output: string }> };
}

export async function containerState(id: string): Promise<ContainerState> {
  return JSON.parse(await docker(['inspect', '-f', '{{json .State}}', id])) as ContainerState;
}

export async function containerLogs(id: string, tail = 40): Promise<string> {
  const result = await run('docker', ['logs', '--tail', String(tail), id], { timeoutMs: 30_000 });
  return `${result.stdout}${result.stderr}`;
}

/**
 * ZooKeeper on 127.0.0.1:<port> (host network), ready once it serves: its container manager starts
 * after the server (an earlier line, "binding to port", comes before it accepts sessions).
 */
export async function startZooKeeper(port: number): Promise<StartedTestContainer> {
  return new GenericContainer(ZOOKEEPER_IMAGE)
    .withNetworkMode('host')
    .withLabels(SUITE_LABELS)
    .withEnvironment({
      ZOO_MY_ID: '1',
      ZOO_SERVERS: `server.1=127.0.0.1:2888:3888;127.0.0.1:${port}`,
      ZOO_ADMINSERVER_ENABLED: 'false',
      ZOO_TICK_TIME: '500',
    })
    .withWaitStrategy(Wait.forLogMessage(/Using checkIntervalMs/))
    .withStartupTimeout(120_000)
    .start();
}

export interface BrokerContainerOptions {
  /** Omitted: generated through ZooKeeper (and kept in meta.properties on the volume). */
  brokerId?: number;
  port: number;
  zookeeperConnect: string;
  /** A named volume for /var/lib/sluice (created on first use; the suite removes it). */
  volume?: string;
  env?: Record<string, string>;
  image?: string;
}

/** A broker container on the host's network, listening on 127.0.0.1:<port>, ready when healthy. */
export async function startBroker(options: BrokerContainerOptions): Promise<StartedTestContainer> {
  let container = new GenericContainer(options.image ?? TEST_IMAGE)
    .withNetworkMode('host')
    .withLabels(SUITE_LABELS)
    .withEnvironment({
      ...(options.brokerId !== undefined ? { SLUICE_BROKER_ID: String(options.brokerId) } : {}),
      SLUICE_ZOOKEEPER_CONNECT: options.zookeeperConnect,
      SLUICE_LISTENERS: `GRPC://127.0.0.1:${options.port}`,
      SLUICE_ZOOKEEPER_SESSION_TIMEOUT_MS: '6000',
      ...options.env,
    })
    // The image's own HEALTHCHECK decides readiness: it is part of what is tested.
    .withWaitStrategy(Wait.forHealthCheck())
    .withStartupTimeout(120_000);
  if (options.volume !== undefined) {
    // A source that is not a path is a named volume to Docker.
    container = container.withBindMounts([{ source: options.volume, target: '/var/lib/sluice' }]);
  }
  return container.start();
}

/** `docker stop -t <s>` (SIGTERM, the image's STOPSIGNAL) and the exit code and seconds it took. */
export async function stopContainer(
  id: string,
  timeoutSeconds = 120,
): Promise<{ exitCode: number; seconds: number }> {
  const started = Date.now();
  await docker(['stop', '-t', String(timeoutSeconds), id], (timeoutSeconds + 30) * 1000);
  const state = await containerState(id);
  return { exitCode: state.ExitCode, seconds: (Date.now() - started) / 1000 };
}

/** Removes containers and volumes, ignoring those already gone. */
export async function removeAll(
  containerIds: readonly string[],
  volumes: readonly string[] = [],
): Promise<void> {
  if (containerIds.length > 0)
    await run('docker', ['rm', '-f', '-v', ...containerIds], { timeoutMs: 60_000 });
  if (volumes.length > 0) await run('docker', ['volume', 'rm', '-f', ...volumes], { timeoutMs: 60_000 });
}

/** A ZooKeeper session to the suite's ZooKeeper, retried until the deadline. */
export async function connectZooKeeper(connectString: string, timeoutMs = 60_000): Promise<ZooKeeperClient> {
  return waitFor(
    () => ZooKeeperClient.connect({ connectString, sessionTimeoutMs: 10_000, connectionTimeoutMs: 10_000 }),
    { timeoutMs, intervalMs: 500, message: `a ZooKeeper session to ${connectString}` },
  );
}
