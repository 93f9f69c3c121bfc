// The test suite in four tiers (vitest projects). `npm test` runs them all, one tier after another; each has its
// own script. A new test file needs no registration: its tier follows from where it lives and what it loads.
//   browser   test/e2e/**                 headless Chromium (puppeteer) on SwiftShader     npm run test:browser
//   package   test/package/**             `npm pack`, installed into fresh projects        npm run test:package
//   gpu       any other test file that, through its relative imports, reaches src/gpu/node.ts (Dawn: it can
//             make a GPU device; src/tasks/node.ts and the CLI commands do), or that imports node:child_process
//             (it runs the CLI or another process)                                         npm run test:gpu
//   unit      everything else: no GPU, no processes, seconds in all                        npm run test:unit
// So a quick test stays in the unit tier by not importing the Node GPU (take the model's pieces from src/model,
// src/checkpoint, src/preprocess, ...); testTiers below applies the rule, `npx vitest list --project unit`
// shows where a file landed.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { defineConfig } from 'vitest/config';

type Tier = 'unit' | 'gpu' | 'browser' | 'package';

/** The one module that loads Dawn (the `webgpu` package): a file that reaches it can make a GPU device. */
const DAWN = 'src/gpu/node.ts';
/** Relative imports that load code: static `import … from`, `export … from`, `import '…'` and `import('…')`. */
const RELATIVE_IMPORT =
  /(?:^|[;\s])(?:import(?!\s+type\s)(?:[\s\w*{},$]+from)?|export(?!\s+type\s)[\s\w*{},$]+from)\s*['"](\.{1,2}\/[^'"]+)['"]|\bimport\(\s*['"](\.{1,2}\/[^'"]+)['"]\s*\)/g;

function resolveModule(from: string, specifier: string): string | undefined {
  const base = resolve(dirname(from), specifier);
  return [base, `${base}.ts`, join(base, 'index.ts')].find((f) => f.endsWith('.ts') && existsSync(f));
}

/** The modules a file loads, through relative imports. */
function importsOf(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  return [...text.matchAll(RELATIVE_IMPORT)].flatMap((m) => resolveModule(file, m[1] ?? m[2] ?? '') ?? []);
}

/** Whether the file, through its relative imports, loads Dawn, or starts other processes (the CLI, tsx, npm). */
function needsGpu(root: string, file: string): boolean {
  const seen = new Set([file]);
  for (const f of seen) {
    if (relative(root, f) === DAWN || /['"](?:node:)?child_process['"]/.test(readFileSync(f, 'utf8'))) return true;
    for (const g of importsOf(f)) seen.add(g);
  }
  return false;
}

function testFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const path = join(dir, e.name);
    if (e.isDirectory()) return e.name === 'fixtures' ? [] : testFiles(path);
    return e.name.endsWith('.test.ts') ? [path] : [];
  });
}

/** Every test file under test/, by tier, as paths relative to `root`. */
function testTiers(root: string): Record<Tier, string[]> {
  const tiers: Record<Tier, string[]> = { unit: [], gpu: [], browser: [], package: [] };
  for (const file of testFiles(join(root, 'test')).sort()) {
    const path = relative(root, file);
    const tier: Tier = path.startsWith('test/e2e/')
      ? 'browser'
      : path.startsWith('test/package/')
        ? 'package'
        : needsGpu(root, file)
          ? 'gpu'
          : 'unit';
    tiers[tier].push(path);
  }
  return tiers;
}

const tiers = testTiers(import.meta.dirname);

export default defineConfig({
  test: {
    testTimeout: 120_000,
    hookTimeout: 120_000,
    projects: [
      { extends: true, test: { name: 'unit', include: tiers.unit, sequence: { groupOrder: 0 } } },
      // SwiftShader is CPU-bound: the GPU, browser and package tiers run one file at a time.
      ...(['gpu', 'browser', 'package'] as const).map((name, i) => ({
        extends: true as const,
        test: { name, include: tiers[name], fileParallelism: false, sequence: { groupOrder: i + 1 } },
      })),
    ],
  },
});
