// textEmbeddings's check: the float64 reference, cases on awkward shapes and the benchmarks, RoBERTa's
// embedding sum for 40 and 512 tokens from the full 50265-row word table, for each word dtype asked for.
import { textEmbeddings } from '../text-embeddings';
import type { Gpu } from '../../gpu/runtime';
import type { GpuDType, GpuTensor } from '../../gpu/tensor';
import { dequantize, quantize } from '../../common/quantize';
import { toF16 } from './math';
import { compare, poison, randomF32, rng, type KernelCase, type KernelCheck } from './harness';
import { randomTensor, randomValues, releaseAll, type KernelBenchmark } from './benchmark';

// The float64 reference: inputs are the float32 (or f16-rounded) values the GPU reads.
/** RoBERTa position ids of [B, L] ids: pads get padTokenId, real tokens padTokenId+1, +2, ... in order. */
function robertaPositionIds(ids: ArrayLike<number>, B: number, L: number, padTokenId: number): Int32Array {
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
  ids: ArrayLike<number>,
  B: number,
  L: number,
  D: number,
  word: ArrayLike<number>,
  position: ArrayLike<number>,
  tokenType: ArrayLike<number>,
  padTokenId: number,
): Float64Array {
  const pos = robertaPositionIds(ids, B, L, padTokenId);
  const y = new Float64Array(B * L * D);
  for (let t = 0; t < B * L; t++) {
    for (let c = 0; c < D; c++) y[t * D + c] = word[ids[t] * D + c] + position[pos[t] * D + c] + tokenType[c];
  }
  return y;
}

const PAD = 1;

interface Shape {
  what: string;
  ids: number[][];
  D: number;
  /** Rows of each word-table chunk (their sum is the vocabulary). */
  chunks: number[];
  positions: number;
  tokenTypes: number;
  dtype: GpuDType;
}

const SHAPES: Shape[] = [
  {
    what: 'tiny, padded row',
    D: 32,
    chunks: [50],
    positions: 40,
    tokenTypes: 1,
    dtype: 'f32',
    ids: [
      [0, 17, 5, 33, 9, 12, 2],
      [0, 44, 2, PAD, PAD, PAD, PAD],
    ],
  },
  {
    what: 'f16 tables in 3 chunks, an id in each, odd D',
    D: 33,
    chunks: [40, 33, 28],
    positions: 30,
    tokenTypes: 3,
    dtype: 'f16',
    ids: [
      [0, 3, 39, 40, 72, 73, 100, 2],
      [0, 55, 80, 2, PAD, PAD, PAD, PAD],
      [0, 99, 41, 7, 2, PAD, PAD, PAD],
    ],
  },
  {
    // Pads in the middle and a row of pads: positions follow the cumulative count (RoBERTa's formula).
    what: 'pads mid-row, all-pad row',
    D: 16,
    chunks: [20, 20],
    positions: 24,
    tokenTypes: 1,
    dtype: 'f32',
    ids: [
      [0, PAD, 5, PAD, 25, 2],
      [PAD, PAD, PAD, PAD, PAD, PAD],
    ],
  },
  {
    // The kernel clamps: -5 reads row 0, 1000 reads row V-1 (the model rejects such ids before upload).
    what: 'out-of-range ids clamped',
    D: 8,
    chunks: [7, 6],
    positions: 10,
    tokenTypes: 1,
    dtype: 'f16',
    ids: [[0, -5, 1000, 12, 2]],
  },
  {
    what: 'q8 word table in 2 chunks, odd D and rows',
    D: 35,
    chunks: [23, 19],
    positions: 30,
    tokenTypes: 2,
    dtype: 'q8',
    ids: [
      [0, 3, 22, 23, 41, 2],
      [0, 30, 2, PAD, PAD, PAD],
    ],
  },
  {
    what: 'q4 word table in 3 chunks, D not a multiple of 32',
    D: 45,
    chunks: [17, 21, 9],
    positions: 30,
    tokenTypes: 1,
    dtype: 'q4',
    ids: [
      [0, 16, 17, 37, 38, 46, 2],
      [0, 5, 2, PAD, PAD, PAD, PAD],
    ],
  },
  { what: 'one token', D: 5, chunks: [3], positions: 3, tokenTypes: 1, dtype: 'f32', ids: [[2]] },
];

