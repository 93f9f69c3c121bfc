// classPositionEmbed's check: the float64 reference, cases on awkward shapes and the benchmarks, CLIP's token
// assembly (class token + patches + positions) at 288px and 576px, width 768.
import { classPositionEmbed } from '../class-position-embed';
import type { GpuDType } from '../../gpu/tensor';
import { toF16 } from './math';
import { compare, poison, randomF32, rng, type KernelCase, type KernelCheck } from './harness';
import { randomTensor, releaseAll, type KernelBenchmark } from './benchmark';

// The float64 reference: inputs are the float32 (or f16-rounded) values the GPU reads.
/** patches [B, N-1, H], cls [H], pos [N, H] -> [B, N, H] = [cls; patches] + pos. */
export function classPositionEmbedRef(
  patches: ArrayLike<number>,
  cls: ArrayLike<number>,
  pos: ArrayLike<number>,
  B: number,
  N: number,
  H: number,
): Float64Array {
  const y = new Float64Array(B * N * H);
  for (let b = 0; b < B; b++) {
    for (let t = 0; t < N; t++) {
      for (let c = 0; c < H; c++) {
        const token = t === 0 ? cls[c] : patches[(b * (N - 1) + t - 1) * H + c];
        y[(b * N + t) * H + c] = token + pos[t * H + c];
      }
    }
  }
  return y;
}

// [B, N, Hv, table dtype]: the tiny fixture (17 tokens), an odd width with f16 tables, one patch.
const SHAPES: [number, number, number, GpuDType][] = [
  [2, 17, 32, 'f32'],
  [3, 10, 13, 'f16'],
  [1, 2, 7, 'f32'],
  [2, 5, 48, 'f16'],
];

const classPositionEmbedCases: KernelCase[] = SHAPES.map(([B, N, H, dtype], n) => ({
  kernel: 'classPositionEmbed',
  name: `patches [${B}, ${N - 1}, ${H}], ${dtype} tables`,
  async run(gpu) {
    const rand = rng(400 + n);
    const patches = randomF32(B * (N - 1) * H, rand);
    const table = (count: number, shape: number[], label: string) => {
      const v = randomF32(count, rand);
      if (dtype === 'f32') return { values: v, tensor: gpu.upload(v, shape, 'f32', label) };
      const h = toF16(v);
      return { values: h.values, tensor: gpu.upload(h.bits, shape, 'f16', label) };
    };
    const cls = table(H, [H], 'class'),
      pos = table(N * H, [N, H], 'positional');
    const tp = gpu.upload(patches, [B, N - 1, H], 'f32', 'patches');
    const out = gpu.tensor([B, N, H], 'f32', 'out');
    poison(gpu, out);
    classPositionEmbed(gpu, tp, cls.tensor, pos.tensor, { out });
    const [y] = await gpu.read(out);
    for (const t of [tp, cls.tensor, pos.tensor, out]) t.release();
    // One float32 rounding of the sum (f16 tables are compared at their f16 values): 2^-23 relative.
    return compare(y, classPositionEmbedRef(patches, cls.values, pos.values, B, N, H), 0, 2 ** -23);
  },
}));

const HV = 768;

const classPositionEmbedBenchmarks: KernelBenchmark[] = [325, 1297].map((N) => ({
  kernel: 'classPositionEmbed',
  shape: `[1, ${N - 1}, ${HV}] patches`,
  // Patches and positions read, tokens written.
  work: { bytes: 4 * HV * (N - 1 + N + N) },
  setup(gpu, rand) {
    const patches = randomTensor(gpu, [1, N - 1, HV], rand, 'patches');
    const cls = randomTensor(gpu, [HV], rand, 'class');
    const positional = randomTensor(gpu, [N, HV], rand, 'positional');
    return {
      variants: [{ name: 'default', run: () => classPositionEmbed(gpu, patches, cls, positional).release() }],
      release: () => releaseAll([patches, cls, positional]),
    };
  },
}));

export const classPositionEmbedCheck: KernelCheck = {
  kernel: 'classPositionEmbed',
  cases: classPositionEmbedCases,
  benchmarks: classPositionEmbedBenchmarks,
};
