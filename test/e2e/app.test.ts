// The browser app end to end in headless Chromium (SwiftShader WebGPU): it opens on the demo model,
// answers an eval question as the PyTorch reference does, ranks the true caption first, converts a .ckpt in
// the page and lists it after a reload, shows errors in words, and cancels a load. Screenshots of each view go
// to test-results/screenshots/; the page's times are printed and written to test-results/app-timings.json.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { HTTPRequest, Page } from 'puppeteer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBrowserSession, type BrowserSession } from './browser';
import { dismissError, fill, runTask, screenshot, sel, text, upload, waitForError, waitForStatus } from './app-page';

const EVAL = resolve('test/fixtures/demo-model/eval');
const TINY_CKPT = resolve('test/fixtures/tiny/model.ckpt');

interface EvalQuestion {
  image: string;
  question: string;
  torch_top1: string;
  torch_top1_prob: number;
  torch_top3: Array<[string, number]>;
}
interface EvalCaption {
  image: string;
  caption: string;
  matches: boolean;
  torch_itm_prob: number;
}
const questions: EvalQuestion[] = JSON.parse(readFileSync(join(EVAL, 'questions.json'), 'utf8'));
const captions: EvalCaption[] = JSON.parse(readFileSync(join(EVAL, 'captions.json'), 'utf8'));

const IMAGE = 'img-02.png';
/** Questions on IMAGE whose top answer leads the runner-up clearly, so float rounding cannot swap them. */
const asked = questions.filter((q) => q.image === IMAGE && q.torch_top3[0][1] - q.torch_top3[1][1] > 0.05).slice(0, 2);

const timings: Record<string, number> = {};
let session: BrowserSession;
let page: Page;

beforeAll(async () => {
  session = await startBrowserSession();
  page = await session.newPage();
  await page.setViewport({ width: 1440, height: 1000 });
});
afterAll(async () => {
  await session?.close();
  if (Object.keys(timings).length) {
    mkdirSync('test-results', { recursive: true });
    writeFileSync('test-results/app-timings.json', `${JSON.stringify(timings, null, 2)}\n`);
    console.log(`app timings (ms, SwiftShader): ${JSON.stringify(timings)}`);
  }
});

const log = () => session.log.slice(-30).join('\n');

