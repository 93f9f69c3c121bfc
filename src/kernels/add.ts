// out = alpha·a + beta·b elementwise (f32, same shape); alpha = beta = 1 by default.
import source from '../../shaders/add.wgsl?raw';
import type { Gpu } from '../gpu/runtime';
import { expectShape, type GpuTensor } from '../gpu/tensor';
import { declareKernel } from './program';

export const addKernel = declareKernel({
  name: 'add',
  params: {},
  uniforms: { n: 'u32', alpha: 'f32', beta: 'f32' },
  bindings: { a: true, b: true, out: true },
  source,
});

export function add(
  gpu: Gpu,
  a: GpuTensor,
  b: GpuTensor,
  opts: { out?: GpuTensor; alpha?: number; beta?: number } = {},
): GpuTensor {
  expectShape('add: a', a, a.shape, ['f32']);
  expectShape('add: b', b, a.shape, ['f32']);
  const out = opts.out ?? gpu.tensor(a.shape, 'f32', 'add');
  expectShape('add: out', out, a.shape, ['f32']);
  const n = a.size;
  addKernel.dispatch(
    gpu,
    {},
    {
      bindings: { a, b, out },
      uniforms: { n, alpha: opts.alpha ?? 1, beta: opts.beta ?? 1 },
      groups: Math.ceil(n / 256),
      label: 'add',
    },
  );
  return out;
}
