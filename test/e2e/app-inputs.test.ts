// Careless input through every file and text box of the app (issue 11), and the longer tasks' progress and
// Cancel (issue 14) on the demo model: a failed load keeps the model in use; results that no longer belong to
// the picture or the question are marked stale; an empty box says what is missing; a gallery refuses a
// non-picture on its own; the suggestion chips are questions the demo gets right; a sweep of bad files and
// texts always ends in a one-line message with the model still loaded.
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join, resolve } from 'node:path';
import type { Page } from 'puppeteer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  dismissError,
  fill,
  runTask,
  sel,
  text,
  upload,
  waitForData,
  waitForError,
  waitForStatus,
  waitForText,
} from './app-page';
import { startBrowserSession, type BrowserSession } from './browser';

const EVAL = resolve('test/fixtures/demo-model/eval');
const DEMO_NAME = 'Demo model (synthetic shapes)';
// The long-name test loads another model: it runs after every test that expects the demo.
interface Scene {
  image: string;
  objects: unknown[];
}
const scenes: Scene[] = JSON.parse(readFileSync(join(EVAL, 'images.json'), 'utf8'));

let session: BrowserSession;
let page: Page;
let work: string;

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'bt-e2e-inputs-'));
  session = await startBrowserSession();
  page = await session.newPage();
  // Record whether the load showed its shader compilation in the model panel's progress box.
  await page.evaluateOnNewDocument(() => {
    const seen: string[] = [];
    (window as unknown as { progressSeen: string[] }).progressSeen = seen;
    new MutationObserver(() => {
      const box = document.querySelector<HTMLElement>('[data-testid="progress-box"]');
      if (box && !box.hidden) seen.push(box.querySelector('[data-testid="progress-detail"]')?.textContent ?? '');
    }).observe(document, { subtree: true, attributes: true, childList: true, characterData: true });
  });
  await page.setViewport({ width: 1280, height: 900 });
  await page.goto(`${session.baseUrl}/`);
  expect(await waitForStatus(page, ['ready', 'error'], 90_000), await text(page, 'error')).toBe('ready');
}, 120_000);
afterAll(async () => {
  await session?.close();
  if (work) rmSync(work, { recursive: true, force: true });
});

const log = () => session.log.slice(-20).join('\n');
const file = (name: string, content: string | Uint8Array) => {
  const p = join(work, name);
  writeFileSync(p, content);
  return p;
};
const staleOf = (testid: string) => page.$eval(sel(testid), (e) => (e as HTMLElement).dataset.stale ?? null);

