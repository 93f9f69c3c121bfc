import { takeToken } from '../../src/kernels/take-token';
import { takeTokenRef } from '../reference/ops';
import { compare, poison, randomF32, rng, type KernelCase } from './harness';

// [B, L, D, index]: token 0 (the model's use), a middle and the last token, L = 1.
const SHAPES = [
  [2, 7, 32, 0],
  [3, 13, 33, 5],
  [1, 1, 17, 0],
  [2, 50, 768, 49],
];

export const takeTokenCases: KernelCase[] = SHAPES.map(([B, L, D, index], n) => ({
  kernel: 'takeToken',
  name: `x [${B}, ${L}, ${D}] token ${index}`,
  async run(gpu) {
    const x = randomF32(B * L * D, rng(200 + n));
    const tx = gpu.upload(x, [B, L, D], 'f32', 'x');
    const out = gpu.tensor([B, D], 'f32', 'out');
    poison(gpu, out);
    takeToken(gpu, tx, index, { out });
    const [y] = await gpu.read(out);
    tx.release();
    out.release();
    // A copy: exact.
    return compare(y, takeTokenRef(x, B, L, D, index), 0, 0);
  },
}));
