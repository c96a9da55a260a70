// Record-level surgery on one stored RecordBatch v2 for the log cleaner: list a batch's records (key,
// offset, timestamp, tombstone or not) and rebuild the batch with only some of them. The rebuilt batch
// keeps everything the rest of the system relies on: base offset, lastOffsetDelta (so the next offset
// after the batch, and the producer state rebuilt from it, stay what they were), partition leader
// epoch, producer id/epoch, base sequence, attributes and firstTimestamp. The kept records' bytes are
// copied as they are (their offset and timestamp deltas are relative to the unchanged header), so
// offsets never move; only batchLength, record count, maxTimestamp and the CRC-32C are recomputed,
// and the records section is compressed again with the batch's codec.
import type { RecordBatchHeader } from '@sluice/protocol';
import {
  ATTRIBUTES_OFFSET,
  BATCH_LENGTH_OFFSET,
  ByteReader,
  COMPRESSION_CODEC_MASK,
  CRC_OFFSET,
  compressRecords,
  crc32c,
  decompressRecordsSection,
  LOG_OVERHEAD,
  MAX_DECOMPRESSED_RECORDS_BYTES,
  MAX_TIMESTAMP_OFFSET,
  RECORD_COUNT_OFFSET,
  RECORDS_OFFSET,
  readBatchHeader,
  TIMESTAMP_TYPE_MASK,
  writeInt64BE,
} from '@sluice/protocol';

/** One record of a batch as the cleaner sees it: where its bytes are and what decides its fate. */
export interface CleanerRecord {
  offset: number;
  timestamp: number;
  /** The key as a map key (latin1 maps bytes 1:1 to chars); null for a record without a key. */
  key: string | null;
  isTombstone: boolean;
  /** [start, end) of the whole record (length varint included) in the decompressed section. */
  start: number;
  end: number;
}

export interface ParsedBatch {
  header: RecordBatchHeader;
  /** The decompressed records section. */
  section: Buffer;
  records: CleanerRecord[];
}

/**
 * Parses the batch at `batch[position, position + size)`, which the segment has CRC-checked. Throws
 * KafkaError CORRUPT_MESSAGE on a malformed records section.
 */
export function parseBatch(batch: Buffer, position: number, size: number): ParsedBatch {
  const header = readBatchHeader(batch, position);
  const section = decompressRecordsSection(
    batch.subarray(position + RECORDS_OFFSET, position + size),
    header.attributes & COMPRESSION_CODEC_MASK,
    MAX_DECOMPRESSED_RECORDS_BYTES,
  );
  const logAppendTime = (header.attributes & TIMESTAMP_TYPE_MASK) !== 0;
  const reader = new ByteReader(section);
  const records: CleanerRecord[] = [];
  for (let i = 0; i < header.recordCount; i++) {
    const start = reader.pos;
    const length = reader.readVarint();
    const end = reader.pos + length;
    reader.skip(1, 'record attributes');
    const timestampDelta = reader.readVarlong();
    const offsetDelta = reader.readVarint();
    const keyLength = reader.readVarint();
    let key: string | null = null;
    if (keyLength >= 0) key = reader.readBytes(keyLength).toString('latin1');
    const valueLength = reader.readVarint();
    records.push({
      offset: header.baseOffset + offsetDelta,
      timestamp: logAppendTime ? header.maxTimestamp : header.firstTimestamp + timestampDelta,
      key,
      isTombstone: valueLength < 0,
      start,
      end,
    });
    reader.pos = end;
  }
  return { header, section, records };
}

/**
 * The batch rebuilt with only `kept` (a subsequence of parsed.records, in order). With no record kept
 * the result is an empty batch (record count 0, no compression): the cleaner keeps those only for
 * idempotent producers, whose state is rebuilt from their batches' headers.
 */
export function rebuildBatch(
  original: Buffer,
  position: number,
  parsed: ParsedBatch,
  kept: readonly CleanerRecord[],
): Buffer {
  const { header, section } = parsed;
  let plainBytes = 0;
  for (const record of kept) plainBytes += record.end - record.start;
  const plain = Buffer.allocUnsafe(plainBytes);
  let at = 0;
  // Under CreateTime the batch's maxTimestamp must be the largest kept one, for the time index and
  // retention; under LogAppendTime every record carries the header's value, which stays.
  let maxTimestamp = kept.length > 0 ? kept[0]!.timestamp : header.firstTimestamp;
  for (const record of kept) {
    at += section.copy(plain, at, record.start, record.end);
    if (record.timestamp > maxTimestamp) maxTimestamp = record.timestamp;
  }
  if ((header.attributes & TIMESTAMP_TYPE_MASK) !== 0) maxTimestamp = header.maxTimestamp;
  let attributes = header.attributes;
  const codec = attributes & COMPRESSION_CODEC_MASK;
  let records: Buffer = plain;
  if (kept.length === 0) attributes &= ~COMPRESSION_CODEC_MASK;
  else if (codec !== 0) records = compressRecords(plain, codec);
  const out = Buffer.allocUnsafe(RECORDS_OFFSET + records.length);
  original.copy(out, 0, position, position + RECORDS_OFFSET);
  records.copy(out, RECORDS_OFFSET);
  out.writeInt32BE(out.length - LOG_OVERHEAD, BATCH_LENGTH_OFFSET);
  out.writeInt16BE(attributes, ATTRIBUTES_OFFSET);
  writeInt64BE(out, maxTimestamp, MAX_TIMESTAMP_OFFSET);
  out.writeInt32BE(kept.length, RECORD_COUNT_OFFSET);
  out.writeUInt32BE(crc32c(out, ATTRIBUTES_OFFSET, out.length), CRC_OFFSET);
  return out;
}

/** True when every record of the batch at `position` has a key (compacted topics require it). */
export function allRecordsHaveKeys(batch: Buffer, position: number, size: number): boolean {
  return parseBatch(batch, position, size).records.every((record) => record.key !== null);
}
