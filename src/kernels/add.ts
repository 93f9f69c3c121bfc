// out = alpha·a + beta·b elementwise (f32, same shape); alpha = beta = 1 by default.
import source from '../../shaders/add.wgsl?raw';
import type { Gpu } from '../gpu/runtime';
import { expectShape, type GpuTensor } from '../gpu/tensor';
import { foldGrid } from './grid';

export function add(gpu: Gpu, a: GpuTensor, b: GpuTensor, opts: { out?: GpuTensor; alpha?: number; beta?: number } = {}): GpuTensor {
  expectShape('add: a', a, a.shape, ['f32']);
  expectShape('add: b', b, a.shape, ['f32']);
  const out = opts.out ?? gpu.tensor(a.shape, 'f32', 'add');
  expectShape('add: out', out, a.shape, ['f32']);
  const n = a.size;
  const u = new ArrayBuffer(12);
  new Uint32Array(u, 0, 1)[0] = n;
  new Float32Array(u, 4, 2).set([opts.alpha ?? 1, opts.beta ?? 1]);
  gpu.dispatch({
    pipeline: gpu.pipeline('add', () => source),
    bindings: [a, b, out],
    uniforms: u,
    workgroups: foldGrid(gpu, Math.ceil(n / 256), 'add'),
    label: 'add',
  });
  return out;
}
