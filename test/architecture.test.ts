// The floors of src/ (STYLE.md "The shape of the house", README "Layout"): what each folder may import, and no
// import cycles.
// Read from the import/export statements of the sources themselves, type-only imports included: a type
// that crosses a floor is as much a dependency as a value.
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const SRC = join(ROOT, 'src');

/**
 * The floors of src/, lowest first. A folder may import only folders on the floors below its own: never one on
 * its floor or above. The files at the root of src/ (errors.ts) are the floor under all of them and import
 * nothing of src/.
 *   common       config types, parameters, tensors, the WeightSet interface, CRC-32, the seeded generator,
 *                the numeric bar, CLIP's normalisation
 *   gpu          the device, buffers, pipelines            checkpoint   weight files, config resolution
 *   kernels      one wrapper per shader                    preprocess   images and text to model inputs
 *   hub          loading by Hugging Face id
 *   model        the forward graph
 *   search       the search index over the task API's embeddings
 *   verify       golden-fixture verification               tasks        the public task API
 *   cli, app     the command and the browser app
 */
const FLOORS: readonly (readonly string[])[] = [
  ['common'],
  ['gpu', 'checkpoint'],
  ['kernels', 'preprocess', 'hub'],
  ['model'],
  ['search'],
  ['verify', 'tasks'],
  ['cli', 'app'],
];

/** The floor a src/ folder is on: -1 for the files at the root of src/. */
function level(folder: string): number {
  if (folder === '') return -1;
  const i = FLOORS.findIndex((f) => f.includes(folder));
  if (i < 0) throw new Error(`src/${folder}/ is on no floor: add it to FLOORS in test/architecture.test.ts`);
  return i;
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = join(dir, e.name);
    if (e.isDirectory()) return sourceFiles(p);
    return /\.ts$/.test(e.name) && !e.name.endsWith('.d.ts') ? [p] : [];
  });
}

/** Relative specifiers of every static import/export-from and dynamic import() in a TypeScript source. */
function importSpecifiers(text: string): string[] {
  const code = text.replace(/\/\*[\s\S]*?\*\//g, '').replace(/(^|[^:'"`])\/\/.*$/gm, '$1');
  const specs: string[] = [];
  const patterns = [
    /^\s*(?:import|export)\b[^'"`;]*?\bfrom\s*['"]([^'"]+)['"]/gm,
    /^\s*import\s*['"]([^'"]+)['"]/gm,
    /\bimport\s*\(\s*['"]([^'"]+)['"]\s*\)/g,
  ];
  for (const re of patterns) for (const m of code.matchAll(re)) specs.push(m[1]);
  return specs.filter((s) => s.startsWith('.'));
}

function resolveImport(from: string, spec: string, files: Set<string>): string | undefined {
  const base = resolve(dirname(from), spec.replace(/\?.*$/, ''));
  return [base, `${base}.ts`, join(base, 'index.ts')].find((p) => files.has(p));
}

/** src-relative file -> src-relative files it imports (only those inside src/). */
function importGraph(): Map<string, string[]> {
  const files = sourceFiles(SRC);
  const set = new Set(files);
  const graph = new Map<string, string[]>();
  for (const f of files) {
    const targets = importSpecifiers(readFileSync(f, 'utf8'))
      .map((s) => resolveImport(f, s, set))
      .filter((t): t is string => t !== undefined)
      .map((t) => relative(SRC, t));
    graph.set(relative(SRC, f), [...new Set(targets)]);
  }
  return graph;
}

/** The most lines a file of src/ may have (issue #21), and the files allowed more, each with its reason. */
const MAX_LINES = 450;
const LONG_FILES: Record<string, string> = {
  'preprocess/jpeg.ts': 'the JPEG decoder: baseline, extended and progressive scans share its Huffman and block state',
  'checkpoint/pickle.ts': 'the pickle reader: one opcode switch over one stack and memo, protocols 0-5',
};

/** Names of the functions a source exports: `export (async) function f`, `export const f = (…) =>` / `function`. */
function exportedFunctions(text: string): string[] {
  const re =
    /^export\s+(?:async\s+)?function\*?\s+(\w+)|^export\s+const\s+(\w+)\s*(?::(?:=>|[^=])+?)?=(?!>)\s*(?:async\s+)?(?:function\b|(?:\([^)]*\)|\w+)\s*(?::[^=]+)?=>)/gm;
  return [...text.matchAll(re)].map((m) => m[1] ?? m[2]);
}

const floor = (file: string): string => (file.includes('/') ? file.slice(0, file.indexOf('/')) : '');

/** Imports from one folder of src/ into another on the same floor or above. */
function arrowsNotDown(graph: Map<string, string[]>): string[] {
  const broken: string[] = [];
  for (const [file, targets] of graph) {
    const from = floor(file);
    for (const t of targets) if (floor(t) !== from && level(floor(t)) >= level(from)) broken.push(`${file} -> ${t}`);
  }
  return broken;
}

