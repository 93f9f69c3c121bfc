import { add } from '../../src/kernels/add';
import { addRef } from '../reference/ops';
import { compare, poison, randomF32, rng, type KernelCase } from './harness';

// One float32 rounding of the exact sum: |err| <= 2^-24·|a+b|; 2^-23 leaves room for nothing else.
const RTOL = 2 ** -23;

export const addCases: KernelCase[] = [[1], [5, 7], [3, 101, 33]].map((shape, n) => ({
  kernel: 'add',
  name: `[${shape.join(', ')}]`,
  async run(gpu) {
    const rand = rng(100 + n);
    const size = shape.reduce((p, d) => p * d, 1);
    const a = randomF32(size, rand, -3, 3), b = randomF32(size, rand, -3, 3);
    const ta = gpu.upload(a, shape, 'f32', 'a'), tb = gpu.upload(b, shape, 'f32', 'b');
    const out = gpu.tensor(shape, 'f32', 'out');
    poison(gpu, out);
    add(gpu, ta, tb, { out });
    const [y] = await gpu.read(out);
    for (const t of [ta, tb, out]) t.release();
    return compare(y, addRef(a, b), 0, RTOL);
  },
}));
