import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { LeaderEpochCache } from '../../src/log/leader-epoch-cache.ts';
import { silentLogger, tempDir } from './helpers.ts';

describe('LeaderEpochCache', () => {
  let dir: { path: string; cleanup: () => Promise<void> };
  let path: string;
  beforeEach(async () => {
    dir = await tempDir();
    path = join(dir.path, 'leader-epoch-checkpoint');
  });
  afterEach(async () => {
    await dir.cleanup();
  });

  const cacheWith = (...entries: Array<[number, number]>): LeaderEpochCache => {
    const cache = new LeaderEpochCache(path, silentLogger);
    for (const [epoch, startOffset] of entries) cache.assign(epoch, startOffset);
    return cache;
  };

  it('assigns a new epoch once, at its first offset', () => {
    const cache = new LeaderEpochCache(path, silentLogger);
    assert.equal(cache.assign(2, 10), true);
    assert.equal(cache.assign(2, 15), false);
    assert.equal(cache.assign(3, 20), true);
    assert.equal(cache.latestEpoch, 3);
    assert.deepEqual(cache.entries, [
      { epoch: 2, startOffset: 10 },
      { epoch: 3, startOffset: 20 },
    ]);
  });

  it('drops entries that a new entry contradicts', () => {
    const cache = cacheWith([1, 0], [2, 10], [3, 20]);
    cache.assign(4, 15);
    assert.deepEqual(cache.entries, [
      { epoch: 1, startOffset: 0 },
      { epoch: 2, startOffset: 10 },
      { epoch: 4, startOffset: 15 },
    ]);
    cache.assign(2, 5);
    assert.deepEqual(cache.entries, [
      { epoch: 1, startOffset: 0 },
      { epoch: 2, startOffset: 5 },
    ]);
  });

  it("answers endOffsetFor as Kafka's endOffsetForEpoch", () => {
    const cache = cacheWith([2, 10], [4, 20], [6, 30]);
    assert.deepEqual(
      cache.endOffsetFor(6, 42),
      { epoch: 6, endOffset: 42 },
      'latest epoch ends at the log end',
    );
    assert.deepEqual(cache.endOffsetFor(4, 42), { epoch: 4, endOffset: 30 });
    assert.deepEqual(cache.endOffsetFor(5, 42), { epoch: 4, endOffset: 30 }, 'unknown epoch between two');
    assert.deepEqual(cache.endOffsetFor(3, 42), { epoch: 2, endOffset: 20 });
    assert.deepEqual(cache.endOffsetFor(1, 42), { epoch: 1, endOffset: 10 }, 'before every known epoch');
    assert.deepEqual(cache.endOffsetFor(7, 42), { epoch: -1, endOffset: -1 }, 'later than the latest');
    assert.deepEqual(cache.endOffsetFor(-1, 42), { epoch: -1, endOffset: -1 });
    assert.deepEqual(new LeaderEpochCache(path, silentLogger).endOffsetFor(0, 5), {
      epoch: -1,
      endOffset: -1,
    });
  });

  it('truncates from the end', () => {
    const cache = cacheWith([2, 10], [4, 20], [6, 30]);
    assert.equal(cache.truncateFromEnd(31), false);
    assert.equal(cache.truncateFromEnd(20), true);
    assert.deepEqual(cache.entries, [{ epoch: 2, startOffset: 10 }]);
  });

  it('truncates from the start, keeping the epoch that covers the new start', () => {
    const cache = cacheWith([2, 10], [4, 20], [6, 30]);
    assert.equal(cache.truncateFromStart(5), false);
    assert.equal(cache.truncateFromStart(25), true);
    assert.deepEqual(cache.entries, [
      { epoch: 4, startOffset: 25 },
      { epoch: 6, startOffset: 30 },
    ]);
    assert.equal(cache.truncateFromStart(30), true);
    assert.deepEqual(cache.entries, [{ epoch: 6, startOffset: 30 }]);
    assert.equal(cache.truncateFromStart(30), false);
  });

  it("persists in Kafka's format and loads it back", async () => {
    const cache = cacheWith([0, 0], [3, 120]);
    await cache.persist();
    assert.equal(await readFile(path, 'utf8'), '0\n2\n0 0\n3 120\n');
    const loaded = await LeaderEpochCache.load(path, silentLogger);
    assert.deepEqual(loaded.entries, cache.entries);
    cache.clear();
    await cache.persist();
    assert.equal(await readFile(path, 'utf8'), '0\n0\n');
  });

  it('ignores a malformed or non-monotonic checkpoint', async () => {
    await writeFile(path, '0\n2\n3 10\n2 20\n');
    assert.deepEqual((await LeaderEpochCache.load(path, silentLogger)).entries, []);
    await writeFile(path, 'garbage');
    assert.deepEqual((await LeaderEpochCache.load(path, silentLogger)).entries, []);
    assert.deepEqual((await LeaderEpochCache.load(join(dir.path, 'missing'), silentLogger)).entries, []);
  });
});
