// `bridgetower bench-model`: time a whole forward pass of a random-weight model (default: the base
// benchmark, ViT-B/16 + RoBERTa-base + 6 cross layers, VQA head, B=1, 288 px, 40 tokens), and report GPU
// memory next to the weights' size. With --profile, per-kernel GPU times from timestamp queries.
// --dtype takes a comma list (f32,q8,q4): the same random weights in each dtype, run back to back in one
// process on one adapter, with the ratios of their best forwards at the end. Each forward also reports the
// process's CPU time: on a CPU adapter (SwiftShader) that is the work done, which a busy machine does not
// inflate the way it inflates the wall clock.
import { UsageError } from '../errors';
import { toFloatDtype } from '../common/f16';
import { isQuantizable, quantize } from '../common/quantize';
import { WEB_DTYPES, type WebDType } from '../checkpoint/web-format';
import type { HostTensor } from '../common/tensor';
import type { Gpu } from '../gpu/runtime';
import type { BridgeTowerConfig } from '../common/config';
import { createNodeGpu } from '../gpu/node';
import { BridgeTowerModel } from '../model/bridgetower';
import { MemoryWeights, PRESETS, randomWeights } from '../checkpoint/random-weights';
import { flag, intOption, option, parseArgs } from './args';

const HELP = `usage: bridgetower bench-model [--preset ${Object.keys(PRESETS).join('|')}] [--batch B] [--tokens L]
         [--iterations N] [--dtype f32|f16|q8|q4[,...]] [--limits adapter|default] [--profile] [--outputs a,b,...]`;

const mib = (b: number): string => `${(b / 2 ** 20).toFixed(1)} MiB`;

export default async function benchModel(argv: string[]): Promise<number> {
  const args = parseArgs(argv, {
    values: ['preset', 'batch', 'tokens', 'iterations', 'dtype', 'limits', 'outputs'],
    flags: ['profile', 'help'],
  });
  if (flag(args, 'help')) {
    console.log(HELP);
    return 0;
  }
  const preset = option(args, 'preset', 'base-vqa')!;
  if (!PRESETS[preset]) throw new UsageError(`--preset must be one of ${Object.keys(PRESETS).join(', ')}`);
  const config = PRESETS[preset]();
  const B = intOption(args, 'batch', 1)!,
    L = intOption(args, 'tokens', 40)!,
    iterations = intOption(args, 'iterations', 3)!;
  const dtypes = option(args, 'dtype', 'f32')!.split(',') as WebDType[];
  const unknown = dtypes.find((d) => !WEB_DTYPES.includes(d));
  if (unknown !== undefined)
    throw new UsageError(
      `--dtype takes ${WEB_DTYPES.join(', ')} or a comma list of them, got ${JSON.stringify(unknown)}`,
    );
  const limits = option(args, 'limits', 'adapter');
  if (limits !== 'adapter' && limits !== 'default') throw new UsageError('--limits must be adapter or default');
  if (B < 1 || L < 2 || iterations < 1)
    throw new UsageError('--batch, --tokens and --iterations must be positive (tokens >= 2)');
  // RoBERTa positions start after the padding index.
  const maxTokens = config.text.maxPositionEmbeddings - config.text.padTokenId - 1;
  if (L > maxTokens)
    throw new UsageError(`--tokens must be at most ${maxTokens} (the ${preset} position table), got ${L}`);

  const t0 = performance.now();
  const f32 = randomWeights(config, 1);
  const params = [...f32.values()].reduce((s, t) => s + t.data.length, 0);
  console.log(
    `${preset}: ${(params / 1e6).toFixed(1)}M parameters (${((performance.now() - t0) / 1000).toFixed(1)} s to generate)`,
  );

  const gpu = await createNodeGpu({ limits, profile: flag(args, 'profile') });
  const best: Array<[WebDType, Timing]> = [];
  try {
    console.log(
      `device: ${gpu.adapterDescription}; max binding ${mib(gpu.caps.maxStorageBufferBindingSize)}${flag(args, 'profile') && !gpu.profiling ? '; no timestamp queries, no profile' : ''}`,
    );
    for (const dtype of dtypes) {
      const host = withDtype(f32, dtype);
      const hostBytes = [...host.values()].reduce((s, t) => s + t.data.byteLength + (t.scales?.byteLength ?? 0), 0);
      console.log(`\n${dtype}: ${mib(hostBytes)} of weights`);
      best.push([
        dtype,
        await benchOne(gpu, config, host, { B, L, iterations, outputs: option(args, 'outputs')?.split(',') }),
      ]);
    }
    if (best.length > 1) {
      const which = iterations > 1 ? 'best forward' : 'forward (includes pipeline compilation)';
      console.log(`\n${which} per dtype, and its speed-up over ${best[0][0]} (wall clock; CPU time):`);
      const [w0, c0] = [best[0][1].wall, best[0][1].cpu];
      for (const [d, { wall, cpu }] of best) {
        console.log(
          `  ${d.padEnd(4)} ${(wall / 1000).toFixed(2).padStart(8)} s ${(w0 / wall).toFixed(2)}x;` +
            ` ${(cpu / 1000).toFixed(2).padStart(8)} s CPU ${(c0 / cpu).toFixed(2)}x`,
        );
      }
    }
  } finally {
    gpu.destroy();
  }
  return 0;
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

/** Milliseconds of one forward: wall clock and the process's CPU time (user + system). */
interface Timing {
  wall: number;
  cpu: number;
}

const cpuMs = (): number => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};

