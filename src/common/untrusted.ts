// The one way a value read from a file reaches a message: JSON-like, bounded in length and depth, safe on
// cycles, BigInts, Maps, typed arrays, getters that throw and Proxies. It never throws.

const MAX_DEPTH = 3;
const MAX_ITEMS = 8;
const MAX_STRING = 60;

/** `value` as a short JSON-like string of at most `maxLength` characters (longer ones end in "…"). */
export function untrusted(value: unknown, maxLength = 120): string {
  let text: string;
  try {
    text = render(value, 0, new Set());
  } catch {
    text = '<unprintable>';
  }
  return text.length > maxLength ? `${text.slice(0, Math.max(0, maxLength - 1))}…` : text;
}

function quote(s: string): string {
  const clipped = s.length > MAX_STRING ? `${s.slice(0, MAX_STRING)}…` : s;
  return JSON.stringify(clipped);
}

function render(x: unknown, depth: number, seen: Set<object>): string {
  switch (typeof x) {
    case 'string':
      return quote(x);
    case 'number':
    case 'boolean':
    case 'undefined':
      return String(x);
    case 'bigint': {
      // Hex is linear in the size; decimal digits of a 100 kB integer would take seconds.
      const hex = (x < 0n ? -x : x).toString(16);
      if (hex.length <= 16) return x.toString();
      return `${x < 0n ? '-' : ''}0x${hex.slice(0, 10)}…(${hex.length * 4} bits)`;
    }
    case 'symbol':
      return quote(x.description ?? 'symbol');
    case 'function':
      return '<function>';
  }
  if (x === null) return 'null';
  const o = x as object;
  if (seen.has(o)) return '<cycle>';
  if (depth >= MAX_DEPTH) return Array.isArray(o) ? '[…]' : '{…}';
  seen.add(o);
  try {
    if (ArrayBuffer.isView(o)) {
      const n = (o as { length?: unknown }).length;
      return `<${o.constructor?.name ?? 'bytes'} of ${typeof n === 'number' ? n : o.byteLength}>`;
    }
    if (Array.isArray(o)) return list('[', ']', o.length, o.slice(0, MAX_ITEMS), depth, seen);
    if (o instanceof Map) {
      const pairs = [...take(o.entries(), MAX_ITEMS)].map(
        ([k, v]) => `${render(k, depth + 1, seen)}: ${render(v, depth + 1, seen)}`,
      );
      return `{${pairs.join(', ')}${o.size > MAX_ITEMS ? ', …' : ''}}`;
    }
    if (o instanceof Set) return list('{', '}', o.size, [...take(o.values(), MAX_ITEMS)], depth, seen);
    const keys = Object.keys(o);
    const pairs = keys
      .slice(0, MAX_ITEMS)
      .map((k) => `${quote(k)}: ${render((o as Record<string, unknown>)[k], depth + 1, seen)}`);
    return `{${pairs.join(', ')}${keys.length > MAX_ITEMS ? ', …' : ''}}`;
  } finally {
    seen.delete(o);
  }
}

function list(open: string, close: string, size: number, items: unknown[], depth: number, seen: Set<object>): string {
  const parts = items.map((v) => render(v, depth + 1, seen));
  return `${open}${parts.join(', ')}${size > items.length ? `, … (${size} items)` : ''}${close}`;
}

function* take<T>(it: Iterable<T>, n: number): Iterable<T> {
  if (n <= 0) return;
  let k = 0;
  for (const x of it) {
    yield x;
    if (++k >= n) return;
  }
}
