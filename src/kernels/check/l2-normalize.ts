// l2Normalize's check: the float64 reference, cases on awkward shapes and the benchmarks, row L2
// normalisation of the ITC embeddings of a retrieval batch, and a wide case.
import { l2Normalize } from '../l2-normalize';
import { compare, poison, randomF32, rng, type KernelCase, type KernelCheck } from './harness';
import { randomTensor, type KernelBenchmark } from './benchmark';

// The float64 reference: inputs are the float32 (or f16-rounded) values the GPU reads.
/** Row-wise v / max(||v||, eps) over [R, D]. */
export function l2NormalizeRef(x: ArrayLike<number>, R: number, D: number, eps: number): Float64Array {
  const y = new Float64Array(R * D);
  for (let r = 0; r < R; r++) {
    let s = 0;
    for (let c = 0; c < D; c++) s += x[r * D + c] ** 2;
    const n = Math.max(Math.sqrt(s), eps);
    for (let c = 0; c < D; c++) y[r * D + c] = x[r * D + c] / n;
  }
  return y;
}

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

const l2NormalizeCases: KernelCase[] = SHAPES.map(({ B, D, scale, what }, n) => ({
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

const l2NormalizeBenchmarks: KernelBenchmark[] = [
  [64, 256],
  [1024, 768],
].map(([B, D]) => ({
  kernel: 'l2Normalize',
  shape: `[${B}, ${D}]`,
  work: { bytes: 2 * 4 * B * D },
  setup(gpu, rand) {
    const x = randomTensor(gpu, [B, D], rand, 'x');
    return { variants: [{ name: 'default', run: () => l2Normalize(gpu, x).release() }], release: () => x.release() };
  },
}));

export const l2NormalizeCheck: KernelCheck = {
  kernel: 'l2Normalize',
  cases: l2NormalizeCases,
  benchmarks: l2NormalizeBenchmarks,
};