describe('the app on the demo model', () => {
  it('opens on the demo model, answers eval questions as the PyTorch reference, and draws the cross-attention', async () => {
    expect(asked.length, 'eval questions with a clear top answer').toBe(2);
    await page.goto(`${session.baseUrl}/`);
    expect(await waitForStatus(page, ['ready', 'error'], 90_000), `${await text(page, 'error')}\n${log()}`).toBe(
      'ready',
    );
    timings.load = Number(await page.$eval(sel('model-info'), (e) => (e as HTMLElement).dataset.loadMs));
    expect(await text(page, 'adapter')).toMatch(/ · shader-f16 (yes|no) · largest binding \d/);

    await upload(page, 'image-input', join(EVAL, IMAGE));
    await page.waitForFunction(
      (n: string) => document.querySelector('figcaption')?.textContent?.startsWith(n),
      {},
      IMAGE,
    );
    for (const [i, q] of asked.entries()) {
      await fill(page, 'question-input', q.question);
      await runTask(page, 'ask-button', 120_000);
      expect(await text(page, 'error'), log()).toBe('');
      const answers = await page.$$eval(sel('answer'), (els) =>
        els.map((e) => ({ label: (e as HTMLElement).dataset.label, score: Number((e as HTMLElement).dataset.score) })),
      );
      expect(answers.length).toBeGreaterThan(1);
      expect(answers[0].label, q.question).toBe(q.torch_top1);
      expect(Math.abs(answers[0].score - q.torch_top1_prob), q.question).toBeLessThan(1e-3);
      timings[i === 0 ? 'firstAnswer' : 'nextAnswer'] = Number(
        await page.$eval(sel('vqa-time'), (e) => (e as HTMLElement).dataset.ms),
      );
    }

    await page.waitForSelector(`${sel('attention')}:not([hidden])`);
    const overlay = sel('image-input-overlay');
    const layers = await page.$$eval(`${sel('attention-layer')} option`, (o) =>
      o.map((x) => (x as HTMLOptionElement).value),
    );
    expect(layers.length).toBeGreaterThan(1);
    expect(await page.$eval(overlay, (c) => (c as HTMLElement).dataset.layer)).toBe(layers[layers.length - 1]);
    await screenshot(page, 'vqa-heatmap');
    await page.select(sel('attention-layer'), layers[0]);
    await page.waitForFunction(
      (s: string, l: string) => (document.querySelector(s) as HTMLElement)?.dataset.layer === l,
      { timeout: 60_000 },
      overlay,
      layers[0],
    );
    expect(await text(page, 'attention-note')).toMatch(new RegExp(`^Layer 1 of ${layers.length}: `));
  }, 240_000);

  it('ranks the true caption first in the matching view', async () => {
    const mine = captions.filter((c) => c.image === IMAGE);
    const truth = mine.find((c) => c.matches)!;
    expect(mine.length).toBeGreaterThan(1);
    await page.click(sel('tab-match'));
    await fill(
      page,
      'match-text-input',
      mine
        .map((c) => c.caption)
        .reverse()
        .join('\n'),
    );
    await runTask(page, 'match-button', 120_000);
    expect(await text(page, 'error'), log()).toBe('');
    const ranked = await page.$$eval(sel('match-result'), (els) =>
      els.map((e) => ({ text: (e as HTMLElement).dataset.text, score: Number((e as HTMLElement).dataset.score) })),
    );
    expect(ranked.map((r) => r.text).sort()).toEqual(mine.map((c) => c.caption).sort());
    expect(ranked[0].text).toBe(truth.caption);
    expect(Math.abs(ranked[0].score - truth.torch_itm_prob)).toBeLessThan(1e-3);
    await screenshot(page, 'match');
  }, 180_000);

  it('ranks the sample pictures for a caption in the retrieval view', async () => {
    await page.click(sel('tab-retrieval'));
    await page.click(sel('retrieval-add-samples'));
    await page.waitForFunction(
      (s: string) => document.querySelectorAll(`${s} img`).length >= 5,
      {},
      sel('retrieval-gallery'),
    );
    const n = await page.$$eval(`${sel('retrieval-gallery')} img`, (e) => e.length);
    const truth = captions.find((c) => c.caption === 'a small yellow triangle' && c.matches)!;
    await fill(page, 'retrieval-text-input', truth.caption);
    await runTask(page, 'retrieval-button', 180_000);
    expect(await text(page, 'error'), log()).toBe('');
    const hits = await page.$$eval(sel('retrieval-result'), (els) =>
      els.map((e) => ({ name: (e as HTMLElement).dataset.name, score: Number((e as HTMLElement).dataset.score) })),
    );
    expect(hits.length).toBe(Math.min(5, n));
    expect(new Set(hits.map((x) => x.name)).size).toBe(hits.length);
    // Every sample is re-ranked by ITM; the picture this caption was written for wins, with the reference's probability.
    expect(hits[0].name).toBe(truth.image);
    expect(Math.abs(hits[0].score - truth.torch_itm_prob)).toBeLessThan(1e-3);
    await screenshot(page, 'retrieval');
  }, 240_000);

  it('shows a bad checkpoint and a bad picture as errors in words', async () => {
    const bad = join(tmpdir(), 'bridgetower-e2e-broken.ckpt');
    writeFileSync(bad, 'this is not a checkpoint\n'.repeat(20));
    await upload(page, 'checkpoint-input', bad);
    const error = await waitForError(page);
    expect(error).toMatch(/bridgetower-e2e-broken\.ckpt/);
    expect(error).not.toMatch(/unexpected error/);
    expect(await waitForStatus(page, ['ready'], 10_000)).toBe('ready');
    await screenshot(page, 'error-bad-checkpoint');

    await dismissError(page);
    await upload(page, 'image-input', resolve('test/fixtures/demo-model/merges.txt'));
    expect(await waitForError(page)).toMatch(/merges\.txt: not an image/);
  }, 60_000);

  it('cancels a load while the weights are downloading', async () => {
    await dismissError(page);
    // Hold the demo's weight shards until Cancel has been pressed.
    const held: HTTPRequest[] = [];
    const hold = (r: HTTPRequest) => {
      if (/\/weights\/demo\/.*\.bin$/.test(r.url())) held.push(r);
      else void r.continue();
    };
    await page.setRequestInterception(true);
    page.on('request', hold);
    try {
      await page.click(sel('load-demo'));
      await waitForStatus(page, ['loading'], 10_000);
      await page.waitForSelector(`${sel('progress-box')}:not([hidden])`);
      await screenshot(page, 'loading');
      await page.click(sel('cancel-button'));
      // The model that was loaded stays loaded.
      expect(await waitForStatus(page, ['cancelled', 'ready', 'error'], 10_000)).toBe('ready');
      expect(await text(page, 'error')).toMatch(/cancelled: .* is still loaded$/);
      await screenshot(page, 'cancelled');
    } finally {
      page.off('request', hold);
      for (const r of held) await r.continue().catch(() => {});
      await page.setRequestInterception(false);
    }
  }, 60_000);

  it('loads from a URL and from a local folder; a wrong URL is an error in words', async () => {
    await dismissError(page);
    await fill(page, 'url-input', 'weights/no-such-model/');
    const before = await text(page, 'model-name');
    await page.click(sel('load-url-button'));
    expect(await waitForError(page)).toMatch(/no-such-model.*(not found|no manifest\.json)/);
    expect(await waitForStatus(page, ['error', 'ready'], 30_000)).toBe('ready');
    expect(await text(page, 'model-name')).toBe(before);
    await dismissError(page);

    await fill(page, 'url-input', 'weights/demo/');
    await page.click(sel('load-url-button'));
    expect(await waitForStatus(page, ['ready', 'error'], 60_000), await text(page, 'error')).toBe('ready');
    expect(await text(page, 'model-name')).toBe('weights/demo/');

    await upload(page, 'folder-input', resolve('weights/demo'));
    await page.waitForFunction(
      (name: string, err: string) =>
        document.querySelector(name)?.textContent === 'demo' || document.querySelector(err)?.textContent,
      { timeout: 60_000 },
      sel('model-name'),
      sel('error'),
    );
    expect(await text(page, 'error')).toBe('');
    expect(await text(page, 'status')).toBe('ready');
  }, 120_000);

  it('cancels a conversion: nothing is stored and the loaded model stays', async () => {
    // Slow the page's CPU so that the conversion is still running when Cancel is pressed.
    await page.emulateCPUThrottling(20);
    try {
      await upload(page, 'checkpoint-input', TINY_CKPT);
      await page.waitForFunction(
        (s: string) => document.querySelector(s)?.textContent?.startsWith('Converting:'),
        { timeout: 30_000, polling: 'mutation' },
        sel('progress-detail'),
      );
      await page.click(sel('cancel-button'));
    } finally {
      await page.emulateCPUThrottling(null);
    }
    expect(await waitForError(page)).toBe(
      'Converting model.ckpt was cancelled: nothing new was stored; the models already stored are untouched',
    );
    expect(await waitForStatus(page, ['ready', 'cancelled', 'error'], 10_000)).toBe('ready');
    expect(await text(page, 'model-name')).toBe('demo');
    expect(await page.$$(sel('stored-model'))).toHaveLength(0);
  }, 60_000);

  it('converts a .ckpt in the page to f16, lists it after a reload, and deletes it', async () => {
    await dismissError(page);
    const dtypes = await page.$$eval(`${sel('convert-dtype')} option`, (o) =>
      o.map((x) => (x as HTMLOptionElement).value),
    );
    expect(dtypes).toEqual(['f32', 'f16', 'q8', 'q4']);
    await page.select(sel('convert-dtype'), 'f16');
    await upload(page, 'checkpoint-input', TINY_CKPT);
    expect(await waitForStatus(page, ['ready', 'error'], 90_000), `${await text(page, 'error')}\n${log()}`).toBe(
      'ready',
    );
    const name = await text(page, 'model-name');
    expect(name).toMatch(/^BridgeTower \S+ \S+-layer \d+px \S+ f16$/);
    const listed = await page.$$eval(sel('stored-model'), (els) => els.map((e) => ({ ...(e as HTMLElement).dataset })));
    expect(listed.map((m) => [m.name, m.dtype])).toEqual([[name, 'f16']]);
    // The tiny fixture has MLM and SNLI-VE heads but no NLVR2 head.
    const tabHidden = (id: string) => page.$eval(sel(`tab-${id}`), (e) => (e as HTMLElement).hidden);
    expect(await tabHidden('fillmask')).toBe(false);
    expect(await tabHidden('entailment')).toBe(false);
    expect(await tabHidden('nlvr2')).toBe(true);
    // It has no tokenizer files: the page says so, and a text task fails in words.
    expect(await text(page, 'no-tokenizer')).toMatch(/without tokenizer files/);
    await page.click(sel('tab-entailment'));
    await fill(page, 'entailment-input', 'there is a red circle');
    await runTask(page, 'entailment-button', 60_000);
    expect(await text(page, 'error')).toMatch(
      /^Judging the hypothesis: .*no tokenizer files: convert its checkpoint again in the Model panel/,
    );
    expect(await text(page, 'error')).not.toMatch(/--vocab|--tokenizer/);
    // Named as the list names it, not by its storage key.
    expect(await text(page, 'error')).toContain(`: ${name} has no tokenizer files`);
    await screenshot(page, 'converted-model');

    await page.reload();
    expect(await waitForStatus(page, ['ready', 'error'], 90_000), await text(page, 'error')).toBe('ready');
    await page.waitForSelector(sel('stored-model'));
    const names = await page.$$eval(sel('stored-model'), (els) => els.map((e) => (e as HTMLElement).dataset.name));
    expect(names).toEqual([name]);
    expect(await tabHidden('fillmask')).toBe(true);
    // Deleting a complete stored model asks first (#19): say yes.
    page.once('dialog', (d) => void d.accept());
    await page.click(`${sel('stored-model')} ${sel('stored-delete')}`);
    await page.waitForFunction((s: string) => !document.querySelector(s), {}, sel('stored-model'));
  }, 240_000);
});

it('says so in the page when the browser has no WebGPU', async () => {
  const p = await session.newPage();
  await p.evaluateOnNewDocument(() => {
    delete (Navigator.prototype as { gpu?: unknown }).gpu;
  });
  await p.goto(`${session.baseUrl}/`);
  expect(await waitForStatus(p, ['error', 'ready'], 30_000)).toBe('error');
  expect(await text(p, 'error')).toMatch(/WebGPU is not available in this browser.*Chrome or Edge/);
  // Browser words up front; what the library said (navigator.gpu, Node advice) only in the collapsed part.
  expect(await text(p, 'error')).not.toMatch(/navigator\.gpu|VK_ICD|Node/);
  const detail = await p.$eval(sel('error-detail'), (d) => ({
    hidden: (d as HTMLElement).hidden,
    open: (d as HTMLDetailsElement).open,
  }));
  expect(detail).toEqual({ hidden: false, open: false });
  expect(await text(p, 'error-detail-text')).toMatch(/navigator\.gpu/);
  await p.setViewport({ width: 1440, height: 700 });
  await screenshot(p, 'no-webgpu');
  await p.close();
}, 60_000);
