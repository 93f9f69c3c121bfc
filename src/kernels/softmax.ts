// Row-wise numerically stable softmax over the last dimension (shaders/softmax.wgsl).
import source from '../../shaders/softmax.wgsl?raw';
import reduce from '../../shaders/lib/workgroup-reduce.wgsl?raw';
import { ShapeError } from '../errors';
import type { Gpu } from '../gpu/runtime';
import { expectShape, type GpuTensor } from '../gpu/tensor';
import { declareKernel } from './program';

export const softmaxKernel = declareKernel({
  name: 'softmax',
  params: {},
  uniforms: { rows: 'u32', cols: 'u32' },
  bindings: { x: true, out: true },
  source,
  libs: () => [reduce],
});

export function softmax(gpu: Gpu, x: GpuTensor, opts: { out?: GpuTensor } = {}): GpuTensor {
  if (x.shape.length < 1) throw new ShapeError('softmax: x must have at least one dimension [..., N]');
  expectShape('softmax: x', x, x.shape, ['f32']);
  const N = x.shape[x.shape.length - 1];
  const rows = x.size / Math.max(N, 1);
  const out = opts.out ?? gpu.tensor(x.shape, 'f32', 'softmax');
  expectShape('softmax: out', out, x.shape, ['f32']);
  if (out.buffer === x.buffer)
    throw new ShapeError('softmax: out must not be x (WebGPU forbids aliasing a written binding)');
  softmaxKernel.dispatch(
    gpu,
    {},
    {
      bindings: { x, out },
      uniforms: { rows, cols: N },
      groups: rows,
      label: `softmax ${rows}x${N}`,
    },
  );
  return out;
}
