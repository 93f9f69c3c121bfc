// A q8 web-format directory loads in the browser: the demo model converted to q8 (in Node), loaded in the app
// by URL, answers an eval question exactly as the Node task API does with the same q8 directory.
import { readFileSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Page } from 'puppeteer';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { openWeights } from '../../src/checkpoint/open';
import { NodeDirectory, NodeDirSink } from '../../src/checkpoint/source-node';
import { writeWebFormat } from '../../src/checkpoint/web-format-write';
import { loadBridgeTower } from '../../src/tasks/node';
import { fill, runTask, sel, text, upload, waitForStatus } from './app-page';
import { startBrowserSession, type BrowserSession } from './browser';

const EVAL = resolve('test/fixtures/demo-model/eval');
/** Inside the served root (git-ignored), so the page can fetch it by URL. */
const OUT = 'test-results/demo-q8';
const IMAGE = 'img-02.png';
const question = (
  JSON.parse(readFileSync(join(EVAL, 'questions.json'), 'utf8')) as Array<{ image: string; question: string }>
).find((q) => q.image === IMAGE)!.question;

let session: BrowserSession;
let page: Page;
beforeAll(async () => {
  rmSync(OUT, { recursive: true, force: true });
  const demo = await openWeights(new NodeDirectory(resolve('weights/demo')));
  try {
    await writeWebFormat(demo, new NodeDirSink(resolve(OUT)), { dtype: 'q8' });
  } finally {
    await demo.close();
  }
  session = await startBrowserSession();
  page = await session.newPage();
}, 120_000);
afterAll(async () => {
  await session?.close();
  rmSync(OUT, { recursive: true, force: true });
});

it('loads a q8 directory by URL and answers as the Node task API does with it', async () => {
  const bt = await loadBridgeTower(OUT);
  let want: { answer: string; score: number };
  try {
    want = (await bt.vqa(readFileSync(join(EVAL, IMAGE)), question, { topK: 3 })).answers[0];
  } finally {
    bt.dispose();
  }
  await page.goto(`${session.baseUrl}/`);
  expect(await waitForStatus(page, ['ready', 'error'], 90_000), await text(page, 'error')).toBe('ready');
  await fill(page, 'url-input', `${OUT}/`);
  await page.click(sel('load-url-button'));
  expect(await waitForStatus(page, ['ready', 'error'], 90_000), await text(page, 'error')).toBe('ready');
  expect(await text(page, 'model-name')).toBe(`${OUT}/`);
  await upload(page, 'image-input', join(EVAL, IMAGE));
  await page.waitForFunction(
    (n: string) => document.querySelector('figcaption')?.textContent?.startsWith(n),
    {},
    IMAGE,
  );
  await fill(page, 'question-input', question);
  await runTask(page, 'ask-button', 120_000);
  expect(await text(page, 'error')).toBe('');
  const got = await page.$$eval(sel('answer'), (els) =>
    els.map((e) => ({ label: (e as HTMLElement).dataset.label, score: Number((e as HTMLElement).dataset.score) })),
  );
  expect(got[0].label, question).toBe(want.answer);
  expect(Math.abs(got[0].score - want.score)).toBeLessThan(1e-4);
}, 300_000);
