// Float64 references for the non-matmul kernels (attention, layerNorm, softmax, embeddings, and the small
// gathers). Inputs are the float32 (or f16-rounded) values the GPU reads; all arithmetic is float64.
// Plain loops, written for clarity, not speed. Tensors are flat row-major arrays with explicit dims.
import { gelu } from './math';

type Vec = ArrayLike<number>;

export function addRef(a: Vec, b: Vec): Float64Array {
  return Float64Array.from(a, (v, i) => v + b[i]);
}

/** x [B, L, D] -> x[:, index, :] [B, D]. */
export function takeTokenRef(x: Vec, B: number, L: number, D: number, index: number): Float64Array {
  const y = new Float64Array(B * D);
  for (let b = 0; b < B; b++) for (let c = 0; c < D; c++) y[b * D + c] = x[(b * L + index) * D + c];
  return y;
}

/** [B, D1] ++ [B, D2] -> [B, D1+D2]. */
export function concatRef(a: Vec, b: Vec, B: number, D1: number, D2: number): Float64Array {
  const y = new Float64Array(B * (D1 + D2));
  for (let r = 0; r < B; r++) {
    for (let c = 0; c < D1; c++) y[r * (D1 + D2) + c] = a[r * D1 + c];
    for (let c = 0; c < D2; c++) y[r * (D1 + D2) + D1 + c] = b[r * D2 + c];
  }
  return y;
}

/** patches [B, N-1, H], cls [H], pos [N, H] -> [B, N, H] = [cls; patches] + pos. */
export function classPositionEmbedRef(patches: Vec, cls: Vec, pos: Vec, B: number, N: number, H: number): Float64Array {
  const y = new Float64Array(B * N * H);
  for (let b = 0; b < B; b++) {
    for (let t = 0; t < N; t++) {
      for (let c = 0; c < H; c++) {
        const token = t === 0 ? cls[c] : patches[(b * (N - 1) + t - 1) * H + c];
        y[(b * N + t) * H + c] = token + pos[t * H + c];
      }
    }
  }
  return y;
}

/** Row-wise v / max(||v||, eps) over [R, D]. */
export function l2NormalizeRef(x: Vec, R: number, D: number, eps: number): Float64Array {
  const y = new Float64Array(R * D);
  for (let r = 0; r < R; r++) {
    let s = 0;
    for (let c = 0; c < D; c++) s += x[r * D + c] ** 2;
    const n = Math.max(Math.sqrt(s), eps);
    for (let c = 0; c < D; c++) y[r * D + c] = x[r * D + c] / n;
  }
  return y;
}

/** Row-wise stable softmax over [R, N]. */
export function softmaxRef(x: Vec, R: number, N: number): Float64Array {
  const y = new Float64Array(R * N);
  for (let r = 0; r < R; r++) {
    let m = -Infinity;
    for (let c = 0; c < N; c++) m = Math.max(m, x[r * N + c]);
    let s = 0;
    for (let c = 0; c < N; c++) s += y[r * N + c] = Math.exp(x[r * N + c] - m);
    for (let c = 0; c < N; c++) y[r * N + c] /= s;
  }
  return y;
}

/**
 * act(LN_eps(x)) over rows of D, with the biased variance (PyTorch's LayerNorm). For LN(x + residual), pass
 * the sum (the kernel's float32 sum, to compare with the kernel).
 */
export function layerNormRef(
  x: Vec,
  R: number,
  D: number,
  weight: Vec,
  bias: Vec,
  eps: number,
  opts: { activation?: 'gelu' } = {},
): Float64Array {
  const y = new Float64Array(R * D);
  const row = new Float64Array(D);
  for (let r = 0; r < R; r++) {
    let mean = 0;
    for (let c = 0; c < D; c++) {
      row[c] = x[r * D + c];
      mean += row[c];
    }
    mean /= D;
    let v = 0;
    for (let c = 0; c < D; c++) v += (row[c] - mean) ** 2;
    const inv = 1 / Math.sqrt(v / D + eps);
    for (let c = 0; c < D; c++) {
      const t = (row[c] - mean) * inv * weight[c] + bias[c];
      y[r * D + c] = opts.activation === 'gelu' ? gelu(t) : t;
    }
  }
  return y;
}

