// Fingerprint every fixture's outputs: sha256 of each output tensor for every fixture under test/fixtures and
// every weight route (f32 from each source, f16/q8/q4 through the web format). A refactor must leave the
// printed lines identical: `node --import ./tools/raw-import.mjs --import tsx tools/fixture-hashes.ts > before.txt`, change, run again, `diff`.
import { createHash } from 'node:crypto';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { createNodeGpu } from '../src/gpu/node';
import { loadFixtureModel, type WeightOrigin } from '../src/verify/fixture';
import { readSafetensorsFile } from '../src/verify/load-model';
import type { WebDType } from '../src/checkpoint/web-format';

const root = process.argv[2] ?? 'test/fixtures';
const routes: { from: WeightOrigin; dtype: WebDType }[] = [
  { from: 'ckpt', dtype: 'f32' },
  { from: 'hf', dtype: 'f32' },
  { from: 'web', dtype: 'f32' },
  { from: 'web', dtype: 'f16' },
  { from: 'web', dtype: 'q8' },
  { from: 'web', dtype: 'q4' },
];

function hasWeights(dir: string, from: WeightOrigin): boolean {
  if (from === 'ckpt') return existsSync(join(dir, 'model.ckpt'));
  if (from === 'hf') return existsSync(join(dir, 'model-hf.safetensors'));
  return true;
}

const gpu = await createNodeGpu();
for (const name of readdirSync(root).sort()) {
  const dir = join(root, name);
  if (!existsSync(join(dir, 'inputs.safetensors'))) continue;
  const inputs = await readSafetensorsFile(join(dir, 'inputs.safetensors'));
  const host = (n: string) => {
    const t = inputs.get(n);
    return t && { shape: t.shape, data: t.data as never };
  };
  for (const { from, dtype } of routes) {
    if (!hasWeights(dir, from)) continue;
    let model;
    try {
      model = await loadFixtureModel(gpu, dir, { from, dtype });
    } catch (e) {
      console.log(`${name} ${from}/${dtype} refused: ${(e as Error).message}`);
      continue;
    }
    try {
      const got = await model.forward(
        {
          inputIds: host('input_ids'),
          attentionMask: host('attention_mask'),
          pixelValues: host('pixel_values'),
          pixelValues2: host('pixel_values_2'),
        },
        { outputs: model.knownOutputs() },
      );
      for (const [out, t] of [...got].sort(([a], [b]) => a.localeCompare(b))) {
        const bytes = new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength);
        const sha = createHash('sha256').update(bytes).digest('hex').slice(0, 16);
        console.log(`${name} ${from}/${dtype} ${out} [${t.shape.join(',')}] ${sha}`);
      }
    } finally {
      model.dispose();
    }
  }
}
gpu.destroy();
