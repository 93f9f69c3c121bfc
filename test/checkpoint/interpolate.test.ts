import { describe, expect, it } from 'vitest';
import { regridPositionalEmbedding } from '../../src/checkpoint/interpolate';

// torch.nn.functional.interpolate([0, 1], size=4, mode='bicubic', align_corners=False) along one axis,
// worked by hand: source x = (i + 0.5) / 2 - 0.5, A = -0.75, taps clamped at the edges.
const UP_2_TO_4 = [-0.10546875, 0.2265625, 0.7734375, 1.10546875];

describe('positional embedding re-grid (adapt_position_encoding)', () => {
  it('matches the hand-computed bicubic values and keeps the class position', () => {
    // 2x2 grid, D = 2: channel 0 = x + 2y, channel 1 = 10 - y; class position [7, -7].
    const pos = Float32Array.from([7, -7, 0, 10, 1, 10, 2, 9, 3, 9]);
    const out = regridPositionalEmbedding(pos, 2, 4);
    expect(out.length).toBe((16 + 1) * 2);
    expect([out[0], out[1]]).toEqual([7, -7]);
    for (let y = 0; y < 4; y++) {
      for (let x = 0; x < 4; x++) {
        const i = 1 + y * 4 + x;
        expect(out[2 * i]).toBeCloseTo(UP_2_TO_4[x] + 2 * UP_2_TO_4[y], 6);
        expect(out[2 * i + 1]).toBeCloseTo(10 - UP_2_TO_4[y], 6);
      }
    }
  });

  it('is the identity at the same grid size', () => {
    const pos = Float32Array.from({ length: 10 * 3 }, (_, i) => Math.sin(i));
    expect(regridPositionalEmbedding(pos, 3, 3)).toEqual(pos);
  });
});
