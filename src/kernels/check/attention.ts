// The checks of attention and attentionProbs: the float64 references, cases on awkward shapes and the
// benchmarks: fused attention (every variant that runs on the adapter) and the heatmap's attention
// probabilities, 12 heads of 64.
import { softmaxRef } from './softmax';
import { ShapeError } from '../../errors';
import { attention, type AttentionGeometry, type AttentionVariant, attentionProbs } from '../attention';
import type { Gpu } from '../../gpu/runtime';
import { compare, poison, randomF32, rng, type CaseResult, type KernelCase, type KernelCheck } from './harness';
import { randomTensor, releaseAll, type KernelBenchmark } from './benchmark';

// The float64 reference: inputs are the float32 (or f16-rounded) values the GPU reads.
/** Layout of an attention problem: q [B, Lq, Wq], k [B, Lk, Wk], v [B, Lk, Wv], heads of d = width/heads. */
export type AttentionDims = Omit<AttentionGeometry, 'headDim'>;

/** softmax(q·kᵀ/√d + mask) for head h, query i of batch b: Lk probabilities. mask is [B, Lk] additive. */
function probsRow(
  q: ArrayLike<number>,
  k: ArrayLike<number>,
  mask: ArrayLike<number> | undefined,
  s: AttentionDims,
  b: number,
  h: number,
  i: number,
): Float64Array {
  const d = s.width / s.heads;
  const scale = 1 / Math.sqrt(d);
  const scores = new Float64Array(s.Lk);
  const qo = (b * s.Lq + i) * s.Wq + s.qOffset + h * d;
  for (let j = 0; j < s.Lk; j++) {
    const ko = (b * s.Lk + j) * s.Wk + s.kOffset + h * d;
    let t = 0;
    for (let e = 0; e < d; e++) t += q[qo + e] * k[ko + e];
    scores[j] = t * scale + (mask ? mask[b * s.Lk + j] : 0);
  }
  return softmaxRef(scores, 1, s.Lk);
}

/**
 * Multi-head scaled dot-product attention -> [B, Lq, width]. `rows` limits the query rows computed
 * (the others stay 0) so the largest shapes can be checked on a sample.
 */
export function attentionRef(
  q: ArrayLike<number>,
  k: ArrayLike<number>,
  v: ArrayLike<number>,
  mask: ArrayLike<number> | undefined,
  s: AttentionDims,
  rows?: number[],
): Float64Array {
  const d = s.width / s.heads;
  const y = new Float64Array(s.B * s.Lq * s.width);
  const queryRows = rows ?? Array.from({ length: s.Lq }, (_, i) => i);
  for (let b = 0; b < s.B; b++) {
    for (const i of queryRows) {
      for (let h = 0; h < s.heads; h++) {
        const p = probsRow(q, k, mask, s, b, h, i);
        const yo = (b * s.Lq + i) * s.width + h * d;
        for (let j = 0; j < s.Lk; j++) {
          const vo = (b * s.Lk + j) * s.Wv + s.vOffset + h * d;
          for (let e = 0; e < d; e++) y[yo + e] += p[j] * v[vo + e];
        }
      }
    }
  }
  return y;
}

/** The softmax row of query `queryIndex` per batch and head -> [B, heads, Lk]. */
export function attentionProbsRef(
  q: ArrayLike<number>,
  k: ArrayLike<number>,
  mask: ArrayLike<number> | undefined,
  s: AttentionDims,
  queryIndex: number,
): Float64Array {
  const y = new Float64Array(s.B * s.heads * s.Lk);
  for (let b = 0; b < s.B; b++) {
    for (let h = 0; h < s.heads; h++) y.set(probsRow(q, k, mask, s, b, h, queryIndex), (b * s.heads + h) * s.Lk);
  }
  return y;
}

interface AttentionShape {
  what: string;
  B: number;
  Lq: number;
  Lk: number;
  heads: number;
  d: number;
  /** q, k, v all views of one [B, L, 3W] tensor at offsets 0, W, 2W (CLIP's in_proj output; needs Lq = Lk). */
  fusedQkv?: boolean;
  /** Extra columns around q, k, v: an unaligned layout (forces the scalar path when odd). */
  pad?: number;
  /** Valid key count per batch row; keys past it get -10000. `zeros`: a mask of all 0 (nothing padded). */
  mask?: number[] | 'zeros';
  /** Inputs uniform in [-scale, scale]; a large scale makes the softmax peaky (stresses the running max). */
  scale?: number;
  /** Check every `sample`-th query row only (the largest shape; the float64 reference is slow). */
  sample?: number;
  /**
   * Run once, with the variant the adapter gets by default: the BridgeTower-base shapes, and d = 128, whose
   * unrolled code takes seconds per variant to compile on SwiftShader.
   */
  defaultVariantOnly?: boolean;
}

