// linear's check: the float64 reference; cases for both variants (blocked with and without its subgroup path,
// tiled) on every shape, plus the error paths (wrong shapes, a weight over the binding
// limit); benchmarks at the BridgeTower-base shapes, for every variant x weight dtype asked for (patch-embed.ts
// covers conv1).
//
// Tolerance: a float32 dot product of length K summed in order has a rounding error of about
// u·σ·K/√2 (u = 2^-24, σ = the spread of the terms x·w; partial sums grow like √k), so with x ∈ [-1, 1) and
// w ∈ [-2, 2)/√K (σ ≈ 0.67/√K) the typical error is ≈ 3e-8·√K and the largest of many outputs a few times
// that: measured on SwiftShader, 1.3e-6 (blocked) and 4.1e-6 (tiled) over the 10^6 outputs at K = 768. The bound
// |a-b| <= 1e-6 + 6e-7·√K + 2e-6·|b| (1.8e-5 at K = 768) leaves room for other summation orders, yet stays far
// below what a wrong index, a missed term or a dropped epilogue gives (>= 1e-2). The 2e-6·|b| covers the
// activation (erf_f32 1.4e-7, exp/tanh a few ulp) and the rounding of the residual add.
// q8 / q4 weights are checked against the same float64 reference computed with the dequantized weights
// code · scale (the kernel's own error, not the quantization's): the kernel sums codes·x (q8, scaled after) or
// (code·scale)·x (q4, rounded once per weight, 6e-8 relative), so the same bound holds.
import { LimitError, ShapeError } from '../../errors';
import type { Gpu } from '../../gpu/runtime';
import { GpuTensor } from '../../gpu/tensor';
import { linear, type LinearActivation, type LinearOptions, type LinearVariant } from '../linear';
import { dequantize, quantize, type QuantDType } from '../../common/quantize';
import type { HostTensor } from '../../common/tensor';
import { ACTIVATIONS, toF16, type Activation } from './math';
import { erfGridCase } from './erf';
import { compare, poison, randomF32, rng, type CaseResult, type KernelCase, type KernelCheck } from './harness';
import type { KernelBenchmark } from './benchmark';
import { linearBenchmark } from './linear-bench';

// The float64 reference: inputs are the float32 (or f16-rounded) values the GPU reads.
/**
 * y[m, n] = act(Σ_k x[m, k]·w[n, k] + bias[n]) + residual[m, n] in float64; x is [M, K], w is [N, K]
 * (PyTorch's Linear layout), residual is [M, N]. Returns [M, N].
 */
export function linearRef(
  x: ArrayLike<number>,
  w: ArrayLike<number>,
  M: number,
  K: number,
  N: number,
  opts: { bias?: ArrayLike<number>; activation?: Activation; residual?: ArrayLike<number> } = {},
): Float64Array {
  const y = new Float64Array(M * N);
  const act = opts.activation ? ACTIVATIONS[opts.activation] : undefined;
  for (let m = 0; m < M; m++) {
    for (let n = 0; n < N; n++) {
      let s = opts.bias ? opts.bias[n] : 0;
      for (let k = 0; k < K; k++) s += x[m * K + k] * w[n * K + k];
      if (act) s = act(s);
      if (opts.residual) s += opts.residual[m * N + n];
      y[m * N + n] = s;
    }
  }
  return y;
}

export interface LinearSpec {
  name: string;
  lead: number[];
  K: number;
  N: number;
  bias?: boolean;
  activation?: LinearActivation;
  residual?: boolean;
  f16?: boolean;
  quant?: QuantDType;
  /** Write into a wider output of this many columns, at outColumnOffset. */
  outWidth?: number;
  outColumnOffset?: number;
  /** Read every rowStep-th row of x (the poolers' token 0): the output has rows / rowStep rows. */
  rowStep?: number;
  seed: number;
}