/** Upload, run `iterations` forwards and print them; returns the best (the first when there is only one). */
async function benchOne(
  gpu: Gpu,
  config: BridgeTowerConfig,
  host: Map<string, HostTensor>,
  o: { B: number; L: number; iterations: number; outputs?: string[] },
): Promise<Timing> {
  const { B, L, iterations } = o;
  let t0 = performance.now();
  const model = await BridgeTowerModel.load(gpu, new MemoryWeights(config, host));
  console.log(`upload: ${((performance.now() - t0) / 1000).toFixed(1)} s, ${mib(model.weights.bytes)} on the GPU`);
  const S = config.vision.imageSize;
  const ids = new Int32Array(B * L);
  for (let i = 0; i < ids.length; i++)
    ids[i] = i % L === 0 ? 0 : i % L === L - 1 ? 2 : 3 + ((i * 7919) % (config.text.vocabSize - 4));
  const pixels = Float32Array.from({ length: B * 3 * S * S }, (_, i) => Math.sin(i * 0.0137));
  const outputs = o.outputs ?? model.defaultOutputs();
  const inputs = { inputIds: { shape: [B, L], data: ids }, pixelValues: { shape: [B, 3, S, S], data: pixels } };
  const times: Timing[] = [];
  for (let i = 0; i < iterations; i++) {
    gpu.resetTimings();
    t0 = performance.now();
    const c0 = cpuMs();
    await model.forward(inputs, { outputs });
    times.push({ wall: performance.now() - t0, cpu: cpuMs() - c0 });
    console.log(
      `forward ${i + 1}: ${(times[i].wall / 1000).toFixed(2)} s, ${(times[i].cpu / 1000).toFixed(2)} s CPU` +
        `${i === 0 ? ' (includes pipeline compilation)' : ''}`,
    );
  }
  const mem = gpu.memory();
  console.log(
    `GPU memory: weights ${mib(mem.persistentBytes)}, activations peak ${mib(mem.poolPeakInUseBytes)} (pool holds ${mib(mem.poolAllocatedBytes)}), ` +
      `total peak ${mib(mem.persistentBytes + mem.poolPeakInUseBytes)}`,
  );
  const rest = times.slice(iterations > 1 ? 1 : 0);
  const best = { wall: Math.min(...rest.map((t) => t.wall)), cpu: Math.min(...rest.map((t) => t.cpu)) };
  if (iterations > 1)
    console.log(
      `best forward: ${(best.wall / 1000).toFixed(2)} s, ${(best.cpu / 1000).toFixed(2)} s CPU (B=${B}, L=${L}, ${S} px)`,
    );
  const timings = [...gpu.timings()].sort((a, b) => b[1].ms - a[1].ms);
  if (timings.length) {
    const total = timings.reduce((s, [, t]) => s + t.ms, 0);
    console.log(
      `GPU time by kernel (last forward, ${total.toFixed(0)} ms in ${timings.reduce((s, [, t]) => s + t.count, 0)} dispatches):`,
    );
    for (const [label, t] of timings.slice(0, 25))
      console.log(
        `  ${label.padEnd(40)} ${t.ms.toFixed(1).padStart(9)} ms  ${String(t.count).padStart(4)}x  ${((100 * t.ms) / total).toFixed(1)}%`,
      );
  }
  model.dispose();
  return best;
}