const ATTENTION_SHAPES: AttentionShape[] = [
  { what: 'text self, tiny, padded row', B: 2, Lq: 7, Lk: 7, heads: 4, d: 8, mask: [7, 4] },
  { what: 'CLIP fused qkv, tiny', B: 2, Lq: 17, Lk: 17, heads: 4, d: 8, fusedQkv: true },
  { what: 'cross text->image', B: 2, Lq: 7, Lk: 17, heads: 4, d: 8 },
  { what: 'cross image->text, padded', B: 2, Lq: 17, Lk: 7, heads: 4, d: 8, mask: [6, 3] },
  { what: 'small fixture text, d 16', B: 3, Lq: 12, Lk: 12, heads: 4, d: 16, mask: [12, 9, 5], scale: 2 },
  { what: 'one query, one key', B: 1, Lq: 1, Lk: 1, heads: 1, d: 8 },
  { what: 'primes, d 64, peaky, padded', B: 2, Lq: 67, Lk: 131, heads: 3, d: 64, mask: [131, 100], scale: 3 },
  { what: 'mask of zeros', B: 2, Lq: 5, Lk: 9, heads: 2, d: 16, mask: 'zeros' },
  { what: 'unaligned columns (scalar path), d 6', B: 2, Lq: 11, Lk: 13, heads: 2, d: 6, pad: 3, mask: [13, 2] },
  { what: 'd 128', B: 1, Lq: 5, Lk: 40, heads: 2, d: 128, scale: 2, defaultVariantOnly: true },
  { what: 'base cross text->image', B: 1, Lq: 40, Lk: 325, heads: 12, d: 64, defaultVariantOnly: true },
  {
    what: 'base cross image->text, padded',
    B: 2,
    Lq: 325,
    Lk: 40,
    heads: 12,
    d: 64,
    mask: [40, 17],
    sample: 5,
    defaultVariantOnly: true,
  },
  {
    what: 'base CLIP-B/16 at 576px: N 1297, fused qkv',
    B: 1,
    Lq: 1297,
    Lk: 1297,
    heads: 12,
    d: 64,
    fusedQkv: true,
    sample: 16,
    defaultVariantOnly: true,
  },
];

/** Inputs of one shape, uploaded; the float32 values are kept for the reference. */
function attentionInputs(gpu: Gpu, s: AttentionShape, seed: number) {
  const rand = rng(seed);
  const W = s.heads * s.d;
  const pad = s.pad ?? 0;
  const scale = s.scale ?? 1;
  const dims: AttentionDims = {
    B: s.B,
    Lq: s.Lq,
    Lk: s.Lk,
    heads: s.heads,
    width: W,
    Wq: W + 2 * pad,
    Wk: W + pad,
    Wv: W + 3 * pad,
    qOffset: pad,
    kOffset: 0,
    vOffset: 2 * pad,
  };
  let q: Float32Array, k: Float32Array, v: Float32Array;
  const tensors = [];
  if (s.fusedQkv) {
    const qkv = randomF32(s.B * s.Lq * 3 * W, rand, -scale, scale);
    q = k = v = qkv;
    Object.assign(dims, { Wq: 3 * W, Wk: 3 * W, Wv: 3 * W, qOffset: 0, kOffset: W, vOffset: 2 * W });
    const t = gpu.upload(qkv, [s.B, s.Lq, 3 * W], 'f32', 'qkv');
    tensors.push(t, t, t);
  } else {
    q = randomF32(s.B * s.Lq * dims.Wq, rand, -scale, scale);
    k = randomF32(s.B * s.Lk * dims.Wk, rand, -scale, scale);
    v = randomF32(s.B * s.Lk * dims.Wv, rand, -1, 1);
    tensors.push(
      gpu.upload(q, [s.B, s.Lq, dims.Wq], 'f32', 'q'),
      gpu.upload(k, [s.B, s.Lk, dims.Wk], 'f32', 'k'),
      gpu.upload(v, [s.B, s.Lk, dims.Wv], 'f32', 'v'),
    );
  }
  let mask: Float32Array | undefined;
  if (s.mask) {
    const valid = s.mask;
    mask = Float32Array.from({ length: s.B * s.Lk }, (_, i) =>
      valid === 'zeros' || i % s.Lk < valid[Math.floor(i / s.Lk)] ? 0 : -10000,
    );
  }
  const maskTensor = mask ? gpu.upload(mask, [s.B, s.Lk], 'f32', 'mask') : undefined;
  const [tq, tk, tv] = tensors;
  const release = () => {
    for (const t of new Set([tq, tk, tv, maskTensor])) t?.release();
  };
  return { dims, q, k, v, mask, tq, tk, tv, maskTensor, release };
}

