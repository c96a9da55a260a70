// Every program in examples/ runs against a real cluster, as a user would run it: a child process
// with SLUICE_BOOTSTRAP (or SLUICE_ZOOKEEPER) in its environment, checked by its output.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { startCluster, type TestCluster } from '../helpers.ts';

const run = promisify(execFile);
const EXAMPLES = join(import.meta.dirname, '..', '..', 'examples');

describe('examples', () => {
  let test: TestCluster;
  let env: NodeJS.ProcessEnv;

  before(async () => {
    test = await startCluster({ brokers: 3 });
    env = { ...process.env, SLUICE_BOOTSTRAP: test.cluster.bootstrap.join(',') };
  });

  after(async () => {
    await test?.stop();
  });

  async function example(file: string, args: string[], extraEnv: NodeJS.ProcessEnv = {}) {
    const { stdout } = await run(process.execPath, [join(EXAMPLES, file), ...args], {
      env: { ...env, ...extraEnv },
      timeout: 60_000,
    });
    return stdout;
  }

  it('create-topic.ts creates a topic, and says so when it exists', async () => {
    assert.match(
      await example('create-topic.ts', ['tutorial', '3', '1']),
      /Created topic tutorial with 3 partition/,
    );
    assert.match(await example('create-topic.ts', ['tutorial', '3', '1']), /Topic tutorial already exists/);
  });

  it('sync-producer.ts prints where each record was stored', async () => {
    const out = await example('sync-producer.ts', ['tutorial', '5']);
    const lines = out.trim().split('\n');
    assert.equal(lines.length, 5);
    for (const line of lines) {
      assert.match(line, /^Message is stored in topic\(tutorial\)\/partition\(\d\)\/offset\(\d+\)$/);
    }
  });

  it('async-producer.ts counts every delivery report', async () => {
    const out = await example('async-producer.ts', ['tutorial', '2000']);
    assert.match(out, /Successfully produced: 2000; errors: 0/);
  });

  it('partition-consumer.ts reads every partition from the oldest record (through ZooKeeper too)', async () => {
    const out = await example('partition-consumer.ts', ['tutorial', '2005']);
    assert.match(out, /Processed 2005 messages/);
    const partitions = new Set([...out.matchAll(/partition\((\d)\)/g)].map((m) => m[1]));
    assert.equal(partitions.size, 3);
    const viaZk = await example('partition-consumer.ts', ['tutorial', '10'], {
      SLUICE_BOOTSTRAP: '',
      SLUICE_ZOOKEEPER: test.cluster.readyInfo().zookeeper,
    });
    assert.match(viaZk, /Processed 10 messages/);
  });

  it('consumer-group.ts reads as a group and a second run resumes after the committed offsets', async () => {
    await example('create-topic.ts', ['grouped', '3', '1']);
    await example('sync-producer.ts', ['grouped', '6']);
    const first = await example('consumer-group.ts', ['grouped', 'g1', '4']);
    assert.match(first, /Assigned: grouped-0, grouped-1, grouped-2/);
    assert.match(first, /Processed 4 messages/);
    const second = await example('consumer-group.ts', ['grouped', 'g1', '2']);
    assert.match(second, /Processed 2 messages/);
    const key = (out: string) =>
      [...out.matchAll(/partition\((\d)\) offset\((\d+)\)/g)].map((m) => `${m[1]}:${m[2]}`);
    const all = [...key(first), ...key(second)];
    assert.equal(new Set(all).size, 6, `every record once across both runs: ${all.join(' ')}`);
  });
});
