// The index's vectors: one row of D floats per entry in a Float32Array that grows by doubling, so that adding
// thousands of pictures copies O(n) floats in all and holds at most twice what it stores. Rows are L2-normalised
// embeddings, so a cosine similarity is a dot product.

export class VectorRows {
  private data: Float32Array;
  private rows = 0;

  constructor(
    readonly dim: number,
    initial?: Float32Array,
  ) {
    this.data = initial ? initial.slice() : new Float32Array(dim * 16);
    if (initial) this.rows = initial.length / dim;
  }

  get length(): number {
    return this.rows;
  }

  push(v: Float32Array): void {
    if ((this.rows + 1) * this.dim > this.data.length) {
      const grown = new Float32Array(Math.max(this.data.length * 2, this.dim * 16));
      grown.set(this.data.subarray(0, this.rows * this.dim));
      this.data = grown;
    }
    this.data.set(v, this.rows * this.dim);
    this.rows++;
  }

  row(i: number): Float32Array {
    return this.data.subarray(i * this.dim, (i + 1) * this.dim);
  }

  /** Remove row i; the rows after it move up one (the order of the entries is kept). */
  remove(i: number): void {
    this.data.copyWithin(i * this.dim, (i + 1) * this.dim, this.rows * this.dim);
    this.rows--;
  }

  /** The rows as one [length, dim] array (a copy). */
  matrix(): Float32Array {
    return this.data.slice(0, this.rows * this.dim);
  }

  /** Dot product of `query` with every row. */
  scores(query: Float32Array): Float32Array {
    const D = this.dim;
    const out = new Float32Array(this.rows);
    for (let r = 0; r < this.rows; r++) {
      let s = 0;
      for (let d = 0; d < D; d++) s += this.data[r * D + d] * query[d];
      out[r] = s;
    }
    return out;
  }
}

/** Indices of the k largest scores, best first (ties: the lower index first). */
export function topK(scores: Float32Array, k: number): number[] {
  return Array.from(scores.keys())
    .sort((a, b) => scores[b] - scores[a] || a - b)
    .slice(0, Math.max(0, k));
}
