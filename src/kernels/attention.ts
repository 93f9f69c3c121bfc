// Multi-head scaled dot-product attention fused with an online softmax, in three variants of one computation:
// `subgroup` (shaders/attention-subgroup.wgsl: 4-lane subgroups split the head dimension, for CPU adapters such
// as SwiftShader), `streaming` (shaders/attention-streaming.wgsl: registers only, several query rows per
// invocation, the CPU fallback without 4-lane subgroups or for d % 16 != 0) and `tiled`
// (shaders/attention-tiled.wgsl: k/v tiles in workgroup memory, for GPUs). Also the probabilities of one query
// row (shaders/attention-probs.wgsl + softmax) for the app's heatmap.
// q, k, v may be f32 or f16 (halves packed in u32 words, src/gpu/tensor.ts), all three alike, and the context may
// be written as either: the scores, the softmax and the weighted sums are f32 whatever the storage.
import probsSource from '../../shaders/attention-probs.wgsl?raw';
import subgroupSource from '../../shaders/attention-subgroup.wgsl?raw';
import tiledSource from '../../shaders/attention-tiled.wgsl?raw';
import streamingSource from '../../shaders/attention-streaming.wgsl?raw';
import f16Words from '../../shaders/lib/f16-words.wgsl?raw';
import qkv from '../../shaders/lib/attention-qkv.wgsl?raw';
import { ShapeError } from '../errors';
import type { Gpu } from '../gpu/runtime';
import { expectShape, type GpuTensor } from '../gpu/tensor';
import type { ActivationDType } from './linear';
import { declareKernel, range } from './program';
import { softmax } from './softmax';

export interface AttentionOptions {
  heads: number;
  /** heads * headDim: the columns of q, k and v each head reads, and the output's last dimension. */
  width: number;
  /** First column of q / k / v in their last dimension (CLIP's fused qkv: 0, W, 2W). */
  qOffset?: number;
  kOffset?: number;
  vOffset?: number;
  /** [B, Lk] f32 additive key mask, already (1 - attention_mask) * -10000. */
  mask?: GpuTensor;
}

/** Largest head dimension the fused kernels keep in registers (BridgeTower uses 64). */
export const MAX_HEAD_DIM = 256;

export type AttentionVariant = 'subgroup' | 'streaming' | 'tiled';

/** Row groups of 4 per subgroup in the subgroup variant (8 query rows share each k/v load). */
const SUBGROUP_ROW_GROUPS = 2;

/** The subgroup variant needs subgroups of exactly 4 lanes (SwiftShader's SIMD width) and whole vec4 quarters of d. */
function subgroupVariantFits(gpu: Gpu, vec4: boolean, vectorsPerHead: number): boolean {
  const info = gpu.device.adapterInfo;
  return (
    gpu.caps.subgroups && info?.subgroupMinSize === 4 && info?.subgroupMaxSize === 4 && vec4 && vectorsPerHead % 4 === 0
  );
}

/**
 * Query rows per invocation of the streaming variant: each k/v load then serves that many rows. The unrolled
 * code grows with rows x d, and so does its compile time (about 2 s for 2 x 64 on SwiftShader), hence the cap.
 */
function streamingRows(vectorsPerHead: number): number {
  return Math.max(1, Math.min(8, Math.floor(32 / vectorsPerHead)));
}

/** Keys per tile of the tiled variant: k and v tiles stay within 8 KiB of workgroup memory. */
function tileKeys(headDim: number): number {
  return Math.max(1, Math.min(16, Math.floor(1024 / headDim)));
}

/** The three fused variants' shared interface: strides and offsets in vec4 units when vec4, 1/√d as `scale`. */
const FUSED_UNIFORMS = {
  lq: 'u32',
  lk: 'u32',
  heads: 'u32',
  q_stride: 'u32',
  k_stride: 'u32',
  v_stride: 'u32',
  out_stride: 'u32',
  q_offset: 'u32',
  k_offset: 'u32',
  v_offset: 'u32',
  scale: 'f32',
} as const;
const FUSED_BINDINGS = { q: true, k: true, v: true, mask: (p: { mask: boolean }) => p.mask, out: true } as const;
const DTYPES: readonly ActivationDType[] = ['f32', 'f16'];
/** The storage of q, k, v (input) and of the context (output). */
const STORAGE = { input: DTYPES, output: DTYPES } as const;
const libs = (): string[] => [f16Words, qkv];
/** d / 4 (vec4) or d: the head dimension in the words the shaders read; the `#for c < DV` blocks unroll over it. */
const HEAD_WORDS = range(1, MAX_HEAD_DIM);

