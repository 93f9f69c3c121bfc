// Loading by Hugging Face id against a local imitation of the hub (hub-server.ts) serving the demo model in
// the hub's layout (tools/hf-layout.ts): same weights and answers as the local files, every weight layout,
// the cache (second load reads no weights; a failed or cancelled load leaves nothing), and the errors.
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NodeDirectory } from '../../src/checkpoint/source-node';
import { WebFormatWeights } from '../../src/checkpoint/web-format';
import { AbortedError, CheckpointError, UsageError } from '../../src/errors';
import { createNodeGpu } from '../../src/gpu/node';
import type { Gpu } from '../../src/gpu/runtime';
import { HubError } from '../../src/hub/hub-error';
import { parseHubId } from '../../src/hub/hub-id';
import { openHubWeights, type HubOptions } from '../../src/hub/load';
import { BridgeTower, loadBridgeTower } from '../../src/tasks/node';
import { platform } from '../../src/tasks/platform';
import { hfLayout } from '../../tools/hf-layout';
import { startHubServer, type HubServer } from './hub-server';

const DEMO = 'weights/demo';
const EVAL = 'test/fixtures/demo-model/eval';
const QUESTIONS: Array<[string, string, string]> = [
  ['img-00.png', 'how many objects are in the image', '1'],
  ['img-02.png', 'How many blue objects are there?', '0'],
  ['img-08.png', 'is there a yellow object?', 'no'],
];

let server: HubServer;
let noRange: HubServer;
let dropping: HubServer;
let reference: WebFormatWeights;
const tmp: string[] = [];
const cacheDir = () => {
  const d = mkdtempSync(join(tmpdir(), 'bt-hub-cache-'));
  tmp.push(d);
  return d;
};

beforeAll(async () => {
  const st = await hfLayout(DEMO);
  const bin = await hfLayout(DEMO, { weights: 'bin' });
  const small = (names: string[]) => new Map([...st].filter(([n]) => names.includes(n)));
  server = await startHubServer({
    'demo/bridgetower-demo': { files: st },
    'demo/sharded': { files: await hfLayout(DEMO, { weights: 'safetensors-sharded' }) },
    'demo/bin': { files: bin },
    'demo/bin-sharded': { files: await hfLayout(DEMO, { weights: 'bin-sharded', tokenizerJson: true }) },
    'demo/both': { files: new Map([...bin, ...st]) },
    'demo/gated': { files: st, token: 'hf_secret' },
    'demo/no-weights': { files: small(['config.json', 'vocab.json', 'merges.txt']) },
    'demo/bad': {
      files: new Map([
        ...small(['config.json', 'vocab.json', 'merges.txt']),
        ['model.safetensors', new TextEncoder().encode('<html>Not a model</html>')],
      ]),
    },
  });
  noRange = await startHubServer({ 'demo/bridgetower-demo': { files: st } }, { noRange: true });
  dropping = await startHubServer(
    { 'demo/bridgetower-demo': { files: st } },
    { dropAfter: new Map([['model.safetensors', 200_000]]) },
  );
  reference = await WebFormatWeights.open(new NodeDirectory(DEMO));
});

afterAll(async () => {
  await Promise.all([server, noRange, dropping].map((s) => s?.close()));
  await reference?.close();
  for (const d of tmp) rmSync(d, { recursive: true, force: true });
});

const open = (repo: string, opts: HubOptions & { endpoint?: string } = {}) =>
  openHubWeights({ repo }, { hubEndpoint: opts.endpoint ?? server.url, cache: false, ...opts }, platform());

describe('hub ids', () => {
  it('parses org/name, hf:org/name@revision, and leaves paths and URLs alone', () => {
    expect(parseHubId('BridgeTower/bridgetower-base')).toEqual({
      repo: 'BridgeTower/bridgetower-base',
      revision: undefined,
    });
    expect(parseHubId('hf:org/name@v1.0')).toEqual({ repo: 'org/name', revision: 'v1.0' });
    for (const s of ['weights/demo/', './org/name', '/weights/demo', 'https://x.org/a/b', 'model.safetensors'])
      expect(parseHubId(s), s).toBeUndefined();
    expect(() => parseHubId('hf:just-a-name')).toThrow(UsageError);
  });
});

describe('weights from the hub, every layout, equal the local demo model', () => {
  it.each(['demo/bridgetower-demo', 'demo/sharded', 'demo/bin', 'demo/bin-sharded'])('%s', async (repo) => {
    const w = await open(repo);
    try {
      expect(w.config).toEqual(reference.config);
      expect(w.labels).toEqual(reference.labels);
      expect(w.tokenizer).toEqual(reference.tokenizer);
      expect(w.names().sort()).toEqual(reference.names().sort());
      for (const n of reference.names())
        expect(bytesOf((await w.read(n)).data).equals(bytesOf((await reference.read(n)).data)), n).toBe(true);
    } finally {
      await w.close();
    }
  });

  it('converts to the dtype asked for', async () => {
    const w = await open('demo/bridgetower-demo', { dtype: 'f16' });
    expect(new Set(w.names().map((n) => w.info(n)!.dtype))).toEqual(new Set(['f16']));
    await w.close();
  });

  it('prefers model.safetensors over pytorch_model.bin, follows the redirect and reads in ranges', async () => {
    server.requests.length = 0;
    await (await open('demo/both')).close();
    const weights = server.weightRequests();
    expect(weights.some((r) => r.file === 'pytorch_model.bin')).toBe(false);
    expect(weights.filter((r) => r.path.startsWith('/cdn/')).every((r) => r.status === 206)).toBe(true);
    expect(weights.some((r) => r.status === 302)).toBe(true);
  });

  it('falls back to whole files when the server ignores Range', async () => {
    const w = await open('demo/bridgetower-demo', { endpoint: noRange.url });
    expect(w.names().length).toBe(reference.names().length);
    await w.close();
    expect(noRange.requests.every((r) => r.status !== 206)).toBe(true);
  });
});