// Outputs are convex combinations of v (|v| <= 1). A float32 score s = q·k/√d is off by ~1e-7·Σ|q_e k_e|
// (at most ~2e-6 for the peaky scale-3, d-64 case), which perturbs each weight by that relative amount;
// exp, the running-max rescaling and the final divide add a few ulp. Measured max error: 1.0e-6 on
// SwiftShader (every variant), 9.8e-7 on an H200; the bound leaves about 5x.
const ATOL = 5e-6;
const RTOL = 2e-5;

async function runCase(gpu: Gpu, s: AttentionShape, seed: number, variant?: AttentionVariant): Promise<CaseResult> {
  const x = attentionInputs(gpu, s, seed);
  const { dims } = x;
  const out = gpu.tensor([s.B, s.Lq, dims.width], 'f32', 'out');
  poison(gpu, out);
  const info = gpu.device.adapterInfo;
  if (variant === 'subgroup' && !(gpu.caps.subgroups && info?.subgroupMinSize === 4 && info?.subgroupMaxSize === 4)) {
    // Not this adapter's variant: it must refuse with a ShapeError, not compute garbage.
    let error: unknown;
    try {
      attention(gpu, x.tq, x.tk, x.tv, {
        heads: s.heads,
        width: dims.width,
        qOffset: dims.qOffset,
        kOffset: dims.kOffset,
        vOffset: dims.vOffset,
        out,
        variant,
      });
    } catch (e) {
      error = e;
    }
    x.release();
    out.release();
    const refused = error instanceof ShapeError && /4-lane subgroups/.test(error.message);
    return {
      pass: refused,
      maxAbsErr: 0,
      tolerance: 'a ShapeError',
      detail: refused ? 'refused: no 4-lane subgroups on this adapter' : `expected a ShapeError, got ${String(error)}`,
    };
  }
  attention(gpu, x.tq, x.tk, x.tv, {
    heads: s.heads,
    width: dims.width,
    qOffset: dims.qOffset,
    kOffset: dims.kOffset,
    vOffset: dims.vOffset,
    mask: x.maskTensor,
    out,
    variant,
  });
  const [y] = await gpu.read(out);
  x.release();
  out.release();
  const step = s.sample ?? 1;
  const rows = Array.from({ length: Math.ceil(s.Lq / step) }, (_, n) => Math.min(n * step + (seed % step), s.Lq - 1));
  const expected = attentionRef(x.q, x.k, x.v, x.mask, dims, rows);
  const actual = new Float32Array(expected.length);
  const expectedRows = new Float64Array(expected.length);
  let n = 0;
  for (let b = 0; b < s.B; b++) {
    for (const i of rows) {
      const o = (b * s.Lq + i) * dims.width;
      actual.set(y.subarray(o, o + dims.width), n);
      expectedRows.set(expected.subarray(o, o + dims.width), n);
      n += dims.width;
    }
  }
  const r = compare(actual.subarray(0, n), expectedRows.subarray(0, n), ATOL, RTOL);
  // Rows outside the sample must still have been written (they were NaN before).
  const unwritten = (y as Float32Array).findIndex((e) => !Number.isFinite(e));
  if (unwritten >= 0) return { ...r, pass: false, detail: `output ${unwritten} not written (NaN); ${r.detail}` };
  if (step > 1) r.detail += ` (query rows ${rows.length} of ${s.Lq} checked, all finite)`;
  return r;
}

function variantsFor(s: AttentionShape): (AttentionVariant | undefined)[] {
  if (s.defaultVariantOnly) return [undefined];
  // The subgroup variant reads whole vec4 quarters of a head: d % 16 == 0 and 4-aligned columns.
  return s.d % 16 === 0 && !s.pad ? ['subgroup', 'streaming', 'tiled'] : ['streaming', 'tiled'];
}

// Every variant that fits on every small shape (whatever the adapter), the default one where marked.
// The subgroup variant needs 4-lane subgroups: on other adapters its cases expect the ShapeError saying so.
const attentionCases: KernelCase[] = ATTENTION_SHAPES.flatMap((s, n) =>
  variantsFor(s).map((variant) => ({
    kernel: 'attention',
    name: `${variant ?? 'default variant'}: B ${s.B}, Lq ${s.Lq}, Lk ${s.Lk}, ${s.heads}x${s.d}: ${s.what}`,
    run: (gpu: Gpu) => runCase(gpu, s, 700 + n, variant),
  })),
);

