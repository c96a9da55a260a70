// Variable-length integers of Kafka's record format (protobuf-style base-128, zigzag for signed values),
// 64-bit integers as JS numbers, and ByteReader, the bounds-checked cursor every decoder in this package
// reads through. Decoding never trusts the input: a read past the end, a varint longer than its type
// allows, or a value beyond 2^53 throws KafkaError(CORRUPT_MESSAGE) instead of a RangeError.
//
// 64-bit values are JS numbers, exact below 2^53 in magnitude: offsets, timestamps and producer ids stay
// far below that (2^53 ms is 285,000 years; 2^53 offsets is 10^6 records/s for 285 years).

import { ErrorCode, KafkaError } from './errors.ts';

/** Longest encoding of a 32-bit varint (5 x 7 bits >= 32) and of a 64-bit varlong (10 x 7 >= 64). */
export const MAX_VARINT_BYTES = 5;
export const MAX_VARLONG_BYTES = 10;

const TWO_POW_32 = 4294967296;
/** Largest high word (after zigzag, shifted right once) whose value stays below 2^53. */
const SAFE_HIGH_WORD_LIMIT = 0x200000;

function assertInt32(value: number, what: string): void {
  if ((value | 0) !== value) throw new RangeError(`${what}: ${value} is not a 32-bit signed integer`);
}

function assertRoom(buf: Uint8Array, offset: number, bytes: number): void {
  if (offset < 0 || offset + bytes > buf.length) {
    throw new RangeError(`cannot write ${bytes} bytes at offset ${offset} of a ${buf.length}-byte buffer`);
  }
}

// ---------------------------------------------------------------------------------------------------
// Sizes

/** Bytes taken by the unsigned varint of a uint32 value. */
function unsignedSize(value: number): number {
  if (value < 0x80) return 1;
  if (value < 0x4000) return 2;
  if (value < 0x200000) return 3;
  if (value < 0x10000000) return 4;
  return 5;
}

/** Bytes taken by the zigzag varint of an int32. */
export function varintSize(value: number): number {
  assertInt32(value, 'varintSize');
  return unsignedSize(((value << 1) ^ (value >> 31)) >>> 0);
}

/** Bytes taken by an unsigned varint (Kafka's flexible-version lengths), value in [0, 2^32). */
export function unsignedVarintSize(value: number): number {
  if (!(value >= 0 && value < TWO_POW_32 && Math.floor(value) === value)) {
    throw new RangeError(`unsignedVarintSize: ${value} is not a 32-bit unsigned integer`);
  }
  return unsignedSize(value);
}

/** Bytes taken by the zigzag varlong of a safe integer. */
export function varlongSize(value: number): number {
  if ((value | 0) === value) return unsignedSize(((value << 1) ^ (value >> 31)) >>> 0);
  assertSafe(value, 'varlongSize');
  const hi = Math.floor(value / TWO_POW_32) | 0;
  const sign = hi >> 31;
  const zigzagHigh = (((hi << 1) | ((value >>> 0) >>> 31)) ^ sign) >>> 0;
  // Beyond int32 the high word is never zero after zigzag: count its bits past the low 32.
  return Math.ceil((64 - Math.clz32(zigzagHigh)) / 7);
}

function assertSafe(value: number, what: string): void {
  if (!Number.isSafeInteger(value)) throw new RangeError(`${what}: ${value} is not a safe integer`);
}

// ---------------------------------------------------------------------------------------------------
// Writers: each writes at `offset` and returns the offset after the bytes written.

function writeUnsigned(buf: Uint8Array, value: number, offset: number): number {
  let v = value;
  let o = offset;
  while (v >= 0x80) {
    buf[o++] = (v & 0x7f) | 0x80;
    v >>>= 7;
  }
  buf[o++] = v;
  return o;
}

/** Writes the zigzag varint of an int32. */
export function writeVarint(buf: Uint8Array, value: number, offset: number): number {
  assertInt32(value, 'writeVarint');
  const zigzag = ((value << 1) ^ (value >> 31)) >>> 0;
  if (offset < 0 || offset + MAX_VARINT_BYTES > buf.length) assertRoom(buf, offset, unsignedSize(zigzag));
  return writeUnsigned(buf, zigzag, offset);
}

