// A kernel benchmark: realistic BridgeTower-base shapes, the work one call does (FLOPs, or bytes moved for the
// memory-bound kernels) and a way to record one call per variant. `bridgetower bench kernels` (src/cli/bench.ts)
// and the browser kernel page (kernels.html) both run the list in ./index.ts; each kernel's benchmarks sit beside
// its cases in ./<kernel>.ts.
import type { Gpu } from '../../gpu/runtime';
import type { GpuTensor } from '../../gpu/tensor';

export type BenchWeights = 'f32' | 'f16' | 'q8' | 'q4';

export interface BenchOptions {
  /** Weight dtypes for the kernels that take a weight (linear, patch-embed). */
  weights: readonly BenchWeights[];
  /** linear's variants to run; the other kernels run all of theirs. */
  linearVariants: readonly ('blocked' | 'tiled')[];
}

export interface BenchSetup {
  /** One entry per variant that runs on this adapter; `run` records one call (the caller submits). */
  variants: { name: string; run: () => void }[];
  release(): void;
}

export interface KernelBenchmark {
  /** The kernel's name, as in the cases' `kernel` field. */
  kernel: string;
  /** The shape, in words. */
  shape: string;
  /** Work of one call: floating-point operations (reported as GFLOP/s) or bytes read + written (GB/s). */
  work: { flops: number } | { bytes: number };
  /** Upload inputs drawn from `rand` and return the variants to time. */
  setup(gpu: Gpu, rand: () => number, opts: BenchOptions): BenchSetup;
}

/** Uniform values in [-scale, scale) from `rand`. */
export function randomValues(n: number, rand: () => number, scale = 1): Float32Array {
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = (rand() * 2 - 1) * scale;
  return a;
}

export function randomTensor(gpu: Gpu, shape: number[], rand: () => number, label: string, scale = 1): GpuTensor {
  return gpu.upload(
    randomValues(
      shape.reduce((a, b) => a * b, 1),
      rand,
      scale,
    ),
    shape,
    'f32',
    label,
  );
}

/** Milliseconds per call of `run` (warm-up first, which also builds the pipelines), one submit per call. */
export async function timeCalls(gpu: Gpu, iterations: number, run: () => void): Promise<number> {
  run();
  await gpu.finish();
  gpu.resetTimings();
  const t0 = performance.now();
  for (let i = 0; i < iterations; i++) {
    run();
    gpu.submit();
  }
  await gpu.finish();
  const wall = (performance.now() - t0) / iterations;
  if (!gpu.profiling) return wall;
  let ms = 0;
  for (const t of gpu.timings().values()) ms += t.ms;
  return ms / iterations;
}

/** "12.3 GFLOP/s" or "4.56 GB/s" for one call of `ms` milliseconds. */
export function rate(work: KernelBenchmark['work'], ms: number): string {
  return 'flops' in work
    ? `${(work.flops / ms / 1e6).toFixed(2)} GFLOP/s`
    : `${(work.bytes / ms / 1e6).toFixed(2)} GB/s`;
}

/** Release every tensor once. */
export function releaseAll(tensors: (GpuTensor | undefined)[]): void {
  for (const t of tensors) t?.release();
}
