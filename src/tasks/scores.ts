// The score maths of the tasks: logits to probabilities, the best k of a list, cosines of unit-length features.
import type { OutputTensor } from '../model/bridgetower';

/** Numerically stable softmax of a logits row, in float64. */
export function softmaxScores(x: ArrayLike<number>): Float64Array {
  let max = -Infinity;
  for (let i = 0; i < x.length; i++) max = Math.max(max, x[i]);
  const out = new Float64Array(x.length);
  let sum = 0;
  for (let i = 0; i < x.length; i++) sum += out[i] = Math.exp(x[i] - max);
  for (let i = 0; i < x.length; i++) out[i] /= sum;
  return out;
}

export function sigmoid(x: number): number {
  return 1 / (1 + Math.exp(-x));
}

/** Indices of the `k` largest values, largest first; ties keep the lower index first. */
export function topIndices(x: ArrayLike<number>, k: number): number[] {
  return Array.from({ length: x.length }, (_, i) => i)
    .sort((a, b) => x[b] - x[a] || a - b)
    .slice(0, Math.max(0, k));
}

/** The probability of "match" in row `b` of ITM logits [batch, 2]. */
export function matchProbability(itmLogits: Float32Array, b: number): number {
  return softmaxScores(itmLogits.subarray(2 * b, 2 * b + 2))[1];
}

/**
 * Cosine similarities of L2-normalised feature rows (plain dot products). Mode 0: row b of `a` with row 0
 * of `other`, for every b; 'all': row 0 of `a` with every row of `other`.
 */
export function cosines(a: OutputTensor, other: OutputTensor, mode: 0 | 'all'): number[] {
  const D = a.shape[a.shape.length - 1];
  const dot = (x: Float32Array, i: number, y: Float32Array, j: number) => {
    let s = 0;
    for (let d = 0; d < D; d++) s += x[i * D + d] * y[j * D + d];
    return s;
  };
  if (mode === 0) return Array.from({ length: a.shape[0] }, (_, b) => dot(a.data, b, other.data, 0));
  return Array.from({ length: other.shape[0] }, (_, b) => dot(a.data, 0, other.data, b));
}
