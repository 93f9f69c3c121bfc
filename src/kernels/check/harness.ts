// A kernel's check: its test cases, which run unchanged under Node (vitest) and in the browser page
// (kernels.html), and its benchmarks (./benchmark.ts). A case runs a kernel on random inputs, compares with a
// float64 TS reference (in the kernel's module, on ./math.ts) and reports the max error.
import type { Gpu } from '../../gpu/runtime';
import type { GpuTensor } from '../../gpu/tensor';
import { compareValues } from '../../common/compare';
import type { KernelBenchmark } from './benchmark';

export interface CaseResult {
  pass: boolean;
  /** Largest |actual - expected|. */
  maxAbsErr: number;
  /** The bound that was applied, in words, e.g. "|a-b| <= 1e-5 + 1e-4|b|". */
  tolerance: string;
  detail: string;
}

export interface KernelCase {
  kernel: string;
  name: string;
  run(gpu: Gpu): Promise<CaseResult>;
}

/** One kernel's cases and benchmarks, all under its name. */
export interface KernelCheck {
  kernel: string;
  cases: KernelCase[];
  benchmarks: KernelBenchmark[];
}

/** Deterministic PRNG, so a failing case can be rerun exactly. */
export { mulberry32 as rng } from '../../common/random';

/** n values uniform in [lo, hi), as float32 (the kernel's inputs) — the reference reads the same float32 values. */
export function randomF32(n: number, rand: () => number, lo = -1, hi = 1): Float32Array {
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = lo + (hi - lo) * rand();
  return a;
}

/** Fill a tensor with NaN before the kernel runs, so elements the kernel fails to write show up. */
export function poison(gpu: Gpu, t: GpuTensor): void {
  const words = new Uint32Array(Math.ceil(t.byteLength / 4)).fill(0x7fc00000);
  gpu.device.queue.writeBuffer(t.buffer, 0, words);
}

/** The project's one numeric bar (src/common/compare.ts), reported the way kernel cases report. */
export function compare(
  actual: ArrayLike<number>,
  expected: ArrayLike<number>,
  atol: number,
  rtol: number,
): CaseResult {
  const { maxAbs, ...result } = compareValues(actual, expected, atol, rtol);
  return { ...result, maxAbsErr: maxAbs };
}
