// The consumer group's bookkeeping without a cluster: positions, what auto-commit commits (the position
// after the last record handed out, only when it moved), assignment epochs that make old fetches
// stale, out-of-range resets, pause flags; and the validation of its options.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { InvalidClientConfigError } from '../../src/errors.ts';
import { CONSUMER_GROUP_DEFAULTS, resolveGroupOptions } from '../../src/group/consumer-group-options.ts';
import { SubscriptionState } from '../../src/group/subscription-state.ts';

describe('consumer group subscription state', () => {
  test('a new assignment has no positions and bumps the epoch', () => {
    const state = new SubscriptionState();
    const before = state.epoch;
    state.assign([
      { topic: 'b', partition: 1 },
      { topic: 'a', partition: 2 },
      { topic: 'a', partition: 0 },
    ]);
    assert.equal(state.epoch, before + 1);
    assert.deepEqual(state.assigned(), [
      { topic: 'a', partition: 0 },
      { topic: 'a', partition: 2 },
      { topic: 'b', partition: 1 },
    ]);
    assert.deepEqual(
      state.missingPositions().map((p) => `${p.topic}-${p.partition}`),
      ['b-1', 'a-2', 'a-0'],
    );
    assert.deepEqual(state.fetchable(), []);
    assert.deepEqual(state.uncommitted(), []);
  });

  test('uncommitted: positions that moved past the last commit', () => {
    const state = new SubscriptionState();
    state.assign([
      { topic: 't', partition: 0 },
      { topic: 't', partition: 1 },
    ]);
    // Positions found from committed offsets count as committed already.
    state.seek('t', 0, 10);
    state.markCommitted([{ topic: 't', partition: 0, offset: 10 }]);
    state.seek('t', 1, 0);
    assert.deepEqual(state.uncommitted(), [{ topic: 't', partition: 1, offset: 0 }]);
    // Handing out records 10..14 of t-0 moves its position to 15: that is what gets committed.
    for (let offset = 10; offset < 15; offset++) state.seek('t', 0, offset + 1);
    assert.deepEqual(state.uncommitted(), [
      { topic: 't', partition: 0, offset: 15 },
      { topic: 't', partition: 1, offset: 0 },
    ]);
    state.markCommitted(state.uncommitted());
    assert.deepEqual(state.uncommitted(), []);
    assert.equal(state.committed('t', 0), 15);
    // positions() is everything known, committed or not (commitSync() without offsets).
    assert.deepEqual(state.positions(), [
      { topic: 't', partition: 0, offset: 15 },
      { topic: 't', partition: 1, offset: 0 },
    ]);
  });

  test('commits of partitions no longer owned are not recorded', () => {
    const state = new SubscriptionState();
    state.assign([{ topic: 't', partition: 0 }]);
    state.markCommitted([{ topic: 't', partition: 5, offset: 3 }]);
    assert.equal(state.committed('t', 5), undefined);
    assert.equal(state.seek('t', 5, 1), false);
  });

  test('out of range: the position is found again by auto.offset.reset only', () => {
    const state = new SubscriptionState();
    state.assign([{ topic: 't', partition: 0 }]);
    state.seek('t', 0, 100);
    state.outOfRange('t', 0);
    assert.equal(state.position('t', 0), undefined);
    assert.deepEqual(state.missingPositions(), [{ topic: 't', partition: 0, outOfRange: true }]);
    state.seek('t', 0, 7);
    assert.deepEqual(state.missingPositions(), []);
    state.assign([{ topic: 't', partition: 0 }]);
    assert.deepEqual(state.missingPositions(), [{ topic: 't', partition: 0, outOfRange: false }]);
  });

  test('paused partitions are not fetched; a new assignment forgets pauses', () => {
    const state = new SubscriptionState();
    state.assign([
      { topic: 't', partition: 0 },
      { topic: 't', partition: 1 },
    ]);
    state.seek('t', 0, 1);
    state.seek('t', 1, 2);
    assert.equal(state.setPaused('t', 1, true), true);
    assert.deepEqual(state.fetchable(), [{ topic: 't', partition: 0, offset: 1 }]);
    assert.deepEqual(state.paused(), [{ topic: 't', partition: 1 }]);
    state.assign([{ topic: 't', partition: 1 }]);
    assert.deepEqual(state.paused(), []);
  });

  test('seek rejects offsets that are not offsets', () => {
    const state = new SubscriptionState();
    state.assign([{ topic: 't', partition: 0 }]);
    assert.throws(() => state.seek('t', 0, -1), RangeError);
    assert.throws(() => state.seek('t', 0, 1.5), RangeError);
  });
});

describe('consumer group options', () => {
  test("Kafka 2.7's defaults", () => {
    const options = resolveGroupOptions({ groupId: 'g', topics: ['t'] });
    assert.equal(options.enableAutoCommit, true);
    assert.equal(options.autoCommitIntervalMs, 5_000);
    assert.equal(options.sessionTimeoutMs, 10_000);
    assert.equal(options.heartbeatIntervalMs, 3_000);
    assert.equal(options.maxPollIntervalMs, 300_000);
    assert.equal(options.autoOffsetReset, 'latest');
    assert.deepEqual(options.partitionAssignmentStrategy, ['range']);
    assert.equal(options.fetchMinBytes, CONSUMER_GROUP_DEFAULTS.fetchMinBytes);
    assert.equal(options.maxPartitionFetchBytes, 1_048_576);
  });

  test('duplicates in topics collapse', () => {
    const options = resolveGroupOptions({ groupId: 'g', topics: ['t', 't'] });
    assert.deepEqual(options.topics, ['t']);
  });

  test('bad settings are refused', () => {
    assert.throws(() => resolveGroupOptions({ groupId: '', topics: ['t'] }), InvalidClientConfigError);
    assert.throws(() => resolveGroupOptions({ groupId: 'g', topics: [] }), InvalidClientConfigError);
    assert.throws(
      () => resolveGroupOptions({ groupId: 'g', topics: ['t'], heartbeatIntervalMs: 10_000 }),
      InvalidClientConfigError,
    );
    assert.throws(
      () => resolveGroupOptions({ groupId: 'g', topics: ['t'], maxPollIntervalMs: 0 }),
      InvalidClientConfigError,
    );
    assert.throws(
      () => resolveGroupOptions({ groupId: 'g', topics: ['t'], partitionAssignmentStrategy: [] }),
      InvalidClientConfigError,
    );
    assert.throws(
      () =>
        resolveGroupOptions({
          groupId: 'g',
          topics: ['t'],
          autoOffsetReset: 'oldest' as unknown as 'earliest',
        }),
      InvalidClientConfigError,
    );
  });
});
