// layerNorm's check: the float64 reference, cases on awkward shapes and the benchmarks, LayerNorm with a
// residual (the bridge layers, BERT's post-LN) over 288px and 576px image tokens, both variants.
import { gelu } from './math';
import { layerNorm, type LayerNormVariant } from '../layernorm';
import { compare, poison, randomF32, rng, type KernelCase, type KernelCheck } from './harness';
import { randomTensor, releaseAll, type KernelBenchmark } from './benchmark';

// The float64 reference: inputs are the float32 (or f16-rounded) values the GPU reads.
/**
 * act(LN_eps(x)) over rows of D, with the biased variance (PyTorch's LayerNorm). For LN(x + residual), pass
 * the sum (the kernel's float32 sum, to compare with the kernel).
 */
export function layerNormRef(
  x: ArrayLike<number>,
  R: number,
  D: number,
  weight: ArrayLike<number>,
  bias: ArrayLike<number>,
  eps: number,
  opts: { activation?: 'gelu' } = {},
): Float64Array {
  const y = new Float64Array(R * D);
  const row = new Float64Array(D);
  for (let r = 0; r < R; r++) {
    let mean = 0;
    for (let c = 0; c < D; c++) {
      row[c] = x[r * D + c];
      mean += row[c];
    }
    mean /= D;
    let v = 0;
    for (let c = 0; c < D; c++) v += (row[c] - mean) ** 2;
    const inv = 1 / Math.sqrt(v / D + eps);
    for (let c = 0; c < D; c++) {
      const t = (row[c] - mean) * inv * weight[c] + bias[c];
      y[r * D + c] = opts.activation === 'gelu' ? gelu(t) : t;
    }
  }
  return y;
}

interface Shape {
  what: string;
  shape: number[];
  eps: number;
  residual?: boolean;
  /** The residual is a cross layer's output o (mean 3) normalised first, LN(x + LN(o)) with eps 1e-12. */
  residualNorm?: boolean;
  gelu?: boolean;
  /** x = center + spread·U(-1, 1): a small spread next to the center is where eps and the mean's accuracy matter. */
  center?: number;
  spread?: number;
}

const SHAPES: Shape[] = [
  { what: 'text embeddings (tiny)', shape: [2, 7, 32], eps: 1e-5 },
  { what: 'bridge LN(x + y), odd width', shape: [3, 13, 67], eps: 1e-12, residual: true },
  { what: 'one element (variance 0)', shape: [1, 1], eps: 1e-12 },
  { what: 'task head LN + GELU', shape: [3, 1536], eps: 1e-5, gelu: true },
  { what: 'base width with residual', shape: [1, 325, 768], eps: 1e-5, residual: true },
  { what: 'bridge LN(t + LN(o)), odd width', shape: [3, 13, 67], eps: 1e-5, residual: true, residualNorm: true },
  { what: 'bridge LN(t + LN(o)), one row', shape: [1, 1, 768], eps: 1e-5, residual: true, residualNorm: true },
  // Spread 1e-6 around 0.5: the variance (~3e-13) is below eps 1e-5, which then dominates; with eps 1e-12
  // the output is O(1). Both eps values must give their own, very different, reference.
  { what: 'variance ~3e-13, eps 1e-12', shape: [4, 257], eps: 1e-12, center: 0.5, spread: 1e-6 },
  { what: 'variance ~3e-13, eps 1e-5', shape: [4, 257], eps: 1e-5, center: 0.5, spread: 1e-6 },
  // Mean 1000, spread 0.01: a one-pass E[v²] - E[v]² loses the variance entirely in float32.
  { what: 'mean 1000, spread 0.01, eps 1e-12', shape: [3, 768], eps: 1e-12, center: 1000, spread: 0.01 },
];