const SPECS: LinearSpec[] = [
  { name: 'M=1 (pooler) 1x768x768, bias + tanh', lead: [1], K: 768, N: 768, bias: true, activation: 'tanh', seed: 1 },
  { name: 'primes 7x13x17, K % 4 != 0, bias + gelu', lead: [7], K: 13, N: 17, bias: true, activation: 'gelu', seed: 2 },
  {
    name: 'batched [2, 3, 5] x 20 -> 33, bias + quickgelu',
    lead: [2, 3, 5],
    K: 20,
    N: 33,
    bias: true,
    activation: 'quickgelu',
    seed: 3,
  },
  { name: '37x64x70, bias + residual', lead: [37], K: 64, N: 70, bias: true, residual: true, seed: 4 },
  { name: '41x36x65, no bias, no activation', lead: [41], K: 36, N: 65, seed: 5 },
  {
    name: 'rowStep 9: token 0 of [3, 9] x 20 -> 33 into columns 33.. of 70, bias + tanh',
    lead: [3, 9],
    K: 20,
    N: 33,
    rowStep: 9,
    bias: true,
    activation: 'tanh',
    outWidth: 70,
    outColumnOffset: 33,
    seed: 21,
  },
  {
    name: 'rowStep 5: token 0 of [2, 5] x 768 -> 70, residual',
    lead: [2, 5],
    K: 768,
    N: 70,
    rowStep: 5,
    residual: true,
    seed: 22,
  },
  {
    name: 'HF hidden_act gelu_new 5x24x19, bias',
    lead: [5],
    K: 24,
    N: 19,
    bias: true,
    activation: 'gelu_tanh',
    seed: 12,
  },
  { name: 'HF hidden_act relu 6x13x9, bias', lead: [6], K: 13, N: 9, bias: true, activation: 'relu', seed: 13 },
  {
    name: 'HF hidden_act silu 4x32x21, bias + residual',
    lead: [4],
    K: 32,
    N: 21,
    bias: true,
    activation: 'silu',
    residual: true,
    seed: 14,
  },
  {
    name: 'gelu + residual, no bias, 3x[11] x 96 -> 130',
    lead: [3, 11],
    K: 96,
    N: 130,
    activation: 'gelu',
    residual: true,
    seed: 6,
  },
  {
    name: 'outColumnOffset: 19 of 50 columns at 23, residual',
    lead: [5, 9],
    K: 24,
    N: 19,
    bias: true,
    residual: true,
    outWidth: 50,
    outColumnOffset: 23,
    seed: 7,
  },
  {
    name: 'f16 weights, K % 4 == 0, 9x36x10 bias + gelu',
    lead: [9],
    K: 36,
    N: 10,
    bias: true,
    activation: 'gelu',
    f16: true,
    seed: 8,
  },
  { name: 'f16 weights, odd K and N*K, 6x15x11 bias', lead: [6], K: 15, N: 11, bias: true, f16: true, seed: 9 },
  {
    name: 'f16 weights at an outColumnOffset, 66x40x67 tanh',
    lead: [66],
    K: 40,
    N: 67,
    activation: 'tanh',
    f16: true,
    outWidth: 140,
    outColumnOffset: 70,
    seed: 10,
  },
  {
    name: 'q8, pairs (K % 8 == 0), 37x64x70 bias + residual',
    lead: [37],
    K: 64,
    N: 70,
    bias: true,
    residual: true,
    quant: 'q8',
    seed: 12,
  },
  {
    name: 'q8, K % 8 == 4 (no pairs), 9x36x10 bias + gelu',
    lead: [9],
    K: 36,
    N: 10,
    bias: true,
    activation: 'gelu',
    quant: 'q8',
    seed: 13,
  },
  {
    name: 'q8, odd K and N*K, 6x15x11 at an outColumnOffset',
    lead: [6],
    K: 15,
    N: 11,
    bias: true,
    quant: 'q8',
    outWidth: 30,
    outColumnOffset: 7,
    seed: 14,
  },
  {
    name: 'q4, pairs, K not a multiple of 32, 41x40x65',
    lead: [41],
    K: 40,
    N: 65,
    bias: true,
    activation: 'tanh',
    quant: 'q4',
    seed: 15,
  },
  { name: 'q4, K % 8 == 4, 7x100x17 residual', lead: [7], K: 100, N: 17, residual: true, quant: 'q4', seed: 16 },
  {
    name: 'q4, odd K and N*K, 5x13x9 quickgelu',
    lead: [5],
    K: 13,
    N: 9,
    activation: 'quickgelu',
    quant: 'q4',
    seed: 17,
  },
  {
    name: 'q8 text layer 50x768x768, bias + gelu',
    lead: [1, 50],
    K: 768,
    N: 768,
    bias: true,
    activation: 'gelu',
    quant: 'q8',
    seed: 18,
  },
  {
    name: 'q4 MLP 325x3072x768, bias + residual',
    lead: [1, 325],
    K: 3072,
    N: 768,
    bias: true,
    residual: true,
    quant: 'q4',
    seed: 19,
  },
  {
    name: 'largest: 325x768x3072 (ViT-B/16 MLP at 288px), bias + quickgelu',
    lead: [1, 325],
    K: 768,
    N: 3072,
    bias: true,
    activation: 'quickgelu',
    seed: 11,
  },
];

