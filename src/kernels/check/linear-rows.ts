// linear's few-row shapes: the `rows` variant (shaders/linear-rows.wgsl, the poolers' and heads' M = B rows)
// forced on awkward shapes (M = 1, 2, 3, 8 and, past its one-pass limit, 40, 41, 65; odd N; K not a multiple of
// 4 or 32; every weight dtype and epilogue; rowStep; out at a column offset; a fused LayerNorm), against
// linear's and linear-norm's float64 references and tolerances (./linear.ts, ./linear-norm.ts), with outputs
// poisoned so an unwritten element shows; the combination it refuses (norm.out); and benchmarks of the heads'
// and the text tower's shapes with every variant side by side.
import { ShapeError } from '../../errors';
import { linear } from '../linear';
import type { KernelBenchmark } from './benchmark';
import type { KernelCase, KernelCheck } from './harness';
import { runLinear, type LinearSpec } from './linear';
import { linearBenchmark } from './linear-bench';
import { runNorm, type NormSpec } from './linear-norm';

const SPECS: LinearSpec[] = [
  { name: 'M=1 1x768x768, bias + tanh', lead: [1], K: 768, N: 768, bias: true, activation: 'tanh', seed: 31 },
  {
    name: 'M=2 pooler: token 0 of [2, 9] x 20 -> 33 into columns 33.. of 70, bias + tanh',
    lead: [2, 9],
    K: 20,
    N: 33,
    rowStep: 9,
    bias: true,
    activation: 'tanh',
    outWidth: 70,
    outColumnOffset: 33,
    seed: 32,
  },
  { name: 'M=3 3x13x17, K % 4 != 0, bias + gelu', lead: [3], K: 13, N: 17, bias: true, activation: 'gelu', seed: 33 },
  {
    name: 'M=8 q4, K % 32 != 0, 8x100x65 residual at an outColumnOffset',
    lead: [8],
    K: 100,
    N: 65,
    residual: true,
    quant: 'q4',
    outWidth: 80,
    outColumnOffset: 9,
    seed: 34,
  },
  {
    name: 'M=40 f16, 40x36x67 quickgelu + residual',
    lead: [1, 40],
    K: 36,
    N: 67,
    activation: 'quickgelu',
    residual: true,
    f16: true,
    seed: 35,
  },
  { name: 'M=41 f16, odd K and N*K, 41x15x11 bias', lead: [41], K: 15, N: 11, bias: true, f16: true, seed: 36 },
  {
    name: 'M=65 q8, 65x64x70 bias + residual',
    lead: [65],
    K: 64,
    N: 70,
    bias: true,
    residual: true,
    quant: 'q8',
    seed: 37,
  },
  {
    name: 'M=5 q8, odd K, 5x15x9 silu at an outColumnOffset',
    lead: [5],
    K: 15,
    N: 9,
    bias: true,
    activation: 'silu',
    quant: 'q8',
    outWidth: 30,
    outColumnOffset: 7,
    seed: 38,
  },
  {
    name: 'M=4 q4 pooler, odd K: token 0 of [4, 5] x 77 -> 31, bias + relu',
    lead: [4, 5],
    K: 77,
    N: 31,
    rowStep: 5,
    bias: true,
    activation: 'relu',
    quant: 'q4',
    seed: 39,
  },
  {
    name: 'M=2 VQA head 2x1536x3129, q8, bias + gelu_tanh',
    lead: [2],
    K: 1536,
    N: 3129,
    bias: true,
    activation: 'gelu_tanh',
    quant: 'q8',
    seed: 40,
  },
];

const NORM_SPECS: NormSpec[] = [
  { name: 'M=1 1x768x768, bias', lead: [1], K: 768, N: 768, bias: true, seed: 41 },
  {
    name: 'M=3 3x13x67, K % 4 != 0, mean 30, f16, gelu',
    lead: [3],
    K: 13,
    N: 67,
    mean: 30,
    activation: 'gelu',
    weight: 'f16',
    seed: 42,
  },
  {
    name: 'M=8 8x96x65, q8, mean -4, bias + residual',
    lead: [8],
    K: 96,
    N: 65,
    mean: -4,
    bias: true,
    residual: true,
    weight: 'q8',
    seed: 43,
  },
  { name: 'M=41 41x40x9, q4, quickgelu', lead: [41], K: 40, N: 9, activation: 'quickgelu', weight: 'q4', seed: 44 },
];

/** Both of rows' shapes, whichever this adapter would pick: whole dot products per invocation, or split. */
const SPLITS = [false, true];

const cases: KernelCase[] = [
  ...SPLITS.flatMap((split) => [
    ...SPECS.map((s): KernelCase => ({
      kernel: 'linear-rows',
      name: `rows${split ? ', split' : ''}: ${s.name}`,
      run: (gpu) => runLinear(gpu, s, { variant: 'rows', split }),
    })),
    ...NORM_SPECS.map((s): KernelCase => ({
      kernel: 'linear-rows',
      name: `rows${split ? ', split' : ''}, LayerNorm fused: ${s.name}`,
      run: (gpu) => runNorm(gpu, s, { variant: 'rows', split }),
    })),
  ]),
  {
    kernel: 'linear-rows',
    name: 'rows refuses to write x̂ (norm.out) with a ShapeError',
    run: async (gpu) => {
      const t = (shape: number[], label: string) => gpu.tensor(shape, 'f32', label);
      const [x, w, lnWeight, lnBias, xNormed] = [
        t([2, 8], 'x'),
        t([3, 8], 'w'),
        t([8], 'g'),
        t([8], 'b'),
        t([2, 8], 'n'),
      ];
      const norm = { weight: lnWeight, bias: lnBias, eps: 1e-5, out: xNormed };
      let detail = 'no error was thrown';
      let pass = false;
      try {
        linear(gpu, x, w, { norm, variant: 'rows' }).release();
      } catch (e) {
        detail = `${(e as Error).name}: ${(e as Error).message}`;
        pass = e instanceof ShapeError && (e as Error).message.includes('norm.out');
      }
      for (const v of [x, w, lnWeight, lnBias, xNormed]) v.release();
      return { pass, maxAbsErr: 0, tolerance: 'throws ShapeError naming norm.out', detail };
    },
  },
];

/** M x K x N: a pooler / the ITM and rank heads' 1536 inputs / the VQA head at B = 1; the text tower's layers. */
const SHAPES: [number, number, number][] = [
  [1, 768, 768],
  [1, 1536, 1536],
  [1, 1536, 3129],
  [40, 768, 768],
  [40, 768, 3072],
  [40, 3072, 768],
];

const benchmarks: KernelBenchmark[] = SHAPES.map((shape) => linearBenchmark('linear-rows', shape, ['rows']));

export const linearRowsCheck: KernelCheck = { kernel: 'linear-rows', cases, benchmarks };
