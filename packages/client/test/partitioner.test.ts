// The partitioners without a cluster: Kafka's key hashing, sticky null keys that move only when their
// batch completes, round-robin, random, and custom functions checked for range.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { createPartitioner, DefaultPartitioner } from '../src/partitioner.ts';

describe('partitioners', () => {
  test('default: keys as Kafka hashes them', () => {
    const p = new DefaultPartitioner();
    // toPositive(murmur2(key)) % 12, from Kafka's own test vectors.
    assert.equal(p.partition('t', Buffer.from('foobar'), 12), 6);
    assert.equal(p.partition('t', Buffer.from('abc'), 12), 3);
    assert.equal(p.partition('t', Buffer.from('a-little-bit-longer-string'), 50), 19);
  });

  test('default: null keys stick until a batch of that partition completes', () => {
    const p = new DefaultPartitioner();
    const first = p.partition('t', null, 6);
    for (let i = 0; i < 100; i++) assert.equal(p.partition('t', null, 6), first);
    p.batchCompleted('t', (first + 1) % 6, 6);
    assert.equal(p.partition('t', null, 6), first, 'another partition completing changes nothing');
    p.batchCompleted('t', first, 6);
    assert.notEqual(p.partition('t', null, 6), first);
    const single = new DefaultPartitioner();
    single.partition('u', null, 1);
    single.batchCompleted('u', 0, 1);
    assert.equal(single.partition('u', null, 1), 0);
  });

  test('round-robin ignores keys and cycles', () => {
    const p = createPartitioner('round-robin');
    const got = Array.from({ length: 8 }, () => p.partition('t', Buffer.from('k'), 4));
    assert.deepEqual(got, [0, 1, 2, 3, 0, 1, 2, 3]);
  });

  test('random hashes keys and spreads null keys', () => {
    const p = createPartitioner('random');
    assert.equal(p.partition('t', Buffer.from('foobar'), 12), 6);
    const seen = new Set(Array.from({ length: 200 }, () => p.partition('t', null, 4)));
    assert.equal(seen.size, 4);
  });

  test('custom functions are called and checked', () => {
    const p = createPartitioner(({ key, partitionCount }) => (key?.length ?? 0) % partitionCount);
    assert.equal(p.partition('t', Buffer.from('abc'), 2), 1);
    assert.throws(() => createPartitioner(() => 5).partition('t', null, 3), /returned 5/);
    assert.throws(() => createPartitioner(() => 1.5).partition('t', null, 3), /returned 1.5/);
    assert.throws(() => createPartitioner('nope' as 'random'), /unknown partitioner/);
  });
});
