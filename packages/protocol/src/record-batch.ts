// Kafka's RecordBatch v2 (magic 2): the one byte format a record keeps from producer to segment file to
// follower to consumer. This module encodes a batch a record at a time (RecordBatchBuilder), validates
// one that came off the wire or the disk (bounds, CRC-32C, record walk: nothing allocated per record,
// every length bounded before use), decodes records as views into the batch, and stamps the fields the
// broker owns (base offset, leader epoch, LogAppendTime) in place, without re-encoding.
//
//   baseOffset i64 | batchLength i32 | partitionLeaderEpoch i32 | magic i8 | crc u32 |
//   attributes i16 | lastOffsetDelta i32 | firstTimestamp i64 | maxTimestamp i64 | producerId i64 |
//   producerEpoch i16 | baseSequence i32 | recordCount i32 | records...
//
//   record: length varint | attributes i8 | timestampDelta varlong | offsetDelta varint |
//           keyLength varint (-1 = null) | key | valueLength varint (-1 = null) | value |
//           headerCount varint | headers: keyLength varint | key utf8 | valueLength varint (-1 = null) | value
//
// batchLength counts the bytes after itself. The CRC covers attributes to the end, so baseOffset,
// batchLength, partitionLeaderEpoch and magic can be rewritten without touching it.
//
// Wrong magic: Kafka 2.7 up-converts old formats or answers UNSUPPORTED_FOR_MESSAGE_FORMAT; Sluice only
// ever writes magic 2, and magic lies outside the CRC, so any other value is taken as corruption:
// CORRUPT_MESSAGE with a message naming the magic.

import {
  CompressionCodec,
  type CompressionType,
  codecOf,
  compressRecords,
  decompressRecordsSection,
} from './compression.ts';
import { crc32c } from './crc32c.ts';
import { ErrorCode, KafkaError } from './errors.ts';
import {
  ByteReader,
  MAX_VARINT_BYTES,
  MAX_VARLONG_BYTES,
  readInt64BE,
  varintSize,
  varlongSize,
  writeInt64BE,
  writeVarint,
  writeVarlong,
} from './varint.ts';

// ---------------------------------------------------------------------------------------------------
// Layout

export const BASE_OFFSET_OFFSET = 0;
export const BATCH_LENGTH_OFFSET = 8;
/** baseOffset + batchLength: the bytes in front of what batchLength counts. */
export const LOG_OVERHEAD = 12;
export const PARTITION_LEADER_EPOCH_OFFSET = 12;
export const MAGIC_OFFSET = 16;
export const CRC_OFFSET = 17;
export const ATTRIBUTES_OFFSET = 21;
export const LAST_OFFSET_DELTA_OFFSET = 23;
export const FIRST_TIMESTAMP_OFFSET = 27;
export const MAX_TIMESTAMP_OFFSET = 35;
export const PRODUCER_ID_OFFSET = 43;
export const PRODUCER_EPOCH_OFFSET = 51;
export const BASE_SEQUENCE_OFFSET = 53;
export const RECORD_COUNT_OFFSET = 57;
export const RECORDS_OFFSET = 61;
export const RECORD_BATCH_HEADER_BYTES = 61;

export const RECORD_BATCH_MAGIC = 2;

/** Attribute bits. */
export const COMPRESSION_CODEC_MASK = 0x07;
export const TIMESTAMP_TYPE_MASK = 0x08;
export const TRANSACTIONAL_FLAG_MASK = 0x10;
export const CONTROL_FLAG_MASK = 0x20;

/** The most bytes a compressed records section may inflate to (Kafka bounds it by the batch itself). */
export const MAX_DECOMPRESSED_RECORDS_BYTES = 128 * 1024 * 1024;

export const NO_TIMESTAMP = -1;
export const NO_PRODUCER_ID = -1;
export const NO_PRODUCER_EPOCH = -1;
export const NO_SEQUENCE = -1;
export const NO_PARTITION_LEADER_EPOCH = -1;

/** A record is at least 7 bytes: length, attributes, timestampDelta, offsetDelta, keyLength, valueLength, headerCount. */
const MIN_RECORD_BYTES = 7;
/** ...of which the body (what the length varint counts) is at least 6. */
const MIN_RECORD_BODY_BYTES = 6;
/** A header is at least 2 bytes: keyLength 0 and valueLength -1. */
const MIN_HEADER_BYTES = 2;
const MAX_INT32 = 0x7fffffff;

