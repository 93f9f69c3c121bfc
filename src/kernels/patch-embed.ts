// The ViT patch embedding: conv1 (stride P, kernel P, no bias) as im2col (shaders/im2col.wgsl) followed by linear.
import { ShapeError } from '../errors';
import type { Gpu } from '../gpu/runtime';
import { GpuTensor, expectShape } from '../gpu/tensor';
import source from '../../shaders/im2col.wgsl?raw';
import { linear, type LinearVariant } from './linear';
import { declareKernel } from './program';

export const im2colKernel = declareKernel({
  name: 'im2col',
  params: {},
  // total: elements of patches; S: image size; P: patch size; G = S / P.
  uniforms: { total: 'u32', S: 'u32', P: 'u32', G: 'u32' },
  bindings: { pixels: true, patches: true },
  source,
});

export interface PatchEmbedOptions {
  /** Force the matmul variant (tests, benchmarks). */
  variant?: LinearVariant;
}

/**
 * pixels [B, 3, S, S] f32, conv1 [Hv, 3, P, P] f32|f16|q8|q4 (quantized as the [Hv, 3·P·P] matrix) ->
 * [B, (S/P)², Hv], patches in row-major order.
 */
export function patchEmbed(gpu: Gpu, pixels: GpuTensor, conv1: GpuTensor, opts: PatchEmbedOptions = {}): GpuTensor {
  expectShape('patchEmbed: pixels', pixels, [-1, 3, -1, -1], ['f32']);
  expectShape('patchEmbed: conv1', conv1, [-1, 3, -1, -1], ['f32', 'f16', 'q8', 'q4']);
  const [B, , S, S2] = pixels.shape;
  const [Hv, , P, P2] = conv1.shape;
  if (S !== S2) throw new ShapeError(`patchEmbed: pixels must be square, got [${pixels.shape.join(', ')}]`);
  if (P !== P2 || P === 0)
    throw new ShapeError(`patchEmbed: conv1 must have square non-empty kernels, got [${conv1.shape.join(', ')}]`);
  if (S % P !== 0) throw new ShapeError(`patchEmbed: image size ${S} is not a multiple of the patch size ${P}`);
  const G = S / P;
  const K = 3 * P * P;
  const patches = gpu.tensor([B, G * G, K], 'f32', 'patches');
  const total = B * G * G * K;
  im2colKernel.dispatch(
    gpu,
    {},
    {
      bindings: { pixels, patches },
      uniforms: { total, S, P, G },
      groups: Math.ceil(total / 256),
      label: `im2col ${B}x${S}/${P}`,
    },
  );
  const out = linear(gpu, patches, conv1.reshape([Hv, K]), { variant: opts.variant });
  patches.release();
  return out;
}
