// concat's check: the float64 reference, cases on awkward shapes and the benchmark, cls_feats = [text pooled,
// image pooled] for a batch of 64.
import { concat } from '../concat';
import { compare, poison, randomF32, rng, type KernelCase, type KernelCheck } from './harness';
import { randomTensor, releaseAll, type KernelBenchmark } from './benchmark';

// The float64 reference: inputs are the float32 (or f16-rounded) values the GPU reads.
/** [B, D1] ++ [B, D2] -> [B, D1+D2]. */
export function concatRef(a: ArrayLike<number>, b: ArrayLike<number>, B: number, D1: number, D2: number): Float64Array {
  const y = new Float64Array(B * (D1 + D2));
  for (let r = 0; r < B; r++) {
    for (let c = 0; c < D1; c++) y[r * (D1 + D2) + c] = a[r * D1 + c];
    for (let c = 0; c < D2; c++) y[r * (D1 + D2) + D1 + c] = b[r * D2 + c];
  }
  return y;
}

// [B, D1, D2]: cls_feats of the tiny fixtures, unequal odd widths, one row, base width.
const SHAPES = [
  [2, 32, 32],
  [3, 7, 13],
  [1, 1, 5],
  [2, 768, 768],
];

const concatCases: KernelCase[] = SHAPES.map(([B, D1, D2], n) => ({
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

const concatBenchmarks: KernelBenchmark[] = [
  {
    kernel: 'concat',
    shape: '[64, 768] + [64, 768]',
    work: { bytes: 2 * 4 * 64 * 1536 },
    setup(gpu, rand) {
      const a = randomTensor(gpu, [64, 768], rand, 'a');
      const b = randomTensor(gpu, [64, 768], rand, 'b');
      return {
        variants: [{ name: 'default', run: () => concat(gpu, a, b).release() }],
        release: () => releaseAll([a, b]),
      };
    },
  },
];

export const concatCheck: KernelCheck = { kernel: 'concat', cases: concatCases, benchmarks: concatBenchmarks };
