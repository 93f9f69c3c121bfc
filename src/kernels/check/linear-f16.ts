// linear with f16 activations (the f16 compute path): x read as packed halves and/or y written as packed halves,
// against the float64 reference of linear.ts on the f16-rounded inputs the GPU reads. Awkward shapes for the pair
// writes: odd N (rows start at odd halves, so words straddle rows and tiles), odd K, M = 1, rows and columns not
// multiples of the 64-wide tile, an f16 `out` at an odd column offset whose other halves must survive; every
// variant (blocked with and without subgroups, tiled, rows in both shapes), forced. Benchmarks: the BridgeTower-base shapes with f16 x and y.
//
// Tolerance: the f32 bound of linear.ts (the sum is f32 whatever the storage), plus the rounding of the stored
// result to f16 when y is f16: round-to-nearest half precision is within 2^-11 (4.9e-4) of the value relative,
// and within 2^-25 (3e-8) absolute below 2^-14 (subnormals). So |a-b| <= 1e-6 + 6e-7·√K + 5e-4·|b| with f16 y
// (2e-6·|b| with f32 y): a wrong pair, a swapped half or a clobbered neighbour is off by >= 1e-2.
import { ShapeError } from '../../errors';
import type { Gpu } from '../../gpu/runtime';
import type { GpuTensor } from '../../gpu/tensor';
import { linear, type ActivationDType, type LinearActivation, type LinearOptions } from '../linear';
import { f16BitsToF32 } from '../../common/f16';
import { quantize, dequantize } from '../../common/quantize';
import { toF16 } from './math';
import { compare, randomF32, rng, type CaseResult, type KernelCase, type KernelCheck } from './harness';
import { randomTensor, releaseAll, type KernelBenchmark } from './benchmark';
import { linearRef, RUNS } from './linear';

interface F16Spec {
  name: string;
  lead: number[];
  K: number;
  N: number;
  x: ActivationDType;
  y: ActivationDType;
  bias?: boolean;
  activation?: LinearActivation;
  residual?: boolean;
  /** Weights: f32 unless given. */
  weight?: 'f16' | 'q8';
  /** Write into a wider f16 `out` of this many columns at outColumnOffset. */
  outWidth?: number;
  outColumnOffset?: number;
  rowStep?: number;
  seed: number;
}

const SPECS: F16Spec[] = [
  {
    name: 'M=1, odd N: 1x24x33, bias + tanh',
    lead: [1],
    K: 24,
    N: 33,
    x: 'f16',
    y: 'f16',
    bias: true,
    activation: 'tanh',
    seed: 31,
  },
  {
    name: 'odd K and N: 7x13x17, bias + gelu',
    lead: [7],
    K: 13,
    N: 17,
    x: 'f16',
    y: 'f16',
    bias: true,
    activation: 'gelu',
    seed: 32,
  },
  {
    name: 'two tiles each way, odd N: 130x64x131, bias',
    lead: [2, 65],
    K: 64,
    N: 131,
    x: 'f16',
    y: 'f16',
    bias: true,
    seed: 33,
  },
  {
    name: 'f16 x, f32 y + residual: 37x64x70',
    lead: [37],
    K: 64,
    N: 70,
    x: 'f16',
    y: 'f32',
    bias: true,
    residual: true,
    seed: 34,
  },
  {
    name: 'f32 x, f16 y, odd K: 9x15x10, quickgelu',
    lead: [9],
    K: 15,
    N: 10,
    x: 'f32',
    y: 'f16',
    activation: 'quickgelu',
    seed: 35,
  },
  {
    name: 'f16 y + residual, f16 weights: 5x36x9',
    lead: [5],
    K: 36,
    N: 9,
    x: 'f16',
    y: 'f16',
    residual: true,
    weight: 'f16',
    seed: 36,
  },
  {
    name: 'q8 weights (pairs): 41x40x65, bias',
    lead: [41],
    K: 40,
    N: 65,
    x: 'f16',
    y: 'f16',
    bias: true,
    weight: 'q8',
    seed: 37,
  },
  {
    name: 'f16 out at odd offset 69 of 141 columns: 66x40x67, tanh',
    lead: [66],
    K: 40,
    N: 67,
    x: 'f16',
    y: 'f16',
    activation: 'tanh',
    outWidth: 141,
    outColumnOffset: 69,
    seed: 38,
  },
  {
    name: 'rowStep 9: token 0 of [3, 9] x 20 -> 33',
    lead: [3, 9],
    K: 20,
    N: 33,
    x: 'f16',
    y: 'f16',
    bias: true,
    rowStep: 9,
    seed: 39,
  },
];

