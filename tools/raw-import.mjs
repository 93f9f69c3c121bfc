// Lets Node scripts (npx tsx) import `*.wgsl?raw` as Vite does: the file's text as the default export.
// Usage: node --import ./tools/raw-import.mjs --import tsx tools/<script>.ts
import { register } from 'node:module';

register(
  'data:text/javascript,' +
    encodeURIComponent(`
import { readFile } from 'node:fs/promises';
export async function load(url, context, next) {
  if (!url.startsWith('file:') || !url.endsWith('?raw')) return next(url, context);
  const text = await readFile(new URL(url.slice(0, -4)), 'utf8');
  return { format: 'module', source: 'export default ' + JSON.stringify(text) + ';', shortCircuit: true };
}`),
);
