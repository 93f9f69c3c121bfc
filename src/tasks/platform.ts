// What loading needs from its runtime that a browser and Node do differently: the base of relative URLs,
// reading file: URLs, creating a GPU, the hub's environment, and where converted models are cached.
// The browser's answers are the default; importing the package's `./node` entry (src/tasks/node.ts)
// installs Node's.
import type { Directory } from '../checkpoint/byte-source';
import type { Gpu } from '../gpu/runtime';
import type { HubRuntime } from '../hub/load';

export interface Platform extends HubRuntime {
  /** Absolute URL that relative model URLs resolve against: the page, or the working directory. */
  baseUrl(): string;
  /** A local directory by file: URL (Node); absent where files cannot be read. */
  fileDirectory?(url: URL): Directory;
  createGpu?(): Promise<Gpu>;
}

const browser: Platform = {
  baseUrl: () =>
    typeof document !== 'undefined' ? document.baseURI : (globalThis.location?.href ?? 'http://localhost/'),
  env: () => undefined,
  modelCache: async () => (await import('../hub/cache-browser')).browserModelCache(),
};

let current: Platform = browser;

export function platform(): Platform {
  return current;
}

export function setPlatform(p: Platform): void {
  current = p;
}

/** `source` as an absolute URL: relative ones against the page (browser) or the working directory (Node). */
export function resolveUrl(source: string | URL): URL {
  try {
    return new URL(source, current.baseUrl());
  } catch {
    return new URL(encodeURI(String(source)), current.baseUrl());
  }
}