// [shape from ATTENTION_SHAPES by description, query row]
const PICKS: [string, number][] = [
  ['text self, tiny, padded row', 6],
  ['cross image->text, padded', 0],
  ['CLIP fused qkv, tiny', 16],
  ['unaligned columns (scalar path), d 6', 4],
  ['base cross text->image', 39],
];

const attentionProbsCases: KernelCase[] = PICKS.map(([what, queryIndex], n) => {
  const s = ATTENTION_SHAPES.find((a) => a.what === what)!;
  return {
    kernel: 'attentionProbs',
    name: `B ${s.B}, Lq ${s.Lq}, Lk ${s.Lk}, ${s.heads}x${s.d}, query ${queryIndex}: ${s.what}`,
    async run(gpu) {
      const x = attentionInputs(gpu, s, 1000 + n);
      const { dims } = x;
      const out = gpu.tensor([s.B, s.heads, s.Lk], 'f32', 'out');
      poison(gpu, out);
      attentionProbs(gpu, x.tq, x.tk, {
        heads: s.heads,
        width: dims.width,
        qOffset: dims.qOffset,
        kOffset: dims.kOffset,
        mask: x.maskTensor,
        queryIndex,
        out,
      });
      const [y] = await gpu.read(out);
      x.release();
      out.release();
      // Probabilities: the score's float32 dot product (<= 64 terms) and exp/sum as in softmax (see there).
      return compare(y, attentionProbsRef(x.q, x.k, x.mask, dims, queryIndex), 2e-6, 1e-5);
    },
  };
});

const HEADS = 12,
  D = 64,
  W = HEADS * D;

/** The subgroup variant needs 4-lane subgroups (SwiftShader); tiled and streaming run anywhere. */
function variants(gpu: Gpu): AttentionVariant[] {
  const info = gpu.device.adapterInfo;
  const four = gpu.caps.subgroups && info?.subgroupMinSize === 4 && info?.subgroupMaxSize === 4;
  return [...(four ? ['subgroup' as const] : []), 'streaming', 'tiled'];
}

/** Lq x Lk: text->image cross-attention at 288px, CLIP self-attention at 288px and at 576px. */
const attentionBenchmarks: KernelBenchmark[] = [
  [40, 325],
  [325, 325],
  [1297, 1297],
].map(([Lq, Lk]) => ({
  kernel: 'attention',
  shape: `Lq ${Lq} x Lk ${Lk}, ${HEADS} x ${D}, masked`,
  // q·kᵀ and p·v: 2 multiply-adds per (head, query, key, channel) each.
  work: { flops: 4 * HEADS * Lq * Lk * D },
  setup(gpu, rand) {
    const q = randomTensor(gpu, [1, Lq, W], rand, 'q');
    const k = randomTensor(gpu, [1, Lk, W], rand, 'k');
    const v = randomTensor(gpu, [1, Lk, W], rand, 'v');
    const mask = gpu.upload(new Float32Array(Lk), [1, Lk], 'f32', 'mask');
    return {
      variants: variants(gpu).map((variant) => ({
        name: variant,
        run: () => attention(gpu, q, k, v, { heads: HEADS, width: W, mask, variant }).release(),
      })),
      release: () => releaseAll([q, k, v, mask]),
    };
  },
}));

/** One text token's attention over the 325 image tokens of a 288px image (the app's heatmap). */
const attentionProbsBenchmarks: KernelBenchmark[] = [
  {
    kernel: 'attentionProbs',
    shape: `query 0 of 40 over Lk 325, ${HEADS} x ${D}`,
    // One q row and all of k read; the scores written, then read and written again by softmax.
    work: { bytes: 4 * (W + 325 * W + 3 * HEADS * 325) },
    setup(gpu, rand) {
      const q = randomTensor(gpu, [1, 40, W], rand, 'q');
      const k = randomTensor(gpu, [1, 325, W], rand, 'k');
      return {
        variants: [
          {
            name: 'default',
            run: () => attentionProbs(gpu, q, k, { heads: HEADS, width: W, queryIndex: 0 }).release(),
          },
        ],
        release: () => releaseAll([q, k]),
      };
    },
  },
];

export const attentionCheck: KernelCheck = {
  kernel: 'attention',
  cases: attentionCases,
  benchmarks: attentionBenchmarks,
};
export const attentionProbsCheck: KernelCheck = {
  kernel: 'attentionProbs',
  cases: attentionProbsCases,
  benchmarks: attentionProbsBenchmarks,
};
