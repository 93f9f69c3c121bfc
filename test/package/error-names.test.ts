// Every error class can be caught by class and told apart by name in every form the package ships: exported from
// `.` and `./node`, and from the minified CDN bundle (built here with the package's own Vite config), where
// `instanceof` holds and `name` is still the class name; the README's Errors table lists each class and its codes.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { build } from 'vite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as errors from '../../src/errors';
import { HubError } from '../../src/hub/hub-error';
import * as main from '../../src/tasks';
import * as node from '../../src/tasks/node';

type ErrorClass = new (...args: string[]) => Error & { code: string };
type Module = Record<string, unknown>;

/** The README's Errors table: class name -> its codes. */
function readmeTable(): Map<string, string[]> {
  const readme = readFileSync('README.md', 'utf8');
  const section = readme.slice(readme.indexOf('### Errors'), readme.indexOf('## Exactness'));
  const rows = [...section.matchAll(/^\| `(\w+)` \| ([^|]+) \|/gm)];
  return new Map(rows.map(([, cls, codes]) => [cls, [...codes.matchAll(/`([\w-]+)`/g)].map((m) => m[1])]));
}

/** Every export of `mod` that is an error class of the package, by exported name. */
function errorClasses(mod: Module): Map<string, ErrorClass> {
  const base = mod.BridgeTowerError as ErrorClass;
  return new Map(
    Object.entries(mod).filter(
      (e): e is [string, ErrorClass] => typeof e[1] === 'function' && (e[1] === base || e[1].prototype instanceof base),
    ),
  );
}

/** One instance of each class; HubError's first argument is its kind. */
const instance = (name: string, cls: ErrorClass) =>
  name === 'HubError' ? new cls('not-found', 'org/repo', 'config.json', 'detail') : new cls('x', 'y');

const SOURCE_CLASSES = [...errorClasses({ ...errors, HubError }).keys()].sort();
let dir: string;
let cdn: Module;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'bt-cdn-'));
  await build({ configFile: resolve('vite.lib.config.ts'), mode: 'cdn', logLevel: 'warn', build: { outDir: dir } });
  cdn = (await import(pathToFileURL(join(dir, 'bridgetower-webgpu.js')).href)) as Module;
}, 120_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('error classes', () => {
  it('are all exported from . and ./node, each named in the README with its codes', () => {
    expect(SOURCE_CLASSES.length).toBeGreaterThan(15);
    expect([...errorClasses(main).keys()].sort()).toEqual(SOURCE_CLASSES);
    expect([...errorClasses(node).keys()].sort()).toEqual(SOURCE_CLASSES);
    const table = readmeTable();
    expect([...table.keys()].sort()).toEqual(SOURCE_CLASSES);
    for (const [name, cls] of errorClasses(main)) {
      const e = instance(name, cls);
      expect(e.name).toBe(name);
      expect(e).toBeInstanceOf(main.BridgeTowerError);
      if (name !== 'BridgeTowerError') expect(table.get(name), name).toContain(e.code);
    }
  });

  it('keep their names and instanceof in the minified CDN bundle', () => {
    const classes = errorClasses(cdn);
    expect([...classes.keys()].sort()).toEqual(SOURCE_CLASSES);
    // The bundle is minified: its classes' own names are not the exported ones (so this test can fail).
    expect([...classes].filter(([name, cls]) => cls.name !== name).length).toBeGreaterThan(0);
    for (const [name, cls] of classes) {
      const e = instance(name, cls);
      expect(e.name).toBe(name);
      expect(String(e)).toBe(`${name}: ${e.message}`);
      expect(e).toBeInstanceOf(cdn.BridgeTowerError as ErrorClass);
      expect(e).toBeInstanceOf(Error);
      if (name !== 'BridgeTowerError') expect(readmeTable().get(name), name).toContain(e.code);
    }
  });
});
