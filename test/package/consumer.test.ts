// The package as a stranger gets it: `npm run build:package` lays it out as published (dist/package), `npm pack`
// makes the tarball, installed into a fresh project, and there (a) a plain `node app.mjs` importing
// `bridgetower-webgpu/node`, (b) a Vite app with the default config importing `bridgetower-webgpu`, built with
// `vite build`, served statically and run in headless Chromium, (c) the installed `bridgetower` CLI — each
// answering a demo question with the reference's top answer — and (d) a TypeScript program using every public
// option, type-checked under NodeNext, Node16 and Bundler resolution with the strictest options and no
// skipLibCheck. The install uses npm's cache first (`--prefer-offline`): the dependencies are the project's own.
import { execFile } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { extname, join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium } from '../e2e/browser';

const ROOT = resolve('.');
const IMAGE = resolve('test/fixtures/demo-model/eval/img-00.png');
const QUESTION = 'how many objects are in the image';
const EXPECTED = '1';
const run = promisify(execFile);

let work: string;
let app: string;
let files: string[];

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'bt-consumer-'));
  await run('npm', ['run', 'build:package'], { cwd: ROOT, maxBuffer: 64 << 20 });
  const { stdout } = await run('npm', ['pack', './dist/package', '--json', '--pack-destination', work], {
    cwd: ROOT,
    maxBuffer: 64 << 20,
  });
  const packed = JSON.parse(stdout)[0] as { filename: string; files: Array<{ path: string }> };
  files = packed.files.map((f) => f.path);
  app = join(work, 'app');
  mkdirSync(join(app, 'public'), { recursive: true });
  writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'consumer', private: true, type: 'module' }));
  await run('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', join(work, packed.filename)], {
    cwd: app,
  });
}, 600_000);

