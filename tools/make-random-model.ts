// Writes a random-weight BridgeTower (src/checkpoint/random-weights.ts) to disk, in the web format (f32 or f16),
// or as canonical-name safetensors plus a BridgeTowerConfig JSON.
//
//   npx tsx tools/make-random-model.ts --preset base-vqa --out /tmp/bt-base [--format web|safetensors] [--dtype f32|f16] [--seed 1]
import { writeFile, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { parseArgs, option, intOption } from '../src/cli/args';
import { NodeDirSink } from '../src/checkpoint/source-node';
import type { HostTensor } from '../src/common/tensor';
import { MemoryWeights, PRESETS, randomWeights } from '../src/checkpoint/random-weights';
import { writeWebFormat } from '../src/checkpoint/web-format-write';
import type { BridgeTowerConfig } from '../src/common/config';
import { UsageError } from '../src/errors';
import { writeSafetensors } from '../src/checkpoint/safetensors-write';

/** Write a random model: a web-format directory, or model.safetensors + bridgetower-config.json (pass it as --config). */
export async function writeRandomModel(
  dir: string,
  config: BridgeTowerConfig,
  opts: { seed?: number; format?: 'web' | 'safetensors'; dtype?: 'f32' | 'f16' } = {},
): Promise<Map<string, HostTensor>> {
  const weights = randomWeights(config, opts.seed ?? 1);
  if ((opts.format ?? 'web') === 'web') {
    await writeWebFormat(new MemoryWeights(config, weights), new NodeDirSink(dir), { dtype: opts.dtype ?? 'f32' });
  } else {
    if (opts.dtype === 'f16') throw new UsageError('--dtype f16 is for the web format; safetensors output is f32');
    await mkdir(dir, { recursive: true });
    const tensors = Object.fromEntries(
      [...weights].map(([n, t]) => [n, { dtype: 'F32' as const, shape: t.shape, data: t.data as Float32Array }]),
    );
    await writeFile(join(dir, 'model.safetensors'), writeSafetensors(tensors));
    await writeFile(join(dir, 'bridgetower-config.json'), JSON.stringify(config, null, 2));
  }
  return weights;
}

async function main(argv: string[]): Promise<void> {
  const args = parseArgs(argv, { values: ['preset', 'out', 'format', 'dtype', 'seed'] });
  const preset = option(args, 'preset', 'base-vqa')!;
  const make = PRESETS[preset];
  if (!make) throw new UsageError(`--preset must be one of ${Object.keys(PRESETS).join(', ')}`);
  const out = option(args, 'out');
  if (!out) throw new UsageError('--out <dir> is required');
  const format = option(args, 'format', 'web');
  if (format !== 'web' && format !== 'safetensors') throw new UsageError('--format must be web or safetensors');
  const dtype = option(args, 'dtype', 'f32');
  if (dtype !== 'f32' && dtype !== 'f16') throw new UsageError('--dtype must be f32 or f16');
  const t0 = performance.now();
  const weights = await writeRandomModel(out, make(), { seed: intOption(args, 'seed', 1), format, dtype });
  const params = [...weights.values()].reduce((s, t) => s + t.data.length, 0);
  console.log(
    `${preset}: ${(params / 1e6).toFixed(1)}M parameters -> ${out} (${format}, ${dtype}) in ${((performance.now() - t0) / 1000).toFixed(1)} s`,
  );
}

if (import.meta.url === `file://${process.argv[1]}`) {
  main(process.argv.slice(2)).catch((e: Error) => {
    console.error(`make-random-model: ${e.message}`);
    process.exit(1);
  });
}
