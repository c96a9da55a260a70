// The Kafka listener against a real third-party client, kcat (librdkafka), with no Sluice client code
// in the loop: metadata of a 3-broker cluster, 10,000 keyed records produced and read back byte for
// byte, and every compression codec. Our own codecs are then checked against librdkafka's bytes: the
// SDK reads what kcat compressed, and kcat reads what the SDK compressed.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { after, before, describe, it } from 'node:test';
import { Sluice } from '@sluice/client';
import { startCluster, type TestCluster, waitFor } from '../helpers.ts';

const KCAT_MISSING = spawnSync('kcat', ['-V']).error !== undefined;
const CODECS = ['gzip', 'snappy', 'lz4', 'zstd'] as const;

function kcat(
  args: string[],
  input?: string,
): Promise<{ stdout: string; stderr: string; code: number | null }> {
  return new Promise((resolve, reject) => {
    const child = spawn('kcat', args, { stdio: ['pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.stdout.on('data', (d: Buffer) => out.push(d));
    child.stderr.on('data', (d: Buffer) => err.push(d));
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ stdout: Buffer.concat(out).toString(), stderr: Buffer.concat(err).toString(), code });
    });
    child.stdin.end(input ?? '');
  });
}

function keyedLines(count: number, tag: string): string {
  return Array.from(
    { length: count },
    (_, i) => `key-${i % 97}:${tag}-value-${i}-${'x'.repeat(i % 50)}\n`,
  ).join('');
}

describe('Kafka listener with kcat', () => {
  let test: TestCluster;
  let bootstrap: string;

  before(async () => {
    // Fails loudly rather than skipping: CI installs kcat (Debian's package).
    assert.equal(KCAT_MISSING, false, 'kcat is not installed: apt-get install -y kcat');
    test = await startCluster({ brokers: 3, kafkaListener: true });
    bootstrap = test.cluster.brokers.map((b) => b.kafkaAddress).join(',');
  });
  after(async () => test?.stop());

  it('kcat -L lists the 3 brokers, the topics and their leaders', async () => {
    const client = new Sluice({ bootstrap: test.cluster.bootstrap });
    await client.admin().createTopic({ topic: 'listed', numPartitions: 3, replicationFactor: 3 });
    await client.close();
    const metadata = await waitFor(
      async () => {
        const { stdout, code } = await kcat(['-b', bootstrap, '-L', '-J', '-t', 'listed']);
        if (code !== 0) return null;
        const parsed = JSON.parse(stdout);
        const topic = parsed.topics.find((t: { topic: string }) => t.topic === 'listed');
        return topic?.partitions.every((p: { leader: number }) => p.leader > 0) ? parsed : null;
      },
      { timeoutMs: 20_000, message: 'kcat sees every partition of "listed" with a leader' },
    );
    const brokers = metadata.brokers.map((b: { id: number; name: string }) => `${b.id}=${b.name}`).sort();
    assert.deepEqual(brokers, test.cluster.brokers.map((b) => `${b.id}=${b.kafkaAddress}`).sort());
    const topic = metadata.topics.find((t: { topic: string }) => t.topic === 'listed');
    assert.equal(topic.partitions.length, 3);
    for (const p of topic.partitions) {
      const replicas = p.replicas.map((r: { id: number }) => r.id);
      assert.equal(replicas.length, 3);
      assert.ok(
        replicas.includes(p.leader),
        `leader ${p.leader} is a replica of ${JSON.stringify(replicas)}`,
      );
    }
  });

  it('produces 10,000 keyed records with -P -K: and reads them back byte for byte', async () => {
    const client = new Sluice({ bootstrap: test.cluster.bootstrap });
    await client.admin().createTopic({ topic: 'keyed', numPartitions: 3, replicationFactor: 3 });
    await client.close();
    const input = keyedLines(10_000, 'keyed');
    const produced = await kcat(['-b', bootstrap, '-P', '-K:', '-t', 'keyed', '-X', 'acks=all'], input);
    assert.equal(produced.code, 0, produced.stderr);
    const consumed = await kcat(['-b', bootstrap, '-C', '-K:', '-t', 'keyed', '-o', 'beginning', '-e', '-q']);
    assert.equal(consumed.code, 0, consumed.stderr);
    const sent = input.split('\n').filter(Boolean);
    const got = consumed.stdout.split('\n').filter(Boolean);
    assert.equal(got.length, 10_000);
    assert.deepEqual([...got].sort(), [...sent].sort());
    // Per key, the order is the order produced (one key, one partition).
    const perKey = (lines: string[], key: string) => lines.filter((l) => l.startsWith(`${key}:`));
    for (const key of ['key-0', 'key-42', 'key-96']) assert.deepEqual(perKey(got, key), perKey(sent, key));
  });

  for (const codec of CODECS) {
    it(`round-trips ${codec} batches, and our ${codec} codec reads and writes librdkafka's bytes`, async () => {
      const input = keyedLines(2_000, codec);
      const topic = `kcat-${codec}`;
      const produced = await kcat(['-b', bootstrap, '-P', '-K:', '-t', topic, '-z', codec], input);
      assert.equal(produced.code, 0, produced.stderr);
      const consumed = await kcat(['-b', bootstrap, '-C', '-K:', '-t', topic, '-o', 'beginning', '-e', '-q']);
      assert.equal(consumed.stdout, input);

      // librdkafka compressed, our record-batch decoder decompresses.
      const client = new Sluice({ bootstrap: test.cluster.bootstrap });
      try {
        const consumer = client.consumer({ topic, partition: 0, from: 'oldest' });
        const lines: string[] = [];
        for await (const record of consumer) {
          lines.push(`${record.key?.toString()}:${record.value?.toString()}\n`);
          if (lines.length === 2_000) break;
        }
        consumer.close();
        assert.equal(lines.join(''), input);

        // We compress, librdkafka decompresses.
        const sdkTopic = `sdk-${codec}`;
        const producer = client.producer({ compression: codec });
        await producer.send(
          input
            .split('\n')
            .filter(Boolean)
            .map((line) => {
              const colon = line.indexOf(':');
              return {
                topic: sdkTopic,
                partition: 0,
                key: line.slice(0, colon),
                value: line.slice(colon + 1),
              };
            }),
        );
        const read = await kcat([
          '-b',
          bootstrap,
          '-C',
          '-K:',
          '-t',
          sdkTopic,
          '-o',
          'beginning',
          '-e',
          '-q',
        ]);
        assert.equal(read.code, 0, read.stderr);
        assert.equal(read.stdout, input);
      } finally {
        await client.close();
      }
    });
  }
});
