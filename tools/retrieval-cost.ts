// What ranking pictures for a text costs: `retrieveImages` (ITC, then ITM re-ranking of the top `rerank`) against
// `embedImage` + `embedText` and cosines alone, on N pictures of the demo's evaluation set. Prints the median of
// several runs after a warm-up (pipelines compiled); the README quotes it.
//
//   node --import ./tools/raw-import.mjs --import tsx tools/retrieval-cost.ts [--pictures 30] [--runs 5]
import { readFileSync } from 'node:fs';
import { intOption, parseArgs } from '../src/cli/args';
import { loadBridgeTower } from '../src/tasks/node';

const args = parseArgs(process.argv.slice(2), { values: ['pictures', 'runs'], flags: [] });
const pictures = intOption(args, 'pictures', 30) ?? 30;
const runs = intOption(args, 'runs', 5) ?? 5;
const TEXT = 'a red circle';
const EVAL = 'test/fixtures/demo-model/eval';
const files = (JSON.parse(readFileSync(`${EVAL}/images.json`, 'utf8')) as Array<{ image: string }>).map((i) => i.image);
const images = Array.from({ length: pictures }, (_, i) => readFileSync(`${EVAL}/${files[i % files.length]}`));

const bt = await loadBridgeTower();
await bt.warmUp();
const dot = (a: Float32Array, b: Float32Array) => a.reduce((s, v, i) => s + v * b[i], 0);

async function median(task: () => Promise<unknown>): Promise<number> {
  await task();
  const ms: number[] = [];
  for (let r = 0; r < runs; r++) {
    const t0 = performance.now();
    await task();
    ms.push(performance.now() - t0);
  }
  return ms.sort((a, b) => a - b)[runs >> 1];
}

const rerank = await median(() => bt.retrieveImages(TEXT, images));
const cosine = await median(async () => {
  const [text] = await bt.embedText([TEXT]);
  const embedded = await bt.embedImage(images);
  return embedded.map((e, index) => ({ index, score: dot(text, e) })).sort((a, b) => b.score - a.score);
});
const { vendor, architecture, description } = bt.gpu.caps.adapter;
console.log(
  `${[vendor, architecture, description].filter(Boolean).join(' ')}: ${pictures} pictures, median of ${runs} runs after a warm-up:`,
);
console.log(`  retrieveImages (ITC, then ITM re-ranking of the top 16)  ${(rerank / 1000).toFixed(2)} s`);
console.log(`  embedText + embedImage + cosines                        ${(cosine / 1000).toFixed(2)} s`);
bt.dispose();
