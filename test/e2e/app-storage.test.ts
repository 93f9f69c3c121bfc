// The app with a checkpoint of real width (a few hundred MB, made at test time by tools/make-random-model.ts:
// BridgeTower-base widths and vocabulary, one layer per tower): converting never loses a stored model.
// Two files named model.safetensors with different weights are kept side by side, without a question (named
// from their config with depth, a (2) on the second): a model is replaced only by the same weights, and only
// if the user says so; deleting a stored model asks first. A cancelled conversion leaves the models stored
// and loadable; a reload in
// the middle of a conversion leaves nothing unlisted, and what a killed tab leaves is listed as unfinished, which
// Delete removes. Config files are recognised by content (`config (1).json`), and each stored model shows its
// dtype and size.
import { mkdtempSync, renameSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Dialog, Page } from 'puppeteer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { baseConfig } from '../../src/checkpoint/random-weights';
import { writeRandomModel } from '../../tools/make-random-model';
import { sel, text, upload, waitForCount, waitForError, waitForStatus, waitForText } from './app-page';
import { startBrowserSession, type BrowserSession } from './browser';

/** Base widths and the full RoBERTa vocabulary with one layer per tower and a 32 px picture: ~300 MB, quick to run. */
const CONFIG = baseConfig({ textLayers: 1, visionLayers: 1, crossLayers: 1, imageSize: 32, heads: { itm: true } });
const TITLE = 'BridgeTower base 1-layer 32px ITM f32';

let session: BrowserSession;
let page: Page;
let work: string;
const ckpt = (n: number) => join(work, `m${n}`, 'model.safetensors');
const config = (n: number) => join(work, `m${n}`, 'config (1).json');
/** What the next question (delete this model? delete the older copy of the same weights?) is answered. */
let answer = false;
const questions: string[] = [];

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'bt-e2e-big-'));
  for (const n of [1, 2]) {
    await writeRandomModel(join(work, `m${n}`), CONFIG, { format: 'safetensors', seed: n });
    renameSync(join(work, `m${n}`, 'bridgetower-config.json'), config(n));
  }
  session = await startBrowserSession();
  page = await session.newPage();
  page.on('dialog', (d: Dialog) => {
    questions.push(d.message());
    void (answer ? d.accept() : d.dismiss());
  });
  await page.setViewport({ width: 1280, height: 900 });
  await page.goto(`${session.baseUrl}/`);
  expect(await waitForStatus(page, ['ready', 'error'], 90_000), await text(page, 'error')).toBe('ready');
}, 180_000);
afterAll(async () => {
  await session?.close();
  if (work) rmSync(work, { recursive: true, force: true });
});

const log = () => session.log.slice(-20).join('\n');
const failure = async () => `${await text(page, 'error')}\n${log()}`;
const stored = () =>
  page.$$eval(sel('stored-model'), (els) =>
    els.map((e) => {
      const d = (e as HTMLElement).dataset;
      const facts = e.querySelector('[data-testid="stored-facts"]')?.textContent ?? '';
      return { name: d.name!, key: d.key!, dtype: d.dtype!, bytes: Number(d.bytes), facts };
    }),
  );
const partial = () => page.$$(sel('stored-partial'));
const keysOnDisk = () =>
  page.evaluate(async () => {
    const root = await (await navigator.storage.getDirectory()).getDirectoryHandle('bridgetower-models');
    const keys: string[] = [];
    for await (const key of (root as unknown as { keys(): AsyncIterable<string> }).keys()) keys.push(key);
    return keys.sort();
  });

async function convert(n: number): Promise<void> {
  await upload(page, 'checkpoint-input', ckpt(n), config(n));
  await waitForStatus(page, ['converting'], 30_000);
}

async function waitForBytes(p = page): Promise<void> {
  await p.waitForFunction(
    (s: string) => Number((document.querySelector(s) as HTMLElement)?.dataset.bytes ?? 0) > 0,
    { timeout: 60_000, polling: 50 },
    sel('progress'),
  );
}

