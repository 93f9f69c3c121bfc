import { describe, expect, it } from 'vitest';
import { f16BitsToF32, f32ToF16Bits } from '../../src/common/f16';

describe('f32 -> f16 round-to-nearest-even', () => {
  it('handles edge values', () => {
    const cases: Array<[number, number]> = [
      [0, 0x0000],
      [-0, 0x8000],
      [1, 0x3c00],
      [-2, 0xc000],
      [65504, 0x7bff],
      [65519.99, 0x7bff],
      [65520, 0x7c00],
      [1e9, 0x7c00],
      [Infinity, 0x7c00],
      [-Infinity, 0xfc00],
      [2 ** -14, 0x0400],
      [2 ** -24, 0x0001],
      [2 ** -25, 0x0000],
      [1.5 * 2 ** -25, 0x0001],
      [3 * 2 ** -25, 0x0002],
      [5 * 2 ** -25, 0x0002],
      [2 ** -26, 0x0000],
      [-(2 ** -24), 0x8001],
      [(1023 / 1024) * 2 ** -14, 0x03ff],
      // ties in the normal range go to the even mantissa
      [1 + 2 ** -11, 0x3c00],
      [1 + 3 * 2 ** -11, 0x3c02],
      [1 + 2 ** -11 + 2 ** -20, 0x3c01],
      // the largest subnormal rounds up into the smallest normal
      [2 ** -14 - 2 ** -26, 0x0400],
    ];
    for (const [x, bits] of cases) expect(f32ToF16Bits(x).toString(16), `f32ToF16(${x})`).toBe(bits.toString(16));
    expect(f32ToF16Bits(NaN) & 0x7c00).toBe(0x7c00);
    expect(f32ToF16Bits(NaN) & 0x3ff).not.toBe(0);
  });

  it('round-trips every f16 value and rounds every midpoint to even', () => {
    const f32 = new Float32Array(1);
    for (let h = 0; h < 0x7c00; h++) {
      for (const sign of [0, 0x8000]) {
        const v = f16BitsToF32(h | sign);
        f32[0] = v;
        if (f32ToF16Bits(f32[0]) !== (h | sign)) throw new Error(`round trip of ${(h | sign).toString(16)}`);
        if (h === 0x7bff) continue;
        const mid = (v + f16BitsToF32((h + 1) | sign)) / 2;
        const expected = (h & 1 ? h + 1 : h) | sign;
        if (f32ToF16Bits(mid) !== expected)
          throw new Error(`midpoint above ${(h | sign).toString(16)} gave ${f32ToF16Bits(mid).toString(16)}`);
      }
    }
    expect(f16BitsToF32(0x7c00)).toBe(Infinity);
    expect(f16BitsToF32(0x7e00)).toBeNaN();
  });
});
