// Re-grid CLIP's patch positional embedding for another image size, as the original's
// `adapt_position_encoding` does: the (g x g x D) grid of patch positions goes through
// torch.nn.functional.interpolate(mode='bicubic', align_corners=False) to (g' x g'); the class position
// (row 0) is kept as is.
import { ConfigError } from '../errors';

/** torch's cubic convolution kernel with A = -0.75: weights of the 4 taps around fractional offset t. */
function cubicWeights(t: number): [number, number, number, number] {
  const A = -0.75;
  const near = (x: number): number => ((A + 2) * x - (A + 3)) * x * x + 1;
  const far = (x: number): number => ((A * x - 5 * A) * x + 8 * A) * x - 4 * A;
  return [far(t + 1), near(t), near(1 - t), far(2 - t)];
}

/** For each output index: the 4 source indices (clamped to the edge) and their weights. */
function taps(inSize: number, outSize: number): Array<{ idx: number[]; w: number[] }> {
  const scale = inSize / outSize;
  const out = [];
  for (let i = 0; i < outSize; i++) {
    // align_corners=False source coordinate; torch does not clamp it to 0 for cubic.
    const src = scale * (i + 0.5) - 0.5;
    const f = Math.floor(src);
    const w = cubicWeights(src - f);
    const idx = [f - 1, f, f + 1, f + 2].map((k) => Math.min(Math.max(k, 0), inSize - 1));
    out.push({ idx, w });
  }
  return out;
}

/**
 * `pos` is [(g*g + 1), D] (class position first, then the grid row-major). Returns [(g2*g2 + 1), D].
 * Computed in float64 and rounded once to f32.
 */
export function regridPositionalEmbedding(pos: Float32Array, dim: number, newGrid: number): Float32Array {
  const tokens = pos.length / dim;
  const grid = Math.round(Math.sqrt(tokens - 1));
  if (grid * grid + 1 !== tokens)
    throw new ConfigError(`positional embedding of ${tokens} positions is not a square grid plus the class position`);
  if (!Number.isSafeInteger(newGrid) || newGrid < 1)
    throw new ConfigError(`cannot re-grid the positional embedding to ${newGrid} x ${newGrid}`);
  const out = new Float32Array((newGrid * newGrid + 1) * dim);
  out.set(pos.subarray(0, dim));
  const t = taps(grid, newGrid);
  // Separable: rows first into a float64 buffer [newGrid, grid, D], then columns.
  const rows = new Float64Array(newGrid * grid * dim);
  for (let y = 0; y < newGrid; y++) {
    for (let k = 0; k < 4; k++) {
      const w = t[y].w[k];
      const srcRow = t[y].idx[k];
      for (let x = 0; x < grid; x++) {
        const src = (1 + srcRow * grid + x) * dim;
        const dst = (y * grid + x) * dim;
        for (let d = 0; d < dim; d++) rows[dst + d] += w * pos[src + d];
      }
    }
  }
  for (let y = 0; y < newGrid; y++) {
    for (let x = 0; x < newGrid; x++) {
      const dst = (1 + y * newGrid + x) * dim;
      for (let d = 0; d < dim; d++) {
        let acc = 0;
        for (let k = 0; k < 4; k++) acc += t[x].w[k] * rows[(y * grid + t[x].idx[k]) * dim + d];
        out[dst + d] = acc;
      }
    }
  }
  return out;
}
