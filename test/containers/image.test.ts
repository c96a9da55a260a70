// The broker image (deploy/docker/Dockerfile): it builds; it runs as a non-root user; `docker inspect`
// shows its HEALTHCHECK, volume and stop signal; SLUICE_* variables become server-start overrides by
// the documented rule; a broker in a container on the host's network registers, turns healthy, and
// stops cleanly (exit 0) on `docker stop`'s SIGTERM, which reaches it as PID 1; a bad setting stops it
// with one line naming the key. Needs a Docker engine: without one, it fails loudly.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { freePort, type ZooKeeperClient } from '@sluice/coordinator';
import type { StartedTestContainer } from 'testcontainers';
import { waitFor } from '../helpers.ts';
import {
  buildImage,
  connectZooKeeper,
  containerLogs,
  containerState,
  docker,
  inspectImage,
  removeAll,
  requireDockerEngine,
  run,
  startBroker,
  startZooKeeper,
  stopContainer,
  TEST_IMAGE,
} from './docker.ts';

describe('broker image', () => {
  const containers: string[] = [];
  let zookeeper: StartedTestContainer | undefined;
  let zkConnect = '';
  let zk: ZooKeeperClient | undefined;

  before(async () => {
    await requireDockerEngine();
  });

  after(async () => {
    zk?.close();
    await removeAll([...containers, ...(zookeeper ? [zookeeper.getId()] : [])]);
  });

  it('builds from deploy/docker/Dockerfile', { timeout: 600_000 }, async () => {
    const seconds = await buildImage();
    const image = await inspectImage(TEST_IMAGE);
    process.stderr.write(
      `# image ${TEST_IMAGE}: ${(image.Size / 1e6).toFixed(0)} MB, built in ${seconds.toFixed(1)} s\n`,
    );
    assert.ok(image.Size > 0);
  });

  it('runs as a non-root user', async () => {
    const image = await inspectImage(TEST_IMAGE);
    assert.equal(image.Config.User, 'sluice:sluice');
    const id = await docker(['run', '--rm', '--network', 'host', '--entrypoint', 'id', TEST_IMAGE]);
    assert.match(id, /^uid=10001\(sluice\) gid=10001\(sluice\)/);
  });

  it('shows its healthcheck, volume, entrypoint and stop signal in docker inspect', async () => {
    const { Config } = await inspectImage(TEST_IMAGE);
    assert.deepEqual(Config.Healthcheck?.Test, ['CMD', 'sluice-entrypoint', 'broker-health']);
    assert.equal(Config.Healthcheck?.Interval, 10e9);
    assert.equal(Config.Healthcheck?.StartPeriod, 60e9);
    assert.ok(Config.Volumes && '/var/lib/sluice' in Config.Volumes);
    assert.deepEqual(Config.Entrypoint, ['sluice-entrypoint']);
    assert.deepEqual(Config.Cmd, ['server-start']);
    assert.equal(Config.StopSignal, 'SIGTERM');
    assert.ok(Config.Env.includes('SLUICE_CONFIG=/etc/sluice/server.properties'));
  });

  it('maps SLUICE_* variables to Kafka key names as --override', async () => {
    const out = await docker([
      'run',
      '--rm',
      '--network',
      'host',
      '-e',
      'SLUICE_BROKER_ID=7',
      '-e',
      'SLUICE_ZOOKEEPER_CONNECT=zk-1:2181,zk-2:2181/sluice',
      '-e',
      'SLUICE_LISTENERS=INTERNAL://0.0.0.0:19092,EXTERNAL://0.0.0.0:9092',
      '-e',
      'SLUICE_ADVERTISED_LISTENERS=INTERNAL://broker-7:19092,EXTERNAL://127.0.0.1:9092',
      '-e',
      'SLUICE_LOG_RETENTION_HOURS=24',
      '-e',
      'SLUICE_SOME__UNDERSCORED_KEY=u',
      '-e',
      'SLUICE_A___DASHED=d',
      '-e',
      'SLUICE_NUM_PARTITIONS=',
      '-e',
      'SLUICE_LOG_LEVEL=debug',
      TEST_IMAGE,
      'sluice-entrypoint',
      'print-overrides',
    ]);
    const overrides = out
      .trim()
      .split('\n')
      .filter((line) => line !== '--override')
      .sort();
    assert.deepEqual(overrides, [
      'a-dashed=d',
      'advertised.listeners=INTERNAL://broker-7:19092,EXTERNAL://127.0.0.1:9092',
      'broker.id=7',
      'listeners=INTERNAL://0.0.0.0:19092,EXTERNAL://0.0.0.0:9092',
      'log.retention.hours=24',
      'some_underscored.key=u',
      'zookeeper.connect=zk-1:2181,zk-2:2181/sluice',
    ]);
  });

  it('starts a broker that registers, turns healthy, and stops cleanly on SIGTERM', {
    timeout: 300_000,
  }, async () => {
    const zkPort = await freePort();
    zookeeper = await startZooKeeper(zkPort);
    zkConnect = `127.0.0.1:${zkPort}`;
    zk = await connectZooKeeper(zkConnect);
    const port = await freePort();
    const broker = await startBroker({ brokerId: 5, port, zookeeperConnect: zkConnect });
    containers.push(broker.getId());
    const client = zk;
    await waitFor(async () => (await client.exists('/brokers/ids/5')) !== null, {
      timeoutMs: 30_000,
      message: 'broker 5 registers in ZooKeeper',
    });
    const state = await containerState(broker.getId());
    assert.equal(state.Health?.Status, 'healthy');
    assert.match(state.Health?.Log.at(-1)?.Output ?? '', /^healthy: broker 5 at 127\.0\.0\.1:\d+/);

    // The broker is PID 1 (exec), running as sluice: SIGTERM goes straight to it.
    const cmdline = await docker(['exec', broker.getId(), 'cat', '/proc/1/cmdline']);
    assert.match(
      cmdline.replaceAll('\0', ' '),
      /^node \S+sluice\.ts server-start \/etc\/sluice\/server\.properties/,
    );
    const status = await docker(['exec', broker.getId(), 'grep', '^Uid:', '/proc/1/status']);
    assert.match(status, /^Uid:\s+10001\s/);

    const { exitCode, seconds } = await stopContainer(broker.getId(), 120);
    assert.equal(exitCode, 0, `clean exit on SIGTERM; logs:\n${await containerLogs(broker.getId())}`);
    assert.ok(seconds < 30, `stopped in ${seconds} s`);
    const logs = await containerLogs(broker.getId(), 10);
    assert.match(logs, /"msg":"shut down"/);
    await waitFor(async () => (await client.exists('/brokers/ids/5')) === null, {
      timeoutMs: 10_000,
      message: 'a stopped broker deregisters at once',
    });
  });

  it('stops with one line naming the key when a setting is invalid', { timeout: 120_000 }, async () => {
    const result = await run(
      'docker',
      [
        'run',
        '--rm',
        '--network',
        'host',
        '-e',
        `SLUICE_ZOOKEEPER_CONNECT=${zkConnect || '127.0.0.1:1'}`,
        '-e',
        'SLUICE_NUM_PARTITIONS=three',
        TEST_IMAGE,
      ],
      { timeoutMs: 60_000 },
    );
    assert.equal(result.code, 1);
    assert.match(result.stderr, /num\.partitions/);
    assert.equal(result.stderr.trim().split('\n').length, 1, result.stderr);
  });
});
