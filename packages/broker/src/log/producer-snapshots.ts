// Producer state snapshots, in Kafka 2.7's file format and naming: `<20-digit offset>.snapshot` in the
// partition directory holds the state of every idempotent producer as of that offset (exclusive), so
// that building the state after a restart or a truncation reads the latest snapshot and scans only the
// log after it, instead of the whole log. Written when a segment rolls and at a clean close; removed
// above a truncation point; at most MAX_SNAPSHOTS kept.
//
//   version i16 = 1 | crc u32 (CRC-32C of everything after it) | entry count i32 | entries:
//   producerId i64 | epoch i16 | lastSequence i32 | lastOffset i64 | offsetDelta i32 (last - first
//   sequence of the last batch) | timestamp i64 (the last batch's max timestamp) |
//   coordinatorEpoch i32 (-1: no transactions here) | currentTxnFirstOffset i64 (-1)
//
// A file that is short, of another version, or fails its CRC is corrupt: it is deleted and the next
// older one is tried, down to none (then the whole log is scanned), as Kafka does.
import { open, readFile, rename } from 'node:fs/promises';
import { crc32c, readInt64BE, writeInt64BE } from '@sluice/protocol';
import type { Logger } from 'pino';
import { removeIfExists, syncDirectory } from './checkpoint-file.ts';
import { producerSnapshotPath, TEMP_FILE_SUFFIX } from './log-files.ts';

const SNAPSHOT_VERSION = 1;
const CRC_OFFSET = 2;
const ENTRIES_OFFSET = 6;
const ENTRY_BYTES = 46;
/** The newest snapshots kept; older ones are deleted when a new one is written. */
const MAX_SNAPSHOTS = 2;

/** One producer as a snapshot holds it: its epoch and its last batch. */
export interface ProducerSnapshotEntry {
  producerId: number;
  epoch: number;
  lastSequence: number;
  lastOffset: number;
  /** lastSequence - firstSequence of the last batch (its record count - 1). */
  offsetDelta: number;
  /** The last batch's max timestamp. */
  timestamp: number;
}

export class CorruptSnapshotError extends Error {
  constructor(detail: string) {
    super(`corrupt producer snapshot: ${detail}`);
    this.name = 'CorruptSnapshotError';
  }
}

export function encodeProducerSnapshot(entries: readonly ProducerSnapshotEntry[]): Buffer {
  const buf = Buffer.alloc(ENTRIES_OFFSET + 4 + entries.length * ENTRY_BYTES);
  buf.writeInt16BE(SNAPSHOT_VERSION, 0);
  buf.writeInt32BE(entries.length, ENTRIES_OFFSET);
  let at = ENTRIES_OFFSET + 4;
  for (const entry of entries) {
    at = writeInt64BE(buf, entry.producerId, at);
    at = buf.writeInt16BE(entry.epoch, at);
    at = buf.writeInt32BE(entry.lastSequence, at);
    at = writeInt64BE(buf, entry.lastOffset, at);
    at = buf.writeInt32BE(entry.offsetDelta, at);
    at = writeInt64BE(buf, entry.timestamp, at);
    at = buf.writeInt32BE(-1, at);
    at = writeInt64BE(buf, -1, at);
  }
  buf.writeUInt32BE(crc32c(buf, ENTRIES_OFFSET, buf.length), CRC_OFFSET);
  return buf;
}

export function decodeProducerSnapshot(buf: Buffer): ProducerSnapshotEntry[] {
  if (buf.length < ENTRIES_OFFSET + 4) throw new CorruptSnapshotError(`only ${buf.length} bytes`);
  const version = buf.readInt16BE(0);
  if (version !== SNAPSHOT_VERSION) throw new CorruptSnapshotError(`version ${version}`);
  const crc = buf.readUInt32BE(CRC_OFFSET);
  const computed = crc32c(buf, ENTRIES_OFFSET, buf.length);
  if (crc !== computed) throw new CorruptSnapshotError(`crc ${crc}, computed ${computed}`);
  const count = buf.readInt32BE(ENTRIES_OFFSET);
  // The count is checked against the bytes there before anything is built from it.
  if (count < 0 || ENTRIES_OFFSET + 4 + count * ENTRY_BYTES !== buf.length) {
    throw new CorruptSnapshotError(`${count} entries in ${buf.length} bytes`);
  }
  const entries: ProducerSnapshotEntry[] = [];
  let at = ENTRIES_OFFSET + 4;
  for (let i = 0; i < count; i++) {
    entries.push({
      producerId: readInt64BE(buf, at),
      epoch: buf.readInt16BE(at + 8),
      lastSequence: buf.readInt32BE(at + 10),
      lastOffset: readInt64BE(buf, at + 14),
      offsetDelta: buf.readInt32BE(at + 22),
      timestamp: readInt64BE(buf, at + 26),
    });
    at += ENTRY_BYTES;
  }
  return entries;
}

/** The snapshot files of one partition directory. */
export class ProducerSnapshots {
  readonly #dir: string;
  readonly #logger: Logger;
  /** Offsets of the snapshot files present, ascending. */
  #offsets: number[];

  /** `offsets`: those of the snapshot files the log found in `dir` when it listed it at load. */
  constructor(dir: string, logger: Logger, offsets: readonly number[]) {
    this.#dir = dir;
    this.#logger = logger;
    this.#offsets = [...offsets].sort((a, b) => a - b);
  }

  get offsets(): readonly number[] {
    return this.#offsets;
  }

  #path(offset: number): string {
    return producerSnapshotPath(this.#dir, offset);
  }

  /** The newest readable snapshot at or below `maxOffset`; corrupt ones on the way are deleted. */
  async latestAtOrBelow(
    maxOffset: number,
  ): Promise<{ offset: number; entries: ProducerSnapshotEntry[] } | null> {
    for (let i = this.#offsets.length - 1; i >= 0; i--) {
      const offset = this.#offsets[i]!;
      if (offset > maxOffset) continue;
      try {
        return { offset, entries: decodeProducerSnapshot(await readFile(this.#path(offset))) };
      } catch (err) {
        if (!(err instanceof CorruptSnapshotError)) throw err;
        this.#logger.warn({ offset, err: err.message }, 'deleting a corrupt producer snapshot');
        await this.#delete(offset);
      }
    }
    return null;
  }

  /** Writes the snapshot at `offset` atomically (temp file, fsync, rename), then keeps the newest few. */
  async write(offset: number, entries: readonly ProducerSnapshotEntry[]): Promise<void> {
    const path = this.#path(offset);
    const temp = path + TEMP_FILE_SUFFIX;
    const handle = await open(temp, 'w');
    try {
      await handle.writeFile(encodeProducerSnapshot(entries));
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temp, path);
    await syncDirectory(this.#dir);
    if (!this.#offsets.includes(offset)) this.#offsets = [...this.#offsets, offset].sort((a, b) => a - b);
    while (this.#offsets.length > MAX_SNAPSHOTS) await this.#delete(this.#offsets[0]!);
  }

  /** Deletes the snapshots above `offset`: they describe records the log no longer has. */
  async deleteAbove(offset: number): Promise<void> {
    for (const above of this.#offsets.filter((o) => o > offset)) await this.#delete(above);
  }

  async deleteAll(): Promise<void> {
    for (const offset of [...this.#offsets]) await this.#delete(offset);
  }

  async #delete(offset: number): Promise<void> {
    await removeIfExists(this.#path(offset));
    this.#offsets = this.#offsets.filter((o) => o !== offset);
  }
}
