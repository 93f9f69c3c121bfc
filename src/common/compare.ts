// The bar every numeric check applies, fixtures and kernel tests alike: elementwise
// |actual - expected| <= atol + rtol * |expected|, NaN failing.

export interface Comparison {
  pass: boolean;
  /** Largest |actual - expected| (Infinity for a length mismatch or NaN). */
  maxAbs: number;
  /** The bound applied, in words: "|a-b| <= 1e-5 + 0.0001|b|". */
  tolerance: string;
  /** How many values, or how many failed and the first that did. */
  detail: string;
}

export function compareValues(
  actual: ArrayLike<number>,
  expected: ArrayLike<number>,
  atol: number,
  rtol: number,
): Comparison {
  const tolerance = `|a-b| <= ${atol} + ${rtol}|b|`;
  if (actual.length !== expected.length) {
    return { pass: false, maxAbs: Infinity, tolerance, detail: `length ${actual.length}, expected ${expected.length}` };
  }
  let maxAbs = 0,
    bad = 0,
    first = -1;
  for (let i = 0; i < expected.length; i++) {
    const err = Math.abs(actual[i] - expected[i]);
    if (!(err <= atol + rtol * Math.abs(expected[i]))) {
      bad++;
      if (first < 0) first = i;
    }
    if (!(err <= maxAbs)) maxAbs = Number.isNaN(err) ? Infinity : err;
  }
  const detail = bad
    ? `${bad} of ${expected.length} out of tolerance, first at ${first}: ${actual[first]} vs ${expected[first]}`
    : `${expected.length} values`;
  return { pass: bad === 0, maxAbs, tolerance, detail };
}
