// linear at the BridgeTower-base shapes, for every variant x weight dtype asked for (patch-embed.ts covers conv1).
import { quantize } from '../../spec/quantize';
import type { Gpu } from '../../gpu/runtime';
import type { GpuTensor } from '../../gpu/tensor';
import { linear } from '../linear';
import { randomTensor, randomValues, type BenchWeights, type KernelBenchmark } from './benchmark';

/** M x K x N: ViT qkv / out-proj / MLP at 288px (325 tokens), a 40-token text layer, and 1297 tokens (576px). */
const SHAPES: [number, number, number][] = [
  [325, 768, 2304],
  [325, 768, 768],
  [325, 768, 3072],
  [325, 3072, 768],
  [40, 768, 768],
  [1297, 768, 768],
];

/** A [N, K] weight of `dtype` with values of a trained layer's scale. */
export function benchWeight(gpu: Gpu, dtype: BenchWeights, N: number, K: number, rand: () => number): GpuTensor {
  if (dtype === 'f16') {
    const n = N * K;
    // 0x2c00 = 2^-4: any finite half does for timing.
    return gpu.upload(new Uint16Array(n + (n & 1)).fill(0x2c00), [N, K], 'f16', 'w');
  }
  if (dtype === 'f32') return randomTensor(gpu, [N, K], rand, 'w', 1 / Math.sqrt(K));
  const q = quantize(randomValues(N * K, rand, 1 / Math.sqrt(K)), [N, K], dtype, 'w');
  return gpu.uploadQuantized(q.data as Uint8Array, q.scales!, [N, K], dtype, 'w');
}

export const linearBenchmarks: KernelBenchmark[] = SHAPES.map(([M, K, N]) => ({
  kernel: 'linear',
  shape: `${M} x ${K} x ${N}`,
  work: { flops: 2 * M * K * N },
  setup(gpu, rand, opts) {
    const x = randomTensor(gpu, [M, K], rand, 'x');
    const weights = opts.weights.map((d) => [d, benchWeight(gpu, d, N, K, rand)] as const);
    return {
      variants: opts.linearVariants.flatMap((variant) =>
        weights.map(([d, w]) => ({
          name: `${variant} ${d}`,
          run: () => linear(gpu, x, w, { variant }).release(),
        })),
      ),
      release: () => {
        x.release();
        for (const [, w] of weights) w.release();
      },
    };
  },
}));
