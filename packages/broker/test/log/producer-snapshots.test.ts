// Producer state snapshots: Kafka 2.7's file format (layout checked field by field, CRC, corruption
// refused before anything is built from it), and their life in a partition log: written at a roll and
// at a clean close, read back so that building the state after a restart scans only what follows the
// snapshot, deleted above a truncation point and past the end after recovery, a corrupt one skipped.
import assert from 'node:assert/strict';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { crc32c, encodeRecordBatch, readBatchHeader } from '@sluice/protocol';
import {
  CorruptSnapshotError,
  decodeProducerSnapshot,
  encodeProducerSnapshot,
  type ProducerSnapshotEntry,
} from '../../src/log/producer-snapshots.ts';
import { openLog, recordingLogger, tempDir } from './helpers.ts';

const ENTRY: ProducerSnapshotEntry = {
  producerId: 4001,
  epoch: 2,
  lastSequence: 41,
  lastOffset: 1_000_041,
  offsetDelta: 9,
  timestamp: 1_700_000_000_123,
};

describe('producer snapshot format', () => {
  test("Kafka's layout: version, CRC-32C of what follows, count, 46-byte entries", () => {
    const buf = encodeProducerSnapshot([ENTRY]);
    assert.equal(buf.length, 2 + 4 + 4 + 46);
    assert.equal(buf.readInt16BE(0), 1);
    assert.equal(buf.readUInt32BE(2), crc32c(buf, 6, buf.length));
    assert.equal(buf.readInt32BE(6), 1);
    assert.equal(buf.readBigInt64BE(10), 4001n);
    assert.equal(buf.readInt16BE(18), 2);
    assert.equal(buf.readInt32BE(20), 41);
    assert.equal(buf.readBigInt64BE(24), 1_000_041n);
    assert.equal(buf.readInt32BE(32), 9);
    assert.equal(buf.readBigInt64BE(36), 1_700_000_000_123n);
    assert.equal(buf.readInt32BE(44), -1, 'coordinator epoch: no transactions');
    assert.equal(buf.readBigInt64BE(48), -1n, 'no ongoing transaction');
    assert.deepEqual(decodeProducerSnapshot(buf), [ENTRY]);
    assert.deepEqual(decodeProducerSnapshot(encodeProducerSnapshot([])), []);
  });

  test('corruption is refused: short, other version, bad CRC, a count the bytes do not hold', () => {
    const good = encodeProducerSnapshot([ENTRY, { ...ENTRY, producerId: 4002 }]);
    const corrupt = (edit: (b: Buffer) => Buffer) => () => decodeProducerSnapshot(edit(Buffer.from(good)));
    assert.throws(
      corrupt((b) => b.subarray(0, 5)),
      CorruptSnapshotError,
    );
    assert.throws(
      corrupt((b) => {
        b.writeInt16BE(2, 0);
        return b;
      }),
      /version 2/,
    );
    for (const at of [6, 10, 30, good.length - 1]) {
      assert.throws(
        corrupt((b) => {
          b[at]! ^= 0x40;
          return b;
        }),
        /crc/,
      );
    }
    const huge = Buffer.from(good);
    huge.writeInt32BE(0x7fffffff, 6);
    huge.writeUInt32BE(crc32c(huge, 6, huge.length), 2);
    assert.throws(() => decodeProducerSnapshot(huge), /entries in/);
  });
});

describe('producer snapshots of a PartitionLog', () => {
  const producerBatch = (baseSequence: number, count: number) =>
    encodeRecordBatch(
      Array.from({ length: count }, (_, i) => ({ value: Buffer.alloc(100, i), timestamp: 1000 })),
      { producerId: 7, producerEpoch: 0, baseSequence },
    );
  const snapshotFiles = async (dir: string) =>
    (await readdir(dir)).filter((name) => name.endsWith('.snapshot')).sort();

  test('written at a roll and a clean close; a restart builds the state from the last one', async () => {
    const dir = await tempDir('producer-snapshots');
    try {
      const log = await openLog(dir.path, { segmentBytes: 2_000 });
      await log.producerState();
      for (let i = 0; i < 10; i++) await log.appendAsLeader(producerBatch(i * 5, 5), 0);
      assert.ok(log.segmentCount > 2, 'the log rolled');
      const atRolls = await snapshotFiles(dir.path);
      assert.equal(atRolls.length, 2, 'the newest two are kept');
      await log.close();
      assert.deepEqual(await snapshotFiles(dir.path), [atRolls[1]!, '00000000000000000050.snapshot']);

      const { logger, lines } = recordingLogger('info');
      const reopened = await openLog(dir.path, { segmentBytes: 2_000 }, { logger });
      const state = await reopened.producerState();
      const building = lines.find((line) => line.msg === 'building producer state');
      assert.equal(building?.snapshotOffset, 50);
      assert.equal(building?.scanFrom, 50, 'nothing before the snapshot is read');
      assert.deepEqual(state.check(readBatchHeader(producerBatch(50, 5))), { kind: 'append' });
      assert.deepEqual(state.check(readBatchHeader(producerBatch(45, 5))), {
        kind: 'duplicate',
        batch: { firstSequence: 45, lastSequence: 49, firstOffset: 45, lastOffset: 49, maxTimestamp: 1000 },
      });
      await reopened.close();
    } finally {
      await dir.cleanup();
    }
  });

  test('a truncation deletes the snapshots above it; the state is built again below', async () => {
    const dir = await tempDir('producer-snapshots');
    try {
      const log = await openLog(dir.path, { segmentBytes: 2_000 });
      await log.producerState();
      for (let i = 0; i < 6; i++) await log.appendAsLeader(producerBatch(i * 5, 5), 0);
      const before = await snapshotFiles(dir.path);
      assert.ok(before.length > 0);
      await log.truncateTo(12);
      for (const name of await snapshotFiles(dir.path)) assert.ok(Number(name.slice(0, 20)) <= 10);
      const state = await log.producerState();
      assert.deepEqual(state.check(readBatchHeader(producerBatch(10, 5))), { kind: 'append' });
      await log.close();
    } finally {
      await dir.cleanup();
    }
  });

  test('a corrupt snapshot is deleted and the log scanned instead; one past the end is never read', async () => {
    const dir = await tempDir('producer-snapshots');
    try {
      const log = await openLog(dir.path);
      await log.producerState();
      for (let i = 0; i < 3; i++) await log.appendAsLeader(producerBatch(i * 5, 5), 0);
      await log.close();
      const file = join(dir.path, '00000000000000000015.snapshot');
      const bytes = await readFile(file);
      bytes[bytes.length - 1]! ^= 1;
      await writeFile(file, bytes);
      // A stray snapshot beyond the log end, as a crash before a flush could leave.
      await writeFile(join(dir.path, '00000000000000000900.snapshot'), encodeProducerSnapshot([ENTRY]));

      const reopened = await openLog(dir.path);
      assert.deepEqual(await snapshotFiles(dir.path), ['00000000000000000015.snapshot']);
      const state = await reopened.producerState();
      assert.deepEqual(await snapshotFiles(dir.path), [], 'the corrupt one is gone');
      assert.deepEqual(state.check(readBatchHeader(producerBatch(15, 5))), { kind: 'append' });
      assert.equal(state.producerCount, 1, 'producer 4001 of the stray snapshot was never loaded');
      await reopened.close();
    } finally {
      await dir.cleanup();
    }
  });
});
