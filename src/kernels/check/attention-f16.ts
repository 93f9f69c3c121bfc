// attention with f16 activations (the f16 compute path): q, k, v read as packed halves and the context written as
// packed halves (or f32), against the float64 reference of attention.ts on the f16-rounded inputs the GPU reads;
// attentionProbs on f16 q and k. Shapes: vec4 and scalar layouts (odd column offsets), odd Lq / Lk, one query,
// a fused qkv, d 64 with a peaky softmax; every variant, forced (subgroup only where d % 16 == 0 and it runs).
// Benchmarks: the BridgeTower-base shapes with f16 q, k, v and context.
//
// Tolerance: attention.ts's f32 bound (5e-6 + 2e-5·|b|; the scores, softmax and sums are f32 whatever the
// storage), plus the rounding of the stored context to f16, within 2^-11 (4.9e-4) relative: with an f16 context
// |a-b| <= 5e-6 + 5e-4·|b|. A wrong half, pair or head is off by ~1e-1.
import { ShapeError } from '../../errors';
import type { Gpu } from '../../gpu/runtime';
import { attention, attentionProbs, type AttentionVariant } from '../attention';
import type { ActivationDType } from '../linear';
import { f16BitsToF32 } from '../../common/f16';
import { toF16 } from './math';
import { compare, poison, randomF32, rng, type CaseResult, type KernelCase, type KernelCheck } from './harness';
import { releaseAll, type KernelBenchmark } from './benchmark';
import { attentionProbsRef, attentionRef, type AttentionDims } from './attention';

interface F16Shape {
  what: string;
  B: number;
  Lq: number;
  Lk: number;
  heads: number;
  d: number;
  out: ActivationDType;
  /** Extra columns around q, k, v (odd: the scalar path at odd half offsets). */
  pad?: number;
  /** One [B, L, 3W] tensor at offsets 0, W, 2W (Lq = Lk). */
  fusedQkv?: boolean;
  /** Valid keys per batch row. */
  mask?: number[];
  scale?: number;
}

const SHAPES: F16Shape[] = [
  { what: 'text self, padded row, d 8', B: 2, Lq: 7, Lk: 7, heads: 4, d: 8, out: 'f16', mask: [7, 4] },
  { what: 'CLIP fused qkv, d 16', B: 1, Lq: 17, Lk: 17, heads: 2, d: 16, out: 'f16', fusedQkv: true },
  { what: 'one query, one key, d 16', B: 1, Lq: 1, Lk: 1, heads: 1, d: 16, out: 'f16' },
  { what: 'primes, d 64, peaky, padded', B: 2, Lq: 67, Lk: 131, heads: 3, d: 64, out: 'f16', mask: [131, 9], scale: 3 },
  { what: 'odd offsets (scalar path), d 6', B: 2, Lq: 11, Lk: 13, heads: 2, d: 6, out: 'f16', pad: 3, mask: [13, 2] },
  { what: 'odd d 5, f32 context', B: 2, Lq: 9, Lk: 5, heads: 3, d: 5, out: 'f32', pad: 1 },
  { what: 'd 16, f32 context', B: 2, Lq: 5, Lk: 9, heads: 2, d: 16, out: 'f32', mask: [9, 3] },
];

function dimsOf(s: F16Shape): AttentionDims {
  const W = s.heads * s.d;
  const pad = s.pad ?? 0;
  if (s.fusedQkv) {
    return {
      B: s.B,
      Lq: s.Lq,
      Lk: s.Lk,
      heads: s.heads,
      width: W,
      Wq: 3 * W,
      Wk: 3 * W,
      Wv: 3 * W,
      qOffset: 0,
      kOffset: W,
      vOffset: 2 * W,
    };
  }
  const [Wq, Wk, Wv] = [W + 2 * pad, W + pad, W + 3 * pad];
  return {
    B: s.B,
    Lq: s.Lq,
    Lk: s.Lk,
    heads: s.heads,
    width: W,
    Wq,
    Wk,
    Wv,
    qOffset: pad,
    kOffset: 0,
    vOffset: 2 * pad,
  };
}