/** What stands outside the written columns of a wider `out` (exact in f16); the kernel must leave it alone. */
const UNTOUCHED = 3.25;

/** f16 bits -> f32 values. */
function widen(bits: ArrayLike<number>, n: number): Float32Array {
  return Float32Array.from({ length: n }, (_, i) => f16BitsToF32(bits[i]));
}

/** linear.ts's runs (blocked with and without subgroups, tiled) and both shapes of rows. */
const F16_RUNS: ({ name: string } & Pick<LinearOptions, 'variant' | 'subgroups' | 'split'>)[] = [
  ...RUNS,
  { name: 'rows', variant: 'rows', split: false },
  { name: 'rows, split', variant: 'rows', split: true },
];

async function runF16(
  gpu: Gpu,
  s: F16Spec,
  run: Pick<LinearOptions, 'variant' | 'subgroups' | 'split'>,
): Promise<CaseResult> {
  const rand = rng(s.seed);
  const rows = s.lead.reduce((a, b) => a * b, 1);
  const step = s.rowStep ?? 1;
  const M = rows / step;
  const width = s.outWidth ?? s.N;
  const off = s.outColumnOffset ?? 0;
  const x32 = randomF32(rows * s.K, rand);
  const xh = toF16(x32);
  const xv = s.x === 'f16' ? xh.values : x32;
  const w32 = randomF32(s.N * s.K, rand, -2 / Math.sqrt(s.K), 2 / Math.sqrt(s.K));
  const wh = toF16(w32);
  const wq = s.weight === 'q8' ? quantize(w32, [s.N, s.K], 'q8', 'w') : undefined;
  const wv = wq ? dequantize(wq) : s.weight === 'f16' ? wh.values : w32;
  const bias = s.bias ? randomF32(s.N, rand) : undefined;
  const residual = s.residual ? randomF32(M * width, rand) : undefined;
  const xRead = Float32Array.from({ length: M * s.K }, (_, i) => xv[Math.floor(i / s.K) * step * s.K + (i % s.K)]);
  const y = linearRef(xRead, wv, M, s.K, s.N, { bias, activation: s.activation });
  const expected = new Float64Array(M * width).fill(UNTOUCHED);
  for (let m = 0; m < M; m++) {
    for (let n = 0; n < s.N; n++)
      expected[m * width + off + n] = y[m * s.N + n] + (residual?.[m * width + off + n] ?? 0);
  }

  const outLead = step === 1 ? s.lead : [M];
  const x =
    s.x === 'f16' ? gpu.upload(xh.bits, [...s.lead, s.K], 'f16', 'x') : gpu.upload(x32, [...s.lead, s.K], 'f32', 'x');
  const w = wq
    ? gpu.uploadQuantized(wq.data as Uint8Array, wq.scales!, [s.N, s.K], 'q8', 'w')
    : s.weight === 'f16'
      ? gpu.upload(wh.bits, [s.N, s.K], 'f16', 'w')
      : gpu.upload(w32, [s.N, s.K], 'f32', 'w');
  const biasT = bias && gpu.upload(bias, [s.N], 'f32', 'bias');
  const residualT = residual && gpu.upload(residual, [...outLead, width], 'f32', 'residual');
  // The output starts as NaN (0x7e00 halves) where the kernel must write and UNTOUCHED elsewhere.
  const init = new Float32Array(M * width).fill(UNTOUCHED);
  for (let m = 0; m < M; m++) init.fill(NaN, m * width + off, m * width + off + s.N);
  const out =
    s.y === 'f16'
      ? gpu.upload(toF16(init).bits, [...outLead, width], 'f16', 'out')
      : gpu.upload(init, [...outLead, width], 'f32', 'out');
  linear(gpu, x, w, {
    bias: biasT,
    activation: s.activation,
    residual: residualT,
    out,
    outColumnOffset: s.outColumnOffset,
    rowStep: s.rowStep,
    variant: run.variant,
    subgroups: run.subgroups,
    split: run.split,
  });
  const [data] = await gpu.read(out);
  releaseAll([x, w, biasT, residualT, out]);
  const actual = s.y === 'f16' ? widen(data, M * width) : data;
  const r = compare(actual, expected, 1e-6 + 6e-7 * Math.sqrt(s.K), s.y === 'f16' ? 5e-4 : 2e-6);
  return { ...r, detail: `M=${M} K=${s.K} N=${s.N} x ${s.x}, y ${s.y}: ${r.detail}` };
}

