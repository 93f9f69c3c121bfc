// Driving the app page (index.html) through its data-testid hooks, for app.test.ts.
import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Page } from 'puppeteer';

export const SCREENSHOTS = resolve('test-results/screenshots');

export const sel = (testid: string): string => `[data-testid="${testid}"]`;

export async function text(page: Page, testid: string): Promise<string> {
  return page.$eval(sel(testid), (e) => e.textContent ?? '');
}

/** Wait until data-testid="status" reads one of `states`; on timeout, say what it read and the error banner. */
export async function waitForStatus(page: Page, states: string[], timeout: number): Promise<string> {
  try {
    await page.waitForFunction(
      (s: string, want: string[]) => want.includes(document.querySelector(s)?.textContent ?? ''),
      { timeout, polling: 100 },
      sel('status'),
      states,
    );
  } catch {
    throw new Error(
      `status stayed "${await text(page, 'status')}" (wanted ${states.join(' / ')}); error: "${await text(page, 'error')}"`,
    );
  }
  return text(page, 'status');
}

/** Wait for the error banner to show text, and return it. */
export async function waitForError(page: Page, timeout = 30_000): Promise<string> {
  await page.waitForFunction(
    (s: string) => (document.querySelector(s)?.textContent ?? '') !== '',
    { timeout, polling: 100 },
    sel('error'),
  );
  return text(page, 'error');
}

/** Close the error banner (whether or not it shows). */
export async function dismissError(page: Page): Promise<void> {
  await page.$eval(sel('error-dismiss'), (b) => (b as HTMLButtonElement).click());
}

export async function upload(page: Page, testid: string, ...files: string[]): Promise<void> {
  const input = await page.$(sel(testid));
  if (!input) throw new Error(`no ${sel(testid)} on the page`);
  await (input as unknown as { uploadFile(...p: string[]): Promise<void> }).uploadFile(...files);
}

/** Set an input's or textarea's value as typing would (one `input` event), faster than page.type. */
export async function fill(page: Page, testid: string, value: string): Promise<void> {
  await page.$eval(
    sel(testid),
    (e, v) => {
      (e as HTMLInputElement).value = v;
      e.dispatchEvent(new Event('input', { bubbles: true }));
    },
    value,
  );
}

/** Click `button` and wait until the task it started has finished (the button is no longer busy). */
export async function runTask(page: Page, button: string, timeout: number): Promise<void> {
  await page.click(sel(button));
  await page.waitForFunction(
    (s: string) => !document.querySelector(s)?.hasAttribute('aria-busy'),
    { timeout, polling: 100 },
    sel(button),
  );
}

export async function screenshot(page: Page, name: string, fullPage = false): Promise<void> {
  mkdirSync(SCREENSHOTS, { recursive: true });
  await page.screenshot({ path: resolve(SCREENSHOTS, `${name}.png`), fullPage });
}

/** Wait until data-testid=`testid` reads exactly `want`. */
export async function waitForText(page: Page, testid: string, want: string, timeout: number): Promise<void> {
  await page.waitForFunction(
    (s: string, w: string) => document.querySelector(s)?.textContent === w,
    { timeout },
    sel(testid),
    want,
  );
}

/** Wait until data-testid=`testid`'s `data-<key>` reads `want`. */
export async function waitForData(
  page: Page,
  testid: string,
  key: string,
  want: string,
  timeout: number,
): Promise<void> {
  await page.waitForFunction(
    (s: string, k: string, w: string) => document.querySelector<HTMLElement>(s)?.dataset[k] === w,
    { timeout },
    sel(testid),
    key,
    want,
  );
}

/** Wait until exactly `n` elements carry data-testid=`testid`. */
export async function waitForCount(page: Page, testid: string, n: number, timeout: number): Promise<void> {
  await page.waitForFunction(
    (s: string, k: number) => document.querySelectorAll(s).length === k,
    { timeout },
    sel(testid),
    n,
  );
}