/** The value outside the written columns of a wider `out`; the kernel must leave it alone. */
const UNTOUCHED = 3.25;

interface Prepared {
  x: Float32Array;
  w: Float32Array;
  wBits?: Uint16Array;
  wQuant?: HostTensor;
  bias?: Float32Array;
  residual?: Float32Array;
  expected: Float64Array;
}

/** Inputs and the float64 reference, built once per spec and shared by both variants. */
const prepared = new Map<LinearSpec, Prepared>();

function prepare(s: LinearSpec): Prepared {
  const cached = prepared.get(s);
  if (cached) return cached;
  const rand = rng(s.seed);
  const rows = s.lead.reduce((a, b) => a * b, 1);
  const M = rows / (s.rowStep ?? 1);
  const width = s.outWidth ?? s.N;
  const off = s.outColumnOffset ?? 0;
  const x = randomF32(rows * s.K, rand);
  const step = (s.rowStep ?? 1) * s.K;
  const xRead = Float32Array.from({ length: M * s.K }, (_, i) => x[Math.floor(i / s.K) * step + (i % s.K)]);
  let w = randomF32(s.N * s.K, rand, -2 / Math.sqrt(s.K), 2 / Math.sqrt(s.K));
  let wBits: Uint16Array | undefined;
  if (s.f16) ({ bits: wBits, values: w } = toF16(w));
  let wQuant: HostTensor | undefined;
  if (s.quant) wQuant = quantize(w, [s.N, s.K], s.quant, 'w');
  const bias = s.bias ? randomF32(s.N, rand) : undefined;
  const residual = s.residual ? randomF32(M * width, rand) : undefined;
  // q8 / q4: the reference reads the dequantized weights code · scale in float64.
  const y = linearRef(xRead, wQuant ? dequantize(wQuant) : w, M, s.K, s.N, { bias, activation: s.activation });
  const expected = new Float64Array(M * width).fill(UNTOUCHED);
  for (let m = 0; m < M; m++) {
    for (let n = 0; n < s.N; n++) {
      const i = m * width + off + n;
      expected[i] = y[m * s.N + n] + (residual ? residual[i] : 0);
    }
  }
  const p = { x, w, wBits, wQuant, bias, residual, expected };
  prepared.set(s, p);
  return p;
}

/** The variants every spec runs with: `blocked` also without its subgroup path (which it takes where it can). */
export const RUNS: { name: string; variant: LinearVariant; subgroups?: boolean }[] = [
  { name: 'blocked', variant: 'blocked' },
  { name: 'blocked, no subgroups', variant: 'blocked', subgroups: false },
  { name: 'tiled', variant: 'tiled' },
];

export async function runLinear(gpu: Gpu, s: LinearSpec, { variant, subgroups, split }: LinearOptions) {
  const p = prepare(s);
  const M = s.lead.reduce((a, b) => a * b, 1) / (s.rowStep ?? 1);
  const outLead = s.rowStep ? [M] : s.lead;
  const width = s.outWidth ?? s.N;
  const x = gpu.upload(p.x, [...s.lead, s.K], 'f32', 'x');
  const w = p.wQuant
    ? gpu.uploadQuantized(p.wQuant.data as Uint8Array, p.wQuant.scales!, [s.N, s.K], s.quant!, 'w')
    : p.wBits
      ? gpu.upload(p.wBits, [s.N, s.K], 'f16', 'w')
      : gpu.upload(p.w, [s.N, s.K], 'f32', 'w');
  const bias = p.bias && gpu.upload(p.bias, [s.N], 'f32', 'bias');
  const residual = p.residual && gpu.upload(p.residual, [...outLead, width], 'f32', 'residual');
  let out: GpuTensor | undefined;
  if (s.outWidth) {
    // NaN where the kernel must write, UNTOUCHED where it must not.
    const init = new Float32Array(M * width).fill(UNTOUCHED);
    for (let m = 0; m < M; m++) init.fill(NaN, m * width + s.outColumnOffset!, m * width + s.outColumnOffset! + s.N);
    out = gpu.upload(init, [...outLead, width], 'f32', 'out');
  }
  const y = linear(gpu, x, w, {
    bias,
    activation: s.activation,
    residual,
    out,
    outColumnOffset: s.outColumnOffset,
    rowStep: s.rowStep,
    variant,
    subgroups,
    split,
  });
  // The dispatch is only recorded so far; the queue write lands before the submit that runs it.
  if (!out) poison(gpu, y);
  const [actual] = await gpu.read(y);
  for (const t of [x, w, bias, residual, y]) t?.release();
  const r = compare(actual, p.expected, 1e-6 + 6e-7 * Math.sqrt(s.K), 2e-6);
  return {
    ...r,
    detail: `M=${M} K=${s.K} N=${s.N}${s.f16 ? ' f16 weights' : ''}${s.quant ? ` ${s.quant} weights` : ''}: ${r.detail}`,
  };
}