/** q, k, v rounded to f16 and uploaded as halves (one tensor three times when fused), and the mask. */
function inputs(gpu: Gpu, s: F16Shape, seed: number) {
  const rand = rng(seed);
  const dims = dimsOf(s);
  const scale = s.scale ?? 1;
  const half = (n: number, lo: number, hi: number) => toF16(randomF32(n, rand, lo, hi));
  const qh = half(s.B * s.Lq * dims.Wq, -scale, scale);
  const kh = s.fusedQkv ? qh : half(s.B * s.Lk * dims.Wk, -scale, scale);
  const vh = s.fusedQkv ? qh : half(s.B * s.Lk * dims.Wv, -1, 1);
  const tq = gpu.upload(qh.bits, [s.B, s.Lq, dims.Wq], 'f16', 'q');
  const tk = s.fusedQkv ? tq : gpu.upload(kh.bits, [s.B, s.Lk, dims.Wk], 'f16', 'k');
  const tv = s.fusedQkv ? tq : gpu.upload(vh.bits, [s.B, s.Lk, dims.Wv], 'f16', 'v');
  const valid = s.mask;
  const mask =
    valid && Float32Array.from({ length: s.B * s.Lk }, (_, i) => (i % s.Lk < valid[Math.floor(i / s.Lk)] ? 0 : -10000));
  const tm = mask && gpu.upload(mask, [s.B, s.Lk], 'f32', 'mask');
  const release = () => releaseAll([...new Set([tq, tk, tv]), tm]);
  return { dims, q: qh.values, k: kh.values, v: vh.values, mask, tq, tk, tv, tm, release };
}

function widen(data: ArrayLike<number>, n: number): Float32Array {
  return Float32Array.from({ length: n }, (_, i) => f16BitsToF32(data[i]));
}

async function runCase(gpu: Gpu, s: F16Shape, seed: number, variant: AttentionVariant): Promise<CaseResult> {
  const x = inputs(gpu, s, seed);
  const { dims } = x;
  const out = gpu.tensor([s.B, s.Lq, dims.width], s.out, 'out');
  // NaN in every element (two NaN halves per word for f16), so an element the kernel does not write shows up.
  if (s.out === 'f16')
    gpu.device.queue.writeBuffer(out.buffer, 0, new Uint32Array(out.byteLength / 4).fill(0x7e007e00));
  else poison(gpu, out);
  attention(gpu, x.tq, x.tk, x.tv, { ...dims, mask: x.tm, out, variant });
  const [y] = await gpu.read(out);
  x.release();
  out.release();
  const n = s.B * s.Lq * dims.width;
  const actual = s.out === 'f16' ? widen(y, n) : y;
  const r = compare(actual, attentionRef(x.q, x.k, x.v, x.mask, dims), 5e-6, s.out === 'f16' ? 5e-4 : 2e-5);
  return { ...r, detail: `f16 q/k/v, ${s.out} context: ${r.detail}` };
}

function variantsFor(s: F16Shape): AttentionVariant[] {
  return s.d % 16 === 0 && !s.pad ? ['subgroup', 'streaming', 'tiled'] : ['streaming', 'tiled'];
}

/** The subgroup variant runs only with 4-lane subgroups; elsewhere it must refuse with a ShapeError. */
function hasFourLanes(gpu: Gpu): boolean {
  const info = gpu.device.adapterInfo;
  return gpu.caps.subgroups && info?.subgroupMinSize === 4 && info?.subgroupMaxSize === 4;
}

