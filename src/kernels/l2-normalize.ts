// Row-wise v / max(||v||_2, eps), as torch.nn.functional.normalize (the ITC embeddings).
import source from '../../shaders/l2-normalize.wgsl?raw';
import type { Gpu } from '../gpu/runtime';
import { expectShape, type GpuTensor } from '../gpu/tensor';
import reduce from '../../shaders/lib/workgroup-reduce.wgsl?raw';
import { declareKernel } from './program';

export const l2NormalizeKernel = declareKernel({
  name: 'l2-normalize',
  params: {},
  uniforms: { rows: 'u32', dim: 'u32', eps: 'f32' },
  bindings: { x: true, out: true },
  source,
  libs: () => [reduce],
});

export function l2Normalize(gpu: Gpu, x: GpuTensor, eps = 1e-12, opts: { out?: GpuTensor } = {}): GpuTensor {
  expectShape('l2Normalize: x', x, [-1, -1], ['f32']);
  const [B, D] = x.shape;
  const out = opts.out ?? gpu.tensor([B, D], 'f32', 'l2Normalize');
  expectShape('l2Normalize: out', out, [B, D], ['f32']);
  l2NormalizeKernel.dispatch(
    gpu,
    {},
    {
      bindings: { x, out },
      uniforms: { rows: B, dim: D, eps },
      groups: B,
      label: 'l2Normalize',
    },
  );
  return out;
}
