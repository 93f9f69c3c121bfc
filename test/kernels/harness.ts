// Kernel test cases that run unchanged under Node (vitest) and in the browser page (kernels.html).
// A case runs a kernel on random inputs, compares with a float64 TS reference and reports the max error.
import type { Gpu } from '../../src/gpu/runtime';
import type { GpuTensor } from '../../src/gpu/tensor';

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

/** Deterministic PRNG, so a failing case can be rerun exactly. */
export { mulberry32 as rng } from '../../src/checkpoint/random-weights';

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

/**
 * Elementwise |a - e| <= atol + rtol*|e| (NaN fails). Reports the max abs error and the first bad index.
 */
export function compare(actual: ArrayLike<number>, expected: ArrayLike<number>, atol: number, rtol: number): CaseResult {
  const tolerance = `|a-b| <= ${atol} + ${rtol}|b|`;
  if (actual.length !== expected.length) {
    return { pass: false, maxAbsErr: Infinity, tolerance, detail: `length ${actual.length}, expected ${expected.length}` };
  }
  let maxAbsErr = 0;
  let bad = -1;
  let badCount = 0;
  for (let i = 0; i < expected.length; i++) {
    const a = actual[i], e = expected[i];
    const err = Math.abs(a - e);
    if (!(err <= atol + rtol * Math.abs(e))) {
      if (bad < 0) bad = i;
      badCount++;
    }
    if (!(err <= maxAbsErr)) maxAbsErr = Number.isNaN(err) ? Infinity : err;
  }
  const detail = bad < 0 ? `${expected.length} values` : `${badCount} of ${expected.length} out of tolerance; first at ${bad}: got ${actual[bad]}, expected ${expected[bad]}`;
  return { pass: bad < 0, maxAbsErr, tolerance, detail };
}
