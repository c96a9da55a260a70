// The follower side of replication without a network: a fetcher against a leader endpoint served from a
// real leader log. A follower with a divergent tail (an epoch the leader never had) truncates by leader
// epoch, then copies the leader's records and high watermark.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import type { PartitionLog } from '../../src/log/partition-log.ts';
import { type LeaderEndpoint, ReplicaFetcherManager } from '../../src/replication/replica-fetcher-manager.ts';
import { batchOf, openLog, readAll, silentLogger, tempDir } from '../log/helpers.ts';

function endpointFor(leader: PartitionLog): LeaderEndpoint {
  return {
    async fetch(request) {
      // As a leader does: with nothing new, the fetch waits its max wait time.
      if (request.partitions.every((p) => p.fetchOffset >= leader.logEndOffset))
        await new Promise((resolve) => setTimeout(resolve, request.maxWaitMs));
      return Promise.all(
        request.partitions.map(async (p) => {
          const read = await leader.read(p.fetchOffset, p.partitionMaxBytes);
          return {
            topic: p.topic,
            partition: p.partition,
            errorCode: 0,
            highWatermark: leader.logEndOffset,
            logStartOffset: leader.logStartOffset,
            records: read.records,
          };
        }),
      );
    },
    async offsetsForLeaderEpoch(request) {
      return request.partitions.map((p) => {
        const answer = leader.endOffsetForEpoch(p.leaderEpoch);
        return {
          topic: p.topic,
          partition: p.partition,
          errorCode: 0,
          leaderEpoch: answer.epoch,
          endOffset: answer.endOffset,
        };
      });
    },
    close() {},
  };
}

describe('ReplicaFetcherManager', () => {
  let dir: { path: string; cleanup: () => Promise<void> };
  beforeEach(async () => {
    dir = await tempDir();
  });
  afterEach(async () => {
    await dir.cleanup();
  });

  it('truncates a divergent tail by leader epoch, then copies the leader', async () => {
    const leader = await openLog(join(dir.path, 'leader'));
    const follower = await openLog(join(dir.path, 'follower'));
    try {
      await leader.appendAsLeader(batchOf(['a', 'b']), 0);
      await follower.appendAsLeader(batchOf(['a', 'b']), 0);
      // The follower led epoch 1 alone: c and d never reached anyone else.
      await follower.appendAsLeader(batchOf(['c', 'd']), 1);
      await leader.appendAsLeader(batchOf(['e', 'f']), 2);
      await leader.appendAsLeader(batchOf(['g']), 2);

      const manager = new ReplicaFetcherManager({
        config: {
          brokerId: 2,
          numReplicaFetchers: 1,
          replicaFetchWaitMaxMs: 10,
          replicaFetchMinBytes: 1,
          replicaFetchMaxBytes: 1024 * 1024,
          replicaFetchResponseMaxBytes: 10 * 1024 * 1024,
          replicaFetchBackoffMs: 10,
        },
        connect: () => endpointFor(leader),
        logger: silentLogger,
      });
      manager.follow(follower, 1, 2);
      const deadline = Date.now() + 10_000;
      while (
        follower.logEndOffset !== leader.logEndOffset ||
        follower.highWatermark !== leader.logEndOffset
      ) {
        assert.ok(Date.now() < deadline, 'the follower catches up within 10 s');
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
      await manager.close();
      const values = (log: PartitionLog) =>
        readAll(log, 0).then((records) => records.map((r) => `${r.offset}:${r.value}:${r.leaderEpoch}`));
      assert.deepEqual(await values(follower), await values(leader));
      assert.deepEqual(
        follower.epochEntries.map((e) => e.epoch),
        [0, 2],
      );
    } finally {
      await leader.close();
      await follower.close();
    }
  });
});