// Both variants on every shape, whatever the adapter.
const layerNormCases: KernelCase[] = SHAPES.flatMap((s, n) =>
  (['workgroup', 'rows'] as LayerNormVariant[]).map((variant) => ({
    kernel: 'layerNorm',
    name: `${variant}: [${s.shape.join(', ')}] ${s.what}`,
    async run(gpu) {
      const rand = rng(600 + n);
      const D = s.shape[s.shape.length - 1];
      const size = s.shape.reduce((a, b) => a * b, 1);
      const spread = s.spread ?? 2;
      const x = randomF32(size, rand, (s.center ?? 0) - spread, (s.center ?? 0) + spread);
      const w = randomF32(D, rand, 0.5, 1.5),
        b = randomF32(D, rand, -0.5, 0.5);
      const r = s.residual ? randomF32(size, rand, s.residualNorm ? 1 : -2, s.residualNorm ? 5 : 2) : undefined;
      const rw = s.residualNorm ? randomF32(D, rand, 0.5, 1.5) : undefined,
        rb = s.residualNorm ? randomF32(D, rand, -0.5, 0.5) : undefined;
      const tx = gpu.upload(x, s.shape, 'f32', 'x');
      const tw = gpu.upload(w, [D], 'f32', 'weight'),
        tb = gpu.upload(b, [D], 'f32', 'bias');
      const tr = r ? gpu.upload(r, s.shape, 'f32', 'residual') : undefined;
      const residualNorm = rw &&
        rb && {
          weight: gpu.upload(rw, [D], 'f32', 'residual weight'),
          bias: gpu.upload(rb, [D], 'f32', 'residual bias'),
          eps: 1e-12,
        };
      const out = gpu.tensor(s.shape, 'f32', 'out');
      poison(gpu, out);
      const activation = s.gelu ? ('gelu' as const) : undefined;
      layerNorm(gpu, tx, tw, tb, s.eps, { residual: tr, residualNorm, activation, out, variant });
      const [y] = await gpu.read(out);
      for (const t of [tx, tw, tb, tr, out, residualNorm?.weight, residualNorm?.bias]) t?.release();
      // The residual is added in float32 by the kernel: the reference normalises that same float32 sum. A
      // normalised residual is the float64 LN(o), rounded to float32 as the kernel holds it.
      const rr = r && rw && rb ? Float32Array.from(layerNormRef(r, size / D, D, rw, rb, 1e-12)) : r;
      const v = rr ? Float32Array.from(x, (xi, i) => xi + rr[i]) : x;
      const expected = layerNormRef(v, size / D, D, w, b, s.eps, { activation: s.gelu ? 'gelu' : undefined });
      // Outputs are O(1) (|normalised| <= sqrt(D), times w <= 1.5, plus |b| <= 0.5). Error sources: the float32
      // shifted sums over <= 1536 terms (the variance's relative error ~1e-6 moves every output by that
      // fraction), 1/sqrt, and the 4-flop epilogue; the erf approximation adds ~1e-7. Measured max error on
      // SwiftShader and on an H200: 8.6e-7 (workgroup tree sums), 1.2e-6 (rows: 4 interleaved sequential sums).
      // LN(o) adds its own error of the same size to the sum, hence the doubled bound there.
      return s.residualNorm ? compare(y, expected, 8e-6, 8e-6) : compare(y, expected, 4e-6, 4e-6);
    },
  })),
);

const D = 768;

const layerNormBenchmarks: KernelBenchmark[] = [325, 1297].map((rows) => ({
  kernel: 'layerNorm',
  shape: `[${rows}, ${D}] + residual`,
  // x and residual read, out written; weight and bias are negligible.
  work: { bytes: 3 * 4 * rows * D },
  setup(gpu, rand) {
    const x = randomTensor(gpu, [rows, D], rand, 'x');
    const residual = randomTensor(gpu, [rows, D], rand, 'residual');
    const weight = randomTensor(gpu, [D], rand, 'weight');
    const bias = randomTensor(gpu, [D], rand, 'bias');
    return {
      variants: (['rows', 'workgroup'] as LayerNormVariant[]).map((variant) => ({
        name: variant,
        run: () => layerNorm(gpu, x, weight, bias, 1e-5, { residual, variant }).release(),
      })),
      release: () => releaseAll([x, residual, weight, bias]),
    };
  },
}));

export const layerNormCheck: KernelCheck = {
  kernel: 'layerNorm',
  cases: layerNormCases,
  benchmarks: layerNormBenchmarks,
};