const cases: KernelCase[] = [
  ...SHAPES.flatMap((s, n) =>
    variantsFor(s).map((variant): KernelCase => ({
      kernel: 'attention-f16',
      name: `${variant}: B ${s.B}, Lq ${s.Lq}, Lk ${s.Lk}, ${s.heads}x${s.d}: ${s.what}`,
      run: (gpu) =>
        variant === 'subgroup' && !hasFourLanes(gpu)
          ? runCase(gpu, s, 1700 + n, variant).then(
              () => ({ pass: false, maxAbsErr: 0, tolerance: 'a ShapeError', detail: 'ran without 4-lane subgroups' }),
              (e: unknown) => ({
                pass: e instanceof ShapeError && e.message.includes('4-lane subgroups'),
                maxAbsErr: 0,
                tolerance: 'a ShapeError',
                detail: String(e),
              }),
            )
          : runCase(gpu, s, 1700 + n, variant),
    })),
  ),
  {
    kernel: 'attention-f16',
    name: 'attentionProbs on f16 q and k, odd offsets, query 4',
    async run(gpu) {
      const s = SHAPES[4];
      const x = inputs(gpu, s, 1800);
      const out = gpu.tensor([s.B, s.heads, s.Lk], 'f32', 'out');
      poison(gpu, out);
      attentionProbs(gpu, x.tq, x.tk, { ...x.dims, mask: x.tm, queryIndex: 4, out });
      const [y] = await gpu.read(out);
      x.release();
      out.release();
      return compare(y, attentionProbsRef(x.q, x.k, x.mask, x.dims, 4), 2e-6, 1e-5);
    },
  },
  {
    kernel: 'attention-f16',
    name: 'refuses an f16 context of an odd head dimension, and q, k, v of mixed dtypes',
    async run(gpu) {
      const x = inputs(gpu, SHAPES[5], 1900);
      const k32 = gpu.tensor([x.dims.B, x.dims.Lk, x.dims.Wk], 'f32', 'k');
      const errors: string[] = [];
      for (const call of [
        () => attention(gpu, x.tq, x.tk, x.tv, { ...x.dims, dtype: 'f16' }),
        () => attention(gpu, x.tq, k32, x.tv, { ...x.dims }),
      ]) {
        try {
          call().release();
        } catch (e) {
          if (e instanceof ShapeError) errors.push(e.message);
        }
      }
      x.release();
      k32.release();
      const pass =
        errors.length === 2 &&
        errors[0].includes('even head dimension, got 5') &&
        errors[1].includes('k: expected dtype f16, got f32');
      return { pass, maxAbsErr: 0, tolerance: 'two ShapeErrors', detail: errors.join(' | ') || 'no error was thrown' };
    },
  },
];

const HEADS = 12,
  D = 64,
  W = HEADS * D;

/** Lq x Lk: text->image cross-attention and CLIP self-attention at 288px; f16 q, k, v and context. */
const benchmarks: KernelBenchmark[] = [
  [40, 325],
  [325, 325],
].map(([Lq, Lk]) => ({
  kernel: 'attention-f16',
  shape: `Lq ${Lq} x Lk ${Lk}, ${HEADS} x ${D}, f16 in and out`,
  work: { flops: 4 * HEADS * Lq * Lk * D },
  setup(gpu, rand) {
    const half = (L: number) => gpu.upload(toF16(randomF32(L * W, rand)).bits, [1, L, W], 'f16', 'qkv');
    const [q, k, v] = [half(Lq), half(Lk), half(Lk)];
    const variants: AttentionVariant[] = [...(hasFourLanes(gpu) ? ['subgroup' as const] : []), 'streaming', 'tiled'];
    return {
      variants: variants.map((variant) => ({
        name: variant,
        run: () => attention(gpu, q, k, v, { heads: HEADS, width: W, variant, dtype: 'f16' }).release(),
      })),
      release: () => releaseAll([q, k, v]),
    };
  },
}));

export const attentionF16Check: KernelCheck = { kernel: 'attention-f16', cases, benchmarks };
