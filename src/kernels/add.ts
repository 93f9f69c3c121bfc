// out = a + b elementwise (f32, same shape).
import source from '../../shaders/add.wgsl?raw';
import type { Gpu } from '../gpu/runtime';
import { expectShape, type GpuTensor } from '../gpu/tensor';
import { foldGrid } from './grid';

export function add(gpu: Gpu, a: GpuTensor, b: GpuTensor, opts: { out?: GpuTensor } = {}): GpuTensor {
  expectShape('add: a', a, a.shape, ['f32']);
  expectShape('add: b', b, a.shape, ['f32']);
  const out = opts.out ?? gpu.tensor(a.shape, 'f32', 'add');
  expectShape('add: out', out, a.shape, ['f32']);
  const n = a.size;
  gpu.dispatch({
    pipeline: gpu.pipeline('add', () => source),
    bindings: [a, b, out],
    uniforms: new Uint32Array([n]),
    workgroups: foldGrid(gpu, Math.ceil(n / 256), 'add'),
    label: 'add',
  });
  return out;
}