/** Every cycle found by a depth-first search, each as the list of files around it. */
function findCycles(graph: Map<string, string[]>): string[][] {
  const state = new Map<string, 'open' | 'done'>();
  const stack: string[] = [];
  const cycles: string[][] = [];
  const visit = (f: string): void => {
    state.set(f, 'open');
    stack.push(f);
    for (const t of graph.get(f) ?? []) {
      if (state.get(t) === 'open') cycles.push([...stack.slice(stack.indexOf(t)), t]);
      else if (!state.has(t)) visit(t);
    }
    stack.pop();
    state.set(f, 'done');
  };
  for (const f of [...graph.keys()].sort()) if (!state.has(f)) visit(f);
  return cycles;
}

describe('architecture: the import rules of src/', () => {
  const graph = importGraph();

  it('reads the imports of every kind of statement', () => {
    const text = [
      "import type { A } from '../common/config';",
      "import {\n  b,\n  c,\n} from './b';",
      "export { d } from '../d';",
      "import './side-effect';",
      "const m = await import('./lazy');",
      "// import { x } from '../commented';",
      "import { y } from 'node:fs';",
    ].join('\n');
    expect(importSpecifiers(text)).toEqual(['../common/config', './b', '../d', './side-effect', './lazy']);
    expect(graph.size).toBeGreaterThan(50);
  });

  it('finds a cycle when there is one', () => {
    const g = new Map([
      ['a.ts', ['b.ts']],
      ['b.ts', ['c.ts']],
      ['c.ts', ['a.ts']],
      ['d.ts', ['a.ts']],
    ]);
    expect(findCycles(g)).toEqual([['a.ts', 'b.ts', 'c.ts', 'a.ts']]);
    expect(
      findCycles(
        new Map([
          ['a.ts', ['b.ts']],
          ['b.ts', []],
        ]),
      ),
    ).toEqual([]);
  });

  it('puts every folder of src/ on one floor', () => {
    const folders = readdirSync(SRC, { withFileTypes: true }).filter((e) => e.isDirectory());
    for (const e of folders) expect(level(e.name), e.name).toBeGreaterThanOrEqual(0);
    expect(FLOORS.flat().length).toBe(new Set(FLOORS.flat()).size);
  });

  it('finds an arrow up or sideways when there is one', () => {
    const g = new Map([
      ['kernels/a.ts', ['gpu/b.ts', 'common/c.ts', 'errors.ts', 'kernels/d.ts']],
      ['checkpoint/e.ts', ['gpu/b.ts', 'preprocess/f.ts']],
      ['errors.ts', ['common/c.ts']],
    ]);
    expect(arrowsNotDown(g)).toEqual([
      'checkpoint/e.ts -> gpu/b.ts',
      'checkpoint/e.ts -> preprocess/f.ts',
      'errors.ts -> common/c.ts',
    ]);
  });

  it('lets each floor import only the floors below it: no arrow up or sideways', () => {
    expect(arrowsNotDown(graph)).toEqual([]);
  });

  it('reads the names of exported functions of every kind', () => {
    const text = [
      'export function a() {}',
      'export async function b(x: number): Promise<void> {}',
      'export const c = (x: unknown): x is string => true;',
      'export const d = async () => {};',
      'export const e: (s: string) => number = (s) => s.length;',
      'export const f = function () {};',
      'export const NOT = 3;',
      'export const alsoNot = [1, 2];',
      'function private() {}',
    ].join('\n');
    expect(exportedFunctions(text)).toEqual(['a', 'b', 'c', 'd', 'e', 'f']);
  });

  it('gives no two exported functions of src/ the same name', () => {
    const where = new Map<string, string[]>();
    for (const file of sourceFiles(SRC))
      for (const name of exportedFunctions(readFileSync(file, 'utf8')))
        where.set(name, [...(where.get(name) ?? []), relative(SRC, file)]);
    expect([...where].filter(([, files]) => files.length > 1).map(([n, files]) => `${n}: ${files.join(', ')}`)).toEqual(
      [],
    );
  });

  it(`keeps every file of src/ within ${MAX_LINES} lines, but for those with a stated reason`, () => {
    const lines = new Map(
      sourceFiles(SRC).map((f) => [relative(SRC, f), readFileSync(f, 'utf8').split('\n').length - 1] as const),
    );
    expect([...lines].filter(([f, n]) => n > MAX_LINES && !(f in LONG_FILES)).map(([f, n]) => `${f}: ${n}`)).toEqual(
      [],
    );
    // An entry whose file has shrunk (or gone) leaves the list.
    expect(Object.keys(LONG_FILES).filter((f) => !((lines.get(f) ?? 0) > MAX_LINES))).toEqual([]);
  });

  it('has no import cycle anywhere in src/', () => {
    expect(findCycles(graph).map((c) => c.join(' -> '))).toEqual([]);
  });
});
