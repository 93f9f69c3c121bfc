// Multi-head scaled dot-product attention fused with an online softmax, in three variants of one computation:
// `subgroup` (shaders/attention-subgroup.wgsl: 4-lane subgroups split the head dimension, for CPU adapters such
// as SwiftShader), `streaming` (shaders/attention.wgsl: registers only, several query rows per invocation, the
// CPU fallback without 4-lane subgroups or for d % 16 != 0) and `tiled` (shaders/attention-tiled.wgsl: k/v
// tiles in workgroup memory, for GPUs). Also the probabilities of one query row (shaders/attention-probs.wgsl
// + softmax) for the app's heatmap.
import probsSource from '../../shaders/attention-probs.wgsl?raw';
import subgroupSource from '../../shaders/attention-subgroup.wgsl?raw';
import tiledSource from '../../shaders/attention-tiled.wgsl?raw';
import streamingSource from '../../shaders/attention.wgsl?raw';
import { ShapeError } from '../errors';
import type { Gpu } from '../gpu/runtime';
import { expectShape, type GpuTensor } from '../gpu/tensor';
import { foldGrid } from './grid';
import { softmax } from './softmax';
import { unrollWgsl } from './unroll';
import { composeWgsl } from './wgsl';

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
  return gpu.caps.subgroups && info?.subgroupMinSize === 4 && info?.subgroupMaxSize === 4 && vec4 && vectorsPerHead % 4 === 0;
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

/** Validated geometry of an attention call, shared with attentionProbs. */
export interface AttentionGeometry {
  B: number; Lq: number; Lk: number; heads: number; headDim: number; width: number;
  Wq: number; Wk: number; Wv: number; qOffset: number; kOffset: number; vOffset: number;
}

export function attentionGeometry(kernel: string, q: GpuTensor, k: GpuTensor, v: GpuTensor | null, opts: AttentionOptions): AttentionGeometry {
  expectShape(`${kernel}: q`, q, [-1, -1, -1], ['f32']);
  const [B, Lq, Wq] = q.shape;
  expectShape(`${kernel}: k`, k, [B, -1, -1], ['f32']);
  const [, Lk, Wk] = k.shape;
  if (v) expectShape(`${kernel}: v`, v, [B, Lk, -1], ['f32']);
  const Wv = v ? v.shape[2] : 0;
  const { heads, width } = opts;
  if (!Number.isInteger(heads) || heads < 1 || !Number.isInteger(width) || width < 1 || width % heads !== 0) {
    throw new ShapeError(`${kernel}: width ${width} is not a positive multiple of heads ${heads}`);
  }
  const headDim = width / heads;
  if (headDim > MAX_HEAD_DIM) throw new ShapeError(`${kernel}: head dimension ${headDim} exceeds ${MAX_HEAD_DIM}`);
  const offsets: [string, number, number][] = [['q', opts.qOffset ?? 0, Wq], ['k', opts.kOffset ?? 0, Wk]];
  if (v) offsets.push(['v', opts.vOffset ?? 0, Wv]);
  for (const [name, off, cols] of offsets) {
    if (!Number.isInteger(off) || off < 0 || off + width > cols) {
      throw new ShapeError(`${kernel}: ${name}Offset ${off} + width ${width} exceeds the ${cols} columns of ${name}`);
    }
  }
  if (opts.mask) expectShape(`${kernel}: mask`, opts.mask, [B, Lk], ['f32']);
  if (Lk === 0) throw new ShapeError(`${kernel}: k has no keys (Lk = 0)`);
  return { B, Lq, Lk, heads, headDim, width, Wq, Wk, Wv, qOffset: opts.qOffset ?? 0, kOffset: opts.kOffset ?? 0, vOffset: opts.vOffset ?? 0 };
}

