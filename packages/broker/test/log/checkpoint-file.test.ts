import assert from 'node:assert/strict';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import {
  CheckpointFormatError,
  readCheckpointFile,
  readOffsetCheckpoint,
  writeCheckpointFile,
  writeOffsetCheckpoint,
} from '../../src/log/checkpoint-file.ts';
import { tempDir } from './helpers.ts';

describe('checkpoint files', () => {
  let dir: { path: string; cleanup: () => Promise<void> };
  beforeEach(async () => {
    dir = await tempDir();
  });
  afterEach(async () => {
    await dir.cleanup();
  });

  it("writes Kafka's format: version 0, a count, then one entry per line", async () => {
    const path = join(dir.path, 'recovery-point-offset-checkpoint');
    await writeOffsetCheckpoint(path, [
      { topic: 'orders', partition: 0, offset: 42 },
      { topic: 'my.topic-x', partition: 12, offset: 0 },
    ]);
    assert.equal(await readFile(path, 'utf8'), '0\n2\norders 0 42\nmy.topic-x 12 0\n');
    assert.deepEqual(
      await readOffsetCheckpoint(path),
      new Map([
        ['orders-0', 42],
        ['my.topic-x-12', 0],
      ]),
    );
    assert.deepEqual(await readdir(dir.path), ['recovery-point-offset-checkpoint'], 'no temp file is left');
  });

  it('writes an empty checkpoint as "0" and "0"', async () => {
    const path = join(dir.path, 'cp');
    await writeCheckpointFile(path, []);
    assert.equal(await readFile(path, 'utf8'), '0\n0\n');
    assert.deepEqual(await readCheckpointFile(path), []);
  });

  it('replaces an existing file', async () => {
    const path = join(dir.path, 'cp');
    await writeOffsetCheckpoint(path, [{ topic: 'a', partition: 0, offset: 1 }]);
    await writeOffsetCheckpoint(path, [{ topic: 'a', partition: 0, offset: 2 }]);
    assert.deepEqual(await readOffsetCheckpoint(path), new Map([['a-0', 2]]));
  });

  it('reads a missing file as nothing', async () => {
    assert.equal(await readCheckpointFile(join(dir.path, 'missing')), null);
    assert.equal((await readOffsetCheckpoint(join(dir.path, 'missing'))).size, 0);
  });

  for (const [what, text] of [
    ['an unknown version', '1\n0\n'],
    ['a count that disagrees', '0\n2\na 0 1\n'],
    ['a bad count', '0\nx\n'],
    ['a short entry', '0\n1\na 0\n'],
    ['a negative offset', '0\n1\na 0 -5\n'],
    ['an empty file', ''],
  ] as const) {
    it(`rejects ${what}`, async () => {
      const path = join(dir.path, 'cp');
      await writeFile(path, text);
      await assert.rejects(readOffsetCheckpoint(path), CheckpointFormatError);
    });
  }
});