/** Writes an unsigned varint, value in [0, 2^32). */
export function writeUnsignedVarint(buf: Uint8Array, value: number, offset: number): number {
  const size = unsignedVarintSize(value);
  if (offset < 0 || offset + MAX_VARINT_BYTES > buf.length) assertRoom(buf, offset, size);
  return writeUnsigned(buf, value, offset);
}

/** Writes the zigzag varlong of a safe integer (timestamps, timestamp deltas). */
export function writeVarlong(buf: Uint8Array, value: number, offset: number): number {
  if ((value | 0) === value) {
    const zigzag = ((value << 1) ^ (value >> 31)) >>> 0;
    if (offset < 0 || offset + MAX_VARINT_BYTES > buf.length) assertRoom(buf, offset, unsignedSize(zigzag));
    return writeUnsigned(buf, zigzag, offset);
  }
  assertSafe(value, 'writeVarlong');
  if (offset < 0 || offset + MAX_VARLONG_BYTES > buf.length) assertRoom(buf, offset, varlongSize(value));
  // Zigzag on the two's-complement words: (n << 1) ^ (n >> 63), done 32 bits at a time because a
  // double cannot hold 2n + 1 exactly once n passes 2^52.
  const hi = Math.floor(value / TWO_POW_32) | 0;
  const lo = value >>> 0;
  const sign = hi >> 31;
  let zigzagHigh = (((hi << 1) | (lo >>> 31)) ^ sign) >>> 0;
  let zigzagLow = ((lo << 1) ^ sign) >>> 0;
  let o = offset;
  while (zigzagHigh !== 0 || zigzagLow >= 0x80) {
    buf[o++] = (zigzagLow & 0x7f) | 0x80;
    zigzagLow = ((zigzagLow >>> 7) | (zigzagHigh << 25)) >>> 0;
    zigzagHigh >>>= 7;
  }
  buf[o++] = zigzagLow;
  return o;
}

/** Writes a big-endian int64 from a safe integer. */
export function writeInt64BE(buf: Buffer, value: number, offset: number): number {
  assertSafe(value, 'writeInt64BE');
  const hi = Math.floor(value / TWO_POW_32);
  buf.writeInt32BE(hi, offset);
  buf.writeUInt32BE(value - hi * TWO_POW_32, offset + 4);
  return offset + 8;
}

/** Reads a big-endian int64 as a number: exact when |value| < 2^53. The caller checks bounds. */
export function readInt64BE(buf: Buffer, offset: number): number {
  return buf.readInt32BE(offset) * TWO_POW_32 + buf.readUInt32BE(offset + 4);
}

// ---------------------------------------------------------------------------------------------------
// Reader

function truncated(what: string, pos: number, end: number): KafkaError {
  return new KafkaError(
    ErrorCode.CORRUPT_MESSAGE,
    `truncated input: ${what} at byte ${pos} runs past ${end}`,
  );
}

/**
 * A cursor over `buf[pos, end)`. Every read checks the bound first and advances `pos`; `end` may be
 * narrowed (to the end of one record, say) and restored by the caller. One reader serves a whole
 * batch, so decoding allocates nothing per integer.
 */
export class ByteReader {
  readonly buf: Buffer;
  pos: number;
  end: number;

  constructor(buf: Buffer, pos = 0, end: number = buf.length) {
    if (pos < 0 || end > buf.length || pos > end) {
      throw new RangeError(`ByteReader: range [${pos}, ${end}) is outside a buffer of ${buf.length} bytes`);
    }
    this.buf = buf;
    this.pos = pos;
    this.end = end;
  }

  get remaining(): number {
    return this.end - this.pos;
  }

  /** Throws CORRUPT_MESSAGE unless `bytes` more bytes are available. */
  need(bytes: number, what: string): void {
    if (bytes > this.end - this.pos) throw truncated(what, this.pos, this.end);
  }