/** softmax(q·kᵀ/√d + mask)·v per head -> [B, Lq, width]. */
export function attention(
  gpu: Gpu, q: GpuTensor, k: GpuTensor, v: GpuTensor,
  opts: AttentionOptions & { out?: GpuTensor; /** Default: tiled on GPUs; on CPU adapters subgroup where it fits, else streaming. */ variant?: AttentionVariant },
): GpuTensor {
  const g = attentionGeometry('attention', q, k, v, opts);
  const out = opts.out ?? gpu.tensor([g.B, g.Lq, g.width], 'f32', 'attention');
  expectShape('attention: out', out, [g.B, g.Lq, g.width], ['f32']);
  if ([q, k, v, opts.mask].some((t) => t?.buffer === out.buffer)) {
    throw new ShapeError('attention: out must not be an input tensor (WebGPU forbids aliasing a written binding)');
  }
  const vec4 = [g.headDim, g.Wq, g.Wk, g.Wv, g.qOffset, g.kOffset, g.vOffset].every((n) => n % 4 === 0);
  const vw = vec4 ? 4 : 1;
  const dv = g.headDim / vw;
  const subgroupFits = subgroupVariantFits(gpu, vec4, dv);
  const variant = opts.variant ?? (!gpu.caps.cpuAdapter ? 'tiled' : subgroupFits ? 'subgroup' : 'streaming');
  let name: string, source: string, counts: Record<string, number>, rowsPerGroup: number;
  if (variant === 'subgroup') {
    if (!subgroupFits) {
      throw new ShapeError(`attention: the subgroup variant needs 4-lane subgroups and a head dimension divisible by 16 (d = ${g.headDim} on ${gpu.adapterDescription})`);
    }
    [name, source, counts] = ['attention-subgroup', subgroupSource, { DV: dv, DV4: dv / 4, SG: 4, RG: SUBGROUP_ROW_GROUPS }];
    rowsPerGroup = 64 * SUBGROUP_ROW_GROUPS;
  } else if (variant === 'streaming') {
    [name, source, counts] = ['attention', streamingSource, { DV: dv, ROWS: streamingRows(dv) }];
    rowsPerGroup = 64 * streamingRows(dv);
  } else if (variant === 'tiled') {
    [name, source, counts] = ['attention-tiled', tiledSource, { DV: dv, T: tileKeys(g.headDim) }];
    rowsPerGroup = 64;
  } else {
    throw new ShapeError(`attention: unknown variant ${JSON.stringify(variant)}`);
  }
  const flags: Record<string, boolean> = variant === 'subgroup' ? { MASK: !!opts.mask } : { VEC4: vec4, MASK: !!opts.mask };
  const key = `${name}:${JSON.stringify(counts)}:${vec4 ? 'vec4' : 'scalar'}:${opts.mask ? 'mask' : ''}`;
  const pipeline = gpu.pipeline(key, () => composeWgsl(name, unrollWgsl(name, source, counts), { flags }));
  const u = new ArrayBuffer(44);
  new Uint32Array(u, 0, 10).set([g.Lq, g.Lk, g.heads, g.Wq / vw, g.Wk / vw, g.Wv / vw, g.width / vw, g.qOffset / vw, g.kOffset / vw, g.vOffset / vw]);
  new Float32Array(u, 40, 1)[0] = 1 / Math.sqrt(g.headDim);
  gpu.dispatch({
    pipeline,
    bindings: opts.mask ? [q, k, v, opts.mask, out] : [q, k, v, out],
    uniforms: u,
    workgroups: [Math.ceil(g.Lq / rowsPerGroup), g.B * g.heads],
    label: `attention ${g.B}x${g.heads}x${g.Lq}x${g.Lk}`,
  });
  return out;
}

/** softmax(q_i·kᵀ/√d + mask) of query row `queryIndex`, per batch and head -> [B, heads, Lk]. */
export function attentionProbs(
  gpu: Gpu, q: GpuTensor, k: GpuTensor, opts: AttentionOptions & { queryIndex: number; out?: GpuTensor },
): GpuTensor {
  const g = attentionGeometry('attentionProbs', q, k, null, opts);
  const i = opts.queryIndex;
  if (!Number.isInteger(i) || i < 0 || i >= g.Lq) {
    throw new ShapeError(`attentionProbs: queryIndex ${i} is outside [0, ${g.Lq}) of q [${q.shape.join(', ')}]`);
  }
  const scores = gpu.tensor([g.B, g.heads, g.Lk], 'f32', 'attentionProbs scores');
  const pipeline = gpu.pipeline(`attentionProbs:${opts.mask ? 'mask' : ''}`,
    () => composeWgsl('attention-probs', probsSource, { flags: { MASK: !!opts.mask } }));
  const u = new ArrayBuffer(44);
  new Uint32Array(u, 0, 10).set([g.B, g.Lq, g.Lk, g.heads, g.headDim, g.Wq, g.Wk, g.qOffset, g.kOffset, i]);
  new Float32Array(u, 40, 1)[0] = 1 / Math.sqrt(g.headDim);
  gpu.dispatch({
    pipeline,
    bindings: opts.mask ? [q, k, opts.mask, scores] : [q, k, scores],
    uniforms: u,
    workgroups: foldGrid(gpu, Math.ceil((g.B * g.heads * g.Lk) / 64), 'attentionProbs'),
    label: `attentionProbs ${g.B}x${g.heads}x${g.Lk}`,
  });
  const out = softmax(gpu, scores, { out: opts.out });
  scores.release();
  return out;
}
