// ProducerStateManager without a log: sequences must follow on, duplicates of the last 5 batches are
// recognised with their offsets, older epochs are fenced, new epochs start at 0, and checks run in turn.
// With a log: the state is built from the log's batches, follows follower appends, and is built again
// after a truncation (a leader that followed and leads again must not go by stale sequences).
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ErrorCode, encodeRecordBatch, KafkaError, readBatchHeader, setBaseOffset } from '@sluice/protocol';
import { PRODUCER_BATCHES_KEPT, ProducerStateManager } from '../../src/log/producer-state.ts';
import { openLog, tempDir } from './helpers.ts';

function header(baseSequence: number, count: number, epoch = 0, producerId = 7) {
  return readBatchHeader(
    encodeRecordBatch(
      Array.from({ length: count }, () => ({ value: null, timestamp: 5000 })),
      { producerId, producerEpoch: epoch, baseSequence },
    ),
  );
}

const refused = (code: number) => (err: unknown) => KafkaError.is(err, code);

describe('ProducerStateManager', () => {
  test('a new producer starts at 0; then sequences follow on', () => {
    const state = new ProducerStateManager();
    assert.throws(() => state.check(header(3, 1)), refused(ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER));
    assert.deepEqual(state.check(header(0, 3)), { kind: 'append' });
    state.update(header(0, 3), 100);
    assert.deepEqual(state.check(header(3, 2)), { kind: 'append' });
    assert.throws(() => state.check(header(4, 1)), refused(ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER));
    assert.throws(() => state.check(header(6, 1)), refused(ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER));
  });

  test('duplicates of the last 5 batches answer with their offsets; older ones are gaps', () => {
    const state = new ProducerStateManager();
    for (let i = 0; i < 7; i++) state.update(header(i * 2, 2), 1000 + i * 2);
    const dup = state.check(header(12, 2));
    assert.deepEqual(dup, {
      kind: 'duplicate',
      batch: { firstSequence: 12, lastSequence: 13, firstOffset: 1012, lastOffset: 1013, maxTimestamp: 5000 },
    });
    assert.equal(
      state.check(header(4, 2)).kind,
      'duplicate',
      `the ${PRODUCER_BATCHES_KEPT}th newest is kept`,
    );
    assert.throws(() => state.check(header(2, 2)), refused(ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER));
  });

  test('epochs: older fenced, newer starts at 0 and replaces the state', () => {
    const state = new ProducerStateManager();
    state.update(header(0, 5, 2), 0);
    assert.throws(() => state.check(header(5, 1, 1)), refused(ErrorCode.INVALID_PRODUCER_EPOCH));
    assert.throws(() => state.check(header(5, 1, 3)), refused(ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER));
    assert.equal(state.check(header(0, 1, 3)).kind, 'append');
    state.update(header(0, 1, 3), 5);
    assert.throws(() => state.check(header(5, 1, 2)), refused(ErrorCode.INVALID_PRODUCER_EPOCH));
  });

  test('sequences wrap at int32 max; batches without a producer id pass untouched', () => {
    const state = new ProducerStateManager();
    state.update(header(0, 1), 0);
    state.update(header(1, 1), 1);
    const nearMax = new ProducerStateManager();
    nearMax.update(header(0x7ffffffe, 1, 0, 9), 0);
    nearMax.update(header(0x7fffffff, 1, 0, 9), 1);
    assert.equal(nearMax.check(header(0, 1, 0, 9)).kind, 'append');
    assert.deepEqual(state.check(readBatchHeader(encodeRecordBatch([{ value: null }]))), { kind: 'append' });
  });

  test('serialize runs checks and appends one at a time, even after a failure', async () => {
    const state = new ProducerStateManager();
    const order: number[] = [];
    const slow = state.serialize(async () => {
      await new Promise((resolve) => setTimeout(resolve, 20));
      order.push(1);
      throw new Error('boom');
    });
    const fast = state.serialize(async () => {
      order.push(2);
      return 2;
    });
    await assert.rejects(slow, /boom/);
    assert.equal(await fast, 2);
    assert.deepEqual(order, [1, 2]);
  });
});

describe('producer state of a PartitionLog', () => {
  const producerBatch = (baseSequence: number, count: number, baseOffset = 0) => {
    const batch = encodeRecordBatch(
      Array.from({ length: count }, (_, i) => ({ value: Buffer.from(`s${baseSequence + i}`) })),
      { producerId: 7, producerEpoch: 0, baseSequence },
    );
    setBaseOffset(batch, 0, baseOffset);
    return batch;
  };

  test('built from the log, kept by follower appends, built again after truncation', async () => {
    const dir = await tempDir('producer-state');
    const log = await openLog(dir.path);
    try {
      await log.appendAsLeader(producerBatch(0, 3), 0);
      await log.appendAsLeader(Buffer.from(encodeRecordBatch([{ value: Buffer.from('plain') }])), 0);
      const built = await log.producerState();
      assert.equal(await log.producerState(), built, 'built once');
      assert.deepEqual(built.check(readBatchHeader(producerBatch(3, 2))), { kind: 'append' });
      assert.equal(built.check(readBatchHeader(producerBatch(0, 3))).kind, 'duplicate');

      // As a follower it copies the leader's next batch (offsets 4-5, sequences 3-4).
      await log.appendAsFollower(producerBatch(3, 2, 4));
      assert.deepEqual((await log.producerState()).check(readBatchHeader(producerBatch(5, 1))), {
        kind: 'append',
      });

      // Truncated below that batch: its sequences are gone with it.
      await log.truncateTo(4);
      const rebuilt = await log.producerState();
      assert.notEqual(rebuilt, built);
      assert.deepEqual(rebuilt.check(readBatchHeader(producerBatch(3, 2))), { kind: 'append' });
      assert.throws(
        () => rebuilt.check(readBatchHeader(producerBatch(5, 1))),
        refused(ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER),
      );
    } finally {
      await log.close();
      await dir.cleanup();
    }
  });
});
