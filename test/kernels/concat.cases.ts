import { concat } from '../../src/kernels/concat';
import { concatRef } from '../reference/ops';
import { compare, poison, randomF32, rng, type KernelCase } from './harness';

// [B, D1, D2]: cls_feats of the tiny fixtures, unequal odd widths, one row, base width.
const SHAPES = [
  [2, 32, 32],
  [3, 7, 13],
  [1, 1, 5],
  [2, 768, 768],
];

export const concatCases: KernelCase[] = SHAPES.map(([B, D1, D2], n) => ({
  kernel: 'concat',
  name: `[${B}, ${D1}] ++ [${B}, ${D2}]`,
  async run(gpu) {
    const rand = rng(300 + n);
    const a = randomF32(B * D1, rand),
      b = randomF32(B * D2, rand);
    const ta = gpu.upload(a, [B, D1], 'f32', 'a'),
      tb = gpu.upload(b, [B, D2], 'f32', 'b');
    const out = gpu.tensor([B, D1 + D2], 'f32', 'out');
    poison(gpu, out);
    concat(gpu, ta, tb, { out });
    const [y] = await gpu.read(out);
    for (const t of [ta, tb, out]) t.release();
    // A copy: exact.
    return compare(y, concatRef(a, b, B, D1, D2), 0, 0);
  },
}));
