// `bridgetower bench table`: the README's performance table (`npm run bench`): whole forward passes of the demo
// model and of the random-weight base model, steady state (the best forward after the first), with the host's
// counts per forward. `bridgetower bench kernels`: every kernel's benchmarks (src/kernels/check/, the list the kernel tests run), GFLOP/s or GB/s per variant.
// Not a test. Each timed iteration is one submit; times come from GPU timestamp queries when the adapter has
// them, from the wall clock around the submits otherwise (the header says which).
import { UsageError } from '../errors';
import { createNodeGpu } from '../gpu/node';
import { checkedKernels, kernelChecks, rate, timeCalls, type BenchWeights } from '../kernels/check';
import { mulberry32 } from '../common/random';
import { intOption, option, parseArgs } from './args';
import { runBench, type BenchRecord } from './bench-model';

const USAGE =
  'usage: bridgetower bench kernels [--kernel NAME[,...]] [--variant blocked|tiled|all] [--iterations N] ' +
  '[--weights f32|f16|q8|q4[,...]] | bench table [--image-size S[,...]] [--iterations N] [--demo-only]';

/** Where `bench table` finds the demo model (the repository's checkout). */
const DEMO_MODEL = 'weights/demo';

const WEIGHTS: readonly BenchWeights[] = ['f32', 'f16', 'q8', 'q4'];

function row(cells: string[], widths: number[]): string {
  return cells.map((c, i) => (i < 3 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
}

async function benchKernels(argv: string[]): Promise<number> {
  const args = parseArgs(argv, { values: ['kernel', 'variant', 'iterations', 'weights'], flags: ['help'] });
  if (args.options.has('help')) {
    console.log(USAGE);
    return 0;
  }
  if (args.positionals.length) throw new UsageError(`unexpected argument ${args.positionals[0]}; ${USAGE}`);
  const which = option(args, 'variant', 'all')!;
  if (!['blocked', 'tiled', 'all'].includes(which))
    throw new UsageError(`--variant must be blocked, tiled or all; ${USAGE}`);
  const weights = option(args, 'weights', 'f32')!.split(',') as BenchWeights[];
  const unknown = weights.find((w) => !WEIGHTS.includes(w));
  if (unknown !== undefined)
    throw new UsageError(
      `--weights takes f32, f16, q8, q4 or a comma list of them, got ${JSON.stringify(unknown)}; ${USAGE}`,
    );
  const kernels = option(args, 'kernel', checkedKernels.join(','))!.split(',');
  const unknownKernel = kernels.find((k) => !checkedKernels.includes(k));
  if (unknownKernel !== undefined) {
    const names = checkedKernels.join(', ');
    throw new UsageError(`--kernel takes ${names} or a comma list of them, got ${JSON.stringify(unknownKernel)}`);
  }
  const linearVariants = which === 'all' ? (['blocked', 'tiled'] as const) : [which as 'blocked' | 'tiled'];
  const asked = intOption(args, 'iterations');
  if (asked !== undefined && asked < 1) throw new UsageError(`--iterations must be at least 1, got ${asked}`);

  const gpu = await createNodeGpu({ profile: true });
  const iterations = asked ?? (gpu.caps.cpuAdapter ? 5 : 50);
  const clock = gpu.profiling ? 'GPU timestamp queries' : 'wall clock (no timestamp-query on this adapter)';
  console.log(`adapter: ${gpu.adapterDescription}${gpu.caps.cpuAdapter ? ' (CPU adapter)' : ''}`);
  console.log(
    `timing: ${clock}; ${iterations} iterations after a warm-up, one submit each; ${weights.join(', ')} weights`,
  );
  const wide = gpu.caps.cpuAdapter ? 'blocked' : 'tiled';
  console.log(`linear picks 'rows' for a few rows and '${wide}' above on this adapter (kernels/linear-shape.ts)\n`);

  const widths = [18, 40, 14, 10, 16];
  console.log(row(['kernel', 'shape', 'variant', 'ms', 'rate'], widths));
  const rand = mulberry32(12345);
  for (const b of kernelChecks.filter((c) => kernels.includes(c.kernel)).flatMap((c) => c.benchmarks)) {
    const setup = b.setup(gpu, rand, { weights, linearVariants });
    try {
      for (const v of setup.variants) {
        const ms = await timeCalls(gpu, iterations, v.run);
        console.log(row([b.kernel, b.shape, v.name, ms.toFixed(2), rate(b.work, ms)], widths));
      }
    } finally {
      setup.release();
    }
  }
  gpu.destroy();
  return 0;
}

async function benchTable(argv: string[]): Promise<number> {
  const args = parseArgs(argv, { values: ['image-size', 'iterations'], flags: ['demo-only', 'help'] });
  if (args.options.has('help')) {
    console.log(USAGE);
    return 0;
  }
  const iterations = intOption(args, 'iterations', 2)!;
  if (iterations < 2) throw new UsageError('--iterations must be at least 2 (the first forward compiles)');
  const sizes = option(args, 'image-size', '288')!.split(',').map(Number);
  const common = { batch: 1, iterations, dtypes: ['f32'], limits: 'adapter', profile: false, log: () => {} };
  const rows: [string, BenchRecord][] = [['demo', await runBench({ ...common, model: DEMO_MODEL })]];
  if (!args.options.has('demo-only')) {
    for (const imageSize of sizes)
      rows.push([`base (random, 12/12/6 layers)`, await runBench({ ...common, preset: 'base-vqa', imageSize })]);
  }
  console.log(`adapter: ${rows[0][1].device}; f32, B=1; steady state: the best of forwards 2..${iterations}\n`);
  console.log(
    '| model | image | tokens | dispatches | submits | created per forward (pipelines / bind groups / buffers) | ' +
      'encoding (wall; CPU) | forward (wall; CPU) | first forward |',
  );
  console.log('|---|---|---|---|---|---|---|---|---|');
  for (const [name, r] of rows) {
    const run = r.runs[0];
    const rest = run.forwards.slice(1);
    const steady = rest.reduce((a, b) => (b.cpuMs < a.cpuMs ? b : a));
    const c = steady.counters;
    const minEncode = Math.min(...rest.map((f) => f.counters.encodeMs));
    const minEncodeCpu = Math.min(...rest.map((f) => f.counters.encodeCpuMs));
    console.log(
      `| ${name} | ${r.imageSize} px | ${r.tokens} | ${c.dispatches} | ${c.submits} | ` +
        `${c.pipelinesCreated} / ${c.bindGroupsCreated} / ${c.buffersCreated} | ` +
        `${minEncode.toFixed(1)} ms; ${minEncodeCpu.toFixed(1)} ms | ` +
        `${(run.best.wallMs / 1000).toFixed(2)} s; ${(run.best.cpuMs / 1000).toFixed(2)} s | ` +
        `${(run.forwards[0].wallMs / 1000).toFixed(1)} s |`,
    );
  }
  return 0;
}

export default async function bench(argv: string[]): Promise<number> {
  const [what, ...rest] = argv;
  if (what === '--help' || what === '-h') {
    console.log(USAGE);
    return 0;
  }
  if (what === 'table') return benchTable(rest);
  if (what !== 'kernels') {
    const problem = what === undefined ? 'bench needs a target' : `bench has no target ${JSON.stringify(what)}`;
    throw new UsageError(`${problem}: ${USAGE}`);
  }
  return benchKernels(rest);
}
