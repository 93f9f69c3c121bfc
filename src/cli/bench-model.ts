// `bridgetower bench-model`: time whole forward passes of a model (default: the issue's base benchmark, a
// random-weight ViT-B/16 + RoBERTa-base + 6 cross layers with a VQA head, B=1, 288 px, 40 tokens; or --model DIR)
// and count per forward what the host did: dispatches, submits, pipelines / bind groups / buffers created, bytes
// written and read back, and the encoding time (start of `forward` to its submits). With --profile, GPU time per
// stage and per kernel from timestamp queries, with each kernel's GFLOP/s and weight GB/s.
// --dtype takes a comma list (f32,q8,q4): the same weights in each dtype, run back to back in one process on one
// adapter, with the ratios of their best forwards at the end; --compute f32,f16 likewise runs each dtype with
// f32 and with f16 activations between the matrix products (ModelOptions.compute). Each forward also reports the process's CPU time:
// on a CPU adapter (SwiftShader) that is the work done, which a busy machine does not inflate the way it inflates
// the wall clock. --staged runs each forward in stages as the task API does (a submit and a wait per stage: the text
// tower, every few image layers, the cross-modal layers) to measure what cancel and progress within a pass cost.
// --json prints one JSON object instead of the text.
import { UsageError } from '../errors';
import { toFloatDtype } from '../common/f16';
import { isQuantizable, quantize } from '../common/quantize';
import { WEB_DTYPES, type WebDType } from '../checkpoint/web-format';
import type { HostTensor } from '../common/tensor';
import type { Gpu, GpuCounters } from '../gpu/runtime';
import type { TimingTotal } from '../gpu/timing';
import type { BridgeTowerConfig } from '../common/config';
import { createNodeGpu } from '../gpu/node';
import { BridgeTowerModel, COMPUTE_PRECISIONS, type ComputePrecision } from '../model/bridgetower';
import { defaultOutputs } from '../model/plan';
import { MemoryWeights, PRESETS, randomWeights } from '../checkpoint/random-weights';
import { loadModel } from '../verify/load-model';
import { flag, intOption, option, parseArgs } from './args';

const HELP = `usage: bridgetower bench-model [--preset ${Object.keys(PRESETS).join('|')} | --model DIR] [--image-size S]
         [--batch B] [--tokens L] [--iterations N] [--dtype f32|f16|q8|q4[,...]] [--compute f32|f16[,...]]
         [--limits adapter|default] [--kernels cpu|gpu] [--profile] [--staged] [--outputs a,b,...] [--json]`;

const mib = (b: number): string => `${(b / 2 ** 20).toFixed(1)} MiB`;

/** One forward: wall clock and process CPU milliseconds, and what the runtime did (counter differences). */
export interface ForwardRecord {
  wallMs: number;
  cpuMs: number;
  counters: GpuCounters;
  /** With --staged: the stages the forward reported. */
  stages?: number;
}

export interface KernelRecord extends TimingTotal {
  label: string;
  gflops: number;
  weightGBs: number;
}

export interface DtypeRecord {
  dtype: WebDType | 'model';
  /** The activations' precision between matrix products. */
  compute: ComputePrecision;
  weightBytes: number;
  uploadMs: number;
  forwards: ForwardRecord[];
  /** The best forward after the first (the first compiles pipelines), or the only one. */
  best: { wallMs: number; cpuMs: number };
  memory: { weightBytes: number; activationPeakBytes: number; poolBytes: number };
  /** Last forward, with --profile on an adapter with timestamp queries. */
  stages?: { stage: string; ms: number; count: number }[];
  kernels?: KernelRecord[];
}

export interface BenchRecord {
  model: string;
  device: string;
  cpuAdapter: boolean;
  /** Of a random preset. */
  parameters?: number;
  batch: number;
  tokens: number;
  imageSize: number;
  outputs: string[];
  runs: DtypeRecord[];
}

export default async function benchModel(argv: string[]): Promise<number> {
  const args = parseArgs(argv, {
    values: [
      'preset',
      'model',
      'image-size',
      'batch',
      'tokens',
      'iterations',
      'dtype',
      'compute',
      'limits',
      'kernels',
      'outputs',
    ],
    flags: ['profile', 'staged', 'json', 'help'],
  });
  if (flag(args, 'help')) {
    console.log(HELP);
    return 0;
  }
  const record = await runBench({
    preset: option(args, 'preset'),
    model: option(args, 'model'),
    imageSize: intOption(args, 'image-size'),
    batch: intOption(args, 'batch', 1)!,
    tokens: intOption(args, 'tokens'),
    iterations: intOption(args, 'iterations', 3)!,
    dtypes: option(args, 'dtype', 'f32')!.split(','),
    computes: option(args, 'compute', 'f32')!.split(','),
    limits: option(args, 'limits', 'adapter')!,
    kernels: option(args, 'kernels'),
    profile: flag(args, 'profile'),
    staged: flag(args, 'staged'),
    outputs: option(args, 'outputs')?.split(','),
    log: flag(args, 'json') ? () => {} : (line) => console.log(line),
  });
  if (flag(args, 'json')) console.log(JSON.stringify(record, null, 1));
  return 0;
}

