// The SDK's consumer group against a real cluster (ZooKeeper and broker processes): partitions spread
// over members with every record consumed exactly once, a rebalance when a member joins, an idle
// member when there are more members than partitions, independent groups, a restart resuming after
// the last commit, a pattern subscription picking up a new topic, and a member that holds a record
// longer than max.poll.interval.ms leaving the group so that its commit fails with CommitFailedError.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { type ConsumedRecord, Sluice } from '@sluice/client';
import { startCluster, type TestCluster, waitFor } from '../helpers.ts';

type ConsumerGroup = ReturnType<Sluice['consumerGroup']>;
type GroupOptions = Parameters<Sluice['consumerGroup']>[0];

const PARTITIONS = 6;

/** Group settings that make rebalances quick (the broker's group.min.session.timeout.ms is 6000). */
const FAST: Partial<GroupOptions> = {
  sessionTimeoutMs: 6_000,
  heartbeatIntervalMs: 500,
  maxPollIntervalMs: 20_000,
  autoOffsetReset: 'earliest',
  fetchMaxWaitMs: 200,
  autoCommitIntervalMs: 500,
};

/** A member iterating in the background, keeping what it got. */
class Member {
  readonly group: ConsumerGroup;
  readonly records: ConsumedRecord[] = [];
  readonly done: Promise<void>;
  error: unknown;

  constructor(client: Sluice, options: GroupOptions, onRecord?: (record: ConsumedRecord) => Promise<void>) {
    const group = client.consumerGroup(options);
    this.group = group;
    this.done = (async () => {
      for await (const record of group) {
        this.records.push(record);
        if (onRecord) await onRecord(record);
      }
    })().catch((err: unknown) => {
      this.error = err;
    });
  }

  partitions(): string[] {
    return this.group.assignment().map((p) => `${p.topic}-${p.partition}`);
  }

  async close(): Promise<void> {
    await this.group.close();
    await this.done;
    assert.equal(this.error, undefined, `member failed: ${String(this.error)}`);
  }
}

function ids(records: readonly ConsumedRecord[]): string[] {
  return records.map((r) => `${r.topic}-${r.partition}@${r.offset}`);
}

/** Every member owns a disjoint set of partitions, together all `count` of them. */
function spreadOver(members: readonly Member[], count: number): boolean {
  const all = members.flatMap((m) => m.partitions());
  return all.length === count && new Set(all).size === count;
}

