// softmax's check: the float64 reference, cases on awkward shapes and the benchmarks, row softmax over the
// heatmap's 12 heads x the keys of a 576px image, and 40 text queries x 12 heads over 325 keys.
import { softmax } from '../softmax';
import { compare, poison, randomF32, rng, type KernelCase, type KernelCheck } from './harness';
import { randomTensor, type KernelBenchmark } from './benchmark';

// The float64 reference: inputs are the float32 (or f16-rounded) values the GPU reads.
/** Row-wise stable softmax over [R, N]. */
export function softmaxRef(x: ArrayLike<number>, R: number, N: number): Float64Array {
  const y = new Float64Array(R * N);
  for (let r = 0; r < R; r++) {
    let m = -Infinity;
    for (let c = 0; c < N; c++) m = Math.max(m, x[r * N + c]);
    let s = 0;
    for (let c = 0; c < N; c++) s += y[r * N + c] = Math.exp(x[r * N + c] - m);
    for (let c = 0; c < N; c++) y[r * N + c] /= s;
  }
  return y;
}

interface Shape {
  what: string;
  shape: number[];
  lo: number;
  hi: number;
  masked?: boolean;
}

const SHAPES: Shape[] = [
  { what: 'one element', shape: [1, 1], lo: -1, hi: 1 },
  { what: 'short rows', shape: [3, 7], lo: -3, hi: 3 },
  // exp(x) overflows float32 past 88: only a max-subtracted softmax survives these.
  { what: 'logits up to ±200', shape: [2, 5, 131], lo: -200, hi: 200 },
  { what: 'every other key at -10000', shape: [4, 67], lo: -2, hi: 2, masked: true },
  { what: 'a heatmap row of the largest image', shape: [12, 1682], lo: -8, hi: 8 },
];

const softmaxCases: KernelCase[] = SHAPES.map((s, n) => ({
  kernel: 'softmax',
  name: `[${s.shape.join(', ')}] ${s.what}`,
  async run(gpu) {
    const N = s.shape[s.shape.length - 1];
    const size = s.shape.reduce((a, b) => a * b, 1);
    const x = randomF32(size, rng(900 + n), s.lo, s.hi);
    if (s.masked) for (let i = 1; i < size; i += 2) x[i] -= 10000;
    const tx = gpu.upload(x, s.shape, 'f32', 'x');
    const out = gpu.tensor(s.shape, 'f32', 'out');
    poison(gpu, out);
    softmax(gpu, tx, { out });
    const [y] = await gpu.read(out);
    tx.release();
    out.release();
    // Probabilities in [0, 1]: exp of an exact difference (x - max is exact near the max) is ~2 ulp off, the
    // float32 sum of <= 1682 terms ~1e-6 relative; absolute error therefore stays below ~1e-6.
    return compare(y, softmaxRef(x, size / N, N), 2e-6, 1e-5);
  },
}));

const softmaxBenchmarks: KernelBenchmark[] = [
  [12, 1297],
  [480, 325],
].map(([rows, N]) => ({
  kernel: 'softmax',
  shape: `[${rows}, ${N}]`,
  work: { bytes: 2 * 4 * rows * N },
  setup(gpu, rand) {
    const x = randomTensor(gpu, [rows, N], rand, 'x', 8);
    return { variants: [{ name: 'default', run: () => softmax(gpu, x).release() }], release: () => x.release() };
  },
}));

export const softmaxCheck: KernelCheck = { kernel: 'softmax', cases: softmaxCases, benchmarks: softmaxBenchmarks };
