import { afterAll, beforeAll, expect, it } from 'vitest';
import { allCases } from '../../src/kernels/check';
import { startBrowserSession, type BrowserSession } from './browser';

let session: BrowserSession;
beforeAll(async () => {
  session = await startBrowserSession();
});
afterAll(async () => {
  await session?.close();
});

it('runs every kernel case in Chromium and reports 0 failed in the title', async () => {
  const page = await session.newPage();
  await page.goto(`${session.baseUrl}/kernels.html`);
  await page.waitForFunction(() => /^kernels: \d+ passed, \d+ failed$/.test(document.title), {
    timeout: 540_000,
    polling: 500,
  });
  const title = await page.title();
  const adapter = await page.$eval('#adapter', (e) => e.textContent ?? '');
  expect(adapter, session.log.join('\n')).toMatch(/^Adapter: /);
  const rows = await page.$$eval('#results tr', (trs) => trs.map((tr) => tr.textContent ?? ''));
  const failures = rows.filter((r) => /FAIL|ERROR/.test(r));
  expect(failures, `${title}\n${failures.join('\n')}\n${session.log.join('\n')}`).toEqual([]);
  expect(title).toBe(`kernels: ${allCases.length} passed, 0 failed`);
}, 600_000);
