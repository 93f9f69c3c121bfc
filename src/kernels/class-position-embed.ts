// CLIP's token assembly: prepend the class embedding to the patch embeddings and add the positional table.
import source from '../../shaders/class-position-embed.wgsl?raw';
import type { Gpu } from '../gpu/runtime';
import { expectShape, type GpuTensor } from '../gpu/tensor';
import { declareKernel } from './program';

/** classF16 / positionalF16: the table is f16 (two halves per u32 word) rather than f32. */
export const classPositionEmbedKernel = declareKernel({
  name: 'class-position-embed',
  params: { classF16: [false, true], positionalF16: [false, true] },
  uniforms: { batch: 'u32', tokens: 'u32', width: 'u32' },
  bindings: { patches: true, class_embedding: true, positional: true, out: true },
  source,
});

/** patches [B, N-1, Hv] f32, classEmbedding [Hv] f32|f16, positional [N, Hv] f32|f16 -> [B, N, Hv]. */
export function classPositionEmbed(
  gpu: Gpu,
  patches: GpuTensor,
  classEmbedding: GpuTensor,
  positional: GpuTensor,
  opts: { out?: GpuTensor } = {},
): GpuTensor {
  expectShape('classPositionEmbed: patches', patches, [-1, -1, -1], ['f32']);
  const [B, patchCount, Hv] = patches.shape;
  const N = patchCount + 1;
  expectShape('classPositionEmbed: classEmbedding', classEmbedding, [Hv], ['f32', 'f16']);
  expectShape('classPositionEmbed: positional', positional, [N, Hv], ['f32', 'f16']);
  const out = opts.out ?? gpu.tensor([B, N, Hv], 'f32', 'classPositionEmbed');
  expectShape('classPositionEmbed: out', out, [B, N, Hv], ['f32']);
  const params = { classF16: classEmbedding.dtype === 'f16', positionalF16: positional.dtype === 'f16' };
  classPositionEmbedKernel.dispatch(gpu, params, {
    bindings: { patches, class_embedding: classEmbedding, positional, out },
    uniforms: { batch: B, tokens: N, width: Hv },
    groups: Math.ceil((B * N * Hv) / 256),
    label: 'classPositionEmbed',
  });
  return out;
}
