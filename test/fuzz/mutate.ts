// Seeded mutators for the fuzzer: byte-level ones for any file, and structure-aware ones that reach past the
// first check of a format (JSON values of every type and range, lengths and sizes at known offsets).
import { mulberry32 } from '../../src/common/random';

export type Rand = () => number;

/** One stream per (seed, target, case): a case regenerates alone, in any process. */
export function caseRandom(seed: number, target: string, index: number): Rand {
  let h = 2166136261 ^ seed;
  for (const ch of `${target}#${index}`) h = Math.imul(h ^ ch.charCodeAt(0), 16777619);
  return mulberry32(h >>> 0);
}

export const pick = <T>(rand: Rand, xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)];
export const below = (rand: Rand, n: number): number => Math.floor(rand() * n);

const INTERESTING8 = [0, 1, 0x7f, 0x80, 0xff];
const INTERESTING16 = [0, 1, 0x7fff, 0x8000, 0xffff, 0x1f40, 0x7ff0];
const INTERESTING32 = [0, 1, 0xffffffff, 0x7fffffff, 0x80000000, 0xfffffff0, 0x10000, 0x3b9aca00];

/** One byte-level mutation of a copy of `bytes`, inside [lo, hi). */
export function mutateBytes(bytes: Uint8Array, rand: Rand, lo = 0, hi = bytes.length): Uint8Array {
  if (hi <= lo) return bytes.slice();
  const at = lo + below(rand, hi - lo);
  const kind = below(rand, 9);
  if (kind === 0) return bytes.slice(0, at);
  if (kind === 1 || kind === 2) {
    // Insert a copy of a nearby chunk (kind 1) or delete one (kind 2).
    const n = 1 + below(rand, 64);
    if (kind === 2) return concat([bytes.subarray(0, at), bytes.subarray(Math.min(bytes.length, at + n))]);
    return concat([bytes.subarray(0, at), bytes.subarray(at, at + n), bytes.subarray(at)]);
  }
  const out = bytes.slice();
  const view = new DataView(out.buffer);
  if (kind === 3) for (let k = 0; k < 1 + rand() * 4; k++) out[lo + below(rand, hi - lo)] ^= 1 << below(rand, 8);
  else if (kind === 4) out[at] = pick(rand, INTERESTING8);
  else if (kind === 5 && at + 2 <= out.length) view.setUint16(at, pick(rand, INTERESTING16), rand() < 0.5);
  else if (kind === 6 && at + 4 <= out.length) view.setUint32(at, pick(rand, INTERESTING32), rand() < 0.5);
  else if (kind === 7)
    for (let k = 0; k < 1 + below(rand, 32) && at + k < out.length; k++) out[at + k] = below(rand, 256);
  else out[at] = below(rand, 256);
  return out;
}

/** 1 to 3 byte-level mutations. */
export function mutateBytesRepeatedly(bytes: Uint8Array, rand: Rand, lo = 0, hi = bytes.length): Uint8Array {
  let out = bytes;
  for (let k = 1 + below(rand, 3); k > 0; k--) out = mutateBytes(out, rand, lo, Math.min(hi, out.length));
  return out;
}

export function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** Values of every JSON type, at the edges of the ranges readers check. */
function interestingJson(rand: Rand, like: unknown): unknown {
  const numbers = [0, -1, 1, 2, 3, 5e-324, 1e-9, 0.5, 1e6, 1e9, 2097152, 4e15, 2 ** 31, 2 ** 53, 1e308, -1e9, 32000];
  const choices: Array<() => unknown> = [
    () => null,
    () => [],
    () => ({}),
    () => '',
    () => true,
    () => pick(rand, numbers),
    () => (typeof like === 'number' ? like * pick(rand, [2, 10, 1000, 1e6, -1, 0.5]) : pick(rand, numbers)),
    () => 'x'.repeat(pick(rand, [1, 300, 70_000])),
    () => [pick(rand, numbers), pick(rand, numbers)],
    () => nest(pick(rand, [50, 5000, 100_000]), rand),
    () => (Array.isArray(like) ? [...like, ...like] : [like]),
    () => (like && typeof like === 'object' ? { ...like, extra: like } : { value: like }),
  ];
  return pick(rand, choices)();
}

/** A placeholder for `depth` nested arrays, written into the text by `stringify` (too deep to build as a value). */
const DEEP = 'fuzz-deep-nesting:';
function nest(depth: number, rand: Rand): unknown {
  if (depth > 100) return `${DEEP}${depth}`;
  let x: unknown = rand() < 0.5 ? 1 : {};
  for (let i = 0; i < depth; i++) x = rand() < 0.5 ? [x] : { a: x };
  return x;
}

/** JSON text of a mutated document, its deep-nesting placeholders expanded. */
export function stringify(doc: unknown): string {
  return JSON.stringify(doc).replace(
    new RegExp(`"${DEEP}(\\d+)"`, 'g'),
    (_, n: string) => `${'['.repeat(Number(n))}${']'.repeat(Number(n))}`,
  );
}

/** Every path to a value in a JSON document (capped, so huge files stay cheap). */
function paths(x: unknown, prefix: Array<string | number> = [], out: Array<Array<string | number>> = []) {
  if (out.length > 4000) return out;
  out.push(prefix);
  if (Array.isArray(x)) {
    const step = Math.max(1, Math.floor(x.length / 50));
    for (let i = 0; i < x.length; i += step) paths(x[i], [...prefix, i], out);
  } else if (x && typeof x === 'object') {
    const keys = Object.keys(x);
    const step = Math.max(1, Math.floor(keys.length / 50));
    for (let i = 0; i < keys.length; i += step)
      paths((x as Record<string, unknown>)[keys[i]], [...prefix, keys[i]], out);
  }
  return out;
}

/** A structure-aware mutation of a parsed JSON document: a value replaced, removed, or an array emptied/grown. */
export function mutateJsonValue(doc: unknown, rand: Rand): unknown {
  const root = structuredClone(doc);
  const all = paths(root);
  for (let k = 1 + below(rand, 2); k > 0; k--) {
    const path = pick(rand, all);
    if (path.length === 0) return interestingJson(rand, root);
    // An earlier mutation of this document may have replaced a value on the way: then the path is gone.
    let parent = root as Record<string | number, unknown> | undefined;
    for (const p of path.slice(0, -1))
      parent = parent && typeof parent === 'object' ? (parent[p] as Record<string | number, unknown>) : undefined;
    if (!parent || typeof parent !== 'object') continue;
    const key = path[path.length - 1];
    const r = rand();
    if (r < 0.15 && !Array.isArray(parent)) delete parent[key];
    else parent[key] = interestingJson(rand, parent[key]);
  }
  return root;
}

/** JSON text mutated by structure (mostly) or by bytes. */
export function mutateJsonText(text: string, rand: Rand): Uint8Array {
  const bytes = new TextEncoder().encode(text);
  if (rand() < 0.2) return mutateBytesRepeatedly(bytes, rand);
  return new TextEncoder().encode(stringify(mutateJsonValue(JSON.parse(text), rand)));
}
