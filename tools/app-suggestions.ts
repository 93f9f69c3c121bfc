// Chooses the app's suggestion chips: for each sample picture (src/app/samples/samples.json), questions of the
// kinds the demo model answers well (counting, "is there a ...?", sizes), generated from the picture's scene
// description (test/fixtures/demo-model/eval/images.json) and kept only where the demo model, run through the
// Node task API, gives the true answer as its top answer with a clear margin; and captions whose ITM verdict
// (above or below 0.5) is right. Rewrites the questions and captions of samples.json.
//
//   VK_ICD_FILENAMES=/usr/lib/chromium/vk_swiftshader_icd.json npx tsx tools/app-suggestions.ts
// (the library is loaded through Vite, which resolves its `?raw` WGSL imports)
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createServer } from 'vite';
import type { loadBridgeTower as LoadBridgeTower } from '../src/tasks/node';

interface SceneObject {
  shape: string;
  color: string;
  size: string;
}
interface Scene {
  image: string;
  objects: SceneObject[];
}
interface Sample {
  file: string;
  questions: string[];
  captions: string[];
}

const EVAL = 'test/fixtures/demo-model/eval';
const SAMPLES = 'src/app/samples/samples.json';
const SHAPES = ['circle', 'square', 'triangle'];
const COLORS = ['red', 'green', 'blue', 'yellow', 'purple', 'orange'];
const QUESTIONS_PER_PICTURE = 3;
const CAPTIONS_PER_PICTURE = 2;
/** Top answer's probability lead over the second, so that a chip never shows a coin toss. */
const MARGIN = 0.3;

const an = (w: string) => (/^[aeiou]/.test(w) ? `an ${w}` : `a ${w}`);

/** Candidate questions with their true answers, by kind, most telling first. */
function questionsFor(objects: SceneObject[]): Array<{ question: string; answer: string }> {
  const count = (f: (o: SceneObject) => boolean) => String(objects.filter(f).length);
  const present = objects[0];
  const absentColor = COLORS.find((c) => !objects.some((o) => o.color === c))!;
  return [
    { question: 'how many objects are there?', answer: String(objects.length) },
    { question: `is there ${an(`${present.color} ${present.shape}`)}?`, answer: 'yes' },
    ...SHAPES.map((s) => ({ question: `how many ${s}s are there?`, answer: count((o) => o.shape === s) })),
    { question: `is there ${an(`${absentColor} ${present.shape}`)}?`, answer: 'no' },
    ...COLORS.filter((c) => objects.some((o) => o.color === c)).map((c) => ({
      question: `how many ${c} objects are there?`,
      answer: count((o) => o.color === c),
    })),
    ...objects.map((o) => ({ question: `what size is the ${o.color} ${o.shape}?`, answer: o.size })),
  ];
}

function captionsFor(objects: SceneObject[]): Array<{ caption: string; matches: boolean }> {
  const describe = (o: SceneObject) => an(`${o.color} ${o.shape}`);
  const all = objects
    .map(describe)
    .join(objects.length > 2 ? ', ' : ' and ')
    .replace(/, ([^,]*)$/, ' and $1');
  const first = objects[0];
  const wrongColor = COLORS.find((c) => !objects.some((o) => o.color === c))!;
  return [
    { caption: all, matches: true },
    { caption: describe({ ...first, color: wrongColor }), matches: false },
  ];
}

async function main(): Promise<void> {
  const scenes: Scene[] = JSON.parse(readFileSync(join(EVAL, 'images.json'), 'utf8'));
  const samples: Sample[] = JSON.parse(readFileSync(SAMPLES, 'utf8'));
  const vite = await createServer({
    server: { middlewareMode: true, hmr: false },
    appType: 'custom',
    logLevel: 'error',
  });
  const tasks = (await vite.ssrLoadModule('/src/tasks/node.ts')) as { loadBridgeTower: typeof LoadBridgeTower };
  const { loadBridgeTower } = tasks;
  const model = await loadBridgeTower();
  try {
    for (const s of samples) {
      const scene = scenes.find((x) => x.image === s.file);
      if (!scene) throw new Error(`${s.file}: no scene description in ${EVAL}/images.json`);
      const image = readFileSync(join('src/app/samples', s.file));
      const questions: string[] = [];
      for (const c of questionsFor(scene.objects)) {
        if (questions.length >= QUESTIONS_PER_PICTURE || questions.includes(c.question)) continue;
        const [top, second] = (await model.vqa(image, c.question, { topK: 2 })).answers;
        if (top.answer === c.answer && top.score - (second?.score ?? 0) >= MARGIN) questions.push(c.question);
      }
      const captions: string[] = [];
      for (const c of captionsFor(scene.objects)) {
        const [{ itm }] = await model.match(image, [c.caption]);
        if (itm > 0.5 === c.matches && captions.length < CAPTIONS_PER_PICTURE) captions.push(c.caption);
      }
      console.log(`${s.file}: ${questions.length} questions, ${captions.length} captions`);
      s.questions = questions;
      s.captions = captions;
    }
  } finally {
    model.dispose();
    await vite.close();
  }
  writeFileSync(SAMPLES, `${JSON.stringify(samples, null, 1)}\n`);
}

void main();