describe('stored models at real width', () => {
  it('keeps two files called model.safetensors as two models, named from the config, with dtype and size', async () => {
    expect(statSync(ckpt(1)).size).toBeGreaterThan(250e6);
    await convert(1);
    expect(await waitForStatus(page, ['ready', 'error'], 240_000), await failure()).toBe('ready');
    expect(await text(page, 'model-name')).toBe(TITLE);
    answer = true;
    await convert(2);
    expect(await waitForStatus(page, ['ready', 'error'], 240_000), await failure()).toBe('ready');
    expect(questions).toEqual([]);
    expect(await text(page, 'model-name')).toBe(`${TITLE} (2)`);
    const list = await stored();
    expect(list.map((m) => m.name)).toEqual([TITLE, `${TITLE} (2)`]);
    expect(new Set(list.map((m) => m.key)).size).toBe(2);
    for (const m of list) {
      expect(m.dtype).toBe('f32');
      expect(m.facts).toContain(`${(m.bytes / 2 ** 20).toFixed(0)} MiB`);
      expect(m.facts).toContain('from model.safetensors');
    }
  }, 600_000);

  it('cancelling a conversion of weights already stored keeps that model, stored and loadable', async () => {
    const before = await stored();
    answer = true;
    await page.emulateCPUThrottling(4);
    try {
      await convert(1);
      await waitForBytes();
      await page.click(sel('cancel-button'));
    } finally {
      await page.emulateCPUThrottling(null);
    }
    expect(await waitForError(page)).toMatch(
      /was cancelled: nothing new was stored; the models already stored are untouched/,
    );
    expect(await waitForStatus(page, ['ready', 'error'], 30_000)).toBe('ready');
    expect(await text(page, 'model-name')).toBe(`${TITLE} (2)`);
    expect(await stored()).toEqual(before);
    expect(await partial()).toHaveLength(0);
    await page.click(`${sel('stored-model')}[data-name="${TITLE}"] ${sel('stored-load')}`);
    await waitForText(page, 'model-name', TITLE, 120_000);
    expect(await waitForStatus(page, ['ready', 'error'], 120_000), await text(page, 'error')).toBe('ready');
  }, 600_000);

  it('leaves nothing unlisted after a reload mid-conversion, and lists an unfinished entry for Delete', async () => {
    const before = await stored();
    answer = false;
    await convert(2);
    await waitForBytes();
    await page.reload();
    expect(await waitForStatus(page, ['ready', 'error'], 90_000)).toBe('ready');
    await page.waitForSelector(sel('stored-model'), { timeout: 30_000 });
    // The page may have deleted its entry as it unloaded, or not had the time: either way, nothing is hidden.
    const listedKeys = () =>
      page.$$eval(`${sel('stored-models')} li`, (els) => els.map((e) => (e as HTMLElement).dataset.key!).sort());
    expect(await listedKeys()).toEqual(await keysOnDisk());
    expect(await stored()).toEqual(before);

    // What a killed tab leaves (no page code runs after a crash): the entry, a shard, no manifest.
    await page.evaluate(async () => {
      const root = await (await navigator.storage.getDirectory()).getDirectoryHandle('bridgetower-models');
      const dir = await root.getDirectoryHandle('m-killed-conversion', { create: true });
      const put = async (name: string, data: BlobPart) => {
        const w = await (await dir.getFileHandle(name, { create: true })).createWritable();
        await w.write(data);
        await w.close();
      };
      const entry = { name: 'half a model', source: 'model.safetensors', created: Date.now() };
      await put('entry.json', JSON.stringify(entry));
      await put('weights-00000.bin', new Uint8Array(3 << 20));
    });
    await page.reload();
    expect(await waitForStatus(page, ['ready', 'error'], 90_000)).toBe('ready');
    const killed = `${sel('stored-partial')}[data-key="m-killed-conversion"]`;
    await page.waitForSelector(killed, { timeout: 30_000 });
    expect(await page.$eval(killed, (e) => e.textContent ?? '')).toMatch(
      /^half a model.*unfinished conversion of model\.safetensors .* 3\.0 MiB used/,
    );
    expect(await page.$(`${killed} ${sel('stored-load')}`)).toBeNull();
    await page.click(`${killed} ${sel('stored-delete')}`);
    await page.waitForFunction((s: string) => !document.querySelector(s), { timeout: 30_000 }, killed);
    expect(await keysOnDisk()).not.toContain('m-killed-conversion');

    for (const entry of await partial()) {
      await entry.evaluate((e) => (e.querySelector('[data-testid="stored-delete"]') as HTMLElement).click());
    }
    await page.waitForFunction((s: string) => !document.querySelector(s), { timeout: 30_000 }, sel('stored-partial'));
    // A complete model is deleted only when the question is answered yes.
    await page.click(`${sel('stored-model')} ${sel('stored-delete')}`);
    expect(questions.at(-1)).toMatch(
      /^Delete “BridgeTower base 1-layer 32px ITM f32.*” \(f32, .* MiB, from model\.safetensors\) from this browser\?/,
    );
    expect(await stored()).toEqual(before);
    answer = true;
    for (let i = 0; i < before.length; i++) {
      await page.click(`${sel('stored-model')} ${sel('stored-delete')}`);
      await waitForCount(page, 'stored-model', before.length - i - 1, 30_000);
    }
  }, 300_000);
});