/** Passes when `fn` throws an instance of `type` whose message contains every one of `words`. */
function expectThrow(fn: () => unknown, type: abstract new (...args: never[]) => Error, words: string[]): CaseResult {
  const tolerance = `throws ${type.name} naming ${words.join(', ')}`;
  try {
    fn();
  } catch (e) {
    const ok = e instanceof type && words.every((w) => e.message.includes(w));
    return { pass: ok, maxAbsErr: 0, tolerance, detail: `${(e as Error).name}: ${(e as Error).message}` };
  }
  return { pass: false, maxAbsErr: 0, tolerance, detail: 'no error was thrown' };
}

/** A tensor whose shape claims more bytes than its buffer holds: enough for wrappers that only validate. */
function fakeTensor(gpu: Gpu, shape: number[], dtype: 'f32' | 'f16', label: string): GpuTensor {
  const buffer = gpu.device.createBuffer({ size: 16, usage: GPUBufferUsage.STORAGE, label });
  return new GpuTensor(buffer, shape, dtype, (b) => b.destroy(), label);
}

const linearCases: KernelCase[] = [
  erfGridCase,
  ...SPECS.flatMap((s) =>
    RUNS.map((r): KernelCase => ({
      kernel: 'linear',
      name: `${r.name}: ${s.name}`,
      run: (gpu) => runLinear(gpu, s, r),
    })),
  ),
  {
    kernel: 'linear',
    name: 'rejects a weight whose K differs from x',
    run: async (gpu) => {
      const x = fakeTensor(gpu, [4, 8], 'f32', 'x');
      const w = fakeTensor(gpu, [3, 9], 'f32', 'w');
      const r = expectThrow(() => linear(gpu, x, w), ShapeError, ['linear: weight', '[?, 8]', '[3, 9]']);
      x.release();
      w.release();
      return r;
    },
  },
  {
    kernel: 'linear',
    name: 'a weight over maxStorageBufferBindingSize is a LimitError naming it',
    run: async (gpu) => {
      // Rows enough to exceed the device's binding limit by one row (no memory is allocated for them).
      const rows = Math.floor(gpu.caps.maxStorageBufferBindingSize / (768 * 4)) + 1;
      const x = fakeTensor(gpu, [2, 768], 'f32', 'x');
      const w = fakeTensor(gpu, [rows, 768], 'f32', 'decoder');
      const r = expectThrow(() => linear(gpu, x, w), LimitError, [
        'linear: weight decoder',
        'maxStorageBufferBindingSize',
      ]);
      x.release();
      w.release();
      return r;
    },
  },
];

/** M x K x N: ViT qkv / out-proj / MLP at 288px (325 tokens), a 40-token text layer, and 1297 tokens (576px). */
const SHAPES: [number, number, number][] = [
  [325, 768, 2304],
  [325, 768, 768],
  [325, 768, 3072],
  [325, 3072, 768],
  [40, 768, 768],
  [1297, 768, 768],
];

const linearBenchmarks: KernelBenchmark[] = SHAPES.map((shape) => linearBenchmark('linear', shape));

export const linearCheck: KernelCheck = { kernel: 'linear', cases: linearCases, benchmarks: linearBenchmarks };
