// erf_f32 (shaders/lib/activations.wgsl, behind the exact GELU of linear's epilogue and layerNorm's head
// activation) against float64 erf on a dense grid; one of linear's cases (./linear.ts).
import activations from '../../../shaders/lib/activations.wgsl?raw';
import type { Gpu } from '../../gpu/runtime';
import { declareKernel } from '../program';
import { erf } from './math';
import { compare, poison, type CaseResult, type KernelCase } from './harness';

// erf_f32 on a dense grid: one invocation per point.
const erfGrid = declareKernel({
  name: 'erf-grid',
  params: {},
  uniforms: {},
  bindings: { xs: true, ys: true },
  source: `
@group(0) @binding(#) var<storage, read> xs: array<f32>;
@group(0) @binding(#) var<storage, read_write> ys: array<f32>;
@compute @workgroup_size(64) fn main(@builtin(global_invocation_id) id: vec3u) {
  if (id.x < arrayLength(&xs)) { ys[id.x] = erf_f32(xs[id.x]); }
}`,
  libs: () => [activations],
});

/** erf_f32 against float64 erf on [-6, 6] in steps of 2^-12 (49153 points, every float32 region of the fit). */
async function runErfGrid(gpu: Gpu): Promise<CaseResult> {
  const n = 12 * 4096 + 1;
  const xs = Float32Array.from({ length: n }, (_, i) => -6 + i / 4096);
  const expected = Float64Array.from(xs, erf);
  const x = gpu.upload(xs, [n], 'f32', 'grid');
  const y = gpu.tensor([n], 'f32', 'erf');
  poison(gpu, y);
  erfGrid.dispatch(
    gpu,
    {},
    {
      bindings: { xs: x, ys: y },
      uniforms: {},
      grid: [Math.ceil(n / 64), 1],
      label: 'erf grid',
    },
  );
  const [actual] = await gpu.read(y);
  x.release();
  y.release();
  // Float32 can't do better than half an ulp of the result (6e-8 just below 1); the fits add < 3e-9.
  const r = compare(actual, expected, 2.5e-7, 0);
  return { ...r, detail: `max |erf_f32 - erf| = ${r.maxAbsErr.toExponential(2)} on [-6, 6] step 2^-12: ${r.detail}` };
}

export const erfGridCase: KernelCase = { kernel: 'linear', name: 'erf_f32 on a dense grid', run: runErfGrid };