/** Layout of an attention problem: q [B, Lq, Wq], k [B, Lk, Wk], v [B, Lk, Wv], heads of d = width/heads. */
export interface AttentionDims {
  B: number;
  Lq: number;
  Lk: number;
  heads: number;
  width: number;
  Wq: number;
  Wk: number;
  Wv: number;
  qOffset: number;
  kOffset: number;
  vOffset: number;
}

/** softmax(q·kᵀ/√d + mask) for head h, query i of batch b: Lk probabilities. mask is [B, Lk] additive. */
function probsRow(
  q: Vec,
  k: Vec,
  mask: Vec | undefined,
  s: AttentionDims,
  b: number,
  h: number,
  i: number,
): Float64Array {
  const d = s.width / s.heads;
  const scale = 1 / Math.sqrt(d);
  const scores = new Float64Array(s.Lk);
  const qo = (b * s.Lq + i) * s.Wq + s.qOffset + h * d;
  for (let j = 0; j < s.Lk; j++) {
    const ko = (b * s.Lk + j) * s.Wk + s.kOffset + h * d;
    let t = 0;
    for (let e = 0; e < d; e++) t += q[qo + e] * k[ko + e];
    scores[j] = t * scale + (mask ? mask[b * s.Lk + j] : 0);
  }
  return softmaxRef(scores, 1, s.Lk);
}

/**
 * Multi-head scaled dot-product attention -> [B, Lq, width]. `rows` limits the query rows computed
 * (the others stay 0) so the largest shapes can be checked on a sample.
 */
export function attentionRef(
  q: Vec,
  k: Vec,
  v: Vec,
  mask: Vec | undefined,
  s: AttentionDims,
  rows?: number[],
): Float64Array {
  const d = s.width / s.heads;
  const y = new Float64Array(s.B * s.Lq * s.width);
  const queryRows = rows ?? Array.from({ length: s.Lq }, (_, i) => i);
  for (let b = 0; b < s.B; b++) {
    for (const i of queryRows) {
      for (let h = 0; h < s.heads; h++) {
        const p = probsRow(q, k, mask, s, b, h, i);
        const yo = (b * s.Lq + i) * s.width + h * d;
        for (let j = 0; j < s.Lk; j++) {
          const vo = (b * s.Lk + j) * s.Wv + s.vOffset + h * d;
          for (let e = 0; e < d; e++) y[yo + e] += p[j] * v[vo + e];
        }
      }
    }
  }
  return y;
}

/** The softmax row of query `queryIndex` per batch and head -> [B, heads, Lk]. */
export function attentionProbsRef(
  q: Vec,
  k: Vec,
  mask: Vec | undefined,
  s: AttentionDims,
  queryIndex: number,
): Float64Array {
  const y = new Float64Array(s.B * s.heads * s.Lk);
  for (let b = 0; b < s.B; b++) {
    for (let h = 0; h < s.heads; h++) y.set(probsRow(q, k, mask, s, b, h, queryIndex), (b * s.heads + h) * s.Lk);
  }
  return y;
}

/** RoBERTa position ids of [B, L] ids: pads get padTokenId, real tokens padTokenId+1, +2, ... in order. */
function robertaPositionIds(ids: Vec, B: number, L: number, padTokenId: number): Int32Array {
  const pos = new Int32Array(B * L);
  for (let b = 0; b < B; b++) {
    let count = 0;
    for (let l = 0; l < L; l++) {
      const real = ids[b * L + l] !== padTokenId;
      if (real) count++;
      pos[b * L + l] = real ? count + padTokenId : padTokenId;
    }
  }
  return pos;
}

/** word[ids] + position[robertaPositionIds] + tokenType[0] -> [B, L, D] (word is the whole [V, D] table). */
export function textEmbeddingsRef(
  ids: Vec,
  B: number,
  L: number,
  D: number,
  word: Vec,
  position: Vec,
  tokenType: Vec,
  padTokenId: number,
): Float64Array {
  const pos = robertaPositionIds(ids, B, L, padTokenId);
  const y = new Float64Array(B * L * D);
  for (let t = 0; t < B * L; t++) {
    for (let c = 0; c < D; c++) y[t * D + c] = word[ids[t] * D + c] + position[pos[t] * D + c] + tokenType[c];
  }
  return y;
}
