import { describe, expect, it } from 'vitest';
import { crc32 } from '../../src/common/crc32';

/** Bit-at-a-time CRC-32, the definition. */
function reference(bytes: Uint8Array): number {
  let c = 0xffffffff;
  for (const b of bytes) {
    c ^= b;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  }
  return ~c >>> 0;
}

describe('crc32', () => {
  it('matches the standard check value and the bitwise definition at every alignment and length', () => {
    expect(crc32(new TextEncoder().encode('123456789'))).toBe(0xcbf43926);
    const data = Uint8Array.from({ length: 300 }, (_, i) => (i * 2654435761) >>> 24);
    for (let off = 0; off < 5; off++) {
      for (const len of [0, 1, 3, 4, 15, 16, 17, 33, 64, 255]) {
        const v = data.subarray(off, off + len);
        expect(crc32(v), `offset ${off} length ${len}`).toBe(reference(v));
        const k = Math.min(7, len);
        expect(crc32(v.subarray(k), crc32(v.subarray(0, k))), `chained ${off}/${len}`).toBe(reference(v));
      }
    }
  });
});
