// The floors of src/ (STYLE.md "The shape of the house"): what each folder may import, and no import cycles.
// Read from the import/export statements of the sources themselves, type-only imports included: a type
// that crosses a floor is as much a dependency as a value.
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const SRC = join(ROOT, 'src');

/** Folders of src/ and the folders of src/ each must not import. */
const FORBIDDEN: Record<string, string[]> = {
  common: ['checkpoint', 'model', 'gpu', 'kernels', 'tasks', 'hub', 'preprocess', 'verify', 'cli', 'app'],
  model: ['checkpoint', 'tasks', 'hub', 'verify', 'cli', 'app'],
  checkpoint: ['model', 'gpu', 'kernels', 'tasks', 'verify', 'cli', 'app'],
};
/** The only folders that may import src/tasks (search: its types only). */
const TASK_USERS = ['tasks', 'search', 'app', 'cli'];

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

const floor = (file: string): string => (file.includes('/') ? file.slice(0, file.indexOf('/')) : '');

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

  it('keeps each floor from importing the floors it must not know', () => {
    const broken: string[] = [];
    for (const [file, targets] of graph) {
      const banned = FORBIDDEN[floor(file)] ?? [];
      for (const t of targets) if (banned.includes(floor(t))) broken.push(`${file} -> ${t}`);
    }
    expect(broken).toEqual([]);
  });

  it('lets only the app and the CLI import src/tasks', () => {
    const broken: string[] = [];
    for (const [file, targets] of graph) {
      if (TASK_USERS.includes(floor(file))) continue;
      for (const t of targets) if (floor(t) === 'tasks') broken.push(`${file} -> ${t}`);
    }
    expect(broken).toEqual([]);
  });

  it('has no import cycle anywhere in src/', () => {
    expect(findCycles(graph).map((c) => c.join(' -> '))).toEqual([]);
  });
});
