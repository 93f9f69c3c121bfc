// A checkpoint whose config does not say which text tower it has (issue #18 item 8), converted in the page: the
// demo model as an authors' .ckpt with its own tokenizer name "demo-bpe" (made here from weights/demo, f32, with
// the demo's training config), and the same with a BERT tokenizer name. The page asks before converting the first
// (Cancel stores nothing; RoBERTa converts it, and it answers as the bundled demo does) and refuses the second by
// name without asking; a folder holding it is pointed to the converter. A screenshot of the question goes to
// test-results/screenshots/.
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Page } from 'puppeteer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openPathWeights } from '../../src/checkpoint/source-node';
import { OrderedDict, Tensor, torchZip, type PickleValue } from '../support/torch-writer';
import { dismissError, fill, runTask, screenshot, sel, text, upload, waitForError, waitForStatus } from './app-page';
import { startBrowserSession, type BrowserSession } from './browser';

const DEMO = resolve('weights/demo');
const DEMO_NAME = 'Demo model (synthetic shapes)';
const QUESTION = 'how many objects are there?';
/** The sizes and heads of the demo's training config (its model.ckpt's hyper_parameters.config). */
const DEMO_CONFIG: Record<string, PickleValue> = {
  loss_names: new Map<PickleValue, PickleValue>([
    ['itm', 1],
    ['mlm', 0],
    ['itc', 1],
    ['itm_itc', 0],
    ['irtr_itm_itc', 0],
    ['vqa', 1],
    ['nlvr2', 0],
    ['irtr', 0],
    ['snli', 0],
  ]),
  image_size: 64,
  patch_size: 16,
  vqav2_label_size: 20,
  max_text_len: 24,
  vocab_size: 761,
  input_image_embed_size: 64,
  input_text_embed_size: 64,
  vit: 'CLIP-ViT-synthetic',
  hidden_size: 64,
  num_heads: 4,
  num_layers: 3,
  mlp_ratio: 4,
  vit_layernorm_shared: true,
  task_head_layers: 2,
  head_hidden_scale: 2,
  contrastive_hidden_size: 32,
  vit_width: 64,
  vit_layers: 4,
  vit_heads: 4,
  text_num_layers: 4,
  text_num_heads: 4,
  text_intermediate_size: 256,
  text_max_position_embeddings: 26,
  text_type_vocab_size: 1,
  image_preprocess: 'hf',
};

let session: BrowserSession;
let page: Page;
let work: string;
/** The files picked for each checkpoint: the .ckpt, the demo's vocab.json + merges.txt, its labels. */
const picked = (tokenizer: string) => [
  join(work, tokenizer, 'model.ckpt'),
  join(DEMO, 'vocab.json'),
  join(DEMO, 'merges.txt'),
  join(work, 'labels.json'),
];

/** weights/demo as the authors' Lightning checkpoint it was converted from, its tokenizer named `tokenizer`. */
async function writeDemoCheckpoint(tokenizer: string): Promise<void> {
  const weights = await openPathWeights(DEMO);
  try {
    const storages = new Map<string, Uint8Array>();
    const entries: Array<[PickleValue, PickleValue]> = [];
    for (const name of weights.names()) {
      const t = await weights.read(name);
      if (t.dtype !== 'f32') throw new Error(`${name} is ${t.dtype}: weights/demo is expected in f32`);
      const key = String(storages.size);
      storages.set(key, new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength));
      entries.push([name, new Tensor({ key, type: 'FloatStorage', numel: t.data.length }, 0, t.shape)]);
    }
    const config = new Map<PickleValue, PickleValue>([...Object.entries(DEMO_CONFIG), ['tokenizer', tokenizer]]);
    const top = new Map<PickleValue, PickleValue>([
      ['state_dict', new OrderedDict(entries)],
      ['hyper_parameters', new Map<PickleValue, PickleValue>([['config', config]])],
    ]);
    mkdirSync(join(work, tokenizer));
    writeFileSync(join(work, tokenizer, 'model.ckpt'), await torchZip('model', top, storages));
    writeFileSync(join(work, 'labels.json'), JSON.stringify(weights.labels));
  } finally {
    await weights.close();
  }
}

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'bt-e2e-text-tower-'));
  await writeDemoCheckpoint('demo-bpe');
  await writeDemoCheckpoint('bert-base-uncased');
  session = await startBrowserSession();
  page = await session.newPage();
  await page.setViewport({ width: 1280, height: 900 });
  await page.goto(`${session.baseUrl}/`);
  expect(await waitForStatus(page, ['ready', 'error'], 90_000), await text(page, 'error')).toBe('ready');
}, 120_000);
afterAll(async () => {
  await session?.close();
  if (work) rmSync(work, { recursive: true, force: true });
});

