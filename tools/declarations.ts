// Run by `npm run build:lib` after `tsc -p tsconfig.lib.json`: makes the emitted declarations (dist/lib/types)
// valid under every moduleResolution a consumer may use. tsc writes relative imports as they are in src/
// (`from '../gpu/runtime'`), which Node16 and NodeNext refuse in an ES module package (TS2834), so that with
// skipLibCheck every import from the package silently becomes `any`. Each relative specifier is rewritten to the
// file it names, with the extension Node would load (`'../gpu/runtime.js'`, `'./cache/index.js'`); Bundler
// resolution takes those too. The entries' declarations (package.json's `exports` types) reference the WebGPU
// types (a dependency) and the DOM library they are written against, so a project needs neither in its own
// `types` or `lib`. Also writes the declarations of the CDN bundle beside it.
//
//   npx tsx tools/declarations.ts [dist/lib]
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

const lib = resolve(process.argv[2] ?? 'dist/lib');
const types = join(lib, 'types');

/** `from '…'`, `import '…'` and `import("…")` with a relative specifier. */
const SPECIFIER = /(\bfrom\s*|\bimport\s*|\bimport\(\s*)(['"])(\.{1,2}\/[^'"]*)\2/g;

function declarationFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? declarationFiles(join(dir, e.name)) : e.name.endsWith('.d.ts') ? [join(dir, e.name)] : [],
  );
}

function withExtension(file: string, specifier: string): string {
  const base = resolve(dirname(file), specifier);
  if (existsSync(`${base}.d.ts`)) return `${specifier}.js`;
  if (existsSync(join(base, 'index.d.ts'))) return `${specifier.replace(/\/$/, '')}/index.js`;
  throw new Error(`${relative(lib, file)}: no declarations for '${specifier}'`);
}

let rewritten = 0;
for (const file of declarationFiles(types)) {
  const text = readFileSync(file, 'utf8');
  const fixed = text.replace(SPECIFIER, (_m, head: string, quote: string, spec: string) => {
    rewritten++;
    return `${head}${quote}${withExtension(file, spec)}${quote}`;
  });
  if (fixed !== text) writeFileSync(file, fixed);
}
// The CDN bundle is the main entry in one file: its declarations are the main entry's.
writeFileSync(join(lib, 'bridgetower-webgpu.d.ts'), "export * from './types/tasks/index.js';\n");

const REFERENCES = '/// <reference types="@webgpu/types" />\n/// <reference lib="dom" />\n';
const manifest = JSON.parse(readFileSync('package.json', 'utf8')) as { exports: Record<string, unknown> };
for (const [entry, target] of Object.entries(manifest.exports)) {
  const typesPath = typeof target === 'object' && target !== null ? (target as { types?: string }).types : undefined;
  if (!typesPath) {
    if (entry !== './package.json') throw new Error(`package.json: exports["${entry}"] has no types`);
    continue;
  }
  const file = resolve(lib, relative('dist/lib', typesPath));
  if (!existsSync(file)) throw new Error(`package.json: exports["${entry}"].types: ${typesPath} was not emitted`);
  const text = readFileSync(file, 'utf8');
  if (!text.startsWith(REFERENCES)) writeFileSync(file, REFERENCES + text);
}
console.log(`declarations: ${rewritten} relative imports given their .js extension in ${relative('.', types)}`);
