// act(LayerNorm_eps(x + residual)) over the last dimension (the residual optionally LayerNorm'd first), biased
// variance, f32 parameters. Two variants of one computation: `workgroup` (shaders/layernorm-workgroup.wgsl: 64 invocations and a tree reduction per row, for
// GPUs) and `rows` (shaders/layernorm-rows.wgsl: one invocation per row, no barriers, for CPU adapters).
import activations from '../../shaders/lib/activations.wgsl?raw';
import layerNormInput from '../../shaders/lib/layernorm-input.wgsl?raw';
import reduce from '../../shaders/lib/workgroup-reduce.wgsl?raw';
import rowsSource from '../../shaders/layernorm-rows.wgsl?raw';
import workgroupSource from '../../shaders/layernorm-workgroup.wgsl?raw';
import { ShapeError } from '../errors';
import type { Gpu } from '../gpu/runtime';
import { expectShape, type GpuTensor } from '../gpu/tensor';
import { declareKernel } from './program';

export interface LayerNormOptions {
  /** Added to x before normalising (same shape as x): the bridge layer LN(x + y), BERT's post-LN blocks. */
  residual?: GpuTensor;
  /** The residual's own LayerNorm, applied to it before the add: LN(x + LN_r(residual)). */
  residualNorm?: { weight: GpuTensor; bias: GpuTensor; eps: number };
  /** Applied after the affine transform (the task heads: Linear -> LN -> GELU -> Linear). */
  activation?: 'gelu';
  out?: GpuTensor;
  /** Default: rows on CPU adapters, workgroup on GPUs. */
  variant?: LayerNormVariant;
}

export type LayerNormVariant = 'workgroup' | 'rows';

function layerNormKernel(variant: LayerNormVariant, source: string) {
  return declareKernel({
    name: `layernorm-${variant}`,
    // residual: x + residual is normalised; gelu: GELU (erf) after the affine transform.
    params: { residual: [false, true], residualNorm: [false, true], gelu: [false, true] },
    uniforms: { rows: 'u32', dim: 'u32', eps: 'f32', residual_eps: 'f32' },
    bindings: {
      x: true,
      residual: (p) => p.residual,
      residual_weight: (p) => p.residualNorm,
      residual_bias: (p) => p.residualNorm,
      weight: true,
      bias: true,
      out: true,
    },
    source,
    libs: (p) => [layerNormInput, ...(variant === 'workgroup' ? [reduce] : []), ...(p.gelu ? [activations] : [])],
  });
}

export const layerNormKernels = {
  workgroup: layerNormKernel('workgroup', workgroupSource),
  rows: layerNormKernel('rows', rowsSource),
};

export function layerNorm(
  gpu: Gpu,
  x: GpuTensor,
  weight: GpuTensor,
  bias: GpuTensor,
  eps: number,
  opts: LayerNormOptions = {},
): GpuTensor {
  if (x.shape.length < 1) throw new ShapeError('layerNorm: x must have at least one dimension [..., D]');
  expectShape('layerNorm: x', x, x.shape, ['f32']);
  const D = x.shape[x.shape.length - 1];
  const rows = x.size / Math.max(D, 1);
  expectShape('layerNorm: weight', weight, [D], ['f32']);
  expectShape('layerNorm: bias', bias, [D], ['f32']);
  if (!(eps > 0)) throw new ShapeError(`layerNorm: eps must be positive, got ${eps}`);
  if (opts.activation !== undefined && opts.activation !== 'gelu') {
    throw new ShapeError(`layerNorm: unknown activation ${JSON.stringify(opts.activation)} (expected gelu)`);
  }
  if (opts.residual) expectShape('layerNorm: residual', opts.residual, x.shape, ['f32']);
  const rn = opts.residualNorm;
  if (rn) {
    if (!opts.residual) throw new ShapeError('layerNorm: residualNorm needs a residual to normalise');
    expectShape('layerNorm: residualNorm weight', rn.weight, [D], ['f32']);
    expectShape('layerNorm: residualNorm bias', rn.bias, [D], ['f32']);
    if (!(rn.eps > 0)) throw new ShapeError(`layerNorm: residualNorm eps must be positive, got ${rn.eps}`);
  }
  const out = opts.out ?? gpu.tensor(x.shape, 'f32', 'layerNorm');
  expectShape('layerNorm: out', out, x.shape, ['f32']);
  if (out.buffer === x.buffer || out.buffer === opts.residual?.buffer) {
    throw new ShapeError('layerNorm: out must not be an input tensor (WebGPU forbids aliasing a written binding)');
  }
  const variant = opts.variant ?? (gpu.caps.cpuAdapter ? 'rows' : 'workgroup');
  if (variant !== 'rows' && variant !== 'workgroup')
    throw new ShapeError(`layerNorm: unknown variant ${JSON.stringify(variant)}`);
  layerNormKernels[variant].dispatch(
    gpu,
    { residual: !!opts.residual, residualNorm: !!rn, gelu: opts.activation === 'gelu' },
    {
      bindings: { x, residual: opts.residual, residual_weight: rn?.weight, residual_bias: rn?.bias, weight, bias, out },
      uniforms: { rows, dim: D, eps, residual_eps: rn?.eps ?? 0 },
      groups: variant === 'rows' ? Math.ceil(rows / 64) : rows,
      label: `layerNorm ${rows}x${D}`,
    },
  );
  return out;
}
