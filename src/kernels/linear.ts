// linear: y = act(x·Wᵀ + b) + residual with PyTorch's [out, in] weight layout, batched over x's leading dims,
// optionally behind a LayerNorm of x (`norm`): fused into the tiled and rows kernels, a pass of its own in front
// of the blocked one (the CPU adapters' variant, where fusing it measured slower).
// Three variants of one computation: `blocked` (shaders/linear-blocked.wgsl, registers only, for CPU adapters where
// workgroup barriers are expensive), `tiled` (shaders/linear-tiled.wgsl, workgroup-memory tiles, for GPUs) and
// `rows` (shaders/linear-rows.wgsl, a GEMV shape for a few rows: the poolers and heads), chosen from M.
// The weight may be f32, f16, or q8 / q4 (codes + scales, src/common/quantize.ts), which every variant
// dequantize as they load it: no dequantized copy of a weight is ever written. x and y may each be f32 or f16
// (halves packed in u32 words, src/gpu/tensor.ts): the products and sums are f32 either way, f16 is storage only.
import { ShapeError } from '../errors';
import type { Gpu } from '../gpu/runtime';
import { GpuTensor, expectShape } from '../gpu/tensor';
import activations from '../../shaders/lib/activations.wgsl?raw';
import epilogue from '../../shaders/lib/linear-epilogue.wgsl?raw';
import f16Words from '../../shaders/lib/f16-words.wgsl?raw';
import blockedSource from '../../shaders/linear-blocked.wgsl?raw';
import tiledSource from '../../shaders/linear-tiled.wgsl?raw';
import rowsSource from '../../shaders/linear-rows.wgsl?raw';
import workgroupReduce from '../../shaders/lib/workgroup-reduce.wgsl?raw';
import weights from '../../shaders/lib/linear-weights.wgsl?raw';
import { Q4_BLOCK } from '../common/quantize';
import { declareKernel } from './program';
import { layerNorm } from './layernorm';
import { linearShape, ROWS_UNSPLIT_WG, type LinearVariant } from './linear-shape';

export type { LinearVariant };

export type LinearActivation = 'gelu' | 'quickgelu' | 'tanh' | 'gelu_tanh' | 'relu' | 'silu';

/** The element type of an activation a matrix product reads or writes: f16 is storage only, the math is f32. */
export type ActivationDType = 'f32' | 'f16';

export interface LinearOptions {
  /**
   * The dtype of the output when no `out` is given (with `out`, out's own): f16 rounds each finished value to half
   * precision as it is stored.
   * @default 'f32'
   */
  dtype?: ActivationDType;
  /** [N] f32, added before the activation. */
  bias?: GpuTensor;
  activation?: LinearActivation;
  /** Added after the activation; the shape of the output ([...lead, N], or `out`'s shape when `out` is given). */
  residual?: GpuTensor;
  /** Write into this [...lead, C] f32 or f16 tensor (C >= outColumnOffset + N) instead of a new one. */
  out?: GpuTensor;
  /** First column of `out` to write (for a weight split into row chunks). */
  outColumnOffset?: number;
  /**
   * A LayerNorm fused in front: x is normalised on load, x̂ = (x - mean)/√(var + eps)·weight + bias over its last
   * dimension, and y = act(x̂·Wᵀ + b) + residual. With `out`, x̂ is also written there (for x̂'s other readers).
   */
  norm?: LinearNorm;
  /**
   * Read only every rowStep-th row of x (x [B, L, K] with rowStep L: token 0 of each sequence, the poolers'
   * input): M = rows / rowStep, and the output is [M, N]. Not with `norm.out`.
   */
  rowStep?: number;
  /** Force a variant (tests, benchmarks); by default chosen from M and the adapter (./linear-shape.ts). */
  variant?: LinearVariant;
  /** `false` keeps `blocked` off its subgroup path (tests, benchmarks); by default it is used where it fits. */
  subgroups?: boolean;
  /**
   * `rows` only: split each dot product over the 64 invocations of a workgroup (by default on GPUs), or give each
   * invocation whole dot products (by default on CPU adapters, where a workgroup's barriers cost more than it
   * saves). Forced in tests, to check both on one adapter.
   */
  split?: boolean;
}