/** A case that passes when `fn` throws a ShapeError containing `words`; x is [2, 8] f16, w [4, 8], ln [8]. */
function refusal(
  name: string,
  words: string,
  fn: (gpu: Gpu, x: GpuTensor, w: GpuTensor, ln: GpuTensor) => unknown,
): KernelCase {
  const tolerance = `a ShapeError naming ${words}`;
  return {
    kernel: 'linear-f16',
    name,
    async run(gpu) {
      const t = [gpu.tensor([2, 8], 'f16', 'x'), gpu.tensor([4, 8], 'f32', 'w'), gpu.tensor([8], 'f32', 'ln')];
      try {
        fn(gpu, t[0], t[1], t[2]);
      } catch (e) {
        const ok = e instanceof ShapeError && e.message.includes(words);
        return { pass: ok, maxAbsErr: 0, tolerance, detail: String(e) };
      } finally {
        releaseAll(t);
      }
      return { pass: false, maxAbsErr: 0, tolerance, detail: 'no error was thrown' };
    },
  };
}

const cases: KernelCase[] = [
  ...SPECS.flatMap((s) =>
    F16_RUNS.map((r): KernelCase => ({
      kernel: 'linear-f16',
      name: `${r.name}: ${s.name}`,
      run: (gpu) => runF16(gpu, s, r),
    })),
  ),
  refusal('refuses a fused LayerNorm of an f16 x', 'needs an f32 x, got f16', (gpu, x, w, ln) =>
    linear(gpu, x, w, { norm: { weight: ln, bias: ln, eps: 1e-5 } }),
  ),
  refusal('refuses an out whose dtype differs from `dtype`', 'linear: out: expected dtype f16, got f32', (gpu, x, w) =>
    linear(gpu, x, w, { out: gpu.tensor([2, 4], 'f32', 'out'), dtype: 'f16' }),
  ),
];

/** M x K x N at BridgeTower base (288px, 40 tokens): f16 x and y, f32 weights unless asked otherwise. */
const SHAPES: [number, number, number][] = [
  [325, 768, 2304],
  [325, 3072, 768],
  [40, 768, 768],
];

const benchmarks: KernelBenchmark[] = SHAPES.map(([M, K, N]) => ({
  kernel: 'linear-f16',
  shape: `${M} x ${K} x ${N}, f16 x and y`,
  work: { flops: 2 * M * K * N },
  setup(gpu, rand, opts) {
    const x = toF16(randomF32(M * K, rand));
    const xt = gpu.upload(x.bits, [M, K], 'f16', 'x');
    const w = randomTensor(gpu, [N, K], rand, 'w', 1 / Math.sqrt(K));
    return {
      variants: opts.linearVariants.map((variant) => ({
        name: variant,
        run: () => linear(gpu, xt, w, { variant, dtype: 'f16' }).release(),
      })),
      release: () => releaseAll([xt, w]),
    };
  },
}));

export const linearF16Check: KernelCheck = { kernel: 'linear-f16', cases, benchmarks };