// ---------------------------------------------------------------------------------------------------
// Types

export type TimestampType = 'CreateTime' | 'LogAppendTime';

export interface RecordHeader {
  key: string;
  value: Buffer | null;
}

export interface RecordInput {
  key?: Buffer | null;
  value: Buffer | null;
  headers?: readonly RecordHeader[];
  /** Milliseconds since the epoch; defaults to Date.now() at encoding. */
  timestamp?: number;
}

export interface BatchOptions {
  baseOffset?: number;
  partitionLeaderEpoch?: number;
  producerId?: number;
  producerEpoch?: number;
  baseSequence?: number;
  timestampType?: TimestampType;
  isTransactional?: boolean;
  /** The codec for the records section (attribute bits 0-2); default 'none'. */
  compression?: CompressionType;
}

export interface RecordBatchHeader {
  baseOffset: number;
  batchLength: number;
  partitionLeaderEpoch: number;
  magic: number;
  crc: number;
  attributes: number;
  lastOffsetDelta: number;
  firstTimestamp: number;
  maxTimestamp: number;
  producerId: number;
  producerEpoch: number;
  baseSequence: number;
  recordCount: number;
}

export interface DecodedRecord {
  offset: number;
  timestamp: number;
  /** A view into the batch buffer, not a copy. */
  key: Buffer | null;
  /** A view into the batch buffer, not a copy. */
  value: Buffer | null;
  headers: RecordHeader[];
}

export interface ValidateOptions {
  /**
   * Accept offset gaps and empty batches, as log compaction leaves them: offset deltas need only
   * increase and stay within lastOffsetDelta. Off by default: a produced batch must hold records
   * 0..lastOffsetDelta, in order, with none missing.
   */
  allowOffsetGaps?: boolean;
}

// ---------------------------------------------------------------------------------------------------
// Attributes

export function compressionCodecOf(attributes: number): number {
  return attributes & COMPRESSION_CODEC_MASK;
}

export function timestampTypeOf(attributes: number): TimestampType {
  return attributes & TIMESTAMP_TYPE_MASK ? 'LogAppendTime' : 'CreateTime';
}

export function isTransactionalBatch(attributes: number): boolean {
  return (attributes & TRANSACTIONAL_FLAG_MASK) !== 0;
}

export function isControlBatch(attributes: number): boolean {
  return (attributes & CONTROL_FLAG_MASK) !== 0;
}

// ---------------------------------------------------------------------------------------------------
// Compression hook
//
// The records section of a compressed batch (everything after the 61-byte header) is one compressed
// stream holding the same record encoding. Codecs (compression.ts) plug in at these two points only:
//   - encode: compressRecords(plain section, codec) after writeRecords, before the CRC;
//   - validate/decode: decompressRecords(section, codec) before walkRecords, bounded by
//     MAX_DECOMPRESSED_RECORDS_BYTES so a small batch cannot inflate without end.
// Ids 5-7 name no codec at all and are corruption.

function decompressRecords(section: Buffer, codec: number): Buffer {
  if (codec === CompressionCodec.none) return section;
  if (codec > CompressionCodec.zstd) {
    throw corrupt(`record batch names compression codec ${codec}, which does not exist`);
  }
  return decompressRecordsSection(section, codec, MAX_DECOMPRESSED_RECORDS_BYTES);
}

// ---------------------------------------------------------------------------------------------------
// Encoding

function bytesFieldSize(bytes: Uint8Array | null | undefined): number {
  if (bytes == null) return 1;
  return varintSize(bytes.length) + bytes.length;
}

function writeBytesField(buf: Buffer, bytes: Uint8Array | null | undefined, offset: number): number {
  if (bytes == null) return writeVarint(buf, -1, offset);
  const start = writeVarint(buf, bytes.length, offset);
  buf.set(bytes, start);
  return start + bytes.length;
}

function assertIntegerIn(value: number, min: number, max: number, what: string): void {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new RangeError(`${what} must be an integer in [${min}, ${max}], got ${value}`);
  }
}

/** The encoded size of a record header's key (UTF-8) and value. */
function headerBytes(header: RecordHeader): number {
  const keyBytes = Buffer.byteLength(header.key, 'utf8');
  return varintSize(keyBytes) + keyBytes + bytesFieldSize(header.value);
}

