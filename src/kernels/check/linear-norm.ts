// linear behind a fused LayerNorm (linear's `norm` option: ViT's ln_1 -> qkv and ln_2 -> c_fc, BERT's post-LN
// output read by the next linear, which also writes it with `norm.out`): the float64 reference is layerNormRef then
// linearRef; cases on awkward shapes for every variant, with rows of a large mean (the pivot's reason) and
// every weight dtype; benchmarks at the BridgeTower-base shapes it replaces a LayerNorm dispatch at.
//
// Tolerance: x̂ carries LayerNorm's float32 error (<= 4e-6 + 4e-6·|x̂|, ./layernorm.ts), which the dot product
// sums over K terms with weights ~1/√K much as it sums its own rounding, so y is held to linear's bound with its
// constants doubled: |a-b| <= 2e-6 + 1.2e-6·√K + 4e-6·|b|. x̂ written through `norm.out` is held to layerNorm's.
import { linear, type LinearActivation, type LinearOptions } from '../linear';
import { dequantize, quantize, type QuantDType } from '../../common/quantize';
import type { Gpu } from '../../gpu/runtime';
import { toF16 } from './math';
import { layerNormRef } from './layernorm';
import { linearRef, RUNS } from './linear';
import { benchWeight } from './linear-bench';
import { compare, poison, randomF32, rng, type CaseResult, type KernelCase, type KernelCheck } from './harness';
import { randomTensor, type KernelBenchmark } from './benchmark';

export interface NormSpec {
  name: string;
  lead: number[];
  K: number;
  N: number;
  /** Added to every x, so the rows' mean is far from 0 next to their spread. */
  mean?: number;
  bias?: boolean;
  activation?: LinearActivation;
  residual?: boolean;
  /** Also write x̂ (norm.out). */
  keep?: boolean;
  weight?: 'f16' | QuantDType;
  seed: number;
}

const SPECS: NormSpec[] = [
  { name: 'M=1 1x768x768, bias, keeps x̂', lead: [1], K: 768, N: 768, bias: true, keep: true, seed: 1 },
  {
    name: 'primes 37x13x67, K % 4 != 0, mean 30, bias + gelu, keeps x̂',
    lead: [37],
    K: 13,
    N: 67,
    mean: 30,
    bias: true,
    activation: 'gelu',
    keep: true,
    seed: 2,
  },
  {
    name: 'batched [2, 33] x 64 -> 130, f16 weights, residual, keeps x̂',
    lead: [2, 33],
    K: 64,
    N: 130,
    residual: true,
    keep: true,
    weight: 'f16',
    seed: 3,
  },
  {
    name: '70x96x65, q8 weights, mean -4, bias',
    lead: [70],
    K: 96,
    N: 65,
    mean: -4,
    bias: true,
    weight: 'q8',
    seed: 4,
  },
  {
    name: '5x40x9, q4 weights, quickgelu, keeps x̂',
    lead: [5],
    K: 40,
    N: 9,
    activation: 'quickgelu',
    keep: true,
    weight: 'q4',
    seed: 5,
  },
];

const EPS = 1e-5;