/** The model in use is still loaded, and the message is one line of words, not a stack trace or a bug report. */
async function expectOneLineErrorAndModelKept(what: string): Promise<string> {
  const error = await waitForError(page).catch(() => {
    throw new Error(`${what}: no message in [data-testid=error]\n${log()}`);
  });
  expect(error, what).not.toMatch(/\n|unexpected error|\bat \S+:\d+|undefined|\[object/);
  expect(await waitForStatus(page, ['ready', 'error', 'cancelled'], 30_000), `${what}: ${error}`).toBe('ready');
  expect(await text(page, 'model-name'), what).toBe(DEMO_NAME);
  await dismissError(page);
  return error;
}

describe('the app on careless input', () => {
  it('shows shader compilation as a load phase, and drops the stale copy about compiling and other tools', async () => {
    await page.waitForFunction(
      () =>
        (window as unknown as { progressSeen: string[] }).progressSeen.some((l) => l.startsWith('Compiling shaders')),
      { timeout: 60_000 },
    );
    const body = await page.$eval('body', (b) => b.textContent ?? '');
    expect(body).not.toMatch(/No other BridgeTower tool|includes compiling/);
    const placeholder = await page.$eval(sel('question-input'), (e) => (e as HTMLInputElement).placeholder);
    expect(placeholder).toMatch(/^Type a question, e\.g\. /);
  }, 90_000);

  it('offers chips the demo answers right on the default picture', async () => {
    const first = await page.$eval(sel('sample'), (e) => (e as HTMLElement).dataset.file!);
    const scene = scenes.find((s) => s.image === first)!;
    const chip = await page.$eval(`${sel('question-suggestions')} .chip`, (e) => e.textContent ?? '');
    expect(chip).toBe('how many objects are there?');
    await page.click(`${sel('question-suggestions')} .chip`);
    await page.waitForFunction(
      (s: string) => !document.querySelector(s)?.hasAttribute('aria-busy'),
      { timeout: 120_000 },
      sel('ask-button'),
    );
    expect(await page.$eval(sel('answer'), (e) => (e as HTMLElement).dataset.label)).toBe(String(scene.objects.length));
    expect(await text(page, 'vqa-time')).toMatch(/^Answered in .* from the click\.$/);
    // The heatmap came from the same forward pass: it is drawn as the answer shows.
    expect(await page.$eval(sel('attention'), (e) => (e as HTMLElement).hidden)).toBe(false);
  }, 150_000);

  it('marks answers stale when the question or the picture changes', async () => {
    expect(await staleOf('answers')).toBeNull();
    await fill(page, 'question-input', 'is there a red square?');
    expect(await staleOf('answers')).toBe('question');
    await fill(page, 'question-input', 'how many objects are there?');
    expect(await staleOf('answers')).toBeNull();
    await page.click(`${sel('sample')}:nth-child(2)`);
    await waitForData(page, 'answers', 'stale', 'picture', 10_000);
    expect(await text(page, 'vqa-stale-note')).toMatch(/previous picture/);
    await runTask(page, 'ask-button', 120_000);
    expect(await staleOf('answers')).toBeNull();

    await page.click(sel('tab-match'));
    await fill(page, 'match-text-input', 'a red circle\na blue square');
    await runTask(page, 'match-button', 120_000);
    expect(await staleOf('match-results')).toBeNull();
    await fill(page, 'match-text-input', 'a green triangle');
    expect(await staleOf('match-results')).toBe('captions');
    await page.click(`${sel('sample')}:nth-child(3)`);
    await waitForData(page, 'match-results', 'stale', 'picture', 10_000);
  }, 300_000);

  it('says what is missing when Ask, Match or Search is empty, and notes a question cut short', async () => {
    await page.click(sel('tab-vqa'));
    await fill(page, 'question-input', '   ');
    await page.click(sel('ask-button'));
    expect(await expectOneLineErrorAndModelKept('empty question')).toMatch(/^Asking: type a question first/);
    await page.click(sel('tab-match'));
    await fill(page, 'match-text-input', '\n  \n');
    await page.click(sel('match-button'));
    expect(await expectOneLineErrorAndModelKept('empty captions')).toMatch(/^Matching: type at least one caption/);
    await page.click(sel('tab-retrieval'));
    await page.click(sel('retrieval-button'));
    expect(await expectOneLineErrorAndModelKept('empty gallery')).toMatch(/^Searching: add some pictures first/);

    await page.click(sel('tab-vqa'));
    await fill(page, 'question-input', `how many ${'very '.repeat(40)}red objects are there?`);
    await runTask(page, 'ask-button', 120_000);
    expect(await text(page, 'error'), log()).toBe('');
    expect(await text(page, 'vqa-truncated')).toMatch(/only its first \d+ tokens were used/);
  }, 200_000);

  it('keeps the loaded model when a load fails, with the error beside it', async () => {
    await fill(page, 'url-input', 'weights/no-such-model/');
    await page.click(sel('load-url-button'));
    // In the banner, and beside the load controls.
    const shown = await waitForError(page);
    expect(
      await page.$eval(sel('load-error'), (e) => ({ hidden: (e as HTMLElement).hidden, text: e.textContent })),
    ).toEqual({ hidden: false, text: shown });
    expect(await expectOneLineErrorAndModelKept('wrong URL')).toMatch(/no-such-model.*(not found|no manifest\.json)/);
    await fill(page, 'url-input', 'http://[::1');
    await page.click(sel('load-url-button'));
    expect(await expectOneLineErrorAndModelKept('malformed URL')).toMatch(/not a URL/);
    await fill(page, 'url-input', '  ');
    await page.click(sel('load-url-button'));
    expect(await expectOneLineErrorAndModelKept('empty URL')).toMatch(/type the URL/);
    // The model still answers.
    await fill(page, 'question-input', 'how many objects are there?');
    await runTask(page, 'ask-button', 120_000);
    expect(await text(page, 'error')).toBe('');
  }, 200_000);

  it('refuses a non-picture in the gallery on its own and keeps the rest', async () => {
    await page.click(sel('tab-retrieval'));
    const fake = file('holiday.png', 'not a png at all');
    await upload(page, 'retrieval-images-input', join(EVAL, 'img-02.png'), fake, join(EVAL, 'img-04.png'));
    const error = await expectOneLineErrorAndModelKept('non-image in the gallery');
    expect(error).toMatch(/holiday\.png: not a picture this browser can decode; left out \(the other pictures were/);
    const kept = await page.$$eval(`${sel('retrieval-gallery')} img`, (e) => e.map((x) => x.getAttribute('alt')));
    expect(kept).toEqual(['img-02.png', 'img-04.png']);
  }, 60_000);

  it("ticks a long retrieval's progress within a batch of pictures and stops it within a stage on Cancel", async () => {
    const pictures = Array.from({ length: 48 }, (_, i) => {
      const p = join(work, `pic-${i}.png`);
      copyFileSync(join(EVAL, `img-${String(i % 24).padStart(2, '0')}.png`), p);
      return p;
    });
    await upload(page, 'retrieval-images-input', ...pictures);
    await page.waitForFunction(
      (s: string) => document.querySelectorAll(`${s} img`).length >= 50,
      { timeout: 30_000 },
      sel('retrieval-gallery'),
    );
    await fill(page, 'retrieval-text-input', 'a red circle');
    // Every progress tick, as "done" or "done pass" (the steps of the pass under way, for a tick within one); at
    // the first tick within a pass, the progress line as it was and a press of Cancel.
    await page.evaluate(
      (bar: string, cancel: string, detail: string) => {
        const seen = { ticks: [] as string[], detail: '' };
        (window as unknown as { seen: typeof seen }).seen = seen;
        const el = document.querySelector<HTMLElement>(bar)!;
        new MutationObserver(() => {
          if (el.dataset.done === undefined) return;
          seen.ticks.push(`${el.dataset.done} ${el.dataset.pass ?? ''}`.trim());
          if (el.dataset.pass && !seen.detail) {
            seen.detail = document.querySelector(detail)?.textContent ?? '';
            document.querySelector<HTMLButtonElement>(cancel)!.click();
          }
        }).observe(el, { attributes: true, attributeFilter: ['data-done', 'data-pass'] });
      },
      sel('task-progress'),
      sel('task-cancel'),
      sel('task-progress-detail'),
    );
    await page.click(sel('retrieval-button'));
    expect(await expectOneLineErrorAndModelKept('cancelled retrieval')).toMatch(
      /^Searching the pictures was cancelled: stopped after /,
    );
    const seen = await page.evaluate(() => (window as unknown as { seen: { ticks: string[]; detail: string } }).seen);
    expect(seen.detail).toMatch(/^encoding pictures: 0 of 50 \(pass: 1 of 2 steps\) · /);
    // The demo's image tower is two stages: Cancel, pressed after the first, stops the task when the pass's stage
    // under way ends (its last: the batch is finished and counted), before the next batch.
    expect(seen.ticks).toEqual(['0', '0 1/2', '0 2/2', '8']);
    expect(await page.$$(sel('retrieval-result'))).toHaveLength(0);
    expect(await page.$eval(sel('task-progress-box'), (e) => (e as HTMLElement).hidden)).toBe(true);
  }, 240_000);

  it('answers a sweep of bad files and texts with one line each, and loses nothing', async () => {
    const empty = file('empty.png', '');
    const truncatedPng = file('cut.png', readFileSync(join(EVAL, 'img-02.png')).subarray(0, 60));
    const textAsCkpt = file('weights.safetensors', 'hello');
    const zeroCkpt = file('zeros.ckpt', new Uint8Array(4096));
    const badJson = file('config.json', '{ not json');
    const strayJson = file('notes.json', '{"hello": "world"}');
    const lonelyMerges = file('merges.txt', '#version: 0.2\na b\n');
    const picture = join(EVAL, 'img-02.png');
    const pictureFolder = join(work, 'holiday');
    mkdirSync(pictureFolder);
    copyFileSync(picture, join(pictureFolder, 'beach.png'));
    const cases: Array<[string, string, string[], RegExp]> = [
      ['picture: empty file', 'image-input', [empty], /empty\.png: not an image/],
      ['picture: cut PNG', 'image-input', [truncatedPng], /cut\.png: not an image/],
      ['picture: a checkpoint', 'image-input', [zeroCkpt], /zeros\.ckpt: not an image/],
      ['checkpoint: text', 'checkpoint-input', [textAsCkpt], /weights\.safetensors/],
      ['checkpoint: zeros', 'checkpoint-input', [zeroCkpt], /zeros\.ckpt/],
      ['checkpoint: a picture only', 'checkpoint-input', [picture], /none of these is a checkpoint/],
      ['checkpoint: two checkpoints', 'checkpoint-input', [zeroCkpt, textAsCkpt], /convert one at a time/],
      ['checkpoint: bad config', 'checkpoint-input', [zeroCkpt, badJson], /config\.json: not valid JSON/],
      ['checkpoint: stray JSON', 'checkpoint-input', [zeroCkpt, strayJson], /notes\.json: a JSON file that is neither/],
      [
        'checkpoint: merges alone',
        'checkpoint-input',
        [zeroCkpt, lonelyMerges],
        /pick vocab\.json together with merges\.txt/,
      ],
      [
        'folder: pictures',
        'folder-input',
        [pictureFolder],
        /^Loading holiday failed \(Demo model \(synthetic shapes\) is still loaded\): holiday: no manifest\.json/,
      ],
    ];
    await page.click(sel('tab-vqa'));
    for (const [what, input, files, expected] of cases) {
      await upload(page, input, ...files);
      expect(await expectOneLineErrorAndModelKept(what), what).toMatch(expected);
    }
    expect(await page.$$(sel('stored-model'))).toHaveLength(0);
    expect(await page.$$(sel('stored-partial'))).toHaveLength(0);

    const texts = ['\u0000\u0001', '🙂🙂🙂', 'مرحبا كم عدد', '<mask> <s></s> <pad>', 'x'.repeat(5000)];
    for (const t of texts) {
      await fill(page, 'question-input', t);
      await runTask(page, 'ask-button', 120_000);
      const error = await text(page, 'error');
      if (error) await expectOneLineErrorAndModelKept(`question ${JSON.stringify(t.slice(0, 20))}`);
      else expect(await page.$$(sel('answer')), t.slice(0, 20)).not.toHaveLength(0);
    }
    expect(await text(page, 'status')).toBe('ready');
    expect(await text(page, 'model-name')).toBe(DEMO_NAME);
  }, 400_000);

  it('wraps a long model name inside the model card, leaving the Load buttons clickable', async () => {
    const long = join(work, 'BridgeTower_ftfpt_base_vqav2_converted_from_the_authors_release_f16');
    mkdirSync(long);
    for (const f of readdirSync('weights/demo')) copyFileSync(join('weights/demo', f), join(long, f));
    await upload(page, 'folder-input', long);
    await waitForText(page, 'model-name', basename(long), 60_000);
    expect(await waitForStatus(page, ['ready', 'error'], 60_000)).toBe('ready');
    for (const width of [1280, 1100, 900]) {
      await page.setViewport({ width, height: 900 });
      const layout = await page.evaluate(
        (name: string, load: string) => {
          const n = document.querySelector(name) as HTMLElement;
          const card = n.closest('.card') as HTMLElement;
          const button = document.querySelector(load) as HTMLElement;
          button.scrollIntoView({ block: 'center' });
          const r = button.getBoundingClientRect();
          const hit = document.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2);
          const wide = [...document.querySelectorAll<HTMLElement>('.card')].filter(
            (c) => c.scrollWidth > c.clientWidth + 1,
          );
          return {
            overflows: n.scrollWidth > n.clientWidth + 1,
            cardOverflows: card.scrollWidth > card.clientWidth + 1,
            clickable: hit === button,
            widerCards: wide.map((c) => c.getAttribute('aria-label') ?? c.className),
          };
        },
        sel('model-name'),
        sel('load-url-button'),
      );
      expect(layout, `viewport ${width}`).toEqual({
        overflows: false,
        cardOverflows: false,
        clickable: true,
        widerCards: [],
      });
    }
    await page.setViewport({ width: 1280, height: 900 });
  }, 120_000);

  it('links the kernels page back to the app and prints rounded numbers', async () => {
    const p = await session.newPage();
    await p.goto(`${session.baseUrl}/kernels.html`);
    expect(await p.$eval(sel('back-to-app'), (a) => (a as HTMLAnchorElement).href)).toBe(`${session.baseUrl}/`);
    await p.waitForFunction(() => document.querySelectorAll('#results tr').length >= 3, { timeout: 120_000 });
    const rows = await p.$$eval('#results tr', (trs) => trs.map((tr) => tr.textContent ?? ''));
    for (const r of rows) expect(r).not.toMatch(/\d\.\d{7,}/);
    await p.close();
  }, 150_000);
});
