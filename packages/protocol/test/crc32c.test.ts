// Tests for crc32c.ts: published CRC-32C check values, and agreement with a bit-at-a-time reference
// over random data, offsets and lengths (every tail length and alignment of the slicing-by-8 loop).
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { crc32c } from '../src/crc32c.ts';

/** The textbook bitwise CRC-32C, independent of the table code. */
function referenceCrc32c(data: Uint8Array): number {
  let crc = 0xffffffff;
  for (const byte of data) {
    crc ^= byte;
    for (let bit = 0; bit < 8; bit++) crc = crc & 1 ? (crc >>> 1) ^ 0x82f63b78 : crc >>> 1;
  }
  return (crc ^ 0xffffffff) >>> 0;
}

describe('crc32c', () => {
  test('check value of "123456789"', () => {
    assert.equal(crc32c(Buffer.from('123456789')), 0xe3069283);
  });

  test('empty input', () => {
    assert.equal(crc32c(new Uint8Array(0)), 0);
  });

  // RFC 3720 (iSCSI), appendix B.4.
  test('RFC 3720 vectors', () => {
    assert.equal(crc32c(new Uint8Array(32)), 0x8a9136aa);
    assert.equal(crc32c(new Uint8Array(32).fill(0xff)), 0x62a8ab43);
    assert.equal(crc32c(Uint8Array.from({ length: 32 }, (_, i) => i)), 0x46dd794e);
    assert.equal(crc32c(Uint8Array.from({ length: 32 }, (_, i) => 31 - i)), 0x113fdb5c);
  });

  test('a sentence', () => {
    assert.equal(crc32c(Buffer.from('The quick brown fox jumps over the lazy dog')), 0x22620404);
  });

  test('result is unsigned', () => {
    const value = crc32c(new Uint8Array(32).fill(0xff));
    assert.ok(value >= 0 && value <= 0xffffffff);
  });

  test('range arguments select a slice', () => {
    const data = Buffer.from('xx123456789yy');
    assert.equal(crc32c(data, 2, 11), 0xe3069283);
    assert.equal(crc32c(data, 5, 5), 0);
  });

  test('out-of-range bounds throw RangeError', () => {
    const data = new Uint8Array(4);
    assert.throws(() => crc32c(data, -1, 2), RangeError);
    assert.throws(() => crc32c(data, 0, 5), RangeError);
    assert.throws(() => crc32c(data, 3, 2), RangeError);
  });

  test('matches the bitwise reference on random slices', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), fc.nat(), fc.nat(), (data, a, b) => {
        const start = data.length === 0 ? 0 : a % (data.length + 1);
        const end = start + (b % (data.length - start + 1));
        assert.equal(crc32c(data, start, end), referenceCrc32c(data.subarray(start, end)));
      }),
      { numRuns: 500 },
    );
  });
});
