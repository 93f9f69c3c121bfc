// `bridgetower bench kernels`: GFLOP/s of linear (each variant) at the BridgeTower-base shapes and of attention.
// Not a test. Each timed iteration is one submit; times come from GPU timestamp queries when the adapter has
// them, from the wall clock around the submits otherwise (the table says which).
import { UsageError } from '../errors';
import { createNodeGpu } from '../gpu/node';
import type { Gpu } from '../gpu/runtime';
import type { GpuTensor } from '../gpu/tensor';
import { attention } from '../kernels/attention';
import { linear, type LinearVariant } from '../kernels/linear';
import { quantize } from '../spec/quantize';
import { intOption, option, parseArgs } from './args';

/** M x K x N: ViT qkv / out-proj / MLP at 288px (325 tokens), a 40-token text layer, and 1297 tokens (576px). */
const LINEAR_SHAPES: [number, number, number][] = [
  [325, 768, 2304], [325, 768, 768], [325, 768, 3072], [325, 3072, 768], [40, 768, 768], [1297, 768, 768],
];
/** Lq x Lk, 12 heads of 64: text-to-image cross-attention and self-attention over 1297 image tokens. */
const ATTENTION_SHAPES: [number, number][] = [[40, 325], [1297, 1297]];
const HEADS = 12;
const HEAD_DIM = 64;

const USAGE = 'usage: bridgetower bench kernels [--variant blocked|tiled|all] [--iterations N] [--weights f32|f16|q8|q4[,...]]';

type BenchWeights = 'f32' | 'f16' | 'q8' | 'q4';
const WEIGHTS: readonly BenchWeights[] = ['f32', 'f16', 'q8', 'q4'];

function randomValues(n: number, scale: number): Float32Array {
  const data = new Float32Array(n);
  let s = 12345;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0;
    data[i] = ((s >>> 8) / 2 ** 24 - 0.5) * 2 * scale;
  }
  return data;
}

function randomTensor(gpu: Gpu, shape: number[], scale: number, label: string): GpuTensor {
  return gpu.upload(randomValues(shape.reduce((a, b) => a * b, 1), scale), shape, 'f32', label);
}

function weightTensor(gpu: Gpu, dtype: BenchWeights, N: number, K: number): GpuTensor {
  if (dtype === 'f16') return halfTensor(gpu, [N, K], 'w');
  if (dtype === 'f32') return randomTensor(gpu, [N, K], 1 / Math.sqrt(K), 'w');
  const q = quantize(randomValues(N * K, 1 / Math.sqrt(K)), [N, K], dtype, 'w');
  return gpu.uploadQuantized(q.data as Uint8Array, q.scales!, [N, K], dtype, 'w');
}

function halfTensor(gpu: Gpu, shape: number[], label: string): GpuTensor {
  const n = shape.reduce((a, b) => a * b, 1);
  // 0x2c00 = 2^-4: any finite half does for timing.
  return gpu.upload(new Uint16Array(n + (n & 1)).fill(0x2c00), shape, 'f16', label);
}

/** Milliseconds per run of `record` (warm-up first, which also builds the pipelines). */
async function timeIt(gpu: Gpu, iterations: number, record: () => void): Promise<number> {
  record();
  await gpu.finish();
  gpu.resetTimings();
  const t0 = performance.now();
  for (let i = 0; i < iterations; i++) {
    record();
    gpu.submit();
  }
  await gpu.finish();
  const wall = (performance.now() - t0) / iterations;
  if (!gpu.profiling) return wall;
  let ms = 0;
  for (const t of gpu.timings().values()) ms += t.ms;
  return ms / iterations;
}

function row(cells: string[], widths: number[]): string {
  return cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
}