it('stores in IndexedDB where OPFS cannot write, with the same guarantees', async () => {
  const p = await session.newPage();
  await p.evaluateOnNewDocument(() => {
    delete (FileSystemFileHandle.prototype as { createWritable?: unknown }).createWritable;
  });
  let accept = false;
  const asked: string[] = [];
  p.on('dialog', (d: Dialog) => {
    asked.push(d.message());
    void (accept ? d.accept() : d.dismiss());
  });
  await p.goto(`${session.baseUrl}/`);
  expect(await waitForStatus(p, ['ready', 'error'], 90_000)).toBe('ready');
  const tiny = join(process.cwd(), 'test/fixtures/tiny/model.ckpt');
  for (let i = 0; i < 2; i++) {
    await upload(p, 'checkpoint-input', tiny);
    await waitForStatus(p, ['converting'], 30_000);
    expect(await waitForStatus(p, ['ready', 'error'], 120_000), await text(p, 'error')).toBe('ready');
  }
  const listed = () => p.$$eval(sel('stored-model'), (els) => els.map((e) => (e as HTMLElement).dataset.name!));
  const names = await listed();
  expect(names).toHaveLength(2);
  expect(names[1]).toBe(`${names[0]} (2)`);
  expect(asked.at(-1)).toMatch(/^The same weights are already stored in this browser as “/);
  // Replacing (OK in the question): the new conversion takes the name, the older copies go once it is complete.
  const keyOf = (name: string) =>
    p.$eval(`${sel('stored-model')}[data-name="${name}"]`, (e) => (e as HTMLElement).dataset.key!);
  const oldKey = await keyOf(names[0]);
  accept = true;
  await upload(p, 'checkpoint-input', tiny);
  await waitForStatus(p, ['converting'], 30_000);
  expect(await waitForStatus(p, ['ready', 'error'], 120_000), await text(p, 'error')).toBe('ready');
  expect(await listed()).toEqual([names[0]]);
  expect(await keyOf(names[0])).not.toBe(oldKey);
  await p.reload();
  await p.waitForSelector(sel('stored-model'), { timeout: 30_000 });
  expect(await listed()).toEqual([names[0]]);
  await p.click(`${sel('stored-model')} ${sel('stored-load')}`);
  await waitForText(p, 'model-name', names[0], 60_000);
  await p.click(`${sel('stored-model')} ${sel('stored-delete')}`);
  await waitForCount(p, 'stored-model', 0, 30_000);
  await p.close();
}, 300_000);
