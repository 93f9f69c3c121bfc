// The app's Search view in headless Chromium on the demo model: pictures drawn by test/search/shape-world.ts are
// indexed in the worker with progress, the index survives a reload, and a typed caption shows its picture first;
// a short video of shape scenes with its transcript (test/fixtures/search, made by test/search/make-video.ts) is
// sampled by the browser's decoder, indexed and searched, and clicking the result seeks the video to its second.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Page } from 'puppeteer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodePng, scenes } from '../search/shape-world';
import { fill, screenshot, sel, text, upload, waitForStatus } from './app-page';
import { startBrowserSession, type BrowserSession } from './browser';

const tmp = mkdtempSync(join(tmpdir(), 'bt-app-search-'));
const pictures = scenes(12, 11);
const file = (i: number) => join(tmp, `pic-${String(i).padStart(2, '0')}.png`);
/** Pictures whose caption the demo model ranks first among these 12, by ITC and after ITM re-ranking. */
const QUERIES = [4, 9];
const VIDEO = resolve('test/fixtures/search/shapes.webm');
const VTT = resolve('test/fixtures/search/shapes.vtt');

let session: BrowserSession;
let page: Page;

beforeAll(async () => {
  pictures.forEach((p, i) => writeFileSync(file(i), encodePng(p.rgb)));
  session = await startBrowserSession();
  page = await session.newPage();
  await page.setViewport({ width: 1280, height: 1000 });
});
afterAll(async () => {
  await session?.close();
});

const log = () => session.log.slice(-20).join('\n');

async function openSearch(): Promise<void> {
  expect(await waitForStatus(page, ['ready', 'error'], 90_000), `${await text(page, 'error')}\n${log()}`).toBe('ready');
  await page.click(sel('tab-search'));
}

/** Type a query and wait for the re-ranked results; the data-id of the first, and what the ITC order had first. */
async function query(q: string): Promise<{ first: string; itcRank: string; start?: string }> {
  await fill(page, 'search-query', q);
  await page.waitForFunction(
    (s: string, want: string) =>
      document.querySelector<HTMLElement>(s)?.dataset.reranked === 'true' &&
      document.querySelector<HTMLInputElement>('[data-testid="search-query"]')?.value === want &&
      !document.querySelector('[data-testid="search-button"]')?.hasAttribute('aria-busy'),
    { timeout: 60_000, polling: 100 },
    sel('search-results'),
    q,
  );
  return page.$eval(`${sel('search-result')}:first-child`, (e) => {
    const d = (e as HTMLElement).dataset;
    return { first: d.id!, itcRank: d.itcRank!, start: d.start };
  });
}

/** Wait until the stored index `name` lists `entries` entries (the worker has finished and the view reloaded it). */
async function waitForIndex(name: string, entries: number): Promise<void> {
  await page.waitForFunction(
    (n: string, k: string) =>
      document.querySelector(`[data-testid="search-index"][data-name="${n}"]`)?.getAttribute('data-entries') === k &&
      document.querySelector<HTMLElement>('[data-testid="view-search"]')?.dataset.entries === k,
    { timeout: 120_000, polling: 200 },
    name,
    String(entries),
  );
}

describe('the Search view', () => {
  it('indexes pictures in a worker with progress, keeps the index across a reload, and finds a caption’s picture', async () => {
    await page.goto(`${session.baseUrl}/`);
    await openSearch();
    await page.evaluate(() => {
      const seen: string[] = [];
      (window as unknown as { progressSeen: string[] }).progressSeen = seen;
      const bar = document.querySelector<HTMLElement>('[data-testid="search-progress"]')!;
      const tick = () => `${bar.dataset.done}/${bar.dataset.total} ${bar.dataset.pass ?? ''}`.trim();
      new MutationObserver(() => seen.push(tick())).observe(bar, { attributes: true, attributeFilter: ['data-done'] });
    });
    await upload(page, 'search-files-input', ...pictures.map((_, i) => file(i)));
    await waitForIndex('My pictures', 12);
    const seen = await page.evaluate(() => (window as unknown as { progressSeen: string[] }).progressSeen);
    // Between batches, and within each batch's pass as its two stages (the demo's 4 image layers) finish.
    expect(seen, log()).toEqual(['0/12', '0/12 1/2', '0/12 2/2', '8/12', '8/12 1/2', '8/12 2/2', '12/12']);
    expect(await text(page, 'search-progress-label')).toMatch(/^12 added, 0 already indexed · 12 entries$/);
    const hit = await query(pictures[QUERIES[0]].caption);
    expect(hit.first).toBe('pic-04.png');
    await screenshot(page, 'search-pictures');

    await page.reload();
    await openSearch();
    await waitForIndex('My pictures', 12);
    expect((await query(pictures[QUERIES[1]].caption)).first).toBe('pic-09.png');
  }, 300_000);

  it('samples a video with its transcript, indexes the frames, and plays the result from its second', async () => {
    await page.goto(`${session.baseUrl}/`);
    await openSearch();
    await fill(page, 'search-index-name', 'Shapes video');
    await fill(page, 'search-video-interval', '1');
    await upload(page, 'search-video-input', VIDEO, VTT);
    await waitForIndex('Shapes video', 6);
    const hit = await query('a blue square');
    expect(hit).toEqual({ first: 'shapes.webm#t=3', itcRank: expect.any(String), start: '3' });
    expect(await text(page, 'search-results')).toContain('Now we see the blue square.');
    await page.click(`${sel('search-result')}:first-child`);
    await page.waitForFunction(
      (s: string) => document.querySelector<HTMLElement>(s)?.dataset.seekedTo !== undefined,
      { timeout: 30_000 },
      sel('search-video'),
    );
    const at = await page.$eval(sel('search-video'), (v) => (v as HTMLVideoElement).currentTime);
    expect(at).toBeGreaterThanOrEqual(3);
    expect(at).toBeLessThan(4);
    await screenshot(page, 'search-video');
  }, 300_000);
});
