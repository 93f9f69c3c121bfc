// Headless Chromium (Debian's /usr/bin/chromium, SwiftShader WebGPU) on pages served by a Vite dev server.
import { existsSync } from 'node:fs';
import puppeteer, { type Browser, type Page } from 'puppeteer';
import { createServer, type ViteDevServer } from 'vite';

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

export interface BrowserSession {
  server: ViteDevServer;
  browser: Browser;
  baseUrl: string;
  /** Console lines and page errors, for failure messages. */
  log: string[];
  newPage(): Promise<Page>;
  close(): Promise<void>;
}

export async function startBrowserSession(): Promise<BrowserSession> {
  if (!existsSync(CHROMIUM))
    throw new Error(`${CHROMIUM} not found: install Debian's chromium package (apt-get install -y chromium)`);
  // No HMR: other work on the tree while tests run must not reload the page under test.
  const server = await createServer({
    server: { port: 0, host: '127.0.0.1', hmr: false },
    logLevel: 'error',
    clearScreen: false,
  });
  await server.listen();
  const address = server.httpServer?.address();
  if (!address || typeof address === 'string') throw new Error('vite dev server has no port');
  // WebGPU needs a secure context: http://localhost qualifies, http://127.0.0.1 too.
  const baseUrl = `http://localhost:${address.port}`;
  const browser = await launchChromium();
  const log: string[] = [];
  return {
    server,
    browser,
    baseUrl,
    log,
    async newPage() {
      const page = await browser.newPage();
      page.on('console', (m) => log.push(`[console.${m.type()}] ${m.text()}`));
      page.on('pageerror', (e) => log.push(`[pageerror] ${(e as Error).message}`));
      return page;
    },
    async close() {
      await browser.close();
      await server.close();
    },
  };
}

/** Headless Chromium with SwiftShader WebGPU. */
export async function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM))
    throw new Error(`${CHROMIUM} not found: install Debian's chromium package (apt-get install -y chromium)`);
  return puppeteer.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--no-sandbox',
      '--enable-unsafe-webgpu',
      '--use-webgpu-adapter=swiftshader',
      '--enable-features=Vulkan',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
      '--disable-quic',
      '--disable-dev-shm-usage',
    ],
    protocolTimeout: 600_000,
  });
}
