// takeToken's check: the float64 reference, cases on awkward shapes and the benchmark, the token-0 slice the
// poolers and ITC heads read, over a batch of 288px images.
import { takeToken } from '../take-token';
import { compare, poison, randomF32, rng, type KernelCase, type KernelCheck } from './harness';
import { randomTensor, type KernelBenchmark } from './benchmark';

// The float64 reference: inputs are the float32 (or f16-rounded) values the GPU reads.
/** x [B, L, D] -> x[:, index, :] [B, D]. */
export function takeTokenRef(x: ArrayLike<number>, B: number, L: number, D: number, index: number): Float64Array {
  const y = new Float64Array(B * D);
  for (let b = 0; b < B; b++) for (let c = 0; c < D; c++) y[b * D + c] = x[(b * L + index) * D + c];
  return y;
}

// [B, L, D, index]: token 0 (the model's use), a middle and the last token, L = 1.
const SHAPES = [
  [2, 7, 32, 0],
  [3, 13, 33, 5],
  [1, 1, 17, 0],
  [2, 50, 768, 49],
];

const takeTokenCases: KernelCase[] = SHAPES.map(([B, L, D, index], n) => ({
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

const takeTokenBenchmarks: KernelBenchmark[] = [
  {
    kernel: 'takeToken',
    shape: '[32, 325, 768] token 0',
    work: { bytes: 2 * 4 * 32 * 768 },
    setup(gpu, rand) {
      const x = randomTensor(gpu, [32, 325, 768], rand, 'x');
      return { variants: [{ name: 'default', run: () => takeToken(gpu, x, 0).release() }], release: () => x.release() };
    },
  },
];

export const takeTokenCheck: KernelCheck = {
  kernel: 'takeToken',
  cases: takeTokenCases,
  benchmarks: takeTokenBenchmarks,
};