function table(
  gpu: Gpu,
  rand: () => number,
  rows: number,
  D: number,
  dtype: GpuDType,
  label: string,
): { values: Float32Array; tensor: GpuTensor } {
  const v = randomF32(rows * D, rand);
  if (dtype === 'f32') return { values: v, tensor: gpu.upload(v, [rows, D], 'f32', label) };
  if (dtype === 'q8' || dtype === 'q4') {
    // code · scale is exact in float64 and rounds once to float32, as the kernel's product does.
    const q = quantize(v, [rows, D], dtype, label);
    return {
      values: dequantize(q, new Float32Array(v.length)) as Float32Array,
      tensor: gpu.uploadQuantized(q.data as Uint8Array, q.scales!, [rows, D], dtype, label),
    };
  }
  const h = toF16(v);
  return { values: h.values, tensor: gpu.upload(h.bits, [rows, D], 'f16', label) };
}

const textEmbeddingsCases: KernelCase[] = SHAPES.map((s, n) => ({
  kernel: 'textEmbeddings',
  name: `ids [${s.ids.length}, ${s.ids[0].length}], D ${s.D}, ${s.dtype}: ${s.what}`,
  async run(gpu) {
    const rand = rng(800 + n);
    const B = s.ids.length,
      L = s.ids[0].length,
      D = s.D;
    const vocab = s.chunks.reduce((a, b) => a + b, 0);
    const chunks = s.chunks.map((rows, i) => table(gpu, rand, rows, D, s.dtype, `word chunk ${i}`));
    const word = new Float32Array(vocab * D);
    let at = 0;
    for (const c of chunks) {
      word.set(c.values, at);
      at += c.values.length;
    }
    const position = table(gpu, rand, s.positions, D, s.dtype === 'f16' ? 'f16' : 'f32', 'position');
    const tokenType = table(gpu, rand, s.tokenTypes, D, 'f32', 'token type');
    const ids = Int32Array.from(s.ids.flat());
    const tids = gpu.upload(ids, [B, L], 'i32', 'ids');
    const out = gpu.tensor([B, L, D], 'f32', 'out');
    poison(gpu, out);
    textEmbeddings(gpu, tids, { chunks: chunks.map((c) => c.tensor) }, position.tensor, tokenType.tensor, {
      padTokenId: PAD,
      out,
    });
    const [y] = await gpu.read(out);
    for (const t of [tids, out, position.tensor, tokenType.tensor, ...chunks.map((c) => c.tensor)]) t.release();
    const clamped = ids.map((id) => Math.min(Math.max(id, 0), vocab - 1));
    const expected = textEmbeddingsRef(clamped, B, L, D, word, position.values, tokenType.values, PAD);
    // Two float32 additions of values <= 1 (f16 tables compared at their f16 values): <= 2 ulp of the sum, 2.4e-7.
    return compare(y, expected, 3e-7, 2 ** -22);
  },
}));

const V = 50265,
  P = 514,
  D = 768;

const textEmbeddingsBenchmarks: KernelBenchmark[] = [40, 512].map((L) => ({
  kernel: 'textEmbeddings',
  shape: `[1, ${L}] ids, [${V}, ${D}] words`,
  // A word row, a position row and the token type row read and one row written per token (f32 tables).
  work: { bytes: 4 * 4 * L * D },
  setup(gpu, rand, opts) {
    // Ids past the special tokens (0-2), so every position is a real token's.
    const idValues = Int32Array.from({ length: L }, () => 3 + Math.floor(rand() * (V - 3)));
    const ids = gpu.upload(idValues, [1, L], 'i32', 'ids');
    const position = randomTensor(gpu, [P, D], rand, 'position');
    const tokenType = randomTensor(gpu, [1, D], rand, 'tokenType');
    const tables = opts.weights.map((d) => {
      if (d === 'q8' || d === 'q4') {
        const q = quantize(randomValues(V * D, rand), [V, D], d, 'word');
        return [d, gpu.uploadQuantized(q.data as Uint8Array, q.scales!, [V, D], d, 'word')] as const;
      }
      // 0x2c00 = 2^-4: any finite half does for timing.
      if (d === 'f16') return [d, gpu.upload(new Uint16Array(V * D).fill(0x2c00), [V, D], 'f16', 'word')] as const;
      return [d, randomTensor(gpu, [V, D], rand, 'word')] as const;
    });
    return {
      variants: tables.map(([d, word]) => ({
        name: `${d} words`,
        run: () => textEmbeddings(gpu, ids, { chunks: [word] }, position, tokenType, { padTokenId: PAD }).release(),
      })),
      release: () => releaseAll([ids, position, tokenType, ...tables.map(([, t]) => t)]),
    };
  },
}));

export const textEmbeddingsCheck: KernelCheck = {
  kernel: 'textEmbeddings',
  cases: textEmbeddingsCases,
  benchmarks: textEmbeddingsBenchmarks,
};