describe('errors name the repo and the file', () => {
  it('repo not found', async () => {
    const e = await open('nobody/nothing').catch((x) => x);
    expect(e).toBeInstanceOf(HubError);
    expect(e.message).toMatch(/^nobody\/nothing@main: no such repo or revision on the hub \(HTTP 404\)$/);
  });
  it('gated without a token says how to pass one; with the token it loads', async () => {
    const e = await open('demo/gated').catch((x) => x);
    expect(e).toBeInstanceOf(HubError);
    expect(e.message).toMatch(/^demo\/gated@main\/config.json: HTTP 401: .*accessToken.*HF_TOKEN/);
    await (await open('demo/gated', { accessToken: 'hf_secret' })).close();
  });
  it('no weights file', async () => {
    await expect(open('demo/no-weights')).rejects.toThrow(
      /^demo\/no-weights@main: no weights: none of model.safetensors, /,
    );
  });
  it('a file that is not what its name says', async () => {
    const e = await open('demo/bad').catch((x) => x);
    expect(e).toBeInstanceOf(CheckpointError);
    expect(e.message).toMatch(/^hf:demo\/bad@main\/model.safetensors: not a checkpoint/);
  });
  it('a dropped connection, leaving the cache empty', async () => {
    const dir = cacheDir();
    const e = await openHubWeights(
      { repo: 'demo/bridgetower-demo' },
      { hubEndpoint: dropping.url, cacheDir: dir },
      platform(),
    ).catch((x) => x);
    expect(e).toBeInstanceOf(HubError);
    expect(e.message).toMatch(/^demo\/bridgetower-demo@main\/model.safetensors: the (connection dropped|server sent)/);
    expect(cacheEntries(dir)).toEqual([]);
  });
});

describe('BridgeTower.load by id', () => {
  let gpu: Gpu;
  beforeAll(async () => {
    gpu = await createNodeGpu();
  });
  afterAll(() => gpu?.destroy());

  it('answers as the local model does; a second load reads no weights; a cancelled load leaves the cache clean', async () => {
    const dir = cacheDir();
    const local = await loadBridgeTower(DEMO, { gpu });
    const hub = await BridgeTower.load('demo/bridgetower-demo', { hubEndpoint: server.url, cacheDir: dir, gpu });
    try {
      for (const [image, question, expected] of QUESTIONS) {
        const bytes = readFileSync(`${EVAL}/${image}`);
        const a = await hub.vqa(bytes, question, { topK: 3 });
        expect(a.answers[0].answer, question).toBe(expected);
        expect(a.answers).toEqual((await local.vqa(bytes, question, { topK: 3 })).answers);
      }
    } finally {
      local.dispose();
      hub.dispose();
    }
    expect(cacheEntries(dir).length).toBe(1);

    server.requests.length = 0;
    (await BridgeTower.load('hf:demo/bridgetower-demo', { hubEndpoint: server.url, cacheDir: dir, gpu })).dispose();
    expect(server.weightRequests()).toEqual([]);

    const ac = new AbortController();
    const fresh = cacheDir();
    const cancelled = BridgeTower.load('demo/sharded', {
      hubEndpoint: server.url,
      cacheDir: fresh,
      gpu,
      signal: ac.signal,
      onProgress: (p) => {
        if (p.phase === 'convert' && p.tensors === 40) ac.abort();
      },
    });
    await expect(cancelled).rejects.toBeInstanceOf(AbortedError);
    expect(cacheEntries(fresh)).toEqual([]);
  });

  // The built CLI (dist/cli.mjs, made by `npm install` / `npm run build`), as a user runs it.
  it('the CLI answers with --model hf:ORG/NAME and HF_ENDPOINT', async () => {
    const [image, question, expected] = QUESTIONS[0];
    const { stdout } = await promisify(execFile)(
      process.execPath,
      [
        'bin/bridgetower.mjs',
        'vqa',
        '--model',
        'hf:demo/bridgetower-demo',
        '--image',
        `${EVAL}/${image}`,
        '--question',
        question,
        '--json',
      ],
      { env: { ...process.env, HF_ENDPOINT: server.url, BRIDGETOWER_CACHE: cacheDir() } },
    );
    expect(JSON.parse(stdout).answers[0].answer).toBe(expected);
  });
});

function bytesOf(a: ArrayBufferView): Buffer {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength);
}

/** Entries of a cache directory, complete or partial. */
function cacheEntries(dir: string): string[] {
  const hub = join(dir, 'hub');
  return existsSync(hub) ? readdirSync(hub) : [];
}
