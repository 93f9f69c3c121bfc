// The linear kernels' benchmarks: weights of every dtype at a trained layer's scale, and one M x K x N product
// timed for each variant asked for (check/linear.ts, check/linear-rows.ts; patch-embed and linear-norm take the
// weights).
import type { Gpu } from '../../gpu/runtime';
import type { GpuTensor } from '../../gpu/tensor';
import { quantize } from '../../common/quantize';
import { linear, type LinearVariant } from '../linear';
import { randomTensor, randomValues, type BenchWeights, type KernelBenchmark } from './benchmark';

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

/** y = x·Wᵀ at M x K x N for `kernel`'s list: each variant asked for, and `extra`, with each weight dtype. */
export function linearBenchmark(
  kernel: string,
  [M, K, N]: readonly [number, number, number],
  extra: readonly LinearVariant[] = [],
): KernelBenchmark {
  return {
    kernel,
    shape: `${M} x ${K} x ${N}`,
    work: { flops: 2 * M * K * N },
    setup(gpu, rand, opts) {
      const x = randomTensor(gpu, [M, K], rand, 'x');
      const weights = opts.weights.map((d) => [d, benchWeight(gpu, d, N, K, rand)] as const);
      return {
        variants: [...opts.linearVariants, ...extra].flatMap((variant) =>
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
  };
}
