// The README's limits table is src/common/limits.ts, row for row.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { LIMITS } from '../../src/common/limits';

describe('the limits table', () => {
  it('lists every limit of LIMITS with its value and unit, and nothing else', () => {
    const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
    const section = readme.slice(readme.indexOf('## Files from strangers: the limits'));
    const rows = [...section.matchAll(/^\| *([^|]+?) *\| *(\d+) (\w+) *\|[^|]+\|$/gm)].map((m) => [
      m[1],
      Number(m[2]),
      m[3],
    ]);
    expect(rows).toEqual(Object.values(LIMITS).map((l) => [l.what, l.value, l.unit]));
  });
});
