// Where the bundled demo model lives: weights/demo/ of the project, as URLs of its files.
// The package build (vite.lib.config.ts) replaces this module with one that names each file by a literal
// `new URL('./demo/<file>', import.meta.url)` beside the bundle, a form Vite, webpack 5 and CDNs all resolve
// (bundlers copy the files into their output). Here the path is a variable, so that the app's own build
// does not copy the demo a second time.
const SOURCE_DEMO_DIR = '../../weights/demo/';

export const DEMO_FILES = ['manifest.json', 'weights-00000.bin', 'vocab.json', 'merges.txt'] as const;

/** file name -> absolute URL (file: in Node, http(s): in a browser). */
export function demoModelFiles(): Record<string, string> {
  const base = new URL(SOURCE_DEMO_DIR, import.meta.url);
  return Object.fromEntries(DEMO_FILES.map((f) => [f, new URL(f, base).href]));
}