afterAll(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

describe('the packed tarball', () => {
  it('ships built JS, types, the demo and the CLI; no sources, tests or WGSL files', () => {
    for (const f of [
      'dist/lib/index.js',
      'dist/lib/node.js',
      'dist/lib/bridgetower-webgpu.js',
      'dist/cli.mjs',
      'dist/lib/demo/manifest.json',
      'dist/lib/types/tasks/index.d.ts',
      'dist/lib/types/tasks/node.d.ts',
      'dist/lib/bridgetower-webgpu.d.ts',
      'bin/bridgetower.mjs',
    ])
      expect(files, f).toContain(f);
    expect(files.filter((f) => /^(test|src|shaders|tools|weights)\/|\.wgsl$|\.ts$(?<!\.d\.ts$)/.test(f))).toEqual([]);
    for (const f of files.filter((f) => /\.m?js$/.test(f))) {
      const code = readFileSync(join(app, 'node_modules/bridgetower-webgpu', f), 'utf8');
      expect(code, f).not.toMatch(/(import|from)\s*\(?\s*["'][^"']*(\?raw|\.wgsl)["']/);
    }
  });

  it("publishes a manifest without the contributors' scripts, and types for every entry", () => {
    const manifest = JSON.parse(readFileSync(join(app, 'node_modules/bridgetower-webgpu/package.json'), 'utf8'));
    expect(manifest).not.toHaveProperty('scripts');
    expect(manifest).not.toHaveProperty('devDependencies');
    expect(manifest).not.toHaveProperty('private');
    expect(manifest.dependencies).toHaveProperty('@webgpu/types');
    for (const [entry, target] of Object.entries(manifest.exports as Record<string, string | Record<string, string>>)) {
      if (entry === './package.json') continue;
      expect(target, entry).toMatchObject({ types: expect.stringMatching(/\.d\.ts$/) });
      expect(files, entry).toContain((target as Record<string, string>).types.replace(/^\.\//, ''));
    }
  });
});

describe('a fresh project with the tarball installed', () => {
  it('(a) node app.mjs answers with bridgetower-webgpu/node', async () => {
    writeFileSync(
      join(app, 'app.mjs'),
      [
        "import { readFileSync } from 'node:fs';",
        "import { loadBridgeTower } from 'bridgetower-webgpu/node';",
        'const bt = await loadBridgeTower();',
        'const { answers } = await bt.vqa(readFileSync(process.argv[2]), process.argv[3], { topK: 1 });',
        'console.log(answers[0].answer);',
        'bt.dispose();',
      ].join('\n'),
    );
    const { stdout } = await run(process.execPath, ['app.mjs', IMAGE, QUESTION], { cwd: app });
    expect(stdout.trim()).toBe(EXPECTED);
  });

  it('(c) the installed CLI answers', async () => {
    const { stdout } = await run(
      join(app, 'node_modules/.bin/bridgetower'),
      ['vqa', '--image', IMAGE, '--question', QUESTION, '--json'],
      { cwd: app },
    );
    expect(JSON.parse(stdout).answers[0].answer).toBe(EXPECTED);
  });

  it('(b) a Vite app with the default config, built and served statically, answers in Chromium', async () => {
    copyFileSync(IMAGE, join(app, 'public/img.png'));
    writeFileSync(
      join(app, 'index.html'),
      '<!doctype html><title>loading</title><script type="module" src="./main.js"></script>\n',
    );
    writeFileSync(
      join(app, 'main.js'),
      [
        "import { BridgeTower } from 'bridgetower-webgpu';",
        'const controller = new AbortController();',
        'try {',
        '  const bt = await BridgeTower.load(undefined, { signal: controller.signal });',
        `  const { answers } = await bt.vqa('img.png', ${JSON.stringify(QUESTION)}, { topK: 1 });`,
        "  document.title = 'answer: ' + answers[0].answer;",
        '} catch (e) {',
        "  document.title = 'error: ' + e.message;",
        '}',
      ].join('\n'),
    );
    expect(await viteBuildAnswer(app)).toBe(`answer: ${EXPECTED}`);
  });

  it('(e) the same in a module Web Worker, as the README shows it', async () => {
    const dir = join(app, 'worker');
    mkdirSync(join(dir, 'public'), { recursive: true });
    copyFileSync(IMAGE, join(dir, 'public/img.png'));
    writeFileSync(
      join(dir, 'index.html'),
      '<!doctype html><title>loading</title><script type="module" src="./main.js"></script>\n',
    );
    writeFileSync(join(dir, 'worker.js'), WORKER);
    writeFileSync(
      join(dir, 'main.js'),
      [
        "const worker = new Worker(new URL('./worker.js', import.meta.url), { type: 'module' });",
        'worker.onmessage = ({ data }) => {',
        "  document.title = data.error ? 'error: ' + data.error : 'answer: ' + data.answers[0].answer;",
        '};',
        "const image = await (await fetch('img.png')).blob();",
        `worker.postMessage({ image, question: ${JSON.stringify(QUESTION)} });`,
      ].join('\n'),
    );
    expect(await viteBuildAnswer(dir)).toBe(`answer: ${EXPECTED}`);
  });
});

/** The README's Web Worker, word for word: its code block that starts with `// worker.js`. */
const WORKER =
  /```js\n(\/\/ worker\.js\n[\s\S]*?)```/.exec(readFileSync('README.md', 'utf8'))?.[1] ?? 'no worker in the README';

/** `vite build` of the app in `dir` (default config), served statically: the page's title once it has answered. */
async function viteBuildAnswer(dir: string): Promise<string> {
  await run(process.execPath, [join(ROOT, 'node_modules/vite/bin/vite.js'), 'build', '--logLevel', 'warn'], {
    cwd: dir,
  });
  const server = await serveStatic(join(dir, 'dist'));
  const browser = await launchChromium();
  try {
    const page = await browser.newPage();
    await page.goto(`http://localhost:${(server.address() as AddressInfo).port}/`);
    await page.waitForFunction(() => document.title !== 'loading', { timeout: 120_000 });
    return await page.title();
  } finally {
    await browser.close();
    await new Promise((r) => server.close(r));
  }
}

describe('TypeScript in a fresh project', () => {
  // Every public option, spelt out: `Required<…>` makes the program name each one, so an option added to the
  // package without being added here fails this test, and so does one whose type a user cannot write.
  const PROGRAM = `import {
  BridgeTower, BridgeTowerError, HubError, SearchIndex,
  type BridgeTowerLoadOptions, type ImageInput, type LoadProgress, type RetrievalOptions, type TaskOptions,
  type TaskProgress, type VqaOptions, type VqaResult,
} from 'bridgetower-webgpu';
import { BridgeTowerModel, Gpu, softmaxScores, toRgb } from 'bridgetower-webgpu/advanced';
import { BridgeTower as CdnBridgeTower } from 'bridgetower-webgpu/cdn';
import { demoModelPath, loadBridgeTower } from 'bridgetower-webgpu/node';

type Options<F extends (...args: never[]) => unknown, N extends number> = Required<NonNullable<Parameters<F>[N]>>;
type NodeLoadOptions = Options<typeof loadBridgeTower, 1>;

type OpenOptions = Required<NodeLoadOptions['open']>;

declare const image: ImageInput;
declare const gpu: Gpu;
declare const dir: OpenOptions['dir'];
declare const imageProcessor: OpenOptions['imageProcessor'];
const controller = new AbortController();
const codeOf = (e: unknown): string | undefined =>
  e instanceof HubError ? e.kind : e instanceof BridgeTowerError ? e.code : undefined;
const open: OpenOptions = {
  dir,
  config: { model_type: 'bridgetower' },
  imageSize: 384,
  imagePreprocess: 'clip',
  tokenizer: { vocab: { '<s>': 0, '</s>': 2 }, merges: [] },
  labels: ['yes', 'no'],
  imageProcessor,
  textTower: 'roberta',
};

const loadOptions: Required<BridgeTowerLoadOptions> = {
  signal: controller.signal,
  onProgress: (p: LoadProgress) => console.log(p.phase, p.loadedBytes, p.totalBytes, p.tensors, p.totalTensors),
  imagePreprocess: 'hf',
  gpu,
  createGpu: () => Gpu.create(),
  vqaScoring: 'sigmoid',
  revision: 'main',
  hubEndpoint: 'https://huggingface.co',
  accessToken: 'hf_x',
  cache: true,
  cacheDir: '/tmp/bridgetower-cache',
  dtype: 'f16',
  compute: 'f16',
  onRequest: (file: string) => console.log(file),
};
const nodeOptions: NodeLoadOptions = { ...loadOptions, open };
const bt: BridgeTower = await BridgeTower.load('BridgeTower/bridgetower-base-itm-mlm', loadOptions);
const local: BridgeTower = await loadBridgeTower(demoModelPath(), nodeOptions);
const fromCdn: CdnBridgeTower = await CdnBridgeTower.load();

const task: Required<TaskOptions> = {
  signal: controller.signal,
  onProgress: (p: TaskProgress) => console.log(p.stage, p.done, p.total),
};
const vqaOptions: Required<VqaOptions> = { ...task, topK: 3, attentionLayer: 0 };
const vqa: VqaResult = await bt.vqa(image, 'how many circles are there?', vqaOptions);
const top: string | undefined = vqa.answers[0]?.answer;
const matchOptions: Options<BridgeTower['match'], 2> = { ...task };
const matches = await bt.match(image, ['a red circle'], matchOptions);
const retrieveOptions: Required<RetrievalOptions> & Required<TaskOptions> = { ...task, topK: 5, rerank: 8 };
const hits = await bt.retrieveImages('a red circle', [image], retrieveOptions);
const textOptions: Options<BridgeTower['retrieveTexts'], 2> = { ...task, topK: 2, rerank: 4 };
const texts = await bt.retrieveTexts(image, ['a', 'b'], textOptions);
const fillOptions: Options<BridgeTower['fillMask'], 2> = { topK: 5 };
const tokens = await bt.fillMask(image, 'a red <mask>', fillOptions);
const attentionOptions: Options<BridgeTower['crossAttention'], 2> = { layer: 1, signal: controller.signal };
const heat = await bt.crossAttention(image, 'what is red?', attentionOptions);
const [embedding] = await bt.embedText(['a red circle']);
const [picture] = await bt.embedImage([image]);
const pair = bt.definition === 'hf' ? await bt.embedPair(image, 'a red circle') : undefined;
const nlvr2 = await bt.nlvr2(image, image, 'both are red');
const entailment = await bt.entailment(image, 'two dogs');
await bt.warmUp();
const index = await SearchIndex.create(bt);
const addOptions: Options<SearchIndex['add'], 1> = { ...task, batchSize: 4, total: 1, onBatch: (s) => console.log(s.added) };
await index.add([{ id: 'a', image, text: 'a red circle', meta: { n: 1 } }], addOptions);
const searchOptions: Options<SearchIndex['searchText'], 1> = { ...task, topK: 3, rerank: 2, pictures: async () => image };
const found = await index.searchText('a red circle', searchOptions);
const imageSearch: Options<SearchIndex['searchImage'], 1> = { topK: 2, signal: controller.signal };
const similar = await index.searchImage(image, imageSearch);
console.log(found[0]?.id, similar.length);
console.log(top, matches[0]?.itm, hits[0]?.itm, texts[0]?.itc, tokens[0]?.token, heat.gridWidth, embedding?.length,
  picture?.length, pair?.length, nlvr2.answer, entailment.scores.neutral, softmaxScores(new Float32Array(2))[0], bt.model instanceof BridgeTowerModel,
  (await toRgb(image)).width, codeOf(new Error('x')), local.hasHead('vqa'), fromCdn.source);
bt.dispose();

// @ts-expect-error a misspelt task option
await bt.vqa(image, 'q', { topk: 3 });
// @ts-expect-error a misspelt load option
await BridgeTower.load(undefined, { hubEndpiont: 'https://example.com' });
// @ts-expect-error a dtype the converter does not know
await BridgeTower.load(undefined, { dtype: 'f8' });
// @ts-expect-error the results are typed, not any
const wrong: string = vqa;
console.log(wrong);
`;
  const STRICT = {
    target: 'ES2022',
    lib: ['ES2022'],
    types: [],
    strict: true,
    exactOptionalPropertyTypes: true,
    noUncheckedIndexedAccess: true,
    verbatimModuleSyntax: true,
    isolatedModules: true,
    skipLibCheck: false,
    noEmit: true,
  };

  for (const [resolution, module] of [
    ['NodeNext', 'NodeNext'],
    ['Node16', 'Node16'],
    ['Bundler', 'ESNext'],
  ]) {
    it(`(d) type-checks every public option under ${resolution}, strict, without skipLibCheck`, async () => {
      writeFileSync(join(app, 'types.ts'), PROGRAM);
      const config = `tsconfig.${resolution}.json`;
      const compilerOptions = { ...STRICT, module, moduleResolution: resolution };
      writeFileSync(join(app, config), JSON.stringify({ compilerOptions, files: ['types.ts'] }, null, 2));
      const tsc = join(ROOT, 'node_modules/typescript/bin/tsc');
      const result = await run(process.execPath, [tsc, '-p', config], { cwd: app }).catch((e: { stdout: string }) => e);
      expect(result.stdout).toBe('');
    });
  }
});

const TYPES: Record<string, string> = {
  '.html': 'text/html',
  '.js': 'text/javascript',
  '.json': 'application/json',
  '.png': 'image/png',
  '.txt': 'text/plain',
};

async function serveStatic(dir: string): Promise<Server> {
  const server = createServer((req, res) => {
    const path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
    const file = join(dir, path.endsWith('/') ? `${path}index.html` : path);
    try {
      const body = readFileSync(file);
      res.writeHead(200, { 'Content-Type': TYPES[extname(file)] ?? 'application/octet-stream' }).end(body);
    } catch {
      res.writeHead(404).end('not found');
    }
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return server;
}