export const attentionKernels = {
  subgroup: declareKernel({
    name: 'attention-subgroup',
    params: { vec4: [true], mask: [false, true], dv: HEAD_WORDS.filter((n) => n % 4 === 0), ...STORAGE },
    uniforms: FUSED_UNIFORMS,
    bindings: FUSED_BINDINGS,
    libs,
    source: subgroupSource,
    counts: (p) => ({ DV: p.dv, DV4: p.dv / 4, SG: 4, RG: SUBGROUP_ROW_GROUPS }),
  }),
  streaming: declareKernel({
    name: 'attention-streaming',
    params: { vec4: [false, true], mask: [false, true], dv: HEAD_WORDS, rows: range(1, 8), ...STORAGE },
    uniforms: FUSED_UNIFORMS,
    bindings: FUSED_BINDINGS,
    libs,
    source: streamingSource,
    counts: (p) => ({ DV: p.dv, ROWS: p.rows }),
  }),
  tiled: declareKernel({
    name: 'attention-tiled',
    params: { vec4: [false, true], mask: [false, true], dv: HEAD_WORDS, tileKeys: range(1, 16), ...STORAGE },
    uniforms: FUSED_UNIFORMS,
    bindings: FUSED_BINDINGS,
    libs,
    source: tiledSource,
    counts: (p) => ({ DV: p.dv, T: p.tileKeys }),
  }),
};

export const attentionProbsKernel = declareKernel({
  name: 'attention-probs',
  params: { mask: [false, true], input: DTYPES },
  uniforms: {
    batch: 'u32',
    lq: 'u32',
    lk: 'u32',
    heads: 'u32',
    head_dim: 'u32',
    q_stride: 'u32',
    k_stride: 'u32',
    q_offset: 'u32',
    k_offset: 'u32',
    query: 'u32',
    scale: 'f32',
  },
  bindings: { q: true, k: true, mask: (p) => p.mask, scores: true },
  source: probsSource,
});

/** Validated geometry of an attention call, shared with attentionProbs. */
export interface AttentionGeometry {
  B: number;
  Lq: number;
  Lk: number;
  heads: number;
  headDim: number;
  width: number;
  Wq: number;
  Wk: number;
  Wv: number;
  qOffset: number;
  kOffset: number;
  vOffset: number;
}

export function attentionGeometry(
  kernel: string,
  q: GpuTensor,
  k: GpuTensor,
  v: GpuTensor | null,
  opts: AttentionOptions,
): AttentionGeometry {
  expectShape(`${kernel}: q`, q, [-1, -1, -1], DTYPES);
  const [B, Lq, Wq] = q.shape;
  expectShape(`${kernel}: k`, k, [B, -1, -1], [q.dtype]);
  const [, Lk, Wk] = k.shape;
  if (v) expectShape(`${kernel}: v`, v, [B, Lk, -1], [q.dtype]);
  const Wv = v ? v.shape[2] : 0;
  const { heads, width } = opts;
  if (!Number.isInteger(heads) || heads < 1 || !Number.isInteger(width) || width < 1 || width % heads !== 0) {
    throw new ShapeError(`${kernel}: width ${width} is not a positive multiple of heads ${heads}`);
  }
  const headDim = width / heads;
  if (headDim > MAX_HEAD_DIM) throw new ShapeError(`${kernel}: head dimension ${headDim} exceeds ${MAX_HEAD_DIM}`);
  const offsets: [string, number, number][] = [
    ['q', opts.qOffset ?? 0, Wq],
    ['k', opts.kOffset ?? 0, Wk],
  ];
  if (v) offsets.push(['v', opts.vOffset ?? 0, Wv]);
  for (const [name, off, cols] of offsets) {
    if (!Number.isInteger(off) || off < 0 || off + width > cols) {
      throw new ShapeError(`${kernel}: ${name}Offset ${off} + width ${width} exceeds the ${cols} columns of ${name}`);
    }
  }
  if (opts.mask) expectShape(`${kernel}: mask`, opts.mask, [B, Lk], ['f32']);
  if (Lk === 0) throw new ShapeError(`${kernel}: k has no keys (Lk = 0)`);
  return {
    B,
    Lq,
    Lk,
    heads,
    headDim,
    width,
    Wq,
    Wk,
    Wv,
    qOffset: opts.qOffset ?? 0,
    kOffset: opts.kOffset ?? 0,
    vOffset: opts.vOffset ?? 0,
  };
}

