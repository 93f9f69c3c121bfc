// The largest elementwise difference of two outputs, for tests that compare two routes to the same numbers.
import { expect } from 'vitest';

/** max |a[i] - b[i]|; outputs of different lengths fail the test. */
export function maxDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}
