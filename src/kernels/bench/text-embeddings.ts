// RoBERTa's embedding sum for 40 and 512 tokens from the full 50265-row word table, for each word dtype asked for.
import { quantize } from '../../spec/quantize';
import { textEmbeddings } from '../text-embeddings';
import { randomTensor, randomValues, releaseAll, type KernelBenchmark } from './benchmark';

const V = 50265,
  P = 514,
  D = 768,
  PAD = 1;

export const textEmbeddingsBenchmarks: KernelBenchmark[] = [40, 512].map((L) => ({
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
