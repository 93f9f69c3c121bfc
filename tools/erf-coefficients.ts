// Derives the constants of erf_f32 in shaders/lib/activations.wgsl (run: npx tsx tools/erf-coefficients.ts).
// |x| < 1: the Maclaurin series erf(x) = 2/√π Σ (-1)^n x^(2n+1) / (n!(2n+1)), n = 0..10 (remainder < 1.3e-9).
// 1 <= |x| < 3.92: erf(x) = 1 - e^(-x²)·erfcx(x) with erfcx(x) = e^(x²)·erfc(x) smooth and slowly varying; it is
// interpolated at Chebyshev nodes in u = (2x - 4.92) / 2.92 ∈ [-1, 1] and written in powers of u for Horner.
// Beyond 3.92, erfc(x) < 3.0e-8 (half an ulp of 1 in float32), so erf rounds to ±1.
import { erf } from '../src/kernels/check/math';

const DEGREE = 11;
const [A, B] = [1, 3.92];

const maclaurin: number[] = [];
let factorial = 1;
for (let n = 0; n <= 10; n++) {
  if (n > 0) factorial *= n;
  maclaurin.push(((-1) ** n * 2) / Math.sqrt(Math.PI) / (factorial * (2 * n + 1)));
}

const erfcx = (x: number): number => Math.exp(x * x) * (1 - erf(x));
const nodes = 64;
const cheb = new Array<number>(DEGREE + 1).fill(0);
for (let k = 0; k < nodes; k++) {
  const theta = (Math.PI * (k + 0.5)) / nodes;
  const f = erfcx(((Math.cos(theta) + 1) / 2) * (B - A) + A);
  for (let j = 0; j <= DEGREE; j++) cheb[j] += ((j === 0 ? 1 : 2) / nodes) * f * Math.cos(j * theta);
}
// Chebyshev series -> power series in u, via T_{j+1} = 2u·T_j - T_{j-1}.
const power = new Array<number>(DEGREE + 1).fill(0);
let prev = [1];
let cur = [0, 1];
power[0] += cheb[0];
for (let j = 1; j <= DEGREE; j++) {
  cur.forEach((c, i) => (power[i] += cheb[j] * c));
  const next = new Array<number>(j + 2).fill(0);
  cur.forEach((c, i) => (next[i + 1] += 2 * c));
  prev.forEach((c, i) => (next[i] -= c));
  [prev, cur] = [cur, next];
}

const fmt = (a: number[]): string => a.map((c) => c.toPrecision(10)).join(', ');
console.log(`maclaurin (x^1, x^3, ...): ${fmt(maclaurin)}`);
console.log(`erfcx in powers of u (u^0, u^1, ...): ${fmt(power)}`);
let worst = 0;
for (let x = A; x <= B; x += 1e-4) {
  const u = (2 * x - A - B) / (B - A);
  let p = 0;
  for (let i = DEGREE; i >= 0; i--) p = p * u + power[i];
  worst = Math.max(worst, Math.abs(p - erfcx(x)) * Math.exp(-x * x));
}
console.log(`float64 max |erf error| of the fit on [${A}, ${B}]: ${worst.toExponential(2)}`);
