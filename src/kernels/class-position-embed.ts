// CLIP's token assembly: prepend the class embedding to the patch embeddings and add the positional table.
import source from '../../shaders/class-position-embed.wgsl?raw';
import type { Gpu } from '../gpu/runtime';
import { expectShape, type GpuTensor } from '../gpu/tensor';
import { foldGrid } from './grid';
import { composeWgsl } from './wgsl';

/** patches [B, N-1, Hv] f32, classEmbedding [Hv] f32|f16, positional [N, Hv] f32|f16 -> [B, N, Hv]. */
export function classPositionEmbed(
  gpu: Gpu, patches: GpuTensor, classEmbedding: GpuTensor, positional: GpuTensor, opts: { out?: GpuTensor } = {},
): GpuTensor {
  expectShape('classPositionEmbed: patches', patches, [-1, -1, -1], ['f32']);
  const [B, patchCount, Hv] = patches.shape;
  const N = patchCount + 1;
  expectShape('classPositionEmbed: classEmbedding', classEmbedding, [Hv], ['f32', 'f16']);
  expectShape('classPositionEmbed: positional', positional, [N, Hv], ['f32', 'f16']);
  const out = opts.out ?? gpu.tensor([B, N, Hv], 'f32', 'classPositionEmbed');
  expectShape('classPositionEmbed: out', out, [B, N, Hv], ['f32']);
  const classF16 = classEmbedding.dtype === 'f16';
  const posF16 = positional.dtype === 'f16';
  gpu.dispatch({
    pipeline: gpu.pipeline(`classPositionEmbed:${classEmbedding.dtype}:${positional.dtype}`,
      () => composeWgsl('class-position-embed', source, { flags: { CLASS_F16: classF16, POS_F16: posF16 } })),
    bindings: [patches, classEmbedding, positional, out],
    uniforms: new Uint32Array([B, N, Hv]),
    workgroups: foldGrid(gpu, Math.ceil((B * N * Hv) / 256), 'classPositionEmbed'),
    label: 'classPositionEmbed',
  });
  return out;
}
