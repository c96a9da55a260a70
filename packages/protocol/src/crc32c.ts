// CRC-32C (Castagnoli), the checksum of Kafka's RecordBatch v2. Every produced batch is checked once
// by the broker and once by each consumer, so this runs over every byte that flows through the system:
// slicing-by-8 consumes eight bytes per step with eight table look-ups instead of one step per byte.
// Where the native CRC-32C of @node-rs/crc32 (SSE4.2, prebuilt in the npm package) loads, inputs past
// a few hundred bytes go to it: about 3 GB/s against 0.6 GB/s here, and CRC checking is what bounds
// the broker's append and recovery speed. Small inputs stay in JavaScript, where a native call costs
// more than it saves.
import { createRequire } from 'node:module';

/** Reflected form of the Castagnoli polynomial 0x1EDC6F41. */
const POLYNOMIAL_REFLECTED = 0x82f63b78;

/**
 * Eight 256-entry tables laid end to end: table k (at k * 256) gives the CRC contribution of a byte
 * followed by k zero bytes. Int32Array keeps entries as int32 so the hot loop stays in small integers.
 */
const TABLES = buildTables();

function buildTables(): Int32Array {
  const tables = new Int32Array(8 * 256);
  for (let n = 0; n < 256; n++) {
    let crc = n;
    for (let bit = 0; bit < 8; bit++) {
      crc = crc & 1 ? (crc >>> 1) ^ POLYNOMIAL_REFLECTED : crc >>> 1;
    }
    tables[n] = crc;
  }
  for (let n = 0; n < 256; n++) {
    let crc = tables[n]!;
    for (let k = 1; k < 8; k++) {
      crc = tables[crc & 0xff]! ^ (crc >>> 8);
      tables[k * 256 + n] = crc;
    }
  }
  return tables;
}

type NativeCrc32c = (input: Uint8Array, initialState?: number) => number;

/** Below this many bytes the JavaScript loop beats the cost of a native call. */
const NATIVE_MIN_BYTES = 256;

function loadNative(): NativeCrc32c | null {
  if (process.env.SLUICE_CRC32C === 'portable') return null;
  try {
    const native = createRequire(import.meta.url)('@node-rs/crc32') as { crc32c?: NativeCrc32c };
    const crc = native.crc32c;
    // Check it against the standard test vector before trusting it with every batch.
    return typeof crc === 'function' && crc(Buffer.from('123456789')) === 0xe3069283 ? crc : null;
  } catch {
    return null;
  }
}

const native = loadNative();

/** 'native' when the native implementation is in use, else 'portable'. */
export const crc32cImplementation: 'native' | 'portable' = native ? 'native' : 'portable';

/**
 * The unsigned CRC-32C of `data[start, end)`.
 * Out-of-range bounds are a programming error and throw a RangeError.
 */
export function crc32c(data: Uint8Array, start = 0, end: number = data.length): number {
  if (start < 0 || end > data.length || start > end) {
    throw new RangeError(`crc32c: range [${start}, ${end}) is outside a buffer of ${data.length} bytes`);
  }
  if (native !== null && end - start >= NATIVE_MIN_BYTES) {
    return native(start === 0 && end === data.length ? data : data.subarray(start, end)) >>> 0;
  }
  return crc32cPortable(data, start, end);
}

/** The JavaScript implementation, for any platform; `crc32c` checks the bounds. */
export function crc32cPortable(data: Uint8Array, start: number, end: number): number {
  const t = TABLES;
  let crc = -1;
  let i = start;
  const end8 = start + ((end - start) & ~7);
  while (i < end8) {
    const one = crc ^ (data[i]! | (data[i + 1]! << 8) | (data[i + 2]! << 16) | (data[i + 3]! << 24));
    const two = data[i + 4]! | (data[i + 5]! << 8) | (data[i + 6]! << 16) | (data[i + 7]! << 24);
    crc =
      t[1792 + (one & 0xff)]! ^
      t[1536 + ((one >>> 8) & 0xff)]! ^
      t[1280 + ((one >>> 16) & 0xff)]! ^
      t[1024 + (one >>> 24)]! ^
      t[768 + (two & 0xff)]! ^
      t[512 + ((two >>> 8) & 0xff)]! ^
      t[256 + ((two >>> 16) & 0xff)]! ^
      t[two >>> 24]!;
    i += 8;
  }
  while (i < end) {
    crc = t[(crc ^ data[i]!) & 0xff]! ^ (crc >>> 8);
    i++;
  }
  return ~crc >>> 0;
}