export async function runNorm(
  gpu: Gpu,
  s: NormSpec,
  { variant, subgroups, split }: LinearOptions,
): Promise<CaseResult> {
  const rand = rng(s.seed);
  const M = s.lead.reduce((a, b) => a * b, 1);
  const x = randomF32(M * s.K, rand, -1 + (s.mean ?? 0), 1 + (s.mean ?? 0));
  const gamma = randomF32(s.K, rand, 0.5, 1.5);
  const beta = randomF32(s.K, rand, -0.5, 0.5);
  let w = randomF32(s.N * s.K, rand, -2 / Math.sqrt(s.K), 2 / Math.sqrt(s.K));
  let wBits: Uint16Array | undefined;
  if (s.weight === 'f16') ({ bits: wBits, values: w } = toF16(w));
  const q = s.weight === 'q8' || s.weight === 'q4' ? quantize(w, [s.N, s.K], s.weight, 'w') : undefined;
  const bias = s.bias ? randomF32(s.N, rand) : undefined;
  const residual = s.residual ? randomF32(M * s.N, rand) : undefined;
  const normed = layerNormRef(x, M, s.K, gamma, beta, EPS);
  const expected = linearRef(normed, q ? dequantize(q) : w, M, s.K, s.N, {
    bias,
    activation: s.activation,
    residual,
  });

  const up = (data: Float32Array, shape: number[], label: string) => gpu.upload(data, shape, 'f32', label);
  const xt = up(x, [...s.lead, s.K], 'x');
  const wt = q?.scales
    ? gpu.uploadQuantized(q.data as Uint8Array, q.scales, [s.N, s.K], q.dtype as QuantDType, 'w')
    : wBits
      ? gpu.upload(wBits, [s.N, s.K], 'f16', 'w')
      : up(w, [s.N, s.K], 'w');
  const tensors = {
    weight: up(gamma, [s.K], 'ln weight'),
    bias: up(beta, [s.K], 'ln bias'),
    out: s.keep ? gpu.tensor([...s.lead, s.K], 'f32', 'x normed') : undefined,
  };
  const bt = bias && up(bias, [s.N], 'bias');
  const rt = residual && up(residual, [...s.lead, s.N], 'residual');
  if (tensors.out) poison(gpu, tensors.out);
  const y = linear(gpu, xt, wt, {
    bias: bt,
    activation: s.activation,
    residual: rt,
    norm: { ...tensors, eps: EPS },
    variant,
    subgroups,
    split,
  });
  poison(gpu, y);
  const [actual, keptNormed] = await gpu.read(y, ...(tensors.out ? [tensors.out] : []));
  for (const t of [xt, wt, bt, rt, y, tensors.weight, tensors.bias, tensors.out]) t?.release();
  const r = compare(actual, expected, 2e-6 + 1.2e-6 * Math.sqrt(s.K), 4e-6);
  const kept = keptNormed && compare(keptNormed, normed, 4e-6, 4e-6);
  const pass = r.pass && (kept?.pass ?? true);
  const keptDetail = kept ? `; x̂ kept: ${kept.detail}` : '';
  return { ...r, pass, detail: `M=${M} K=${s.K} N=${s.N} ${s.weight ?? 'f32'} weights: ${r.detail}${keptDetail}` };
}

const cases: KernelCase[] = SPECS.flatMap((s) =>
  RUNS.map((r): KernelCase => ({
    kernel: 'linear-norm',
    name: `${r.name}: ${s.name}`,
    run: (gpu) => runNorm(gpu, s, r),
  })),
);

/** M x K x N, keeping x̂ or not: ViT ln_1 -> qkv and ln_2 -> c_fc at 288px; a text layer's LN -> intermediate. */
const SHAPES: [number, number, number, boolean][] = [
  [325, 768, 2304, false],
  [325, 768, 3072, false],
  [40, 768, 3072, true],
];

const benchmarks: KernelBenchmark[] = SHAPES.map(([M, K, N, keep]) => ({
  kernel: 'linear-norm',
  shape: `${M} x ${K} x ${N}${keep ? ', keeps x̂' : ''}`,
  work: { flops: 2 * M * K * N },
  setup(gpu, rand, opts) {
    const x = randomTensor(gpu, [M, K], rand, 'x');
    const norm = {
      weight: randomTensor(gpu, [K], rand, 'ln weight'),
      bias: randomTensor(gpu, [K], rand, 'ln bias'),
      out: keep ? gpu.tensor([M, K], 'f32', 'x normed') : undefined,
      eps: EPS,
    };
    const weights = opts.weights.map((d) => [d, benchWeight(gpu, d, N, K, rand)] as const);
    return {
      variants: opts.linearVariants.flatMap((variant) =>
        weights.map(([d, w]) => ({
          name: `${variant} ${d}`,
          run: () => linear(gpu, x, w, { norm, variant }).release(),
        })),
      ),
      release: () => {
        for (const t of [x, norm.weight, norm.bias, norm.out]) t?.release();
        for (const [, w] of weights) w.release();
      },
    };
  },
}));

export const linearNormCheck: KernelCheck = { kernel: 'linear-norm', cases, benchmarks };