/** Length, attributes, timestamp and offset deltas and header count, each at its widest. */
const RECORD_FRAMING_MAX_BYTES =
  MAX_VARINT_BYTES + 1 + MAX_VARLONG_BYTES + MAX_VARINT_BYTES + MAX_VARINT_BYTES;

/**
 * The most bytes a record can take in a batch, whatever its place and timestamp: what a producer
 * checks against its limits before it appends.
 */
export function recordBytesUpperBound(
  key: Uint8Array | null,
  value: Uint8Array | null,
  headers?: readonly RecordHeader[],
): number {
  let bytes = RECORD_FRAMING_MAX_BYTES + bytesFieldSize(key) + bytesFieldSize(value);
  if (headers !== undefined) for (const header of headers) bytes += headerBytes(header);
  return bytes;
}

/**
 * Builds one RecordBatch v2 a record at a time, as Kafka's MemoryRecordsBuilder does: each append
 * encodes the record straight into the batch's buffer, so a producer holds bytes rather than record
 * objects while a batch lingers, and sending it costs no second pass. build() writes the 61-byte header
 * and the CRC in place (or replaces the records section by its compressed form). Offset deltas are
 * 0..n-1 in append order; firstTimestamp is the first record's timestamp, maxTimestamp the largest.
 * The buffer starts at `initialCapacityBytes` and doubles when a record does not fit; the caller bounds
 * the batch through `sizeBytes`.
 */
export class RecordBatchBuilder {
  #buf: Buffer;
  #position = RECORDS_OFFSET;
  #count = 0;
  #firstTimestamp = 0;
  #maxTimestamp = 0;
  #built = false;

  constructor(initialCapacityBytes = 16_384) {
    this.#buf = Buffer.allocUnsafe(Math.max(RECORDS_OFFSET + MIN_RECORD_BYTES, initialCapacityBytes));
  }

  /** Records appended so far. */
  get recordCount(): number {
    return this.#count;
  }

  /** The batch's size in bytes as built uncompressed: header plus records so far. */
  get sizeBytes(): number {
    return this.#position;
  }

