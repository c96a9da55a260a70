// The compose check: docker-compose.yml with docker-compose.host.yml (host networking, this machine has
// no bridge traffic) through deploy/docker/compose-host.sh, which uses `docker compose` or Debian's
// docker-compose v1. `up -d` with the suite's image, wait until ZooKeeper and the three brokers are
// healthy, round-trip records with the `sluice` CLI from the host, then `down -v` removes containers and
// volumes. Ports are free ones, passed through the files' variables.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { freePort } from '@sluice/coordinator';
import { waitFor } from '../helpers.ts';
import {
  buildImage,
  containerLogs,
  containerState,
  docker,
  REPO_ROOT,
  requireDockerEngine,
  run,
  SLUICE_BIN,
  TEST_IMAGE,
} from './docker.ts';

const PROJECT = `sluice-check-${process.pid}`;
const COMPOSE_HOST = `${REPO_ROOT}/deploy/docker/compose-host.sh`;

describe('docker compose: ZooKeeper + 3 brokers (host-networking override)', () => {
  const env: NodeJS.ProcessEnv = { ...process.env, COMPOSE_PROJECT_NAME: PROJECT, SLUICE_IMAGE: TEST_IMAGE };
  let bootstrap = '';
  let zookeeper = '';
  let upAttempted = false;

  function compose(args: string[], timeoutMs = 300_000) {
    return run(COMPOSE_HOST, args, { env, timeoutMs });
  }

  async function projectContainers(): Promise<Map<string, string>> {
    const out = await docker([
      'ps',
      '-a',
      '--filter',
      `label=com.docker.compose.project=${PROJECT}`,
      '--format',
      '{{.ID}} {{.Label "com.docker.compose.service"}}',
    ]);
    const byService = new Map<string, string>();
    for (const line of out.trim().split('\n').filter(Boolean)) {
      const [id, service] = line.split(' ');
      byService.set(service as string, id as string);
    }
    return byService;
  }

  before(async () => {
    await requireDockerEngine();
    await buildImage();
    const [zk, b1, b2, b3] = [await freePort(), await freePort(), await freePort(), await freePort()];
    Object.assign(env, {
      SLUICE_ZOOKEEPER_PORT: String(zk),
      SLUICE_BROKER_1_PORT: String(b1),
      SLUICE_BROKER_2_PORT: String(b2),
      SLUICE_BROKER_3_PORT: String(b3),
    });
    zookeeper = `127.0.0.1:${zk}`;
    bootstrap = [b1, b2, b3].map((p) => `127.0.0.1:${p}`).join(',');
  });

  after(async () => {
    if (!upAttempted) return;
    const down = await compose(['down', '-v', '--timeout', '120']);
    if (down.code !== 0) process.stderr.write(`compose down failed: ${down.stderr}\n`);
  });

  it('comes up and every service turns healthy', { timeout: 300_000 }, async () => {
    const version = await run('docker', ['compose', 'version'], { timeoutMs: 30_000 });
    const which =
      version.code === 0
        ? version.stdout.trim()
        : (await run('docker-compose', ['version', '--short'], { timeoutMs: 30_000 })).stdout.trim();
    process.stderr.write(`# compose: ${which}\n`);
    upAttempted = true;
    const up = await compose(['up', '-d', '--no-build']);
    assert.equal(up.code, 0, `compose up failed:\n${up.stdout}\n${up.stderr}`);
    const containers = await projectContainers();
    assert.deepEqual([...containers.keys()].sort(), ['broker-1', 'broker-2', 'broker-3', 'zookeeper']);
    for (const [service, id] of containers) {
      await waitFor(async () => (await containerState(id)).Health?.Status === 'healthy', {
        timeoutMs: 180_000,
        intervalMs: 1_000,
        message: `${service} healthy (logs: ${await containerLogs(id, 5)})`,
      });
    }
    // Named volumes, one per service.
    const volumes = (
      await docker(['volume', 'ls', '-q', '--filter', `label=com.docker.compose.project=${PROJECT}`])
    )
      .trim()
      .split('\n')
      .sort();
    assert.deepEqual(
      volumes,
      ['broker-1-data', 'broker-2-data', 'broker-3-data', 'zookeeper-data', 'zookeeper-datalog'].map(
        (v) => `${PROJECT}_${v}`,
      ),
    );
  });

  it('round-trips records with the sluice CLI from the host', { timeout: 120_000 }, async () => {
    const cli = (args: string[], input?: string) =>
      run(process.execPath, [SLUICE_BIN, ...args], {
        timeoutMs: 60_000,
        ...(input !== undefined ? { input } : {}),
      });
    const created = await cli([
      'topics',
      '--create',
      '--bootstrap-server',
      bootstrap,
      '--topic',
      'compose-check',
      '--partitions',
      '3',
      '--replication-factor',
      '1',
    ]);
    assert.equal(created.code, 0, created.stderr);
    const described = await waitFor(
      async () => {
        const result = await cli([
          'topics',
          '--describe',
          '--zookeeper',
          zookeeper,
          '--topic',
          'compose-check',
        ]);
        return /Leader: none/.test(result.stdout) || result.code !== 0 ? null : result.stdout;
      },
      { timeoutMs: 30_000, intervalMs: 500, message: 'leaders for compose-check' },
    );
    assert.match(described, /PartitionCount: 3/);
    const lines = Array.from({ length: 12 }, (_, i) => `line-${i}`);
    const produced = await cli(
      ['console-producer', '--bootstrap-server', bootstrap, '--topic', 'compose-check'],
      `${lines.join('\n')}\n`,
    );
    assert.equal(produced.code, 0, produced.stderr);
    const consumed = await cli([
      'console-consumer',
      '--bootstrap-server',
      bootstrap,
      '--topic',
      'compose-check',
      '--from-beginning',
      '--max-messages',
      String(lines.length),
      '--timeout-ms',
      '20000',
    ]);
    assert.equal(consumed.code, 0, consumed.stderr);
    assert.deepEqual(consumed.stdout.trim().split('\n').sort(), [...lines].sort());
    assert.match(consumed.stderr, /Processed a total of 12 messages/);
  });

  it('goes down with its volumes (down -v)', { timeout: 300_000 }, async () => {
    const down = await compose(['down', '-v', '--timeout', '120']);
    assert.equal(down.code, 0, down.stderr);
    upAttempted = false;
    assert.equal((await projectContainers()).size, 0);
    const volumes = await docker([
      'volume',
      'ls',
      '-q',
      '--filter',
      `label=com.docker.compose.project=${PROJECT}`,
    ]);
    assert.equal(volumes.trim(), '');
  });
});
