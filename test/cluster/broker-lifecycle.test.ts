// A broker's identity and lifecycle against a real ZooKeeper: generated ids kept across restarts, a
// duplicate id refused, configuration errors as one line, and a crashed broker leaving /brokers/ids
// within the ZooKeeper session timeout.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Sluice } from '@sluice/client';
import { BrokerProcess, SLUICE_BIN } from '@sluice/client/dev-cluster';
import { readBroker, ZooKeeperClient, ZooKeeperServer } from '@sluice/coordinator';
import { removeDir, tempDir, waitFor } from '../helpers.ts';

describe('broker lifecycle', () => {
  let dir: string;
  let zookeeper: ZooKeeperServer;
  let zk: ZooKeeperClient;
  const brokers: BrokerProcess[] = [];

  before(async () => {
    dir = await tempDir('lifecycle');
    zookeeper = await ZooKeeperServer.start({ dataDir: join(dir, 'zookeeper') });
    zk = await ZooKeeperClient.connect({
      connectString: zookeeper.connectString,
      sessionTimeoutMs: 10_000,
      connectionTimeoutMs: 10_000,
    });
  });

  after(async () => {
    await Promise.allSettled(brokers.map((b) => b.kill()));
    zk?.close();
    await zookeeper?.stop();
    await removeDir(dir);
  });

  function broker(name: string, brokerId: number, properties: Record<string, string> = {}): BrokerProcess {
    const process = new BrokerProcess({
      brokerId,
      dataDir: join(dir, name),
      zookeeperConnect: zookeeper.connectString,
      grpcPort: 0,
      properties,
    });
    brokers.push(process);
    return process;
  }

  it('generates an id through /brokers/seqid and keeps it across a restart', async () => {
    const generated = broker('generated', -1);
    await generated.start(zk);
    assert.equal(generated.id, 1001, 'first generated id = seqid version 1 + reserved.broker.max.id 1000');
    const meta = await readFile(join(dir, 'generated', 'logs', 'meta.properties'), 'utf8');
    assert.match(meta, /^broker\.id=1001$/m);
    assert.match(meta, /^cluster\.id=\S{22}$/m);
    assert.equal(await generated.stop(), 0, 'a clean stop exits 0');
    await waitFor(async () => (await zk.exists('/brokers/ids/1001')) === null, {
      timeoutMs: 10_000,
      message: 'a stopped broker deregisters at once',
    });
    await generated.start(zk);
    assert.equal(generated.id, 1001, 'the restarted broker keeps its id');
    const second = broker('generated-2', -1);
    await second.start(zk);
    assert.equal(second.id, 1002);
    await Promise.all([generated.stop(), second.stop()]);
  });

  it('refuses a second broker with the same id, with a clear error', async () => {
    const first = broker('dup-a', 7);
    await first.start(zk);
    const duplicate = broker('dup-b', 7);
    await duplicate.spawn();
    const code = await duplicate.exited;
    assert.equal(code, 1);
    const log = await readFile(duplicate.logFile, 'utf8');
    assert.match(log, /Broker id 7 is already registered/);
    assert.ok(first.running, 'the first broker keeps running');
    await first.stop();
  });

  it('disappears from /brokers/ids within the session timeout after SIGKILL', async () => {
    const victim = broker('victim', 9, { 'zookeeper.session.timeout.ms': '6000' });
    await victim.start(zk);
    const killedAt = Date.now();
    await victim.kill();
    await waitFor(async () => (await zk.exists('/brokers/ids/9')) === null, {
      timeoutMs: 6_000 + 4_000,
      message: 'the ephemeral registration of a killed broker expires',
    });
    assert.ok(Date.now() - killedAt <= 10_000);
  });

  it('stops at start-up with one line naming an invalid config key', async () => {
    const props = join(dir, 'invalid.properties');
    await writeFile(props, `zookeeper.connect=${zookeeper.connectString}\nnum.partitions=abc\n`);
    const result = spawnSync(process.execPath, [SLUICE_BIN, 'server-start', props], {
      encoding: 'utf8',
      timeout: 30_000,
    });
    assert.equal(result.status, 1);
    const lines = result.stderr.trim().split('\n');
    assert.equal(lines.length, 1, `one line on stderr, got: ${result.stderr}`);
    assert.match(lines[0] ?? '', /num\.partitions/);
    assert.doesNotMatch(result.stderr, /\s+at /, 'no stack trace');
  });

  it('warns about an unknown key and starts anyway', async () => {
    const tolerant = broker('unknown-key', 11, { 'no.such.setting': 'x' });
    await tolerant.start(zk);
    const log = await readFile(tolerant.logFile, 'utf8');
    assert.match(log, /no\.such\.setting/);
    await tolerant.stop();
  });

  it('applies --override over the file, and reports a bad override like a bad file value', async () => {
    const props = join(dir, 'override.properties');
    await writeFile(
      props,
      `zookeeper.connect=${zookeeper.connectString}\nbroker.id=21\nnum.partitions=abc\nlisteners=GRPC://127.0.0.1:0\nlog.dirs=${join(dir, 'override-logs')}\n`,
    );
    const bad = spawnSync(
      process.execPath,
      [SLUICE_BIN, 'server-start', props, '--override', 'num.partitions=x2'],
      {
        encoding: 'utf8',
        timeout: 30_000,
      },
    );
    assert.equal(bad.status, 1);
    assert.match(bad.stderr, /x2.*num\.partitions|num\.partitions.*x2/);

    const child = spawn(
      process.execPath,
      [SLUICE_BIN, 'server-start', props, '--override', 'num.partitions=2'],
      {
        stdio: 'ignore',
      },
    );
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    try {
      await waitFor(async () => (await zk.exists('/brokers/ids/21')) !== null, {
        timeoutMs: 30_000,
        message: 'the broker started with the override registers',
      });
    } finally {
      child.kill('SIGTERM');
    }
    assert.equal(await exited, 0);
  });

  it('serves every GRPC listener, each advertising its own listener in Metadata', async () => {
    const multi = broker('two-listeners', 31, {
      listeners: 'INTERNAL://127.0.0.1:0,EXTERNAL://127.0.0.2:0',
      'listener.security.protocol.map': 'INTERNAL:GRPC,EXTERNAL:GRPC',
      'inter.broker.listener.name': 'INTERNAL',
    });
    await multi.start(zk);
    const registration = await readBroker(zk, 31);
    assert.ok(registration);
    const address = (name: string) => {
      const endpoint = registration.endpoints.find((e) => e.listenerName === name);
      assert.ok(endpoint, `endpoint ${name} registered`);
      return `${endpoint.host}:${endpoint.port}`;
    };
    const internal = address('INTERNAL');
    const external = address('EXTERNAL');
    assert.match(external, /^127\.0\.0\.2:\d+$/);
    for (const [listener, bootstrap] of [
      ['INTERNAL', internal],
      ['EXTERNAL', external],
    ] as const) {
      const client = new Sluice({ bootstrap: [bootstrap] });
      try {
        const cluster = await client.admin().describeCluster();
        const self = cluster.brokers.find((b) => b.id === 31);
        assert.equal(self?.address, bootstrap, `a client of ${listener} is told the ${listener} address`);
      } finally {
        await client.close();
      }
    }
    assert.equal(await multi.stop(), 0);
  });
});
