// [a, b] along the last dimension of two [B, D] tensors (cls_feats = [text pooled, image pooled]).
import source from '../../shaders/concat.wgsl?raw';
import type { Gpu } from '../gpu/runtime';
import { expectShape, type GpuTensor } from '../gpu/tensor';
import { declareKernel } from './program';

export const concatKernel = declareKernel({
  name: 'concat',
  params: {},
  uniforms: { batch: 'u32', d1: 'u32', d2: 'u32' },
  bindings: { a: true, c: true, out: true },
  source,
});

export function concat(gpu: Gpu, a: GpuTensor, b: GpuTensor, opts: { out?: GpuTensor } = {}): GpuTensor {
  expectShape('concat: a', a, [-1, -1], ['f32']);
  const [B, D1] = a.shape;
  expectShape('concat: b', b, [B, -1], ['f32']);
  const D2 = b.shape[1];
  const out = opts.out ?? gpu.tensor([B, D1 + D2], 'f32', 'concat');
  expectShape('concat: out', out, [B, D1 + D2], ['f32']);
  concatKernel.dispatch(
    gpu,
    {},
    {
      bindings: { a, c: b, out },
      uniforms: { batch: B, d1: D1, d2: D2 },
      groups: Math.ceil((B * (D1 + D2)) / 256),
      label: 'concat',
    },
  );
  return out;
}
