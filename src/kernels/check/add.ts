// add's check: the float64 reference, cases on awkward shapes (plain and scaled) and the benchmark, the link
// tower's scaled add over a 576px image's tokens.
import { add } from '../add';
import { compare, poison, randomF32, rng, type KernelCase, type KernelCheck } from './harness';
import { randomTensor, releaseAll, type KernelBenchmark } from './benchmark';

// The float64 reference: inputs are the float32 (or f16-rounded) values the GPU reads.
export function addRef(a: ArrayLike<number>, b: ArrayLike<number>): Float64Array {
  return Float64Array.from(a, (v, i) => v + b[i]);
}

// One float32 rounding of the exact sum: |err| <= 2^-24·|a+b|; 2^-23 leaves room for nothing else.
const RTOL = 2 ** -23;

const addCases: KernelCase[] = [[1], [5, 7], [3, 101, 33]].map((shape, n) => ({
  kernel: 'add',
  name: `[${shape.join(', ')}]`,
  async run(gpu) {
    const rand = rng(100 + n);
    const size = shape.reduce((p, d) => p * d, 1);
    const a = randomF32(size, rand, -3, 3),
      b = randomF32(size, rand, -3, 3);
    const ta = gpu.upload(a, shape, 'f32', 'a'),
      tb = gpu.upload(b, shape, 'f32', 'b');
    const out = gpu.tensor(shape, 'f32', 'out');
    poison(gpu, out);
    add(gpu, ta, tb, { out });
    const [y] = await gpu.read(out);
    for (const t of [ta, tb, out]) t.release();
    return compare(y, addRef(a, b), 0, RTOL);
  },
}));

/** The bridge layers' scaled forms: alpha·a + beta·b (two roundings of products, one of the sum). */
const scaledAddCases: KernelCase[] = (
  [
    [[7, 9], 0.37, 1],
    [[2, 5, 3], 0.75, 0.25],
  ] as [number[], number, number][]
).map(([shape, alpha, beta], n) => ({
  kernel: 'add',
  name: `scaled ${alpha}·a + ${beta}·b [${shape.join(', ')}]`,
  async run(gpu) {
    const rand = rng(200 + n);
    const size = shape.reduce((p, d) => p * d, 1);
    const a = randomF32(size, rand, -3, 3),
      b = randomF32(size, rand, -3, 3);
    const ta = gpu.upload(a, shape, 'f32', 'a'),
      tb = gpu.upload(b, shape, 'f32', 'b');
    const out = gpu.tensor(shape, 'f32', 'out');
    poison(gpu, out);
    add(gpu, ta, tb, { out, alpha, beta });
    const [y] = await gpu.read(out);
    for (const t of [ta, tb, out]) t.release();
    const want = Float64Array.from(a, (v, i) => alpha * v + beta * b[i]);
    return compare(y, want, 1e-6, 2 ** -21);
  },
}));

const addBenchmarks: KernelBenchmark[] = [
  {
    kernel: 'add',
    shape: '0.5·[1297, 768] + 0.5·[1297, 768]',
    work: { bytes: 3 * 4 * 1297 * 768 },
    setup(gpu, rand) {
      const a = randomTensor(gpu, [1297, 768], rand, 'a');
      const b = randomTensor(gpu, [1297, 768], rand, 'b');
      return {
        variants: [{ name: 'default', run: () => add(gpu, a, b, { alpha: 0.5, beta: 0.5 }).release() }],
        release: () => releaseAll([a, b]),
      };
    },
  },
];

export const addCheck: KernelCheck = {
  kernel: 'add',
  cases: [...addCases, ...scaledAddCases],
  benchmarks: addBenchmarks,
};
