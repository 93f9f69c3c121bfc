// The app's "Hugging Face model id" field against a local imitation of the hub (../hub/hub-server.ts) serving
// the demo model in the hub's layout: it loads, answers as the reference does, and a reload loads it again
// from the browser's storage without a weight request.
import { join, resolve } from 'node:path';
import type { Page } from 'puppeteer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hfLayout } from '../../tools/hf-layout';
import { startHubServer, type HubServer } from '../hub/hub-server';
import { fill, runTask, sel, text, upload, waitForStatus } from './app-page';
import { startBrowserSession, type BrowserSession } from './browser';

const EVAL = resolve('test/fixtures/demo-model/eval');
const REPO = 'demo/bridgetower-demo';

let session: BrowserSession;
let hub: HubServer;
let page: Page;

beforeAll(async () => {
  hub = await startHubServer({ [REPO]: { files: await hfLayout('weights/demo') } });
  session = await startBrowserSession();
  page = await session.newPage();
});
afterAll(async () => {
  await session?.close();
  await hub?.close();
});

async function loadFromHub(): Promise<void> {
  await page.goto(`${session.baseUrl}/?hubEndpoint=${encodeURIComponent(hub.url)}`);
  expect(await waitForStatus(page, ['ready', 'error'], 90_000)).toBe('ready');
  await fill(page, 'hub-input', REPO);
  await page.click(sel('load-hub-button'));
  await page.waitForFunction(
    (s: string, name: string) => document.querySelector(s)?.getAttribute('title') === name,
    { timeout: 10_000 },
    sel('status'),
    REPO,
  );
  expect(
    await waitForStatus(page, ['ready', 'error'], 90_000),
    `${await text(page, 'error')}\n${session.log.slice(-20).join('\n')}`,
  ).toBe('ready');
}

describe('the app loads a model by its Hugging Face id', () => {
  it('answers from the hub, then reloads from the browser cache without a weight request', async () => {
    await loadFromHub();
    await upload(page, 'image-input', join(EVAL, 'img-00.png'));
    await fill(page, 'question-input', 'how many objects are in the image');
    await runTask(page, 'ask-button', 120_000);
    expect(await page.$eval(sel('answer'), (e) => (e as HTMLElement).dataset.label)).toBe('1');
    expect(hub.weightRequests().length).toBeGreaterThan(0);

    hub.requests.length = 0;
    await loadFromHub();
    expect(hub.weightRequests()).toEqual([]);
  }, 240_000);
});