export interface BenchOptions {
  preset?: string;
  /** A model path (web-format directory, checkpoint...) instead of a random preset. */
  model?: string;
  imageSize?: number;
  batch: number;
  tokens?: number;
  iterations: number;
  dtypes: string[];
  /** Compute precisions to run each dtype with. @default ['f32'] */
  computes?: string[];
  limits: string;
  /** Kernel variants as for a CPU adapter or a GPU (default: the adapter's). */
  kernels?: string;
  profile: boolean;
  /** Run each forward in stages (onStage), as the task API does. */
  staged?: boolean;
  outputs?: string[];
  /** Progress lines (the text report). */
  log: (line: string) => void;
}

/** Run the benchmark described by `o` and return its record (also used by `bench table`). */
export async function runBench(o: BenchOptions): Promise<BenchRecord> {
  if (o.preset !== undefined && o.model !== undefined) throw new UsageError('give --preset or --model, not both');
  const preset = o.preset ?? 'base-vqa';
  if (!o.model && !PRESETS[preset]) throw new UsageError(`--preset must be one of ${Object.keys(PRESETS).join(', ')}`);
  const dtypes = o.dtypes as WebDType[];
  const unknown = dtypes.find((d) => !WEB_DTYPES.includes(d));
  if (unknown !== undefined)
    throw new UsageError(
      `--dtype takes ${WEB_DTYPES.join(', ')} or a comma list of them, got ${JSON.stringify(unknown)}`,
    );
  const computes = (o.computes ?? ['f32']) as ComputePrecision[];
  const unknownCompute = computes.find((c) => !COMPUTE_PRECISIONS.includes(c));
  if (unknownCompute !== undefined)
    throw new UsageError(`--compute takes f32, f16 or a comma list of them, got ${JSON.stringify(unknownCompute)}`);
  if (o.limits !== 'adapter' && o.limits !== 'default') throw new UsageError('--limits must be adapter or default');
  const kernels: { kernels?: 'cpu' | 'gpu' } = {};
  if (o.kernels === 'cpu' || o.kernels === 'gpu') kernels.kernels = o.kernels;
  else if (o.kernels !== undefined)
    throw new UsageError(`--kernels must be cpu or gpu, got ${JSON.stringify(o.kernels)}`);
  if (o.batch < 1 || o.iterations < 1 || (o.tokens !== undefined && o.tokens < 2))
    throw new UsageError('--batch, --tokens and --iterations must be positive (tokens >= 2)');
  if (o.imageSize !== undefined && o.model) throw new UsageError('--image-size is for the random presets');
  if (o.imageSize !== undefined && (o.imageSize < 16 || o.imageSize % 16 !== 0))
    throw new UsageError(`--image-size must be a positive multiple of the patch size 16, got ${o.imageSize}`);

  const base = o.model ? undefined : PRESETS[preset]();
  const presetConfig = base && o.imageSize ? { ...base, vision: { ...base.vision, imageSize: o.imageSize } } : base;
  // A preset's token count is checked before its weights are made; a model's once its config is read.
  if (presetConfig) textLength(presetConfig, o.tokens, preset);

  const gpu = await createNodeGpu({ limits: o.limits, profile: o.profile, cpuClock: cpuNow, ...kernels });
  try {
    o.log(
      `device: ${gpu.adapterDescription}; max binding ${mib(gpu.caps.maxStorageBufferBindingSize)}` +
        (o.profile && !gpu.profiling ? '; no timestamp queries, no profile' : ''),
    );
    const runs: DtypeRecord[] = [];
    let config: BridgeTowerConfig;
    let parameters: number | undefined;
    let f32: Map<string, HostTensor> | undefined;
    if (presetConfig) {
      config = presetConfig;
      const t0 = performance.now();
      f32 = randomWeights(config, 1);
      parameters = [...f32.values()].reduce((s, t) => s + t.data.length, 0);
      o.log(`${preset}: ${(parameters / 1e6).toFixed(1)}M parameters (${sec(performance.now() - t0)} s to generate)`);
    } else {
      const first = await loadModel(gpu, o.model!);
      config = first.config;
      first.dispose();
    }
    const L = textLength(config, o.tokens, o.model ?? preset);
    for (const dtype of dtypes) {
      for (const compute of computes) {
        const t0 = performance.now();
        const model = f32
          ? await BridgeTowerModel.load(gpu, new MemoryWeights(config, withDtype(f32, dtype)), { compute })
          : await loadModel(gpu, o.model!, { convertTo: dtype === 'f32' ? undefined : dtype, compute });
        const uploadMs = performance.now() - t0;
        o.log(
          `\n${runName({ dtype, compute })}: ${mib(model.weights.bytes)} of weights on the GPU, loaded in ${sec(uploadMs)} s`,
        );
        try {
          runs.push(await benchOne(gpu, model, { ...o, dtype, compute, L, uploadMs }));
        } finally {
          model.dispose();
        }
      }
    }
    if (runs.length > 1) {
      const which = o.iterations > 1 ? 'best forward' : 'forward (includes pipeline compilation)';
      o.log(`\n${which} per run, and its speed-up over ${runName(runs[0])} (wall clock; CPU time):`);
      const [w0, c0] = [runs[0].best.wallMs, runs[0].best.cpuMs];
      for (const run of runs) {
        const best = run.best;
        o.log(
          `  ${runName(run).padEnd(16)} ${sec(best.wallMs).padStart(8)} s ${(w0 / best.wallMs).toFixed(2)}x;` +
            ` ${sec(best.cpuMs).padStart(8)} s CPU ${(c0 / best.cpuMs).toFixed(2)}x`,
        );
      }
    }
    return {
      model: o.model ?? preset,
      device: gpu.adapterDescription,
      cpuAdapter: gpu.caps.cpuAdapter,
      parameters,
      batch: o.batch,
      tokens: L,
      imageSize: config.vision.imageSize,
      outputs: o.outputs ?? defaultOutputs(config),
      runs,
    };
  } finally {
    gpu.destroy();
  }
}

