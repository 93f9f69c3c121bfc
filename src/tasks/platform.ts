// What loading needs from its runtime that a browser and Node do differently: the base of relative URLs,
// reading local files (paths and file: URLs), creating a GPU, the hub's environment, and where converted models
// are cached. The browser's answers are the default; importing the package's `./node` entry (src/tasks/node.ts)
// installs Node's.
import type { ByteSource, Directory } from '../checkpoint/byte-source';
import type { Gpu } from '../gpu/runtime';
import type { HubRuntime } from '../hub/load';

export interface Platform extends HubRuntime {
  /** Absolute URL that relative model URLs resolve against: the page, or the working directory. */
  baseUrl(): string;
  /** A string that is not a URL as a local file's URL (Node: a path against the working directory). */
  pathToUrl?(path: string): URL;
  /** A local file or folder by file: URL (Node): a file with the folder around it, or the folder. */
  openLocal?: (url: URL) => Promise<{ source?: ByteSource; dir: Directory }>;
  /** A local file's bytes by file: URL (Node). */
  readFile?: (url: URL) => Promise<Uint8Array>;
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

/** What to do when the browser entry was imported in Node and is asked for a path or a local file. */
export const NODE_ENTRY_HINT = "in Node, import from 'bridgetower-webgpu/node', which reads paths and file: URLs";

/** True where the package's browser entry runs under Node (the ./node entry was not imported). */
export function inNodeWithoutNodeEntry(): boolean {
  const process = (globalThis as { process?: { versions?: { node?: string } } }).process;
  return current === browser && typeof document === 'undefined' && !!process?.versions?.node;
}

/** A URL with a scheme (http:, file:, blob:, data:...), not a path; `C:` of a Windows path is not a scheme. */
export function hasScheme(source: string): boolean {
  return /^[a-z][a-z0-9+.-]+:/i.test(source);
}

/**
 * `source` as an absolute URL: relative ones against the page (browser), paths against the working directory
 * (Node).
 */
export function resolveUrl(source: string | URL): URL {
  if (typeof source === 'string' && !hasScheme(source) && current.pathToUrl) return current.pathToUrl(source);
  try {
    return new URL(source, current.baseUrl());
  } catch {
    return new URL(encodeURI(String(source)), current.baseUrl());
  }
}