const failure = async () => `${await text(page, 'error')}\n${session.log.slice(-20).join('\n')}`;
const question = () => page.$(sel('text-tower-question'));
const storedNames = () => page.$$eval(sel('stored-model'), (els) => els.map((e) => (e as HTMLElement).dataset.name!));

async function answers(): Promise<Array<{ label: string; score: number }>> {
  await fill(page, 'question-input', QUESTION);
  await runTask(page, 'ask-button', 120_000);
  return page.$$eval(sel('answer'), (els) =>
    els.map((e) => ({ label: (e as HTMLElement).dataset.label!, score: Number((e as HTMLElement).dataset.score) })),
  );
}

describe('a checkpoint that does not say its text tower, in the page', () => {
  it('refuses a BERT tokenizer name as before, without asking', async () => {
    await upload(page, 'checkpoint-input', ...picked('bert-base-uncased'));
    expect(await waitForError(page)).toMatch(
      /^Converting model\.ckpt failed .*tokenizer "bert-base-uncased": the authors build a BERT text tower for it; only RoBERTa text towers are supported/,
    );
    expect(await question()).toBeNull();
    expect(await waitForStatus(page, ['ready', 'error'], 30_000)).toBe('ready');
    expect(await text(page, 'model-name')).toBe(DEMO_NAME);
    expect(await storedNames()).toEqual([]);
    await dismissError(page);
  }, 60_000);

  it('points a folder holding the checkpoint to the converter', async () => {
    await upload(page, 'folder-input', join(work, 'demo-bpe'));
    expect(await waitForError(page)).toBe(
      `Loading demo-bpe failed (${DEMO_NAME} is still loaded): demo-bpe/model.ckpt: a checkpoint, not a converted ` +
        'model: convert it with "Choose files…" under "Convert a checkpoint here", picking its vocab.json + ' +
        'merges.txt (or tokenizer.json) and labels JSON with it',
    );
    expect(await waitForStatus(page, ['ready', 'error'], 30_000)).toBe('ready');
    expect(await text(page, 'model-name')).toBe(DEMO_NAME);
    await dismissError(page);
  }, 60_000);

  it('asks, and Cancel stores nothing and keeps the model in use', async () => {
    await upload(page, 'checkpoint-input', ...picked('demo-bpe'));
    await page.waitForSelector(sel('text-tower-question'), { timeout: 30_000 });
    expect(await text(page, 'text-tower-text')).toMatch(/^model\.ckpt does not say its text tower/);
    expect(await text(page, 'status')).toBe('converting');
    expect(await page.$eval(sel('progress'), (e) => getComputedStyle(e).display)).toBe('none');
    await screenshot(page, 'text-tower-question');
    await page.click(sel('text-tower-cancel'));
    expect(await waitForError(page)).toMatch(
      /Converting model\.ckpt was cancelled: nothing new was stored; the models already stored are untouched/,
    );
    expect(await question()).toBeNull();
    expect(await waitForStatus(page, ['ready', 'error'], 30_000)).toBe('ready');
    expect(await text(page, 'model-name')).toBe(DEMO_NAME);
    expect(await storedNames()).toEqual([]);
    await dismissError(page);
  }, 60_000);

  it('converts it as RoBERTa when told so, and the model answers as the bundled demo does', async () => {
    const demo = await answers();
    expect(demo.length).toBeGreaterThan(0);
    await upload(page, 'checkpoint-input', ...picked('demo-bpe'));
    await page.waitForSelector(sel('text-tower-question'), { timeout: 30_000 });
    await page.click(sel('text-tower-roberta'));
    expect(await waitForStatus(page, ['ready', 'error'], 120_000), await failure()).toBe('ready');
    await page.waitForFunction(
      (s: string, demoName: string) => document.querySelector(s)?.textContent !== demoName,
      { timeout: 120_000 },
      sel('model-name'),
      DEMO_NAME,
    );
    expect(await text(page, 'model-name')).toBe('BridgeTower 64-wide 4-layer 64px VQA+ITM+ITC f32');
    expect(await storedNames()).toEqual(['BridgeTower 64-wide 4-layer 64px VQA+ITM+ITC f32']);
    expect(await page.$(sel('no-tokenizer')), 'the converted model has a tokenizer').toBeNull();
    const converted = await answers();
    expect(converted.map((a) => a.label)).toEqual(demo.map((a) => a.label));
    converted.forEach((a, i) => expect(a.score).toBeCloseTo(demo[i].score, 5));
  }, 300_000);
});