const sec = (ms: number): string => (ms / 1000).toFixed(2);

/** A run's name in the report: its dtype, and its compute precision when that is not f32. */
const runName = (r: { dtype: string; compute: ComputePrecision }): string =>
  r.compute === 'f32' ? r.dtype : `${r.dtype}, f16 compute`;

/** The text length to run: `tokens`, or 40 where the position table allows; refused beyond the table. */
function textLength(config: BridgeTowerConfig, tokens: number | undefined, name: string): number {
  // RoBERTa positions start after the padding index.
  const maxTokens = config.text.maxPositionEmbeddings - config.text.padTokenId - 1;
  const L = tokens ?? Math.min(40, maxTokens);
  if (L > maxTokens)
    throw new UsageError(`--tokens must be at most ${maxTokens} (the ${name} position table), got ${L}`);
  return L;
}

/** The f32 random weights in `dtype`: f16 for every matrix, or the quantizable matrices in q8 / q4. */
function withDtype(f32: Map<string, HostTensor>, dtype: WebDType): Map<string, HostTensor> {
  if (dtype === 'f32') return f32;
  const out = new Map<string, HostTensor>();
  for (const [name, t] of f32) {
    if (dtype === 'f16') out.set(name, t.shape.length >= 2 ? toFloatDtype(t, 'f16', name) : t);
    else out.set(name, isQuantizable(name, t.shape) ? quantize(t.data as Float32Array, t.shape, dtype, name) : t);
  }
  return out;
}

const cpuNow = (): number => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};

function difference(a: GpuCounters, b: GpuCounters): GpuCounters {
  const out = { ...b };
  for (const k of Object.keys(out) as (keyof GpuCounters)[]) out[k] = b[k] - a[k];
  return out;
}