export interface LinearNorm {
  /** [K] f32. */
  weight: GpuTensor;
  /** [K] f32. */
  bias: GpuTensor;
  eps: number;
  /** [...lead, K] f32: receives x̂. */
  out?: GpuTensor;
}

const ACTIVATIONS: readonly LinearActivation[] = ['gelu', 'quickgelu', 'tanh', 'gelu_tanh', 'relu', 'silu'];

const WEIGHTS = ['f32', 'f16', 'q8', 'q4'] as const;
const ACTIVATION_DTYPES: readonly ActivationDType[] = ['f32', 'f16'];
const UNIFORMS = {
  M: 'u32',
  N: 'u32',
  K: 'u32',
  out_stride: 'u32',
  out_offset: 'u32',
  // workgroup tiles along N, and in total
  tiles_n: 'u32',
  tiles: 'u32',
  // q4: scales per row of w (ceil(K / 32))
  blocks: 'u32',
  // the fused LayerNorm's eps (norm)
  eps: 'f32',
  // words from one row of x to the next (K / 4 with vec4 reads, else K; times rowStep)
  x_stride: 'u32',
} as const;
const BINDINGS = {
  x: true,
  w: true,
  w_scale: (p: { weight: string }) => p.weight === 'q8' || p.weight === 'q4',
  bias: (p: { bias: boolean }) => p.bias,
  residual: (p: { residual: boolean }) => p.residual,
  ln_weight: (p: { norm: boolean }) => p.norm,
  ln_bias: (p: { norm: boolean }) => p.norm,
  x_normed: (p: { normOut: boolean }) => p.normOut,
  y: true,
} as const;
const EPILOGUE = {
  input: ACTIVATION_DTYPES,
  output: ACTIVATION_DTYPES,
  bias: [false, true],
  residual: [false, true],
  activation: ['none', ...ACTIVATIONS],
  norm: [false, true],
  normOut: [false, true],
} as const;

export const linearKernels = {
  blocked: declareKernel({
    name: 'linear-blocked',
    params: {
      weight: WEIGHTS,
      vec4: [false, true],
      subgroups: [false, true],
      pairs: [false, true],
      height: [5],
      ...EPILOGUE,
      // `norm` runs as a LayerNorm pass in front (see linear()).
      norm: [false],
      normOut: [false],
    },
    uniforms: UNIFORMS,
    bindings: BINDINGS,
    source: blockedSource,
    libs: (p) => [activations, f16Words, ...(p.vec4 ? [] : [weights]), epilogue],
    // Rows (and columns) of y one invocation computes: the `#for i < R` blocks; H, the workgroup's height.
    counts: (p) => ({ R: 8, H: p.height }),
  }),
  tiled: declareKernel({
    name: 'linear-tiled',
    params: { weight: WEIGHTS, tileRows: [16, 64], ...EPILOGUE },
    uniforms: UNIFORMS,
    bindings: BINDINGS,
    source: tiledSource,
    libs: () => [activations, weights, epilogue],
    counts: (p) => ({ TM: p.tileRows }),
  }),
  rows: declareKernel({
    name: 'linear-rows',
    params: {
      weight: WEIGHTS,
      vec4: [false, true],
      rows: [4, 8],
      split: [false, true],
      ...EPILOGUE,
      normOut: [false],
    },
    uniforms: UNIFORMS,
    bindings: BINDINGS,
    source: rowsSource,
    libs: (p) => [activations, f16Words, ...(p.vec4 ? [] : [weights]), epilogue, ...(p.norm ? [workgroupReduce] : [])],
    counts: (p) => ({ R: p.rows, C: 4, WG: p.split ? 64 : ROWS_UNSPLIT_WG }),
  }),
};

