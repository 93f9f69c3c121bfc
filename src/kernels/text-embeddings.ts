// RoBERTa's embedding sum word[ids] + position[pos(ids)] + tokenType[0] (shaders/text-embeddings.wgsl); the
// LayerNorm after it is a separate layerNorm call.
import source from '../../shaders/text-embeddings.wgsl?raw';
import { ShapeError } from '../errors';
import type { Gpu } from '../gpu/runtime';
import { expectShape, type GpuTensor } from '../gpu/tensor';
import { Q4_BLOCK } from '../common/quantize';
import { declareKernel } from './program';

export const textEmbeddingsKernel = declareKernel({
  name: 'text-embeddings',
  // The tables' dtypes.
  params: { word: ['f32', 'f16', 'q8', 'q4'], position: ['f32', 'f16'], tokenType: ['f32', 'f16'] },
  uniforms: {
    tokens: 'u32',
    length: 'u32',
    dim: 'u32',
    pad_id: 'i32',
    vocab: 'u32',
    positions: 'u32',
    // This dispatch's rows of the word table, and whether it is the first (which writes every element).
    chunk_start: 'u32',
    chunk_rows: 'u32',
    first: 'u32',
    // q4: scales per row of the word table (ceil(dim / 32))
    word_blocks: 'u32',
  },
  bindings: {
    ids: true,
    word: true,
    word_scale: (p) => p.word === 'q8' || p.word === 'q4',
    position: true,
    token_type: true,
    out: true,
  },
  source,
});

export interface WordTable {
  /** Consecutive row ranges of the [V, D] word embedding table, each [rows_i, D] f32|f16|q8|q4, all one dtype. */
  chunks: GpuTensor[];
}

/**
 * ids [B, L] i32, position [P, D], tokenType [T, D] (f32|f16) -> [B, L, D] f32. Ids outside [0, V) are clamped
 * on the GPU (the caller validates them before upload); positions past P-1 are clamped likewise.
 */
export function textEmbeddings(
  gpu: Gpu,
  ids: GpuTensor,
  word: WordTable,
  position: GpuTensor,
  tokenType: GpuTensor,
  opts: { padTokenId: number; out?: GpuTensor },
): GpuTensor {
  expectShape('textEmbeddings: ids', ids, [-1, -1], ['i32']);
  const [B, L] = ids.shape;
  if (word.chunks.length === 0) throw new ShapeError('textEmbeddings: the word table has no chunks');
  const D = word.chunks[0].shape[1];
  const wordDtype = word.chunks[0].dtype;
  const blocks = wordDtype === 'q4' ? Math.ceil(D / Q4_BLOCK) : 0;
  word.chunks.forEach((c, i) => {
    expectShape(`textEmbeddings: word chunk ${i}`, c, [-1, D], [wordDtype]);
    if (!['f32', 'f16', 'q8', 'q4'].includes(c.dtype))
      throw new ShapeError(`textEmbeddings: word chunk ${i} is ${c.dtype}, expected f32, f16, q8 or q4`);
    if (c.dtype === 'q8' || c.dtype === 'q4') {
      if (!c.scales) throw new ShapeError(`textEmbeddings: ${c.dtype} word chunk ${i} has no scales`);
      expectShape(
        `textEmbeddings: word chunk ${i} scales`,
        c.scales,
        [c.dtype === 'q8' ? c.shape[0] : c.shape[0] * blocks],
        ['f32'],
      );
    }
  });
  expectShape('textEmbeddings: position', position, [-1, D], ['f32', 'f16']);
  expectShape('textEmbeddings: tokenType', tokenType, [-1, D], ['f32', 'f16']);
  const vocab = word.chunks.reduce((n, c) => n + c.shape[0], 0);
  const P = position.shape[0];
  const pad = opts.padTokenId;
  if (!Number.isInteger(pad) || pad < 0 || pad >= P) {
    throw new ShapeError(`textEmbeddings: padTokenId ${pad} is not a row of the [${P}, ${D}] position table`);
  }
  if (tokenType.shape[0] < 1) throw new ShapeError('textEmbeddings: the token type table has no rows');
  const out = opts.out ?? gpu.tensor([B, L, D], 'f32', 'textEmbeddings');
  expectShape('textEmbeddings: out', out, [B, L, D], ['f32']);
  const params = {
    word: wordDtype as 'f32' | 'f16' | 'q8' | 'q4',
    position: position.dtype as 'f32' | 'f16',
    tokenType: tokenType.dtype as 'f32' | 'f16',
  };
  let start = 0;
  word.chunks.forEach((chunk, i) => {
    const rows = chunk.shape[0];
    textEmbeddingsKernel.dispatch(gpu, params, {
      bindings: { ids, word: chunk, word_scale: chunk.scales, position, token_type: tokenType, out },
      uniforms: {
        tokens: B * L,
        length: L,
        dim: D,
        pad_id: pad,
        vocab,
        positions: P,
        chunk_start: start,
        chunk_rows: rows,
        first: i === 0 ? 1 : 0,
        word_blocks: blocks,
      },
      groups: B * L,
      label: `textEmbeddings chunk ${i}`,
    });
    start += rows;
  });
  return out;
}
