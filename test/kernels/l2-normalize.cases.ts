import { l2Normalize } from '../../src/kernels/l2-normalize';
import { l2NormalizeRef } from '../reference/ops';
import { compare, poison, randomF32, rng, type KernelCase } from './harness';

interface Shape {
  B: number;
  D: number;
  scale: number;
  what: string;
}

const SHAPES: Shape[] = [
  { B: 2, D: 256, scale: 1, what: 'ITC width' },
  { B: 3, D: 67, scale: 1, what: 'odd width' },
  { B: 1, D: 1, scale: 1, what: 'one element' },
  // Norm ~1e-13 < eps: the result is v / 1e-12, not a unit vector.
  { B: 2, D: 5, scale: 3e-14, what: 'norm below eps' },
];

export const l2NormalizeCases: KernelCase[] = SHAPES.map(({ B, D, scale, what }, n) => ({
  kernel: 'l2Normalize',
  name: `[${B}, ${D}] ${what}`,
  async run(gpu) {
    const x = randomF32(B * D, rng(500 + n), -scale, scale);
    const tx = gpu.upload(x, [B, D], 'f32', 'x');
    const out = gpu.tensor([B, D], 'f32', 'out');
    poison(gpu, out);
    l2Normalize(gpu, tx, 1e-12, { out });
    const [y] = await gpu.read(out);
    tx.release();
    out.release();
    // Outputs are <= 1 in magnitude (<= 0.1 for the below-eps case); the f32 sum of <= 256 squares in
    // 64 strided partials plus a tree has relative error well under 1e-6, sqrt and divide add 2 ulp.
    return compare(y, l2NormalizeRef(x, B, D, 1e-12), 1e-7, 2e-6);
  },
}));
