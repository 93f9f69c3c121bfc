// Hostile files in the app (issue 19): a tokenizer.json whose added token is empty (it used to loop forever and
// freeze the tab) dropped with a checkpoint, and a web-format manifest claiming 1e9 vision layers picked as a
// folder and loaded from a URL. Each gives one clear message naming the problem, the page keeps answering,
// nothing is stored, and the demo model stays loaded and usable.
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import type { Page } from 'puppeteer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { webFiles } from '../fuzz/targets';
import { dismissError, fill, runTask, sel, text, upload, waitForError, waitForStatus } from './app-page';
import { startBrowserSession, type BrowserSession } from './browser';

const DEMO_NAME = 'Demo model (synthetic shapes)';
const FUZZ = resolve('test/fixtures/fuzz');

let session: BrowserSession;
let page: Page;
/** Under weights/, so the app's server serves it as a URL too; removed afterwards. */
let hostile: string;

beforeAll(async () => {
  // The tiny model converted, with the manifest of the 1e9-layer regression file in place of its own.
  hostile = mkdtempSync(join(resolve('weights'), '.e2e-hostile-'));
  const folder = join(hostile, 'huge-layers');
  mkdirSync(folder);
  for (const [name, bytes] of await webFiles()) writeFileSync(join(folder, name), bytes);
  const packed = readFileSync(join(FUZZ, 'web-format-vision-layers-1e9.web'));
  writeFileSync(join(folder, 'manifest.json'), packed.subarray(packed.indexOf(0) + 1));
  copyFileSync(join(FUZZ, 'tokenizer-empty-added-token.tokenizer.json'), join(hostile, 'tokenizer.json'));
  session = await startBrowserSession();
  page = await session.newPage();
  await page.setViewport({ width: 1280, height: 900 });
  await page.goto(`${session.baseUrl}/`, { timeout: 150_000 });
  expect(await waitForStatus(page, ['ready', 'error'], 90_000), await text(page, 'error')).toBe('ready');
}, 300_000);
afterAll(async () => {
  await session?.close();
  if (hostile) rmSync(hostile, { recursive: true, force: true });
});

/** One line naming the problem; the page answers a script at once; the demo is still the model in use. */
async function oneClearMessage(what: string): Promise<string> {
  const error = await waitForError(page, 120_000);
  expect(error, what).not.toMatch(/\n|unexpected error|\bat \S+:\d+|undefined|\[object/);
  expect(await page.evaluate(() => document.readyState), what).toBe('complete');
  expect(await waitForStatus(page, ['ready', 'error', 'cancelled'], 30_000), `${what}: ${error}`).toBe('ready');
  expect(await text(page, 'model-name'), what).toBe(DEMO_NAME);
  expect(await page.$$(sel('stored-model')), what).toHaveLength(0);
  await dismissError(page);
  return error;
}

describe('hostile files in the app', () => {
  it('a checkpoint with a tokenizer.json whose added token is empty', async () => {
    await upload(page, 'checkpoint-input', resolve('test/fixtures/tiny/model.ckpt'), join(hostile, 'tokenizer.json'));
    expect(await oneClearMessage('empty added token')).toMatch(
      /tokenizer\.json: added_tokens\[0\] has content "", not a non-empty string/,
    );
  }, 200_000);

  it('a web-format folder whose manifest claims 1e9 vision layers, picked and loaded from a URL', async () => {
    await upload(page, 'folder-input', join(hostile, 'huge-layers'));
    expect(await oneClearMessage('1e9 layers, folder')).toMatch(
      /config\.vision\.layers: 1000000000 is over the limit of 96 layers/,
    );
    await fill(page, 'url-input', `${relative(process.cwd(), join(hostile, 'huge-layers'))}/`);
    await page.click(sel('load-url-button'));
    expect(await oneClearMessage('1e9 layers, URL')).toMatch(/config\.vision\.layers: 1000000000 is over the limit/);
  }, 200_000);

  it('leaves the demo model answering', async () => {
    await fill(page, 'question-input', 'how many objects are there?');
    await runTask(page, 'ask-button', 120_000);
    expect(await text(page, 'error')).toBe('');
    expect(await page.$$(sel('answer'))).not.toHaveLength(0);
  }, 200_000);
});