async function benchKernels(argv: string[]): Promise<number> {
  const args = parseArgs(argv, { values: ['variant', 'iterations', 'weights'], flags: ['help'] });
  if (args.options.has('help')) { console.log(USAGE); return 0; }
  if (args.positionals.length) throw new UsageError(`unexpected argument ${args.positionals[0]}; ${USAGE}`);
  const which = option(args, 'variant', 'all')!;
  if (!['blocked', 'tiled', 'all'].includes(which)) throw new UsageError(`--variant must be blocked, tiled or all; ${USAGE}`);
  const weights = option(args, 'weights', 'f32')!.split(',') as BenchWeights[];
  const unknown = weights.find((w) => !WEIGHTS.includes(w));
  if (unknown !== undefined) throw new UsageError(`--weights takes f32, f16, q8, q4 or a comma list of them, got ${JSON.stringify(unknown)}; ${USAGE}`);
  const variants: LinearVariant[] = which === 'all' ? ['blocked', 'tiled'] : [which as LinearVariant];
  const asked = intOption(args, 'iterations');
  if (asked !== undefined && asked < 1) throw new UsageError(`--iterations must be at least 1, got ${asked}`);

  const gpu = await createNodeGpu({ profile: true });
  const iterations = asked ?? (gpu.caps.cpuAdapter ? 5 : 50);
  const clock = gpu.profiling ? 'GPU timestamp queries' : 'wall clock (no timestamp-query on this adapter)';
  const defaultVariant = gpu.caps.cpuAdapter ? 'blocked' : 'tiled';
  console.log(`adapter: ${gpu.adapterDescription}${gpu.caps.cpuAdapter ? ' (CPU adapter)' : ''}`);
  console.log(`timing: ${clock}; ${iterations} iterations after a warm-up, one submit each; ${weights.join(', ')} weights`);
  console.log(`linear picks '${defaultVariant}' on this adapter by default\n`);

  const columns = variants.flatMap((v) => weights.map((w) => ({ variant: v, weights: w })));
  const widths = [22, ...columns.map(() => 20)];
  console.log(row(['linear M x K x N', ...columns.map((c) => `${c.variant} ${c.weights} GFLOP/s`)], widths));
  for (const [M, K, N] of LINEAR_SHAPES) {
    const x = randomTensor(gpu, [M, K], 1, 'x');
    const ws = new Map(weights.map((d) => [d, weightTensor(gpu, d, N, K)]));
    const cells: string[] = [];
    for (const c of columns) {
      const w = ws.get(c.weights)!;
      const ms = await timeIt(gpu, iterations, () => linear(gpu, x, w, { variant: c.variant }).release());
      cells.push(`${((2 * M * K * N) / ms / 1e6).toFixed(2)} (${ms.toFixed(1)} ms)`);
    }
    console.log(row([`${M} x ${K} x ${N}`, ...cells], widths));
    x.release();
    for (const w of ws.values()) w.release();
  }

  console.log(`\n${row(['attention Lq x Lk', 'GFLOP/s'], [22, 18])}`);
  const width = HEADS * HEAD_DIM;
  for (const [Lq, Lk] of ATTENTION_SHAPES) {
    const q = randomTensor(gpu, [1, Lq, width], 1, 'q');
    const k = randomTensor(gpu, [1, Lk, width], 1, 'k');
    const v = randomTensor(gpu, [1, Lk, width], 1, 'v');
    const ms = await timeIt(gpu, iterations, () => attention(gpu, q, k, v, { heads: HEADS, width }).release());
    // q·kᵀ and p·v: 2 multiply-adds per (head, query, key, channel) each.
    const flops = 4 * HEADS * Lq * Lk * HEAD_DIM;
    console.log(row([`${Lq} x ${Lk} (12 x 64)`, `${(flops / ms / 1e6).toFixed(2)} (${ms.toFixed(1)} ms)`], [22, 18]));
    for (const t of [q, k, v]) t.release();
  }
  gpu.destroy();
  return 0;
}

export default async function bench(argv: string[]): Promise<number> {
  const [what, ...rest] = argv;
  if (what === '--help' || what === '-h') { console.log(USAGE); return 0; }
  if (what !== 'kernels') {
    const problem = what === undefined ? 'bench needs a target' : `bench has no target ${JSON.stringify(what)}`;
    throw new UsageError(`${problem}: ${USAGE}`);
  }
  return benchKernels(rest);
}
