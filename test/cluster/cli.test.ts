// The Kafka tutorial's command sequence with `sluice` in place of the .sh scripts, against a real
// 3-broker cluster, plus the tools' error paths.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { after, before, describe, it } from 'node:test';
import { SLUICE_BIN } from '@sluice/client/dev-cluster';
import { startCluster, type TestCluster } from '../helpers.ts';

interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `sluice ...args` to completion (bounded), feeding `input` on stdin. */
function sluice(args: readonly string[], input = '', timeoutMs = 60_000): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [SLUICE_BIN, ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
    });
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`sluice ${args.join(' ')} did not finish in ${timeoutMs} ms; stderr: ${stderr}`));
    }, timeoutMs);
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
    child.stdin.end(input);
  });
}

describe('sluice CLI: the Kafka tutorial', () => {
  let test: TestCluster;
  let zookeeper: string;
  let bootstrap: string;

  before(async () => {
    test = await startCluster({ brokers: 3 });
    zookeeper = test.cluster.zookeeper.connectString;
    bootstrap = test.cluster.bootstrap.join(',');
  });

  after(async () => {
    await test?.stop();
  });

  it('creates, lists and describes topic123', async () => {
    const created = await sluice([
      'topics',
      '--create',
      '--zookeeper',
      zookeeper,
      '--topic',
      'topic123',
      '--partitions',
      '3',
      '--replication-factor',
      '1',
    ]);
    assert.equal(created.code, 0, created.stderr);
    assert.equal(created.stdout, 'Created topic topic123.\n');

    const listed = await sluice(['topics', '--list', '--zookeeper', zookeeper]);
    assert.equal(listed.code, 0, listed.stderr);
    assert.match(listed.stdout, /^topic123$/m);

    const described = await sluice(['topics', '--describe', '--zookeeper', zookeeper, '--topic', 'topic123']);
    assert.equal(described.code, 0, described.stderr);
    const lines = described.stdout.trimEnd().split('\n');
    assert.equal(lines[0], 'Topic: topic123\tPartitionCount: 3\tReplicationFactor: 1\tConfigs: ');
    assert.equal(lines.length, 4);
    for (const [i, line] of lines.slice(1).entries()) {
      assert.match(
        line,
        new RegExp(`^\\tTopic: topic123\\tPartition: ${i}\\tLeader: [123]\\tReplicas: [123]\\tIsr: [123]$`),
      );
    }
    const viaBroker = await sluice([
      'topics',
      '--describe',
      '--bootstrap-server',
      bootstrap,
      '--topic',
      'topic123',
    ]);
    assert.equal(viaBroker.stdout, described.stdout, 'ZooKeeper and broker views agree');
  });

  it('pipes lines through console-producer and back from console-consumer, in order per partition', async () => {
    const input = Array.from({ length: 60 }, (_, i) => `k${i % 7}:line-${i}`);
    const produced = await sluice(
      [
        'console-producer',
        '--bootstrap-server',
        bootstrap,
        '--topic',
        'topic123',
        '--property',
        'parse.key=true',
        '--property',
        'key.separator=:',
      ],
      `${input.join('\n')}\n`,
    );
    assert.equal(produced.code, 0, produced.stderr);
    const consumed = await sluice([
      'console-consumer',
      '--bootstrap-server',
      bootstrap,
      '--topic',
      'topic123',
      '--from-beginning',
      '--max-messages',
      '60',
      '--property',
      'print.partition=true',
      '--property',
      'print.key=true',
    ]);
    assert.equal(consumed.code, 0, consumed.stderr);
    assert.match(consumed.stderr, /Processed a total of 60 messages/);
    const byPartition = new Map<string, string[]>();
    for (const line of consumed.stdout.trimEnd().split('\n')) {
      const [partition, , value] = line.split('\t');
      const list = byPartition.get(partition ?? '') ?? [];
      list.push(value ?? '');
      byPartition.set(partition ?? '', list);
    }
    // Within each partition, lines come back in the order they were typed.
    const expectedOrder = input.map((l) => l.slice(l.indexOf(':') + 1));
    let total = 0;
    for (const values of byPartition.values()) {
      total += values.length;
      const positions = values.map((v) => expectedOrder.indexOf(v));
      assert.deepEqual(
        positions,
        [...positions].sort((a, b) => a - b),
      );
    }
    assert.equal(total, 60);
    // Same key, same partition.
    const partitionOfKey = new Map<string, string>();
    for (const line of consumed.stdout.trimEnd().split('\n')) {
      const [partition, key] = line.split('\t');
      const known = partitionOfKey.get(key ?? '');
      if (known !== undefined) assert.equal(known, partition);
      partitionOfKey.set(key ?? '', partition ?? '');
    }
  });

  it('reads one partition from an offset and stops after --timeout-ms', async () => {
    const consumed = await sluice([
      'console-consumer',
      '--bootstrap-server',
      bootstrap,
      '--topic',
      'topic123',
      '--partition',
      '0',
      '--offset',
      '1',
      '--timeout-ms',
      '1500',
      '--property',
      'print.offset=true',
    ]);
    assert.equal(consumed.code, 0, consumed.stderr);
    const offsets = consumed.stdout
      .trimEnd()
      .split('\n')
      .filter((l) => l.length > 0)
      .map((l) => Number(l.split('\t')[0]?.replace('Offset:', '')));
    assert.ok(offsets.length > 0);
    assert.equal(offsets[0], 1);
    assert.match(consumed.stderr, /Processed a total of \d+ messages/);
  });

  it('fails with one line for a bad flag, a missing topic and an unreachable broker', async () => {
    const badFlag = await sluice(['topics', '--list', '--zookeeper', zookeeper, '--no-such-flag']);
    assert.equal(badFlag.code, 1);
    assert.match(badFlag.stderr, /--no-such-flag is not a recognized option/);

    const unknown = await sluice([
      'console-consumer',
      '--bootstrap-server',
      bootstrap,
      '--topic',
      'nope',
      '--partition',
      '0',
      '--timeout-ms',
      '500',
    ]);
    assert.equal(unknown.code, 1);
    assert.match(unknown.stderr, /^Error: .*nope/m);
    assert.doesNotMatch(unknown.stderr, /\s+at /);

    const unreachable = await sluice(['topics', '--list', '--bootstrap-server', '127.0.0.1:1']);
    assert.equal(unreachable.code, 1);
    assert.match(unreachable.stderr, /^Error: Connection to 127\.0\.0\.1:1/m);

    const noAction = await sluice(['topics', '--zookeeper', zookeeper]);
    assert.equal(noAction.code, 1);
    assert.match(noAction.stderr, /exactly one action/);
  });

  it('refuses to create a topic twice unless --if-not-exists', async () => {
    const again = await sluice([
      'topics',
      '--create',
      '--bootstrap-server',
      bootstrap,
      '--topic',
      'topic123',
      '--partitions',
      '1',
    ]);
    assert.equal(again.code, 1);
    assert.match(again.stderr, /already exists/);
    const tolerant = await sluice([
      'topics',
      '--create',
      '--bootstrap-server',
      bootstrap,
      '--topic',
      'topic123',
      '--partitions',
      '1',
      '--if-not-exists',
    ]);
    assert.equal(tolerant.code, 0, tolerant.stderr);
  });
});
