// `bridgetower bench-model`: time a whole forward pass of a random-weight model (default: the base
// benchmark, ViT-B/16 + RoBERTa-base + 6 cross layers, VQA head, B=1, 288 px, 40 tokens), and report GPU
// memory next to the weights' size. With --profile, per-kernel GPU times from timestamp queries.
import { UsageError } from '../errors';
import { toFloatDtype } from '../checkpoint/f16';
import type { HostTensor } from '../checkpoint/tensor';
import { createNodeGpu } from '../gpu/node';
import { BridgeTowerModel } from '../model/bridgetower';
import { MemoryWeights, PRESETS, randomWeights } from '../model/random-weights';
import { flag, intOption, option, parseArgs } from './args';

const HELP = `usage: bridgetower bench-model [--preset ${Object.keys(PRESETS).join('|')}] [--batch B] [--tokens L]
         [--iterations N] [--dtype f32|f16] [--limits adapter|default] [--profile] [--outputs a,b,...]`;

const mib = (b: number): string => `${(b / 2 ** 20).toFixed(1)} MiB`;

export default async function benchModel(argv: string[]): Promise<number> {
  const args = parseArgs(argv, { values: ['preset', 'batch', 'tokens', 'iterations', 'dtype', 'limits', 'outputs'], flags: ['profile', 'help'] });
  if (flag(args, 'help')) {
    console.log(HELP);
    return 0;
  }
  const preset = option(args, 'preset', 'base-vqa')!;
  if (!PRESETS[preset]) throw new UsageError(`--preset must be one of ${Object.keys(PRESETS).join(', ')}`);
  const config = PRESETS[preset]();
  const B = intOption(args, 'batch', 1)!, L = intOption(args, 'tokens', 40)!, iterations = intOption(args, 'iterations', 3)!;
  const dtype = option(args, 'dtype', 'f32');
  if (dtype !== 'f32' && dtype !== 'f16') throw new UsageError('--dtype must be f32 or f16');
  const limits = option(args, 'limits', 'adapter');
  if (limits !== 'adapter' && limits !== 'default') throw new UsageError('--limits must be adapter or default');
  if (B < 1 || L < 2 || iterations < 1) throw new UsageError('--batch, --tokens and --iterations must be positive (tokens >= 2)');
  // RoBERTa positions start after the padding index.
  const maxTokens = config.text.maxPositionEmbeddings - config.text.padTokenId - 1;
  if (L > maxTokens) throw new UsageError(`--tokens must be at most ${maxTokens} (the ${preset} position table), got ${L}`);

  let t0 = performance.now();
  const host = randomWeights(config, 1);
  if (dtype === 'f16') {
    for (const [name, t] of host) if (t.shape.length >= 2) host.set(name, toFloatDtype(t, 'f16', name) as HostTensor);
  }
  const hostBytes = [...host.values()].reduce((s, t) => s + t.data.byteLength, 0);
  const params = [...host.values()].reduce((s, t) => s + t.data.length, 0);
  console.log(`${preset}: ${(params / 1e6).toFixed(1)}M parameters, ${mib(hostBytes)} of ${dtype} matrices (${((performance.now() - t0) / 1000).toFixed(1)} s to generate)`);

  const gpu = await createNodeGpu({ limits, profile: flag(args, 'profile') });
  try {
    console.log(`device: ${gpu.adapterDescription}; max binding ${mib(gpu.caps.maxStorageBufferBindingSize)}${flag(args, 'profile') && !gpu.profiling ? '; no timestamp queries, no profile' : ''}`);
    t0 = performance.now();
    const model = await BridgeTowerModel.load(gpu, new MemoryWeights(config, host));
    console.log(`upload: ${((performance.now() - t0) / 1000).toFixed(1)} s, ${mib(model.weights.bytes)} on the GPU`);
    const S = config.vision.imageSize;
    const ids = new Int32Array(B * L);
    for (let i = 0; i < ids.length; i++) ids[i] = i % L === 0 ? 0 : i % L === L - 1 ? 2 : 3 + ((i * 7919) % (config.text.vocabSize - 4));
    const pixels = Float32Array.from({ length: B * 3 * S * S }, (_, i) => Math.sin(i * 0.0137));
    const outputs = option(args, 'outputs')?.split(',') ?? model.defaultOutputs();
    const inputs = { inputIds: { shape: [B, L], data: ids }, pixelValues: { shape: [B, 3, S, S], data: pixels } };
    const times: number[] = [];
    for (let i = 0; i < iterations; i++) {
      gpu.resetTimings();
      t0 = performance.now();
      await model.forward(inputs, { outputs });
      times.push(performance.now() - t0);
      console.log(`forward ${i + 1}: ${(times[i] / 1000).toFixed(2)} s${i === 0 ? ' (includes pipeline compilation)' : ''}`);
    }
    const mem = gpu.memory();
    console.log(`GPU memory: weights ${mib(mem.persistentBytes)}, activations peak ${mib(mem.poolPeakInUseBytes)} (pool holds ${mib(mem.poolAllocatedBytes)}), ` +
      `total peak ${mib(mem.persistentBytes + mem.poolPeakInUseBytes)}`);
    if (iterations > 1) console.log(`best forward: ${(Math.min(...times.slice(1)) / 1000).toFixed(2)} s (B=${B}, L=${L}, ${S} px)`);
    const timings = [...gpu.timings()].sort((a, b) => b[1].ms - a[1].ms);
    if (timings.length) {
      const total = timings.reduce((s, [, t]) => s + t.ms, 0);
      console.log(`GPU time by kernel (last forward, ${total.toFixed(0)} ms in ${timings.reduce((s, [, t]) => s + t.count, 0)} dispatches):`);
      for (const [label, t] of timings.slice(0, 25)) console.log(`  ${label.padEnd(40)} ${t.ms.toFixed(1).padStart(9)} ms  ${String(t.count).padStart(4)}x  ${(100 * t.ms / total).toFixed(1)}%`);
    }
    model.dispose();
  } finally {
    gpu.destroy();
  }
  return 0;
}
