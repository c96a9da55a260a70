// A byte corrupted on disk while the broker is down is never served as data: after a clean shutdown
// the first read of the batch checks its CRC; after an unclean one recovery checks every batch past the
// recovery point and cuts the log there.
import assert from 'node:assert/strict';
import { open as openFile, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { batchesIn, validateRecordBatch } from '@sluice/protocol';
import type { PartitionLog } from '../../src/log/partition-log.ts';
import {
  batchOf,
  openLog,
  readAll,
  recordingLogger,
  recordsOf,
  rejectsWithCode,
  tempDir,
} from './helpers.ts';

const config = { segmentBytes: 1000, indexIntervalBytes: 100 };

/** Flips one byte of a file in place. */
async function flipByte(path: string, position: number): Promise<void> {
  const handle = await openFile(path, 'r+');
  try {
    const byte = Buffer.alloc(1);
    await handle.read(byte, 0, 1, position);
    byte[0] = byte[0]! ^ 0x5a;
    await handle.write(byte, 0, 1, position);
  } finally {
    await handle.close();
  }
}

describe('a corrupted byte in a closed segment', () => {
  let dir: { path: string; cleanup: () => Promise<void> };
  let log: PartitionLog | undefined;
  /** Where in the first segment the fourth batch starts, and its offsets. */
  let target: { position: number; baseOffset: number; size: number };
  const firstSegment = (): string => join(dir.path, '00000000000000000000.log');

  beforeEach(async () => {
    dir = await tempDir();
    const writer = await openLog(dir.path, config);
    for (let i = 0; i < 60; i++) await writer.appendAsLeader(batchOf([`v${i}`, `w${i}`]), 0);
    assert.ok(writer.segmentCount > 3);
    await writer.close();
    const batches = [...batchesIn(await readFile(firstSegment()))];
    const fourth = batches[3]!;
    target = { position: fourth.position, baseOffset: fourth.header.baseOffset, size: fourth.size };
  });
  afterEach(async () => {
    await log?.close().catch(() => {});
    log = undefined;
    await dir.cleanup();
  });

  it('is caught by the CRC on read after a clean restart, and nothing after it is served from that segment', async () => {
    await flipByte(firstSegment(), target.position + target.size - 3);
    log = await openLog(dir.path, config);
    const before = await log.read(0, 1 << 20);
    const served = recordsOf(before.records);
    assert.equal(served.at(-1)!.offset, target.baseOffset - 1, 'reads stop before the corrupt batch');
    for (const { position, size } of batchesIn(before.records))
      validateRecordBatch(before.records, position, size);
    await rejectsWithCode(log.read(target.baseOffset, 1 << 20), 'KAFKA_STORAGE_ERROR');
    await rejectsWithCode(log.read(target.baseOffset + 1, 10), 'KAFKA_STORAGE_ERROR');
    const later = await log.read(target.baseOffset + 40, 1 << 20);
    assert.ok(recordsOf(later.records).length > 0, 'other segments keep serving');
    assert.equal(log.isOffline, false);
  });

  it('is caught by a corrupt length field too', async () => {
    await flipByte(firstSegment(), target.position + 9);
    log = await openLog(dir.path, config);
    await rejectsWithCode(log.read(target.baseOffset, 1 << 20), 'KAFKA_STORAGE_ERROR');
  });

  it('is cut off by recovery after an unclean stop, with the offset and bytes logged', async () => {
    await flipByte(firstSegment(), target.position + 70);
    const { logger, lines } = recordingLogger();
    log = await openLog(dir.path, config, { hadCleanShutdown: false, recoveryPoint: 0, logger });
    assert.equal(log.logEndOffset, target.baseOffset);
    assert.deepEqual(log.segmentBaseOffsets, [0]);
    const records = await readAll(log);
    assert.equal(records.length, target.baseOffset);
    const warning = lines.find((line) => line.msg.includes('recovery truncated the log'));
    assert.ok(warning);
    assert.equal(warning.offset, target.baseOffset);
    assert.ok((warning.bytesDropped as number) > 1000, 'the rest of the segment and the later segments');
    assert.match(String(warning.reason), /CRC/);
  });
});