  /**
   * Encodes one record at the end of the batch and returns the bytes it took. Headers' keys are UTF-8
   * strings; a null key or value is written as length -1.
   */
  append(
    timestamp: number,
    key: Uint8Array | null,
    value: Uint8Array | null,
    headers?: readonly RecordHeader[],
  ): number {
    if (this.#built) throw new Error('RecordBatchBuilder: append after build');
    if (!Number.isSafeInteger(timestamp)) {
      throw new RangeError(`record ${this.#count}: timestamp ${timestamp} is not an integer`);
    }
    const offsetDelta = this.#count;
    if (offsetDelta === 0) {
      this.#firstTimestamp = timestamp;
      this.#maxTimestamp = timestamp;
    } else if (timestamp > this.#maxTimestamp) {
      this.#maxTimestamp = timestamp;
    }
    const timestampDelta = timestamp - this.#firstTimestamp;
    const headerCount = headers === undefined ? 0 : headers.length;
    let body =
      1 +
      varlongSize(timestampDelta) +
      varintSize(offsetDelta) +
      bytesFieldSize(key) +
      bytesFieldSize(value) +
      varintSize(headerCount);
    for (let j = 0; j < headerCount; j++) body += headerBytes(headers![j]!);
    if (body > MAX_INT32) {
      throw new KafkaError(ErrorCode.MESSAGE_TOO_LARGE, `record ${offsetDelta} is ${body} bytes`);
    }
    const recordBytes = varintSize(body) + body;
    if (this.#position + recordBytes - LOG_OVERHEAD > MAX_INT32) {
      throw new KafkaError(ErrorCode.MESSAGE_TOO_LARGE, `record batch would pass ${MAX_INT32} bytes`);
    }
    this.#ensureRoom(recordBytes);
    const buf = this.#buf;
    let pos = writeVarint(buf, body, this.#position);
    buf[pos++] = 0; // record attributes: unused in v2
    pos = writeVarlong(buf, timestampDelta, pos);
    pos = writeVarint(buf, offsetDelta, pos);
    pos = writeBytesField(buf, key, pos);
    pos = writeBytesField(buf, value, pos);
    pos = writeVarint(buf, headerCount, pos);
    for (let j = 0; j < headerCount; j++) {
      const header = headers![j]!;
      const keyBytes = Buffer.byteLength(header.key, 'utf8');
      pos = writeVarint(buf, keyBytes, pos);
      pos += buf.write(header.key, pos, keyBytes, 'utf8');
      pos = writeBytesField(buf, header.value, pos);
    }
    if (pos !== this.#position + recordBytes) {
      throw new Error(
        `RecordBatchBuilder: wrote ${pos - this.#position} of ${recordBytes} bytes (sizing bug)`,
      );
    }
    this.#position = pos;
    this.#count++;
    return recordBytes;
  }

  #ensureRoom(bytes: number): void {
    const needed = this.#position + bytes;
    if (needed <= this.#buf.length) return;
    const grown = Buffer.allocUnsafe(Math.max(needed, this.#buf.length * 2));
    this.#buf.copy(grown, 0, 0, this.#position);
    this.#buf = grown;
  }

  /**
   * Writes the header and returns the finished batch: a view of the builder's buffer when
   * uncompressed, a new buffer when compressed. A builder builds once.
   */
  build(options: BatchOptions = {}): Buffer {
    if (this.#built) throw new Error('RecordBatchBuilder: built twice');
    const count = this.#count;
    if (count === 0) throw new RangeError('RecordBatchBuilder: a record batch holds at least one record');
    const baseOffset = options.baseOffset ?? 0;
    const partitionLeaderEpoch = options.partitionLeaderEpoch ?? NO_PARTITION_LEADER_EPOCH;
    const producerId = options.producerId ?? NO_PRODUCER_ID;
    const producerEpoch = options.producerEpoch ?? NO_PRODUCER_EPOCH;
    const baseSequence = options.baseSequence ?? NO_SEQUENCE;
    assertIntegerIn(baseOffset, 0, Number.MAX_SAFE_INTEGER, 'baseOffset');
    assertIntegerIn(partitionLeaderEpoch, -1, MAX_INT32, 'partitionLeaderEpoch');
    assertIntegerIn(producerId, -1, Number.MAX_SAFE_INTEGER, 'producerId');
    assertIntegerIn(producerEpoch, -1, 0x7fff, 'producerEpoch');
    assertIntegerIn(baseSequence, -1, MAX_INT32, 'baseSequence');
    const codec = codecOf(options.compression ?? 'none');
    let attributes: number = CompressionCodec.none;
    if (options.timestampType === 'LogAppendTime') attributes |= TIMESTAMP_TYPE_MASK;
    if (options.isTransactional === true) attributes |= TRANSACTIONAL_FLAG_MASK;
    this.#built = true;

    const size = this.#position;
    const buf = this.#buf.subarray(0, size);
    writeInt64BE(buf, baseOffset, BASE_OFFSET_OFFSET);
    buf.writeInt32BE(size - LOG_OVERHEAD, BATCH_LENGTH_OFFSET);
    buf.writeInt32BE(partitionLeaderEpoch, PARTITION_LEADER_EPOCH_OFFSET);
    buf.writeInt8(RECORD_BATCH_MAGIC, MAGIC_OFFSET);
    buf.writeInt16BE(attributes, ATTRIBUTES_OFFSET);
    buf.writeInt32BE(count - 1, LAST_OFFSET_DELTA_OFFSET);
    writeInt64BE(buf, this.#firstTimestamp, FIRST_TIMESTAMP_OFFSET);
    writeInt64BE(buf, this.#maxTimestamp, MAX_TIMESTAMP_OFFSET);
    writeInt64BE(buf, producerId, PRODUCER_ID_OFFSET);
    buf.writeInt16BE(producerEpoch, PRODUCER_EPOCH_OFFSET);
    buf.writeInt32BE(baseSequence, BASE_SEQUENCE_OFFSET);
    buf.writeInt32BE(count, RECORD_COUNT_OFFSET);
    if (codec === CompressionCodec.none) {
      buf.writeUInt32BE(crc32c(buf, ATTRIBUTES_OFFSET, size), CRC_OFFSET);
      return buf;
    }
    // The header stays; the records section is replaced by its compressed form.
    const compressed = compressRecords(buf.subarray(RECORDS_OFFSET), codec);
    const out = Buffer.allocUnsafe(RECORDS_OFFSET + compressed.length);
    buf.copy(out, 0, 0, RECORDS_OFFSET);
    compressed.copy(out, RECORDS_OFFSET);
    out.writeInt32BE(out.length - LOG_OVERHEAD, BATCH_LENGTH_OFFSET);
    out.writeInt16BE(attributes | codec, ATTRIBUTES_OFFSET);
    out.writeUInt32BE(crc32c(out, ATTRIBUTES_OFFSET, out.length), CRC_OFFSET);
    return out;
  }
}

/**
 * Encodes `records` as one RecordBatch v2 (compressed when options.compression says so), through a
 * RecordBatchBuilder sized for them. Records without a timestamp take Date.now() at encoding.
 */
export function encodeRecordBatch(records: readonly RecordInput[], options: BatchOptions = {}): Buffer {
  if (records.length === 0)
    throw new RangeError('encodeRecordBatch: a record batch holds at least one record');
  let capacityBytes = RECORDS_OFFSET;
  for (const record of records) {
    capacityBytes += recordBytesUpperBound(record.key ?? null, record.value, record.headers);
  }
  const builder = new RecordBatchBuilder(capacityBytes);
  const now = Date.now();
  for (const record of records) {
    builder.append(record.timestamp ?? now, record.key ?? null, record.value, record.headers);
  }
  return builder.build(options);
}

// ---------------------------------------------------------------------------------------------------
// Reading and validation

function corrupt(message: string): KafkaError {
  return new KafkaError(ErrorCode.CORRUPT_MESSAGE, message);
}

/** Reads the 61-byte header at `position`; throws CORRUPT_MESSAGE if fewer bytes remain. */
export function readBatchHeader(buf: Buffer, position = 0): RecordBatchHeader {
  if (!Number.isInteger(position) || position < 0)
    throw new RangeError(`readBatchHeader: position ${position}`);
  if (buf.length - position < RECORD_BATCH_HEADER_BYTES) {
    throw corrupt(
      `truncated record batch header: ${Math.max(0, buf.length - position)} of 61 bytes at ${position}`,
    );
  }
  return {
    baseOffset: readInt64BE(buf, position + BASE_OFFSET_OFFSET),
    batchLength: buf.readInt32BE(position + BATCH_LENGTH_OFFSET),
    partitionLeaderEpoch: buf.readInt32BE(position + PARTITION_LEADER_EPOCH_OFFSET),
    magic: buf.readInt8(position + MAGIC_OFFSET),
    crc: buf.readUInt32BE(position + CRC_OFFSET),
    attributes: buf.readInt16BE(position + ATTRIBUTES_OFFSET),
    lastOffsetDelta: buf.readInt32BE(position + LAST_OFFSET_DELTA_OFFSET),
    firstTimestamp: readInt64BE(buf, position + FIRST_TIMESTAMP_OFFSET),
    maxTimestamp: readInt64BE(buf, position + MAX_TIMESTAMP_OFFSET),
    producerId: readInt64BE(buf, position + PRODUCER_ID_OFFSET),
    producerEpoch: buf.readInt16BE(position + PRODUCER_EPOCH_OFFSET),
    baseSequence: buf.readInt32BE(position + BASE_SEQUENCE_OFFSET),
    recordCount: buf.readInt32BE(position + RECORD_COUNT_OFFSET),
  };
}

/**
 * Total bytes (12 + batchLength) of the batch starting at `position`, or null if fewer than 12 bytes
 * remain. The batch itself may extend past the buffer: compare with `buf.length - position`.
 * Throws CORRUPT_MESSAGE if batchLength cannot even hold the rest of a header.
 */
export function batchSizeAt(buf: Buffer, position: number): number | null {
  if (!Number.isInteger(position) || position < 0) throw new RangeError(`batchSizeAt: position ${position}`);
  if (buf.length - position < LOG_OVERHEAD) return null;
  const batchLength = buf.readInt32BE(position + BATCH_LENGTH_OFFSET);
  if (batchLength < RECORD_BATCH_HEADER_BYTES - LOG_OVERHEAD) {
    throw corrupt(`record batch at ${position} declares batchLength ${batchLength}, less than a header`);
  }
  return LOG_OVERHEAD + batchLength;
}

/**
 * Yields each whole batch of a buffer of concatenated batches (a segment slice, a fetch response),
 * stopping quietly at a trailing partial batch, as Kafka fetch responses may end with one. Headers are
 * read, not validated: run validateRecordBatch on batches that came from outside.
 */
export function* batchesIn(
  buf: Buffer,
): Generator<{ position: number; size: number; header: RecordBatchHeader }, void, undefined> {
  let position = 0;
  for (;;) {
    const size = batchSizeAt(buf, position);
    if (size === null || size > buf.length - position) return;
    yield { position, size, header: readBatchHeader(buf, position) };
    position += size;
  }
}

function checkCounts(header: RecordBatchHeader, recordsBytes: number, allowOffsetGaps: boolean): void {
  const { recordCount, lastOffsetDelta } = header;
  // Bounds the walk (and any array sized from it) by the bytes actually present.
  const mostRecords = Math.floor(recordsBytes / MIN_RECORD_BYTES);
  if (recordCount < 0 || recordCount > mostRecords) {
    throw corrupt(`record count ${recordCount} does not fit in ${recordsBytes} bytes of records`);
  }
  if (allowOffsetGaps) {
    if (lastOffsetDelta < 0 || lastOffsetDelta < recordCount - 1) {
      throw corrupt(`lastOffsetDelta ${lastOffsetDelta} is inconsistent with ${recordCount} records`);
    }
  } else if (recordCount === 0 || lastOffsetDelta !== recordCount - 1) {
    throw corrupt(`lastOffsetDelta ${lastOffsetDelta} is inconsistent with record count ${recordCount}`);
  }
}

/** Receives each decoded record's fields (key and value are views into the batch). */
export type RecordSink = (
  offset: number,
  timestamp: number,
  key: Buffer | null,
  value: Buffer | null,
  headers: RecordHeader[],
) => void;

/**
 * Walks the records of `section[0, end)` with every length checked against the bytes left: in the batch
 * for a record, in the record for its fields. With `out` null nothing is allocated per record; with a
 * sink, each record's fields go to it (keys and values as views).
 */
function walkRecords(
  section: Buffer,
  header: RecordBatchHeader,
  allowOffsetGaps: boolean,
  out: RecordSink | null,
): void {
  const end = section.length;
  const reader = new ByteReader(section, 0, end);
  const count = header.recordCount;
  const logAppendTime = (header.attributes & TIMESTAMP_TYPE_MASK) !== 0;
  let previousOffsetDelta = -1;
  for (let i = 0; i < count; i++) {
    reader.end = end;
    const length = reader.readVarint();
    if (length < MIN_RECORD_BODY_BYTES || length > end - reader.pos) {
      throw corrupt(`record ${i} declares ${length} bytes; ${end - reader.pos} remain in the batch`);
    }
    const recordEnd = reader.pos + length;
    reader.end = recordEnd;
    reader.skip(1, 'record attributes');
    const timestampDelta = reader.readVarlong();
    const offsetDelta = reader.readVarint();
    if (
      allowOffsetGaps
        ? offsetDelta <= previousOffsetDelta || offsetDelta > header.lastOffsetDelta
        : offsetDelta !== i
    ) {
      throw corrupt(`record ${i} has offset delta ${offsetDelta} (previous ${previousOffsetDelta})`);
    }
    previousOffsetDelta = offsetDelta;

    const keyLength = reader.readVarint();
    if (keyLength < -1) throw corrupt(`record ${i} has key length ${keyLength}`);
    let key: Buffer | null = null;
    if (keyLength >= 0) {
      if (out === null) reader.skip(keyLength, 'record key');
      else key = reader.readBytes(keyLength);
    }
    const valueLength = reader.readVarint();
    if (valueLength < -1) throw corrupt(`record ${i} has value length ${valueLength}`);
    let value: Buffer | null = null;
    if (valueLength >= 0) {
      if (out === null) reader.skip(valueLength, 'record value');
      else value = reader.readBytes(valueLength);
    }

    const headerCount = reader.readVarint();
    if (headerCount < 0 || headerCount > (recordEnd - reader.pos) / MIN_HEADER_BYTES) {
      throw corrupt(`record ${i} declares ${headerCount} headers in ${recordEnd - reader.pos} bytes`);
    }
    const headers: RecordHeader[] | null = out === null ? null : [];
    for (let j = 0; j < headerCount; j++) {
      const headerKeyLength = reader.readVarint();
      if (headerKeyLength < 0) throw corrupt(`record ${i} header ${j} has key length ${headerKeyLength}`);
      reader.need(headerKeyLength, 'header key');
      const keyStart = reader.pos;
      reader.pos += headerKeyLength;
      const headerValueLength = reader.readVarint();
      if (headerValueLength < -1) {
        throw corrupt(`record ${i} header ${j} has value length ${headerValueLength}`);
      }
      let headerValue: Buffer | null = null;
      if (headerValueLength >= 0) {
        if (headers === null) reader.skip(headerValueLength, 'header value');
        else headerValue = reader.readBytes(headerValueLength);
      }
      if (headers !== null) {
        headers.push({
          key: section.toString('utf8', keyStart, keyStart + headerKeyLength),
          value: headerValue,
        });
      }
    }
    if (reader.pos !== recordEnd) {
      throw corrupt(
        `record ${i} declares ${length} bytes but its fields end ${recordEnd - reader.pos} bytes early`,
      );
    }
    if (out !== null) {
      out(
        header.baseOffset + offsetDelta,
        logAppendTime ? header.maxTimestamp : header.firstTimestamp + timestampDelta,
        key,
        value,
        headers!,
      );
    }
  }
  if (reader.pos !== end) {
    throw corrupt(`${end - reader.pos} bytes remain after the last of ${count} records`);
  }
}

function checkMagic(header: RecordBatchHeader, position: number): void {
  if (header.magic !== RECORD_BATCH_MAGIC) {
    throw corrupt(`record batch at ${position} has magic ${header.magic}; only magic 2 is supported`);
  }
}

/**
 * Checks the batch at `buf[position, position + size)` and returns its header. Throws KafkaError:
 * CORRUPT_MESSAGE for a truncated batch, a batchLength that disagrees with `size`, a magic other than 2,
 * a CRC mismatch, or records that do not add up (count, offset deltas, lengths, trailing bytes);
 * MESSAGE_TOO_LARGE when `size` exceeds `maxBatchBytes`. A compressed batch is decompressed (bounded)
 * to check its records, as Kafka 2.7's LogValidator does; nothing is allocated per record.
 */
export function validateRecordBatch(
  buf: Buffer,
  position: number,
  size: number,
  maxBatchBytes?: number,
  options: ValidateOptions = {},
): RecordBatchHeader {
  if (!Number.isInteger(position) || position < 0 || !Number.isInteger(size)) {
    throw new RangeError(`validateRecordBatch: position ${position}, size ${size}`);
  }
  if (size < RECORD_BATCH_HEADER_BYTES) {
    throw corrupt(
      `record batch of ${size} bytes is smaller than its ${RECORD_BATCH_HEADER_BYTES}-byte header`,
    );
  }
  if (size > buf.length - position) {
    throw corrupt(`truncated record batch: ${size} bytes at ${position}, ${buf.length - position} present`);
  }
  if (maxBatchBytes !== undefined && size > maxBatchBytes) {
    throw new KafkaError(
      ErrorCode.MESSAGE_TOO_LARGE,
      `record batch of ${size} bytes exceeds the limit of ${maxBatchBytes} bytes`,
    );
  }
  const header = readBatchHeader(buf, position);
  if (header.batchLength !== size - LOG_OVERHEAD) {
    throw corrupt(
      `record batch declares batchLength ${header.batchLength} but occupies ${size - LOG_OVERHEAD}`,
    );
  }
  checkMagic(header, position);
  const end = position + size;
  const computed = crc32c(buf, position + ATTRIBUTES_OFFSET, end);
  if (computed !== header.crc) {
    throw corrupt(
      `record batch at ${position} failed its CRC: stored 0x${header.crc.toString(16)}, computed 0x${computed.toString(16)}`,
    );
  }
  const section = decompressRecords(
    buf.subarray(position + RECORDS_OFFSET, end),
    header.attributes & COMPRESSION_CODEC_MASK,
  );
  const allowOffsetGaps = options.allowOffsetGaps === true;
  checkCounts(header, section.length, allowOffsetGaps);
  walkRecords(section, header, allowOffsetGaps, null);
  return header;
}

/**
 * Decodes the records of the one batch at `position`. Keys and values are views into `buf`; under
 * LogAppendTime every record carries the batch's maxTimestamp. Structure is checked as in
 * validateRecordBatch (offset gaps from compaction allowed) but the CRC is not: validate batches from
 * outside first.
 */
export function decodeRecords(buf: Buffer, position = 0): DecodedRecord[] {
  const records: DecodedRecord[] = [];
  forEachRecord(buf, position, (offset, timestamp, key, value, headers) => {
    records.push({ offset, timestamp, key, value, headers });
  });
  return records;
}

/**
 * decodeRecords without the record objects: each record's fields go to `sink`, in offset order, so a
 * caller building objects of its own (a consumer's records) builds one per record, not two.
 */
export function forEachRecord(buf: Buffer, position: number, sink: RecordSink): void {
  const size = batchSizeAt(buf, position);
  if (size === null || size > buf.length - position) {
    throw corrupt(`truncated record batch at ${position}: ${buf.length - position} bytes present`);
  }
  const header = readBatchHeader(buf, position);
  checkMagic(header, position);
  const section = decompressRecords(
    buf.subarray(position + RECORDS_OFFSET, position + size),
    header.attributes & COMPRESSION_CODEC_MASK,
  );
  checkCounts(header, section.length, true);
  walkRecords(section, header, true, sink);
}

// ---------------------------------------------------------------------------------------------------
// In-place stamping (the broker, on append)

function requireHeader(buf: Buffer, position: number, what: string): void {
  if (!Number.isInteger(position) || position < 0 || buf.length - position < RECORD_BATCH_HEADER_BYTES) {
    throw new RangeError(`${what}: no record batch header at ${position} of a ${buf.length}-byte buffer`);
  }
}

/** Sets baseOffset. Outside the CRC: nothing else changes. */
export function setBaseOffset(buf: Buffer, position: number, baseOffset: number): void {
  requireHeader(buf, position, 'setBaseOffset');
  assertIntegerIn(baseOffset, 0, Number.MAX_SAFE_INTEGER, 'baseOffset');
  writeInt64BE(buf, baseOffset, position + BASE_OFFSET_OFFSET);
}

/** Sets partitionLeaderEpoch. Outside the CRC: nothing else changes. */
export function setPartitionLeaderEpoch(buf: Buffer, position: number, epoch: number): void {
  requireHeader(buf, position, 'setPartitionLeaderEpoch');
  assertIntegerIn(epoch, -1, MAX_INT32, 'partitionLeaderEpoch');
  buf.writeInt32BE(epoch, position + PARTITION_LEADER_EPOCH_OFFSET);
}

/**
 * Marks the batch LogAppendTime with `timestampMs` as its maxTimestamp and rewrites the CRC, as
 * Kafka's DefaultRecordBatch.setMaxTimestamp does: firstTimestamp and the records stay as the
 * producer wrote them (readers substitute maxTimestamp), other attribute bits are kept, and nothing
 * is rewritten when the batch already says exactly this.
 */
export function setLogAppendTime(buf: Buffer, position: number, timestampMs: number): void {
  requireHeader(buf, position, 'setLogAppendTime');
  if (!Number.isSafeInteger(timestampMs)) throw new RangeError(`setLogAppendTime: timestamp ${timestampMs}`);
  const size = LOG_OVERHEAD + buf.readInt32BE(position + BATCH_LENGTH_OFFSET);
  if (size < RECORD_BATCH_HEADER_BYTES || size > buf.length - position) {
    throw new RangeError(`setLogAppendTime: the batch at ${position} is not whole in this buffer`);
  }
  const attributes = buf.readInt16BE(position + ATTRIBUTES_OFFSET);
  if (
    (attributes & TIMESTAMP_TYPE_MASK) !== 0 &&
    readInt64BE(buf, position + MAX_TIMESTAMP_OFFSET) === timestampMs
  ) {
    return;
  }
  buf.writeInt16BE(attributes | TIMESTAMP_TYPE_MASK, position + ATTRIBUTES_OFFSET);
  writeInt64BE(buf, timestampMs, position + MAX_TIMESTAMP_OFFSET);
  buf.writeUInt32BE(crc32c(buf, position + ATTRIBUTES_OFFSET, position + size), position + CRC_OFFSET);
}
