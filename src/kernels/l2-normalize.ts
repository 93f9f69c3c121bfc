// Row-wise v / max(||v||_2, eps), as torch.nn.functional.normalize (the ITC embeddings).
import source from '../../shaders/l2-normalize.wgsl?raw';
import type { Gpu } from '../gpu/runtime';
import { expectShape, type GpuTensor } from '../gpu/tensor';
import { foldGrid } from './grid';
import reduce from '../../shaders/lib/workgroup-reduce.wgsl?raw';
import { composeWgsl } from './wgsl';

export function l2Normalize(gpu: Gpu, x: GpuTensor, eps = 1e-12, opts: { out?: GpuTensor } = {}): GpuTensor {
  expectShape('l2Normalize: x', x, [-1, -1], ['f32']);
  const [B, D] = x.shape;
  const out = opts.out ?? gpu.tensor([B, D], 'f32', 'l2Normalize');
  expectShape('l2Normalize: out', out, [B, D], ['f32']);
  const u = new ArrayBuffer(12);
  new Uint32Array(u, 0, 2).set([B, D]);
  new Float32Array(u, 8, 1)[0] = eps;
  gpu.dispatch({
    pipeline: gpu.pipeline('l2Normalize', () => composeWgsl('l2-normalize', source, { libs: [reduce] })),
    bindings: [x, out],
    uniforms: u,
    workgroups: foldGrid(gpu, B, 'l2Normalize'),
    label: 'l2Normalize',
  });
  return out;
}