  skip(bytes: number, what = 'skip'): void {
    this.need(bytes, what);
    this.pos += bytes;
  }

  readInt8(): number {
    this.need(1, 'int8');
    return this.buf.readInt8(this.pos++);
  }

  readInt16(): number {
    this.need(2, 'int16');
    const value = this.buf.readInt16BE(this.pos);
    this.pos += 2;
    return value;
  }

  readInt32(): number {
    this.need(4, 'int32');
    const value = this.buf.readInt32BE(this.pos);
    this.pos += 4;
    return value;
  }

  readUInt32(): number {
    this.need(4, 'uint32');
    const value = this.buf.readUInt32BE(this.pos);
    this.pos += 4;
    return value;
  }

  /** A big-endian int64 as a number, exact when |value| < 2^53. */
  readInt64(): number {
    this.need(8, 'int64');
    const value = readInt64BE(this.buf, this.pos);
    this.pos += 8;
    return value;
  }

  /** A view (no copy) of the next `length` bytes. */
  readBytes(length: number): Buffer {
    this.need(length, 'bytes');
    const start = this.pos;
    this.pos += length;
    return this.buf.subarray(start, this.pos);
  }

  /** The raw base-128 value of at most 5 bytes, as a uint32. */
  readUnsignedVarint(): number {
    const buf = this.buf;
    const end = this.end;
    let pos = this.pos;
    if (pos >= end) throw truncated('varint', pos, end);
    let byte = buf[pos++]!;
    if (byte < 0x80) {
      this.pos = pos;
      return byte;
    }
    let value = byte & 0x7f;
    for (let shift = 7; ; shift += 7) {
      if (shift > 28) {
        throw new KafkaError(ErrorCode.CORRUPT_MESSAGE, `varint at byte ${this.pos} is longer than 5 bytes`);
      }
      if (pos >= end) throw truncated('varint', this.pos, end);
      byte = buf[pos++]!;
      value |= (byte & 0x7f) << shift;
      if (byte < 0x80) break;
    }
    this.pos = pos;
    return value >>> 0;
  }

  /** A zigzag varint (int32). */
  readVarint(): number {
    const raw = this.readUnsignedVarint();
    return (raw >>> 1) ^ -(raw & 1);
  }

  /** A zigzag varlong (int64) as a number; throws CORRUPT_MESSAGE when |value| exceeds 2^53. */
  readVarlong(): number {
    const buf = this.buf;
    const end = this.end;
    const start = this.pos;
    let pos = start;
    if (pos >= end) throw truncated('varlong', pos, end);
    let byte = buf[pos++]!;
    if (byte < 0x80) {
      this.pos = pos;
      return (byte >>> 1) ^ -(byte & 1);
    }
    let low = byte & 0x7f;
    let high = 0;
    for (let shift = 7; ; shift += 7) {
      if (shift > 63) {
        throw new KafkaError(ErrorCode.CORRUPT_MESSAGE, `varlong at byte ${start} is longer than 10 bytes`);
      }
      if (pos >= end) throw truncated('varlong', start, end);
      byte = buf[pos++]!;
      const bits = byte & 0x7f;
      if (shift < 28) {
        low |= bits << shift;
      } else if (shift === 28) {
        low |= bits << 28;
        high = bits >>> 4;
      } else {
        high |= bits << (shift - 32);
      }
      if (byte < 0x80) break;
    }
    this.pos = pos;
    // Undo zigzag on (high, low): magnitude = zigzag >>> 1, negative when the low bit is set.
    high >>>= 0;
    const magnitudeHigh = high >>> 1;
    if (magnitudeHigh >= SAFE_HIGH_WORD_LIMIT) {
      throw new KafkaError(ErrorCode.CORRUPT_MESSAGE, `varlong at byte ${start} exceeds 2^53 in magnitude`);
    }
    const magnitude = magnitudeHigh * TWO_POW_32 + ((((high & 1) << 31) | (low >>> 1)) >>> 0);
    return low & 1 ? -magnitude - 1 : magnitude;
  }
}
