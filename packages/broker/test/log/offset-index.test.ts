import assert from 'node:assert/strict';
import { readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { IndexCorruptError } from '../../src/log/index-file.ts';
import { OffsetIndex } from '../../src/log/offset-index.ts';
import { tempDir } from './helpers.ts';

describe('OffsetIndex', () => {
  let dir: { path: string; cleanup: () => Promise<void> };
  let path: string;
  beforeEach(async () => {
    dir = await tempDir();
    path = join(dir.path, '00000000000000000100.index');
  });
  afterEach(async () => {
    await dir.cleanup();
  });

  it('finds the entry with the largest offset <= target', () => {
    const index = new OffsetIndex(path, 100, 1024, true);
    index.append(105, 400);
    index.append(110, 900);
    index.append(200, 5000);
    assert.deepEqual(index.lookupSync(99), { offset: 100, position: 0 });
    assert.deepEqual(index.lookupSync(100), { offset: 100, position: 0 });
    assert.deepEqual(index.lookupSync(104), { offset: 100, position: 0 });
    assert.deepEqual(index.lookupSync(105), { offset: 105, position: 400 });
    assert.deepEqual(index.lookupSync(150), { offset: 110, position: 900 });
    assert.deepEqual(index.lookupSync(10_000), { offset: 200, position: 5000 });
  });

  it('refuses entries out of order and offsets that do not fit an int32', () => {
    const index = new OffsetIndex(path, 100, 1024, true);
    index.append(105, 400);
    assert.throws(() => index.append(105, 500));
    assert.throws(() => index.append(106, 300));
    assert.throws(() => index.append(99, 500));
    assert.equal(index.canHold(100 + 2 ** 31 - 1), true);
    assert.equal(index.canHold(100 + 2 ** 31), false);
    assert.throws(() => index.append(100 + 2 ** 31, 600));
  });

  it('is full at segment.index.bytes / 8 entries and grows its buffer until then', () => {
    const index = new OffsetIndex(path, 0, 8 * 1000, true);
    assert.equal(index.maxEntries, 1000);
    for (let i = 0; i < 1000; i++) index.append(i + 1, i * 10);
    assert.equal(index.isFull, true);
    assert.throws(() => index.append(5000, 100_000));
    assert.deepEqual(index.lookupSync(500), { offset: 500, position: 4990 });
  });

  it('persists exactly its entries (no preallocation) and reloads them lazily', async () => {
    const index = new OffsetIndex(path, 100, 1024, true);
    index.append(105, 400);
    index.append(110, 900);
    await index.persist(true);
    assert.equal((await stat(path)).size, 16);
    assert.deepEqual([...(await readFile(path))], [0, 0, 0, 5, 0, 0, 1, 144, 0, 0, 0, 10, 0, 0, 3, 132]);
    index.append(120, 1000);
    await index.persist(false);
    assert.equal((await stat(path)).size, 24);

    const reopened = new OffsetIndex(path, 100, 1024, false);
    assert.equal(reopened.isLoaded, false);
    assert.deepEqual(await reopened.lookup(115), { offset: 110, position: 900 });
    assert.equal(reopened.entries, 3);
    assert.equal(reopened.unload(), true);
    assert.equal(reopened.isLoaded, false);
    assert.deepEqual(await reopened.lookup(1000), { offset: 120, position: 1000 });
  });

  it('truncates by offset and by position, and shrinks the file on the next persist', async () => {
    const index = new OffsetIndex(path, 0, 1024, true);
    for (let i = 1; i <= 10; i++) index.append(i * 10, i * 100);
    await index.persist(true);
    index.truncateTo(55);
    assert.equal(index.entries, 5);
    assert.deepEqual(index.lastEntry(), { offset: 50, position: 500 });
    index.truncateTo(50);
    assert.equal(index.entries, 4);
    index.truncateToPosition(300);
    assert.equal(index.entries, 2);
    assert.equal(index.unload(), false, 'unsaved changes keep it in memory');
    await index.persist(true);
    assert.equal((await stat(path)).size, 16);
    index.append(25, 250);
    await index.persist(true);
    const reopened = new OffsetIndex(path, 0, 1024, false);
    assert.deepEqual(await reopened.lookup(1000), { offset: 25, position: 250 });
  });

  it('reports a file whose size is not a multiple of 8, or whose entries are out of order', async () => {
    await writeFile(path, Buffer.alloc(12));
    await assert.rejects(new OffsetIndex(path, 100, 1024, false).lookup(100), IndexCorruptError);
    const unordered = Buffer.alloc(16);
    unordered.writeInt32BE(5, 0);
    unordered.writeInt32BE(100, 4);
    unordered.writeInt32BE(3, 8);
    unordered.writeInt32BE(200, 12);
    await writeFile(path, unordered);
    await assert.rejects(new OffsetIndex(path, 100, 1024, false).lookup(100), IndexCorruptError);
    await assert.rejects(
      new OffsetIndex(join(dir.path, 'none.index'), 0, 1024, false).lookup(0),
      IndexCorruptError,
    );
  });
});