describe('SDK consumer group', () => {
  let test: TestCluster;
  let client: Sluice;

  async function produce(topic: string, count: number, partitions = PARTITIONS, tag = ''): Promise<void> {
    await client.producer().send(
      Array.from({ length: count }, (_, i) => ({
        topic,
        partition: i % partitions,
        key: `k${i}`,
        value: `${tag}${i}`,
      })),
    );
  }

  async function createTopic(topic: string, numPartitions = PARTITIONS): Promise<void> {
    await client.admin().createTopic({ topic, numPartitions, replicationFactor: 1 });
  }

  before(async () => {
    test = await startCluster({
      brokers: 2,
      brokerProperties: {
        'group.initial.rebalance.delay.ms': '0',
        'offsets.topic.replication.factor': '2',
        'offsets.topic.num.partitions': '6',
      },
    });
    client = new Sluice({ bootstrap: test.cluster.bootstrap });
  });

  after(async () => {
    await client?.close();
    await test?.stop();
  });

  it('spreads 6 partitions over 3 members, then 4; every record once', async () => {
    await createTopic('spread');
    await produce('spread', 60);
    const options: GroupOptions = { ...FAST, groupId: 'spread-group', topics: ['spread'] };
    const members = [0, 1, 2].map(() => new Member(client, options));
    const all = () => members.flatMap((m) => m.records);
    await waitFor(() => all().length >= 60 && spreadOver(members, PARTITIONS), {
      timeoutMs: 60_000,
      message: '3 members sharing 6 partitions and 60 records',
    });
    for (const m of members) assert.equal(m.partitions().length, 2, 'the range assignor gives 2 each');
    assert.equal(new Set(ids(all())).size, 60);
    assert.equal(all().length, 60, 'no record twice');
    // A record reaches the member that owns its partition.
    for (const m of members) {
      const owned = new Set(m.partitions());
      for (const r of m.records) assert.ok(owned.has(`${r.topic}-${r.partition}`));
    }

    // A fourth member: the group rebalances; still every partition to exactly one member.
    members.push(new Member(client, options));
    await waitFor(() => spreadOver(members, PARTITIONS) && members.every((m) => m.partitions().length > 0), {
      timeoutMs: 60_000,
      message: '4 members sharing 6 partitions',
    });
    await produce('spread', 60, PARTITIONS, 'second-');
    await waitFor(() => all().length >= 120, { timeoutMs: 60_000, message: '120 records consumed' });
    assert.equal(new Set(ids(all())).size, 120);
    assert.equal(all().length, 120, 'no record twice across the rebalance');
    await Promise.all(members.map((m) => m.close()));
  });

  it('7 members on 6 partitions: one is idle', async () => {
    await createTopic('seven');
    await produce('seven', 30);
    const options: GroupOptions = { ...FAST, groupId: 'seven-group', topics: ['seven'] };
    const members = Array.from({ length: 7 }, () => new Member(client, options));
    await waitFor(
      () =>
        spreadOver(members, PARTITIONS) &&
        members.filter((m) => m.partitions().length === 0).length === 1 &&
        members.flatMap((m) => m.records).length >= 30,
      { timeoutMs: 90_000, message: '6 busy members, 1 idle, 30 records' },
    );
    const all = members.flatMap((m) => m.records);
    assert.equal(new Set(ids(all)).size, 30);
    assert.equal(all.length, 30);
    assert.equal(members.find((m) => m.partitions().length === 0)?.records.length, 0);
    await Promise.all(members.map((m) => m.close()));
  });

  it('two groups each get every record', async () => {
    await createTopic('shared');
    await produce('shared', 24);
    const a = [0, 1].map(() => new Member(client, { ...FAST, groupId: 'group-a', topics: ['shared'] }));
    const b = [new Member(client, { ...FAST, groupId: 'group-b', topics: ['shared'] })];
    await waitFor(
      () => a.flatMap((m) => m.records).length >= 24 && b.flatMap((m) => m.records).length >= 24,
      { timeoutMs: 60_000, message: 'both groups consumed 24 records' },
    );
    assert.equal(new Set(ids(a.flatMap((m) => m.records))).size, 24);
    assert.deepEqual(ids(b[0]?.records ?? []).sort(), ids(a.flatMap((m) => m.records)).sort());
    await Promise.all([...a, ...b].map((m) => m.close()));
  });

  it('a restart in the same group resumes after the last commit', async () => {
    await createTopic('resume', 1);
    await produce('resume', 50, 1);
    const options: GroupOptions = { ...FAST, groupId: 'resume-group', topics: ['resume'] };

    // Manual commits: 20 records, commitSync() of what was handed out, then stop.
    const manual = client.consumerGroup({ ...options, enableAutoCommit: false });
    let count = 0;
    for await (const _record of manual) {
      if (++count === 20) break;
    }
    await manual.commitSync();
    assert.deepEqual(await manual.committed([{ topic: 'resume', partition: 0 }]), [
      { topic: 'resume', partition: 0, offset: 20, metadata: '' },
    ]);
    await manual.close();

    // Auto-commit: goes on at 20; close() commits what was handed out (10 more).
    const auto = client.consumerGroup(options);
    const autoSeen: number[] = [];
    for await (const record of auto) {
      autoSeen.push(record.offset);
      if (autoSeen.length === 10) break;
    }
    assert.deepEqual(autoSeen, [20, 21, 22, 23, 24, 25, 26, 27, 28, 29]);
    await auto.close();

    const third = new Member(client, options);
    await waitFor(() => third.records.length >= 20, { timeoutMs: 60_000, message: 'the last 20 records' });
    assert.deepEqual(
      third.records.map((r) => r.offset),
      Array.from({ length: 20 }, (_, i) => 30 + i),
    );
    await third.close();
  });

  it('seek, pause and resume within the assignment; commitAsync reports to its callback', async () => {
    await createTopic('seeking', 1);
    await produce('seeking', 10, 1);
    const events: string[] = [];
    const group = client.consumerGroup({
      ...FAST,
      groupId: 'seek-group',
      topics: ['seeking'],
      enableAutoCommit: false,
      rebalanceListener: {
        onPartitionsAssigned: (partitions) => {
          events.push(`assigned ${partitions.map((p) => `${p.topic}-${p.partition}`).join(',')}`);
        },
        onPartitionsRevoked: (partitions) => {
          events.push(`revoked ${partitions.map((p) => `${p.topic}-${p.partition}`).join(',')}`);
        },
      },
    });
    const seen: number[] = [];
    for await (const record of group) {
      seen.push(record.offset);
      if (record.offset === 3) group.seek('seeking', 0, 8);
      if (seen.length === 6) break;
    }
    assert.deepEqual(seen, [0, 1, 2, 3, 8, 9]);
    assert.equal(group.position('seeking', 0), 10);
    const committed = await new Promise<Error | null>((resolve) => {
      group.commitAsync([{ topic: 'seeking', partition: 0, offset: 5 }], (err) => resolve(err));
    });
    assert.equal(committed, null);
    assert.equal((await group.committed([{ topic: 'seeking', partition: 0 }]))[0]?.offset, 5);
    assert.throws(() => group.seek('seeking', 7, 0), /not assigned/);

    // Paused: nothing is handed out until resume().
    group.pause([{ topic: 'seeking', partition: 0 }]);
    group.seek('seeking', 0, 0);
    const next = group.records().next();
    // A negative check, so a bounded wait: more than two fetch.max.wait.ms rounds.
    const quiet = new Promise<'none'>((resolve) => setTimeout(() => resolve('none'), 600));
    assert.equal(await Promise.race([next.then(() => 'record' as const), quiet]), 'none');
    group.resume([{ topic: 'seeking', partition: 0 }]);
    assert.equal((await next).value?.offset, 0);
    await group.close();
    assert.deepEqual(events, ['assigned seeking-0', 'revoked seeking-0']);
  });

  it("auto.offset.reset 'none' without a committed offset: NoOffsetForPartitionError", async () => {
    await createTopic('no-offset', 1);
    const group = client.consumerGroup({
      ...FAST,
      groupId: 'none-group',
      topics: ['no-offset'],
      autoOffsetReset: 'none',
    });
    await assert.rejects(group.records().next(), (err: unknown) => {
      assert.ok(err instanceof Error);
      assert.equal(err.name, 'NoOffsetForPartitionError');
      return true;
    });
    await group.close();
  });

  it('a pattern subscription picks up a new matching topic', async () => {
    await createTopic('pattern-1', 2);
    await produce('pattern-1', 4, 2);
    const member = new Member(client, {
      ...FAST,
      groupId: 'pattern-group',
      topics: /pattern-\d+/,
      metadataMaxAgeMs: 500,
    });
    await waitFor(() => member.records.length >= 4, { timeoutMs: 60_000, message: 'pattern-1 records' });
    await createTopic('pattern-2', 2);
    await produce('pattern-2', 4, 2);
    await waitFor(() => member.records.filter((r) => r.topic === 'pattern-2').length >= 4, {
      timeoutMs: 60_000,
      message: 'pattern-2 records after the rebalance',
    });
    assert.deepEqual(member.group.subscription(), ['pattern-1', 'pattern-2']);
    assert.equal(new Set(ids(member.records)).size, member.records.length);
    await member.close();
  });

  it('goes on across restarts of each broker (the coordinator and partition leaders move)', async () => {
    await client.admin().createTopic({ topic: 'failover', numPartitions: 2, replicationFactor: 2 });
    const options: GroupOptions = {
      ...FAST,
      groupId: 'failover-group',
      topics: ['failover'],
      retryBackoffMs: 50,
    };
    const members = [new Member(client, options), new Member(client, options)];
    const distinct = () => new Set(members.flatMap((m) => m.records.map((r) => r.value?.toString()))).size;
    const producer = client.producer({ acks: 'all', retryBackoffMs: 50 });
    let sent = 0;
    const produceSome = async () => {
      await producer.send(
        Array.from({ length: 10 }, (_, i) => ({ topic: 'failover', value: `v${sent + i}` })),
      );
      sent += 10;
    };
    try {
      await produceSome();
      await waitFor(() => distinct() === sent, { timeoutMs: 60_000, message: 'the first records' });
      for (const broker of test.cluster.brokers) {
        await broker.stop();
        await broker.start(test.cluster.zk);
        // The restarted broker listens on a new port: let the client learn it before the other one
        // goes down, or it would know no live address.
        await waitFor(
          async () =>
            (await client.admin().describeCluster()).brokers.some((b) => b.address === broker.grpcAddress),
          { timeoutMs: 30_000, message: `the client knows broker ${broker.id}'s new address` },
        );
        await produceSome();
        // At least once: a record may come twice around a move, but none is missed.
        await waitFor(() => distinct() === sent, {
          timeoutMs: 90_000,
          message: `every record after restarting broker ${broker.id}`,
        });
      }
      await waitFor(() => spreadOver(members, 2), { timeoutMs: 60_000, message: 'both partitions owned' });
    } finally {
      await producer.close();
      await Promise.all(members.map((m) => m.close()));
    }
  });

  it('a member slower than max.poll.interval.ms leaves; its commit fails with CommitFailedError', async () => {
    await createTopic('slow', 2);
    await produce('slow', 10, 2);
    const release = Promise.withResolvers<void>();
    const holding = Promise.withResolvers<ConsumedRecord>();
    const slowGroup = client.consumerGroup({
      ...FAST,
      groupId: 'slow-group',
      topics: ['slow'],
      enableAutoCommit: false,
      maxPollIntervalMs: 3_000,
    });
    // The slow member takes its first record and holds on to it until released.
    const slowDone = (async () => {
      for await (const record of slowGroup) {
        holding.resolve(record);
        await release.promise;
        return;
      }
    })();
    const held = await holding.promise;
    assert.equal(slowGroup.assignment().length, 2);

    const fast = new Member(client, { ...FAST, groupId: 'slow-group', topics: ['slow'] });
    // The slow member leaves after max.poll.interval.ms; the fast one gets both partitions and every
    // record, the held one included (the slow member never committed it).
    await waitFor(() => fast.partitions().length === 2 && fast.records.length >= 10, {
      timeoutMs: 60_000,
      message: 'the fast member owns both partitions and consumed everything',
    });
    assert.ok(ids(fast.records).includes(ids([held])[0] as string));

    await assert.rejects(slowGroup.commitSync(), (err: unknown) => {
      assert.ok(err instanceof Error);
      assert.equal(err.name, 'CommitFailedError');
      return true;
    });
    release.resolve();
    await slowDone;
    await slowGroup.close();
    await fast.close();
  });
});
