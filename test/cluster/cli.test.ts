// The Kafka tutorial's command sequence with `sluice` in place of the .sh scripts, against a real
// 3-broker cluster, plus the tools' error paths.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { type RunResult, runSluice, startCluster, type TestCluster, waitFor } from '../helpers.ts';

/** Runs `sluice ...args` to completion (bounded), feeding `input` on stdin. */
function sluice(args: readonly string[], input = '', timeoutMs = 60_000): Promise<RunResult> {
  return runSluice(args, { input, timeoutMs });
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

  it('alters configs and partitions with kafka-topics.sh output, and describes the configs', async () => {
    const created = await sluice([
      'topics',
      '--create',
      '--zookeeper',
      zookeeper,
      '--topic',
      'altered',
      '--partitions',
      '2',
      '--replication-factor',
      '1',
    ]);
    assert.equal(created.code, 0, created.stderr);
    const config = await sluice([
      'topics',
      '--alter',
      '--zookeeper',
      zookeeper,
      '--topic',
      'altered',
      '--config',
      'retention.ms=1000',
      '--config',
      'segment.bytes=1048576',
    ]);
    assert.equal(config.code, 0, config.stderr);
    assert.equal(
      config.stdout,
      'WARNING: Altering topic configuration from this script has been deprecated and may be removed in future releases.\n' +
        '         Going forward, please use kafka-configs.sh for this functionality\n' +
        'Updated config for topic altered.\n',
    );
    const viaZk = await sluice(['topics', '--describe', '--zookeeper', zookeeper, '--topic', 'altered']);
    assert.equal(viaZk.code, 0, viaZk.stderr);
    assert.equal(
      viaZk.stdout.split('\n')[0],
      'Topic: altered\tPartitionCount: 2\tReplicationFactor: 1\tConfigs: retention.ms=1000,segment.bytes=1048576',
    );
    const viaBroker = await sluice([
      'topics',
      '--describe',
      '--bootstrap-server',
      bootstrap,
      '--topic',
      'altered',
    ]);
    assert.equal(viaBroker.stdout, viaZk.stdout, 'ZooKeeper and broker views agree');

    const deleted = await sluice([
      'topics',
      '--alter',
      '--bootstrap-server',
      bootstrap,
      '--topic',
      'altered',
      '--delete-config',
      'retention.ms',
    ]);
    assert.equal(deleted.code, 0, deleted.stderr);
    assert.equal(deleted.stdout, 'Updated config for topic altered.\n');
    const bad = await sluice([
      'topics',
      '--alter',
      '--bootstrap-server',
      bootstrap,
      '--topic',
      'altered',
      '--config',
      'retention.ms=soon',
    ]);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /retention\.ms/);

    const viaZkPartitions = await sluice([
      'topics',
      '--alter',
      '--zookeeper',
      zookeeper,
      '--topic',
      'altered',
      '--partitions',
      '3',
    ]);
    assert.equal(viaZkPartitions.code, 0, viaZkPartitions.stderr);
    assert.equal(
      viaZkPartitions.stdout,
      'WARNING: If partitions are increased for a topic that has a key, the partition logic or ordering of the messages will be affected\n' +
        'Adding partitions succeeded!\n',
    );
    const viaBrokerPartitions = await sluice([
      'topics',
      '--alter',
      '--bootstrap-server',
      bootstrap,
      '--topic',
      'altered',
      '--partitions',
      '4',
    ]);
    assert.equal(viaBrokerPartitions.code, 0, viaBrokerPartitions.stderr);
    assert.equal(viaBrokerPartitions.stdout, '', "Kafka's admin-client path prints nothing");
    const fewer = await sluice([
      'topics',
      '--alter',
      '--bootstrap-server',
      bootstrap,
      '--topic',
      'altered',
      '--partitions',
      '2',
    ]);
    assert.equal(fewer.code, 1);
    assert.match(fewer.stderr, /Topic currently has 4 partitions, which is higher than the requested 2\./);
    const described = await sluice(['topics', '--describe', '--zookeeper', zookeeper, '--topic', 'altered']);
    const lines = described.stdout.trimEnd().split('\n');
    assert.equal(
      lines[0],
      'Topic: altered\tPartitionCount: 4\tReplicationFactor: 1\tConfigs: segment.bytes=1048576',
    );
    assert.equal(lines.length, 5);
    for (const line of lines.slice(1)) assert.match(line, /\tLeader: [123]\t/);
  });

  it('deletes topics with kafka-topics.sh output', async () => {
    for (const topic of ['gone-zk', 'gone-broker']) {
      const created = await sluice([
        'topics',
        '--create',
        '--bootstrap-server',
        bootstrap,
        '--topic',
        topic,
        '--partitions',
        '2',
      ]);
      assert.equal(created.code, 0, created.stderr);
    }
    const viaZk = await sluice(['topics', '--delete', '--zookeeper', zookeeper, '--topic', 'gone-zk']);
    assert.equal(viaZk.code, 0, viaZk.stderr);
    assert.equal(
      viaZk.stdout,
      'Topic gone-zk is marked for deletion.\nNote: This will have no impact if delete.topic.enable is not set to true.\n',
    );
    const viaBroker = await sluice([
      'topics',
      '--delete',
      '--bootstrap-server',
      bootstrap,
      '--topic',
      'gone-broker',
    ]);
    assert.equal(viaBroker.code, 0, viaBroker.stderr);
    assert.equal(viaBroker.stdout, '', "Kafka's admin-client path prints nothing; it waits for the deletion");
    const listed = await sluice(['topics', '--list', '--bootstrap-server', bootstrap]);
    assert.doesNotMatch(listed.stdout, /^gone-broker$/m);
    const deadline = Date.now() + 20_000;
    for (;;) {
      const list = await sluice(['topics', '--list', '--zookeeper', zookeeper]);
      if (!/^gone-zk/m.test(list.stdout)) break;
      assert.ok(Date.now() < deadline, `gone-zk is still listed: ${list.stdout}`);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    const missing = await sluice([
      'topics',
      '--delete',
      '--bootstrap-server',
      bootstrap,
      '--topic',
      'never-was',
    ]);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /Topic 'never-was' does not exist as expected/);
    const tolerated = await sluice([
      'topics',
      '--delete',
      '--bootstrap-server',
      bootstrap,
      '--topic',
      'never-was',
      '--if-exists',
    ]);
    assert.equal(tolerated.code, 0, tolerated.stderr);
  });

  it('produces with each --compression-codec and consumes a --whitelist of topics', async () => {
    for (const codec of ['gzip', 'snappy', 'lz4', 'zstd']) {
      const created = await sluice([
        'topics',
        '--create',
        '--bootstrap-server',
        bootstrap,
        '--topic',
        `codec-${codec}`,
        '--partitions',
        '1',
      ]);
      assert.equal(created.code, 0, created.stderr);
      const produced = await sluice(
        [
          'console-producer',
          '--bootstrap-server',
          bootstrap,
          '--topic',
          `codec-${codec}`,
          '--compression-codec',
          codec,
        ],
        'alpha\nbeta\n',
      );
      assert.equal(produced.code, 0, produced.stderr);
    }
    const consumed = await sluice([
      'console-consumer',
      '--bootstrap-server',
      bootstrap,
      '--whitelist',
      'codec-.*',
      '--from-beginning',
      '--max-messages',
      '8',
      '--consumer-property',
      'fetch.max.wait.ms=100',
    ]);
    assert.equal(consumed.code, 0, consumed.stderr);
    assert.deepEqual(consumed.stdout.trimEnd().split('\n').sort(), [
      'alpha',
      'alpha',
      'alpha',
      'alpha',
      'beta',
      'beta',
      'beta',
      'beta',
    ]);

    const badCodec = await sluice(
      [
        'console-producer',
        '--bootstrap-server',
        bootstrap,
        '--topic',
        'codec-gzip',
        '--compression-codec',
        'brotli',
      ],
      'x\n',
    );
    assert.equal(badCodec.code, 1);
    assert.match(badCodec.stderr, /Invalid compression codec 'brotli'/);
    const badProperty = await sluice([
      'console-consumer',
      '--bootstrap-server',
      bootstrap,
      '--topic',
      'codec-gzip',
      '--consumer-property',
      'no.such=1',
    ]);
    assert.equal(badProperty.code, 1);
    assert.match(badProperty.stderr, /Unknown consumer property 'no\.such'/);
  });

  it('reports under-replicated and unavailable partitions', async () => {
    const created = await sluice([
      'topics',
      '--create',
      '--bootstrap-server',
      bootstrap,
      '--topic',
      'spread',
      '--replica-assignment',
      '1,2,3',
    ]);
    assert.equal(created.code, 0, created.stderr);
    const healthy = await sluice([
      'topics',
      '--describe',
      '--zookeeper',
      zookeeper,
      '--unavailable-partitions',
    ]);
    assert.equal(healthy.code, 0, healthy.stderr);
    assert.equal(healthy.stdout, '', 'nothing is unavailable while every broker runs');
    const underReplicated = await sluice([
      'topics',
      '--describe',
      '--zookeeper',
      zookeeper,
      '--under-replicated-partitions',
    ]);
    assert.equal(underReplicated.stdout, '');

    // Broker 3 leads partition 2 of 'spread' alone: without it that partition has no leader.
    await test.cluster.broker(3).kill();
    const unavailable = await waitFor(
      async () => {
        const result = await sluice([
          'topics',
          '--describe',
          '--zookeeper',
          zookeeper,
          '--topic',
          'spread',
          '--unavailable-partitions',
        ]);
        return result.stdout.includes('Partition: 2') ? result : undefined;
      },
      { timeoutMs: 30_000, intervalMs: 500, message: 'partition 2 of spread reported unavailable' },
    );
    assert.equal(unavailable.stdout, '\tTopic: spread\tPartition: 2\tLeader: none\tReplicas: 3\tIsr: 3\n');
  });
});
