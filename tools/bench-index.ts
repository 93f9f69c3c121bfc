// Images per second for search indexing (SearchIndex.add: decoding, preprocessing, the image tower and the ITC
// head) with one picture per forward pass and with batches, on a random-weight model (src/checkpoint/random-
// weights.ts presets; the demo's tokenizer for the probe text). Pictures are random RGB at the model's image size.
// Each run indexes into a fresh index whose creation (the probe passes) also compiles the pipelines, outside the
// timing. Prints a Markdown table: wall clock, and the process's CPU time (on a CPU adapter such as SwiftShader,
// the work done, which a busy machine does not inflate).
//
//   node --import ./tools/raw-import.mjs --import tsx tools/bench-index.ts [--preset base-itm-itc] [--images 8] [--batches 1,8]
import { openModelWeights } from '../src/hub/open-path';
import { MemoryWeights, PRESETS, randomWeights } from '../src/checkpoint/random-weights';
import { mulberry32 } from '../src/common/random';
import { createNodeGpu } from '../src/gpu/node';
import { SearchIndex, type IndexItem } from '../src/search/search-index';
import { BridgeTower } from '../src/tasks';
import { demoModelPath } from '../src/tasks/node';
import { intOption, option, parseArgs } from '../src/cli/args';
import { UsageError } from '../src/errors';

const args = parseArgs(process.argv.slice(2), { values: ['preset', 'images', 'batches'] });
const preset = option(args, 'preset', 'base-itm-itc')!;
const images = intOption(args, 'images', 8)!;
const batches = option(args, 'batches', '1,8')!.split(',').map(Number);
if (!PRESETS[preset]) throw new UsageError(`--preset must be one of ${Object.keys(PRESETS).join(', ')}`);
if (!batches.every((b) => Number.isSafeInteger(b) && b > 0)) throw new UsageError('--batches: positive integers');

const config = PRESETS[preset]();
const demo = await openModelWeights(demoModelPath());
const gpu = await createNodeGpu();
const bt = await BridgeTower.load(
  Object.assign(new MemoryWeights(config, randomWeights(config, 1)), { tokenizer: demo.tokenizer }),
  { gpu },
);
await demo.close();
const S = config.vision.imageSize;
const rand = mulberry32(7);
const pictures = Array.from({ length: images }, () => {
  const data = new Uint8Array(S * S * 3);
  for (let i = 0; i < data.length; i++) data[i] = Math.floor(rand() * 256);
  return { width: S, height: S, data, channels: 3 as const };
});

console.log(`${preset} (${S} px), ${images} pictures, ${gpu.adapterDescription}\n`);
console.log('| pictures per pass | seconds | pictures/s | CPU seconds | pictures per CPU-second |');
console.log('|---|---|---|---|---|');
for (const batchSize of batches) {
  const index = await SearchIndex.create(bt);
  const items: IndexItem[] = pictures.map((image, i) => ({ id: String(i), image }));
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  await index.add(items, { batchSize });
  const wall = (performance.now() - t0) / 1000;
  const { user, system } = process.cpuUsage(cpu0);
  const cpu = (user + system) / 1e6;
  console.log(
    `| ${batchSize} | ${wall.toFixed(1)} | ${(images / wall).toFixed(3)} | ${cpu.toFixed(1)} | ${(images / cpu).toFixed(3)} |`,
  );
}
bt.dispose();
gpu.destroy();
