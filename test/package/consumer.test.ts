// The package as a stranger gets it: `npm pack` (prepack builds), the tarball installed into a fresh
// project, and there (a) a plain `node app.mjs` importing `bridgetower-webgpu/node`, (b) a Vite app with the
// default config importing `bridgetower-webgpu`, built with `vite build`, served statically and run in
// headless Chromium, (c) the installed `bridgetower` CLI — each answering a demo question with the reference's
// top answer. The install uses npm's cache first (`--prefer-offline`): the dependencies are the project's own.
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
  const { stdout } = await run('npm', ['pack', '--json', '--pack-destination', work], {
    cwd: ROOT,
    maxBuffer: 64 << 20,
  });
  // The prepack builds print first; npm's JSON report starts on a line of its own.
  const report = stdout.search(/^\[\s*$/m);
  if (report < 0) throw new Error(`npm pack printed no JSON report:\n${stdout.slice(-2000)}`);
  const packed = JSON.parse(stdout.slice(report))[0] as {
    filename: string;
    files: Array<{ path: string }>;
  };
  files = packed.files.map((f) => f.path);
  app = join(work, 'app');
  mkdirSync(join(app, 'public'), { recursive: true });
  writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'consumer', private: true, type: 'module' }));
  await run('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', join(work, packed.filename)], {
    cwd: app,
  });
}, 300_000);

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
      'bin/bridgetower.mjs',
    ])
      expect(files, f).toContain(f);
    expect(files.filter((f) => /^(test|src|shaders|tools|weights)\/|\.wgsl$|\.ts$(?<!\.d\.ts$)/.test(f))).toEqual([]);
    for (const f of files.filter((f) => /\.m?js$/.test(f))) {
      const code = readFileSync(join(app, 'node_modules/bridgetower-webgpu', f), 'utf8');
      expect(code, f).not.toMatch(/(import|from)\s*\(?\s*["'][^"']*(\?raw|\.wgsl)["']/);
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
    await run(process.execPath, [join(ROOT, 'node_modules/vite/bin/vite.js'), 'build', '--logLevel', 'warn'], {
      cwd: app,
    });
    const server = await serveStatic(join(app, 'dist'));
    const browser = await launchChromium();
    try {
      const page = await browser.newPage();
      await page.goto(`http://localhost:${(server.address() as AddressInfo).port}/`);
      await page.waitForFunction(() => document.title !== 'loading', { timeout: 120_000 });
      expect(await page.title()).toBe(`answer: ${EXPECTED}`);
    } finally {
      await browser.close();
      await new Promise((r) => server.close(r));
    }
  });
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
