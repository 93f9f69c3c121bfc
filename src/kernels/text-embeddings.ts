// RoBERTa's embedding sum word[ids] + position[pos(ids)] + tokenType[0] (shaders/text-embeddings.wgsl); the
// LayerNorm after it is a separate layerNorm call.
import source from '../../shaders/text-embeddings.wgsl?raw';
import { ShapeError } from '../errors';
import type { Gpu } from '../gpu/runtime';
import { expectShape, type GpuTensor } from '../gpu/tensor';
import { Q4_BLOCK } from '../checkpoint/quantize';
import { foldGrid } from './grid';
import { composeWgsl } from './wgsl';

export interface WordTable {
  /** Consecutive row ranges of the [V, D] word embedding table, each [rows_i, D] f32|f16|q8|q4, all one dtype. */
  chunks: GpuTensor[];
}

/**
 * ids [B, L] i32, position [P, D], tokenType [T, D] (f32|f16) -> [B, L, D] f32. Ids outside [0, V) are clamped
 * on the GPU (the caller validates them before upload); positions past P-1 are clamped likewise.
 */
export function textEmbeddings(
  gpu: Gpu, ids: GpuTensor, word: WordTable, position: GpuTensor, tokenType: GpuTensor,
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
    if (!['f32', 'f16', 'q8', 'q4'].includes(c.dtype)) throw new ShapeError(`textEmbeddings: word chunk ${i} is ${c.dtype}, expected f32, f16, q8 or q4`);
    if (c.dtype === 'q8' || c.dtype === 'q4') {
      if (!c.scales) throw new ShapeError(`textEmbeddings: ${c.dtype} word chunk ${i} has no scales`);
      expectShape(`textEmbeddings: word chunk ${i} scales`, c.scales, [c.dtype === 'q8' ? c.shape[0] : c.shape[0] * blocks], ['f32']);
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
  const flags = {
    WORD_F32: wordDtype === 'f32', WORD_F16: wordDtype === 'f16', WORD_Q8: wordDtype === 'q8', WORD_Q4: wordDtype === 'q4',
    WORD_SCALES: wordDtype === 'q8' || wordDtype === 'q4', POS_F16: position.dtype === 'f16', TYPE_F16: tokenType.dtype === 'f16' };
  const pipeline = gpu.pipeline(`textEmbeddings:${wordDtype}:${position.dtype}:${tokenType.dtype}`,
    () => composeWgsl('text-embeddings', source, { flags }));
  const workgroups = foldGrid(gpu, B * L, 'textEmbeddings');
  let start = 0;
  word.chunks.forEach((chunk, i) => {
    const rows = chunk.shape[0];
    gpu.dispatch({
      pipeline,
      bindings: chunk.scales ? [ids, chunk, chunk.scales, position, tokenType, out] : [ids, chunk, position, tokenType, out],
      uniforms: new Uint32Array([B * L, L, D, pad, vocab, P, start, rows, i === 0 ? 1 : 0, blocks]),
      workgroups,
      label: `textEmbeddings chunk ${i}`,
    });
    start += rows;
  });
  return out;
}
