// Multi-head scaled dot-product attention, fused with an online softmax (shaders/attention.wgsl), and the
// probabilities of one query row (shaders/attention-probs.wgsl + softmax) for the app's heatmap.
import probsSource from '../../shaders/attention-probs.wgsl?raw';
import source from '../../shaders/attention.wgsl?raw';
import { ShapeError } from '../errors';
import type { Gpu } from '../gpu/runtime';
import { expectShape, type GpuTensor } from '../gpu/tensor';
import { foldGrid } from './grid';
import { softmax } from './softmax';
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

/** Largest head dimension the fused kernel keeps in registers (BridgeTower uses 64). */
export const MAX_HEAD_DIM = 256;

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
  gpu: Gpu, q: GpuTensor, k: GpuTensor, v: GpuTensor, opts: AttentionOptions & { out?: GpuTensor },
): GpuTensor {
  const g = attentionGeometry('attention', q, k, v, opts);
  const out = opts.out ?? gpu.tensor([g.B, g.Lq, g.width], 'f32', 'attention');
  expectShape('attention: out', out, [g.B, g.Lq, g.width], ['f32']);
  if ([q, k, v, opts.mask].some((t) => t?.buffer === out.buffer)) {
    throw new ShapeError('attention: out must not be an input tensor (WebGPU forbids aliasing a written binding)');
  }
  const vec4 = [g.headDim, g.Wq, g.Wk, g.Wv, g.qOffset, g.kOffset, g.vOffset].every((n) => n % 4 === 0);
  const vw = vec4 ? 4 : 1;
  const flags = { VEC4: vec4, MASK: !!opts.mask };
  const key = `attention:d${g.headDim}:${vec4 ? 'vec4' : 'scalar'}:${opts.mask ? 'mask' : ''}`;
  const pipeline = gpu.pipeline(key, () => composeWgsl('attention', source, { libs: [`const HEAD_DIM: u32 = ${g.headDim}u;`], flags }));
  const u = new ArrayBuffer(44);
  new Uint32Array(u, 0, 10).set([g.Lq, g.Lk, g.heads, g.Wq / vw, g.Wk / vw, g.Wv / vw, g.width / vw, g.qOffset / vw, g.kOffset / vw, g.vOffset / vw]);
  new Float32Array(u, 40, 1)[0] = 1 / Math.sqrt(g.headDim);
  gpu.dispatch({
    pipeline,
    bindings: opts.mask ? [q, k, v, opts.mask, out] : [q, k, v, out],
    uniforms: u,
    workgroups: [Math.ceil(g.Lq / 64), g.B * g.heads],
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