/** Run `iterations` forwards of `model` and log them; the record of this dtype. */
async function benchOne(
  gpu: Gpu,
  model: BridgeTowerModel,
  o: BenchOptions & { dtype: WebDType; compute: ComputePrecision; L: number; uploadMs: number },
): Promise<DtypeRecord> {
  const { batch: B, L, iterations, log } = o;
  const config = model.config;
  const S = config.vision.imageSize;
  const ids = new Int32Array(B * L);
  for (let i = 0; i < ids.length; i++)
    ids[i] = i % L === 0 ? 0 : i % L === L - 1 ? 2 : 3 + ((i * 7919) % (config.text.vocabSize - 4));
  const pixels = Float32Array.from({ length: B * 3 * S * S }, (_, i) => Math.sin(i * 0.0137));
  const outputs = o.outputs ?? defaultOutputs(config);
  const inputs = { inputIds: { shape: [B, L], data: ids }, pixelValues: { shape: [B, 3, S, S], data: pixels } };
  const forwards: ForwardRecord[] = [];
  for (let i = 0; i < iterations; i++) {
    gpu.resetTimings();
    const before = gpu.counters();
    const t0 = performance.now();
    const c0 = cpuNow();
    gpu.markEncoding();
    let stages = 0;
    await model.forward(inputs, { outputs, ...(o.staged && { onStage: () => stages++ }) });
    const f: ForwardRecord = {
      wallMs: performance.now() - t0,
      cpuMs: cpuNow() - c0,
      counters: difference(before, gpu.counters()),
      ...(o.staged && { stages }),
    };
    forwards.push(f);
    const c = f.counters;
    log(
      `forward ${i + 1}: ${sec(f.wallMs)} s, ${sec(f.cpuMs)} s CPU; encoding ${c.encodeMs.toFixed(1)} ms (${c.encodeCpuMs.toFixed(1)} ms CPU); ` +
        `${c.dispatches} dispatches in ${c.submits} submits${o.staged ? ` (${stages} stages)` : ''}; created ${c.pipelinesCreated} pipelines, ` +
        `${c.bindGroupsCreated} bind groups, ${c.buffersCreated} buffers; wrote ${mib(c.bytesWritten)}, read ` +
        `${(c.bytesRead / 1024).toFixed(1)} KiB${i === 0 ? ' (first: compiles pipelines)' : ''}`,
    );
  }
  const mem = gpu.memory();
  log(
    `GPU memory: weights ${mib(mem.persistentBytes)}, activations peak ${mib(mem.poolPeakInUseBytes)} (pool holds ${mib(mem.poolAllocatedBytes)}), ` +
      `total peak ${mib(mem.persistentBytes + mem.poolPeakInUseBytes)}`,
  );
  const rest = forwards.slice(iterations > 1 ? 1 : 0);
  const best = { wallMs: Math.min(...rest.map((t) => t.wallMs)), cpuMs: Math.min(...rest.map((t) => t.cpuMs)) };
  if (iterations > 1) log(`best forward: ${sec(best.wallMs)} s, ${sec(best.cpuMs)} s CPU (B=${B}, L=${L}, ${S} px)`);
  const record: DtypeRecord = {
    dtype: o.dtype,
    compute: o.compute,
    weightBytes: model.weights.bytes,
    uploadMs: o.uploadMs,
    forwards,
    best,
    memory: {
      weightBytes: mem.persistentBytes,
      activationPeakBytes: mem.poolPeakInUseBytes,
      poolBytes: mem.poolAllocatedBytes,
    },
  };
  if (gpu.profiling) {
    record.stages = [...gpu.stageTimings()].map(([stage, t]) => ({
      stage: stage || '(none)',
      ms: t.ms,
      count: t.count,
    }));
    record.kernels = [...gpu.timings()]
      .map(([label, t]) => ({
        label,
        ...t,
        gflops: t.ms > 0 ? t.flops / t.ms / 1e6 : 0,
        weightGBs: t.ms > 0 ? t.weightBytes / t.ms / 1e6 : 0,
      }))
      .sort((a, b) => b.ms - a.ms);
    logProfile(record.stages, record.kernels, log);
  }
  return record;
}

function logProfile(
  stages: NonNullable<DtypeRecord['stages']>,
  kernels: KernelRecord[],
  log: (line: string) => void,
): void {
  const total = kernels.reduce((s, k) => s + k.ms, 0);
  log(`GPU time by stage (last forward, ${total.toFixed(0)} ms):`);
  for (const s of stages)
    log(`  ${s.stage.padEnd(40)} ${s.ms.toFixed(1).padStart(9)} ms  ${String(s.count).padStart(4)} dispatches`);
  log(`GPU time by kernel (${kernels.reduce((s, k) => s + k.count, 0)} dispatches):`);
  log(`  ${'kernel'.padEnd(40)} ${'ms'.padStart(9)}  ${'n'.padStart(4)}  ${'share'.padStart(6)}  GFLOP/s   GB/s`);
  for (const k of kernels.slice(0, 30))
    log(
      `  ${k.label.padEnd(40)} ${k.ms.toFixed(1).padStart(9)}  ${String(k.count).padStart(4)}  ` +
        `${((100 * k.ms) / total).toFixed(1).padStart(5)}%  ${(k.flops ? k.gflops.toFixed(1) : '-').padStart(7)}  ` +
        `${(k.weightBytes ? k.weightGBs.toFixed(2) : '-').padStart(5)}`,
    );
}
