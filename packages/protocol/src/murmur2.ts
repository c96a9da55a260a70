// Murmur2 as the Kafka Java client computes it (Utils.murmur2, seed 0x9747b28c), and the key -> partition
// rule of its default partitioner. A key must land on the same partition whichever client wrote it, so
// this reproduces Java's signed 32-bit arithmetic bit for bit (Math.imul for int multiplication).

const SEED = 0x9747b28c;
const M = 0x5bd1e995;
const R = 24;

/** Kafka's murmur2 of `data`, a signed int32 exactly as Java's `Utils.murmur2(byte[])` returns it. */
export function murmur2(data: Uint8Array): number {
  const length = data.length;
  let h = SEED ^ length;
  const blocksEnd = length & ~3;
  for (let i = 0; i < blocksEnd; i += 4) {
    let k = data[i]! | (data[i + 1]! << 8) | (data[i + 2]! << 16) | (data[i + 3]! << 24);
    k = Math.imul(k, M);
    k ^= k >>> R;
    k = Math.imul(k, M);
    h = Math.imul(h, M) ^ k;
  }
  const tail = length & 3;
  if (tail === 3) h ^= data[blocksEnd + 2]! << 16;
  if (tail >= 2) h ^= data[blocksEnd + 1]! << 8;
  if (tail >= 1) {
    h ^= data[blocksEnd]!;
    h = Math.imul(h, M);
  }
  h ^= h >>> 13;
  h = Math.imul(h, M);
  h ^= h >>> 15;
  return h | 0;
}

/** Java's `Utils.toPositive`: clears the sign bit (not Math.abs, which fails on -2^31). */
export function toPositive(n: number): number {
  return n & 0x7fffffff;
}

/** The partition Kafka's default partitioner picks for a non-null key. */
export function partitionForKey(key: Uint8Array, numPartitions: number): number {
  if (!Number.isInteger(numPartitions) || numPartitions < 1 || numPartitions > 0x7fffffff) {
    throw new RangeError(`partitionForKey: numPartitions must be a positive int32, got ${numPartitions}`);
  }
  return toPositive(murmur2(key)) % numPartitions;
}