/** softmax(q·kᵀ/√d + mask)·v per head -> [B, Lq, width]. q, k and v share a dtype, f32 or f16. */
export function attention(
  gpu: Gpu,
  q: GpuTensor,
  k: GpuTensor,
  v: GpuTensor,
  opts: AttentionOptions & {
    out?: GpuTensor;
    /**
     * The context's dtype when no `out` is given (with `out`, out's own).
     * @default 'f32'
     */
    dtype?: ActivationDType;
    /** Default: tiled on GPUs; on CPU adapters subgroup where it fits, else streaming. */ variant?: AttentionVariant;
  },
): GpuTensor {
  const g = attentionGeometry('attention', q, k, v, opts);
  if (opts.dtype !== undefined && !DTYPES.includes(opts.dtype)) {
    throw new ShapeError(`attention: dtype must be f32 or f16, got ${JSON.stringify(opts.dtype)}`);
  }
  const out = opts.out ?? gpu.tensor([g.B, g.Lq, g.width], opts.dtype ?? 'f32', 'attention');
  expectShape('attention: out', out, [g.B, g.Lq, g.width], opts.dtype ? [opts.dtype] : DTYPES);
  if (out.dtype === 'f16' && g.headDim % 2 !== 0) {
    throw new ShapeError(`attention: an f16 context needs an even head dimension, got ${g.headDim}`);
  }
  if ([q, k, v, opts.mask].some((t) => t?.buffer === out.buffer)) {
    throw new ShapeError('attention: out must not be an input tensor (WebGPU forbids aliasing a written binding)');
  }
  const vec4 = [g.headDim, g.Wq, g.Wk, g.Wv, g.qOffset, g.kOffset, g.vOffset].every((n) => n % 4 === 0);
  const vw = vec4 ? 4 : 1;
  const dv = g.headDim / vw;
  const subgroupFits = subgroupVariantFits(gpu, vec4, dv);
  const variant = opts.variant ?? (!gpu.caps.cpuAdapter ? 'tiled' : subgroupFits ? 'subgroup' : 'streaming');
  const mask = !!opts.mask;
  const storage = { input: q.dtype as ActivationDType, output: out.dtype as ActivationDType };
  const args = {
    bindings: { q, k, v, mask: opts.mask, out },
    uniforms: {
      lq: g.Lq,
      lk: g.Lk,
      heads: g.heads,
      q_stride: g.Wq / vw,
      k_stride: g.Wk / vw,
      v_stride: g.Wv / vw,
      out_stride: g.width / vw,
      q_offset: g.qOffset / vw,
      k_offset: g.kOffset / vw,
      v_offset: g.vOffset / vw,
      scale: 1 / Math.sqrt(g.headDim),
    },
    label: `attention ${g.B}x${g.heads}x${g.Lq}x${g.Lk}`,
    // q·kᵀ and p·v: two multiply-adds per (query, key, head dimension).
    flops: 4 * g.B * g.heads * g.Lq * g.Lk * g.headDim,
  };
  const grid = (rowsPerGroup: number) => [Math.ceil(g.Lq / rowsPerGroup), g.B * g.heads] as const;
  if (variant === 'subgroup') {
    if (!subgroupFits) {
      throw new ShapeError(
        `attention: the subgroup variant needs 4-lane subgroups and a head dimension divisible by 16 (d = ${g.headDim} on ${gpu.adapterDescription})`,
      );
    }
    attentionKernels.subgroup.dispatch(
      gpu,
      { vec4: true, mask, dv, ...storage },
      { ...args, grid: grid(64 * SUBGROUP_ROW_GROUPS) },
    );
  } else if (variant === 'streaming') {
    const rows = streamingRows(dv);
    attentionKernels.streaming.dispatch(gpu, { vec4, mask, dv, rows, ...storage }, { ...args, grid: grid(64 * rows) });
  } else if (variant === 'tiled') {
    const params = { vec4, mask, dv, tileKeys: tileKeys(g.headDim), ...storage };
    attentionKernels.tiled.dispatch(gpu, params, { ...args, grid: grid(64) });
  } else {
    throw new ShapeError(`attention: unknown variant ${JSON.stringify(variant)}`);
  }
  return out;
}

/** softmax(q_i·kᵀ/√d + mask) of query row `queryIndex`, per batch and head -> [B, heads, Lk]. */
export function attentionProbs(
  gpu: Gpu,
  q: GpuTensor,
  k: GpuTensor,
  opts: AttentionOptions & { queryIndex: number; out?: GpuTensor },
): GpuTensor {
  const g = attentionGeometry('attentionProbs', q, k, null, opts);
  const i = opts.queryIndex;
  if (!Number.isInteger(i) || i < 0 || i >= g.Lq) {
    throw new ShapeError(`attentionProbs: queryIndex ${i} is outside [0, ${g.Lq}) of q [${q.shape.join(', ')}]`);
  }
  const scores = gpu.tensor([g.B, g.heads, g.Lk], 'f32', 'attentionProbs scores');
  attentionProbsKernel.dispatch(
    gpu,
    { mask: !!opts.mask, input: q.dtype as ActivationDType },
    {
      bindings: { q, k, mask: opts.mask, scores },
      uniforms: {
        batch: g.B,
        lq: g.Lq,
        lk: g.Lk,
        heads: g.heads,
        head_dim: g.headDim,
        q_stride: g.Wq,
        k_stride: g.Wk,
        q_offset: g.qOffset,
        k_offset: g.kOffset,
        query: i,
        scale: 1 / Math.sqrt(g.headDim),
      },
      groups: Math.ceil((g.B * g.heads * g.Lk) / 64),
      label: `attentionProbs ${g.B}x${g.heads}x${g.Lk}`,
    },
  );
  const out = softmax(gpu, scores, { out: opts.out });
  scores.release();
  return out;
}