export function linear(gpu: Gpu, x: GpuTensor, weight: GpuTensor, opts: LinearOptions = {}): GpuTensor {
  if (x.shape.length < 1) throw new ShapeError('linear: x must have at least one dimension [..., K]');
  const K = x.shape[x.shape.length - 1];
  const lead = x.shape.slice(0, -1);
  expectShape('linear: x', x, [...lead, K], ACTIVATION_DTYPES);
  expectShape('linear: weight', weight, [-1, K], ['f32', 'f16', 'q8', 'q4']);
  const N = weight.shape[0];
  const quant = weight.dtype === 'q8' || weight.dtype === 'q4';
  const blocks = weight.dtype === 'q4' ? Math.ceil(K / Q4_BLOCK) : 0;
  if (quant) {
    if (!weight.scales) throw new ShapeError(`linear: ${weight.dtype} weight ${weight.label} has no scales`);
    expectShape(
      `linear: ${weight.dtype} weight scales`,
      weight.scales,
      [weight.dtype === 'q8' ? N : N * blocks],
      ['f32'],
    );
  }
  const rows = lead.reduce((a, b) => a * b, 1);
  const step = opts.rowStep ?? 1;
  if (!Number.isSafeInteger(step) || step < 1 || rows % step !== 0) {
    throw new ShapeError(`linear: rowStep ${step} must be a positive integer dividing the ${rows} rows of x`);
  }
  if (step > 1 && opts.norm?.out) throw new ShapeError('linear: rowStep cannot write x̂ (norm.out)');
  const M = rows / step;
  const outLead = step === 1 ? lead : [M];
  if (opts.bias) expectShape('linear: bias', opts.bias, [N], ['f32']);
  if (opts.activation !== undefined && !ACTIVATIONS.includes(opts.activation)) {
    throw new ShapeError(
      `linear: unknown activation ${JSON.stringify(opts.activation)} (expected ${ACTIVATIONS.join(', ')})`,
    );
  }
  gpu.checkBindingSize(`linear: x [${x.shape.join(', ')}]`, x.byteLength);
  gpu.checkBindingSize(
    `linear: weight ${weight.label ? weight.label + ' ' : ''}[${N}, ${K}] ${weight.dtype}`,
    weight.byteLength,
  );
  const offset = opts.outColumnOffset ?? 0;
  if (!Number.isSafeInteger(offset) || offset < 0)
    throw new ShapeError(`linear: outColumnOffset must be a non-negative integer, got ${offset}`);
  if (offset > 0 && !opts.out) throw new ShapeError('linear: outColumnOffset needs an `out` tensor to write into');
  if (opts.dtype !== undefined && !ACTIVATION_DTYPES.includes(opts.dtype)) {
    throw new ShapeError(`linear: dtype must be f32 or f16, got ${JSON.stringify(opts.dtype)}`);
  }
  let out: GpuTensor;
  if (opts.out) {
    out = opts.out;
    expectShape('linear: out', out, [...outLead, -1], opts.dtype ? [opts.dtype] : ACTIVATION_DTYPES);
    const width = out.shape[out.shape.length - 1];
    if (offset + N > width) {
      throw new ShapeError(`linear: out has ${width} columns, too few for ${N} columns at offset ${offset}`);
    }
  } else {
    out = gpu.tensor([...outLead, N], opts.dtype ?? 'f32', 'linear');
  }
  const outStride = out.shape[out.shape.length - 1];
  if (opts.residual) {
    expectShape('linear: residual', opts.residual, out.shape, ['f32']);
    if (opts.residual.buffer === out.buffer)
      throw new ShapeError(
        'linear: residual must not be the output tensor (WebGPU forbids aliasing a written binding)',
      );
  }
  if (x.buffer === out.buffer) throw new ShapeError('linear: x must not be the output tensor');
  const norm = opts.norm;
  if (norm) {
    if (x.dtype !== 'f32') throw new ShapeError(`linear: a fused LayerNorm (norm) needs an f32 x, got ${x.dtype}`);
    expectShape('linear: norm weight', norm.weight, [K], ['f32']);
    expectShape('linear: norm bias', norm.bias, [K], ['f32']);
    if (!(norm.eps > 0)) throw new ShapeError(`linear: norm eps must be positive, got ${norm.eps}`);
    if (norm.out) {
      expectShape('linear: norm out', norm.out, x.shape, ['f32']);
      if ([x, out, opts.residual].some((t) => t?.buffer === norm.out?.buffer))
        throw new ShapeError(
          'linear: norm out must be a tensor of its own (WebGPU forbids aliasing a written binding)',
        );
    }
  }

  gpu.checkBindingSize(`linear: out [${out.shape.join(', ')}]`, out.byteLength);
  if (opts.residual) gpu.checkBindingSize(`linear: residual [${out.shape.join(', ')}]`, opts.residual.byteLength);

  const shape = linearShape(gpu, M, N, { variant: opts.variant, split: opts.split, normOut: !!norm?.out });
  const { variant, tilesN, tiles } = shape;
  if (variant !== 'blocked' && variant !== 'tiled' && variant !== 'rows') {
    throw new ShapeError(`linear: unknown variant ${JSON.stringify(variant)}`);
  }
  if (variant === 'rows' && norm?.out) throw new ShapeError('linear: the rows variant cannot write x̂ (norm.out)');
  // On CPU adapters the LayerNorm runs as its own pass: inside blocked's k loop it cost about 25% more CPU than the
  // plain product on SwiftShader (measured side by side), a pass of its own about 1%.
  const normedX =
    variant === 'blocked' && norm
      ? layerNorm(gpu, x, norm.weight, norm.bias, norm.eps, norm.out ? { out: norm.out } : {})
      : undefined;
  const fused = normedX ? undefined : norm;
  const args = {
    bindings: {
      x: normedX ?? x,
      w: weight,
      w_scale: weight.scales,
      bias: opts.bias,
      residual: opts.residual,
      ln_weight: fused?.weight,
      ln_bias: fused?.bias,
      x_normed: fused?.out,
      y: out,
    },
    uniforms: {
      M,
      N,
      K,
      out_stride: outStride,
      out_offset: offset,
      tiles_n: tilesN,
      tiles,
      blocks,
      eps: fused?.eps ?? 0,
      x_stride: K * step,
    },
    groups: tiles,
    label: `linear ${M}x${K}x${N}`,
    flops: 2 * M * N * K,
    weightBytes: weight.byteLength + (weight.scales?.byteLength ?? 0),
  };
  const epilogueParams = {
    input: x.dtype as ActivationDType,
    output: out.dtype as ActivationDType,
    bias: !!opts.bias,
    residual: !!opts.residual,
    activation: opts.activation ?? 'none',
    norm: !!fused,
    normOut: !!fused?.out,
  } as const;
  const wt = weight.dtype as (typeof WEIGHTS)[number];
  const vec4 = K % 4 === 0;
  // blocked and rows read x in XV words (vec4s where K % 4 == 0).
  const wordArgs = { ...args, uniforms: { ...args.uniforms, x_stride: ((vec4 ? K / 4 : K) * step) | 0 } };
  if (variant === 'rows') {
    const rowsParams = { weight: wt, vec4, rows: shape.rowsPerPass, split: shape.split, ...epilogueParams };
    linearKernels.rows.dispatch(gpu, { ...rowsParams, normOut: false }, wordArgs);
  } else if (variant === 'tiled') {
    // The tiled kernel stages scalars; only the blocked one reads vec4s.
    linearKernels.tiled.dispatch(gpu, { weight: wt, tileRows: shape.tileRows, ...epilogueParams }, args);
  } else {
    const subgroups = vec4 && opts.subgroups !== false && hasSubgroupsOfFour(gpu);
    // Quantized weights load both k-steps of a blocked iteration in one read where rows are whole pairs.
    const pairs = quant && vec4 && K % 8 === 0;
    const blockedParams = { weight: wt, vec4, subgroups, pairs, height: shape.height, ...epilogueParams };
    linearKernels.blocked.dispatch(gpu, { ...blockedParams, norm: false, normOut: false }, wordArgs);
  }
  if (normedX && !norm?.out) normedX.release();
  return out;
}

/** linear-blocked's subgroup path needs subgroups of exactly 4 lanes (SwiftShader's SIMD width). */
function hasSubgroupsOfFour(gpu: Gpu): boolean {
  const info = gpu.device.adapterInfo as GPUAdapterInfo | undefined;
  return gpu.caps.subgroups && info?.subgroupMinSize === 4 && info?.subgroupMaxSize === 4;
}
