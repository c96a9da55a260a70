// The record-batch compression codecs of Kafka (attribute bits 0-2): gzip, snappy, lz4, zstd. The
// records section of a batch (everything after its 61-byte header) is one compressed stream.
//
// Byte formats are Kafka's Java client's, so batches travel both ways between Sluice and Kafka tools:
//   gzip   RFC 1952 (java.util.zip.GZIPOutputStream); node:zlib.
//   snappy xerial's SnappyOutputStream framing, which Kafka's client writes for every magic:
//          magic "\x82SNAPPY\0", version i32 = 1, compatible version i32 = 1, then blocks of
//          [length i32][raw snappy block]. Reading also accepts a bare raw snappy block, as Kafka's
//          SnappyInputStream and librdkafka do. Blocks come from `snappy` (napi-rs, prebuilt binaries).
//   lz4    the LZ4 frame format (KafkaLZ4BlockOutputStream, magic >= 1 with the correct header
//          checksum); `lz4-napi` (napi-rs over lz4_flex, prebuilt binaries).
//   zstd   a zstd frame (zstd-jni's ZstdOutputStream); node:zlib (Node >= 23.8).
// Every decompression is bounded by `maxBytes`: a small batch cannot inflate without end.
import zlib from 'node:zlib';
import { compressFrameSync, decompressFrameSync } from 'lz4-napi';
import { compressSync as snappyCompress, uncompressSync as snappyUncompress } from 'snappy';
import { ErrorCode, KafkaError } from './errors.ts';

export type CompressionType = 'none' | 'gzip' | 'snappy' | 'lz4' | 'zstd';

/** Compression codec ids of attribute bits 0-2. */
export const CompressionCodec = { none: 0, gzip: 1, snappy: 2, lz4: 3, zstd: 4 } as const;

export const COMPRESSION_TYPES: readonly CompressionType[] = ['none', 'gzip', 'snappy', 'lz4', 'zstd'];

const XERIAL_HEADER = Buffer.from([0x82, 0x53, 0x4e, 0x41, 0x50, 0x50, 0x59, 0x00, 0, 0, 0, 1, 0, 0, 0, 1]);
/** Xerial's default block: 32 KiB of input per snappy block. */
const XERIAL_BLOCK_BYTES = 32 * 1024;

export function codecOf(type: CompressionType): number {
  const codec = CompressionCodec[type];
  if (codec === undefined) {
    throw new KafkaError(ErrorCode.UNSUPPORTED_COMPRESSION_TYPE, `unknown compression type '${type}'`);
  }
  return codec;
}

/** Compresses a plain records section with `codec` (1-4). */
export function compressRecords(plain: Buffer, codec: number): Buffer {
  switch (codec) {
    case CompressionCodec.none:
      return plain;
    case CompressionCodec.gzip:
      return zlib.gzipSync(plain);
    case CompressionCodec.snappy:
      return xerialCompress(plain);
    case CompressionCodec.lz4:
      return compressFrameSync(plain);
    case CompressionCodec.zstd:
      return zlib.zstdCompressSync(plain);
    default:
      throw new KafkaError(ErrorCode.UNSUPPORTED_COMPRESSION_TYPE, `compression codec ${codec}`);
  }
}

/** Decompresses a records section; throws CORRUPT_MESSAGE on bad input or output over `maxBytes`. */
export function decompressRecordsSection(section: Buffer, codec: number, maxBytes: number): Buffer {
  let out: Buffer;
  try {
    switch (codec) {
      case CompressionCodec.none:
        return section;
      case CompressionCodec.gzip:
        out = zlib.gunzipSync(section, { maxOutputLength: maxBytes });
        break;
      case CompressionCodec.snappy:
        out = xerialUncompress(section, maxBytes);
        break;
      case CompressionCodec.lz4:
        out = decompressFrameSync(section);
        break;
      case CompressionCodec.zstd:
        out = zlib.zstdDecompressSync(section, { maxOutputLength: maxBytes });
        break;
      default:
        throw new KafkaError(ErrorCode.CORRUPT_MESSAGE, `compression codec ${codec} does not exist`);
    }
  } catch (err) {
    if (err instanceof KafkaError) throw err;
    throw new KafkaError(
      ErrorCode.CORRUPT_MESSAGE,
      `record batch failed to decompress (codec ${codec}): ${err instanceof Error ? err.message : String(err)}`,
    );
  }
  if (out.length > maxBytes) {
    throw new KafkaError(
      ErrorCode.CORRUPT_MESSAGE,
      `record batch decompresses to more than ${maxBytes} bytes (codec ${codec})`,
    );
  }
  return out;
}

function xerialCompress(plain: Buffer): Buffer {
  const parts: Buffer[] = [XERIAL_HEADER];
  for (let start = 0; start < plain.length || start === 0; start += XERIAL_BLOCK_BYTES) {
    const block = snappyCompress(plain.subarray(start, Math.min(plain.length, start + XERIAL_BLOCK_BYTES)));
    const length = Buffer.allocUnsafe(4);
    length.writeInt32BE(block.length, 0);
    parts.push(length, block);
    if (plain.length === 0) break;
  }
  return Buffer.concat(parts);
}

function xerialUncompress(section: Buffer, maxBytes: number): Buffer {
  if (section.length < XERIAL_HEADER.length || !section.subarray(0, 8).equals(XERIAL_HEADER.subarray(0, 8))) {
    return rawSnappy(section, maxBytes);
  }
  const parts: Buffer[] = [];
  let total = 0;
  let pos = XERIAL_HEADER.length;
  while (pos < section.length) {
    if (section.length - pos < 4) throw new Error('truncated xerial block length');
    const length = section.readInt32BE(pos);
    pos += 4;
    if (length < 0 || length > section.length - pos) throw new Error(`xerial block of ${length} bytes`);
    const block = rawSnappy(section.subarray(pos, pos + length), maxBytes - total);
    total += block.length;
    parts.push(block);
    pos += length;
  }
  return Buffer.concat(parts, total);
}

function rawSnappy(block: Buffer, maxBytes: number): Buffer {
  // A raw snappy block starts with its uncompressed length as a varint: check it before inflating.
  let length = 0;
  let shift = 0;
  for (let i = 0; i < 5 && i < block.length; i++) {
    const byte = block[i]!;
    length += (byte & 0x7f) * 2 ** shift;
    shift += 7;
    if ((byte & 0x80) === 0) break;
  }
  if (length > maxBytes) throw new Error(`snappy block declares ${length} bytes, more than ${maxBytes}`);
  return snappyUncompress(block) as Buffer;
}
