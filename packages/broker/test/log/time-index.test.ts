import assert from 'node:assert/strict';
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { TimeIndex } from '../../src/log/time-index.ts';
import { tempDir } from './helpers.ts';

describe('TimeIndex', () => {
  let dir: { path: string; cleanup: () => Promise<void> };
  let path: string;
  beforeEach(async () => {
    dir = await tempDir();
    path = join(dir.path, '00000000000000000050.timeindex');
  });
  afterEach(async () => {
    await dir.cleanup();
  });

  it('records only new maximum timestamps', () => {
    const index = new TimeIndex(path, 50, 1200, true);
    index.maybeAppend(1000, 55);
    index.maybeAppend(1000, 60);
    index.maybeAppend(900, 61);
    index.maybeAppend(2000, 70);
    assert.equal(index.entries, 2);
    assert.deepEqual(index.lastEntry(), { timestamp: 2000, offset: 70 });
    assert.throws(() => index.maybeAppend(3000, 65), 'an offset going back with a larger timestamp');
  });

  it('finds the entry with the largest timestamp <= target', async () => {
    const index = new TimeIndex(path, 50, 1200, true);
    index.maybeAppend(1000, 55);
    index.maybeAppend(2000, 70);
    index.maybeAppend(1_700_000_000_000, 90);
    assert.deepEqual(await index.lookup(999), { timestamp: -1, offset: 50 });
    assert.deepEqual(await index.lookup(1000), { timestamp: 1000, offset: 55 });
    assert.deepEqual(await index.lookup(1999), { timestamp: 1000, offset: 55 });
    assert.deepEqual(await index.lookup(1_800_000_000_000), { timestamp: 1_700_000_000_000, offset: 90 });
  });

  it('keeps its last slot for the entry written on roll', () => {
    const index = new TimeIndex(path, 0, 12 * 3, true);
    index.maybeAppend(1, 1);
    index.maybeAppend(2, 2);
    assert.equal(index.isFull, true);
    assert.throws(() => index.maybeAppend(3, 3));
    index.maybeAppend(3, 3, true);
    assert.equal(index.entries, 3);
  });

  it('persists 12-byte entries, reloads them and reads the last one', async () => {
    const index = new TimeIndex(path, 50, 1200, true);
    index.maybeAppend(1000, 55);
    index.maybeAppend(2 ** 40, 70);
    await index.persist(true);
    assert.equal((await stat(path)).size, 24);
    const bytes = await readFile(path);
    assert.equal(bytes.readBigInt64BE(12), 2n ** 40n);
    assert.equal(bytes.readInt32BE(20), 20);
    const reopened = new TimeIndex(path, 50, 1200, false);
    assert.deepEqual(await reopened.lastEntryLoaded(), { timestamp: 2 ** 40, offset: 70 });
  });

  it('truncates the entries at or after an offset', () => {
    const index = new TimeIndex(path, 50, 1200, true);
    index.maybeAppend(1000, 55);
    index.maybeAppend(2000, 70);
    index.maybeAppend(3000, 80);
    index.truncateTo(70);
    assert.deepEqual(index.lastEntry(), { timestamp: 1000, offset: 55 });
    index.truncateTo(0);
    assert.deepEqual(index.lastEntry(), { timestamp: -1, offset: 50 });
  });
});
