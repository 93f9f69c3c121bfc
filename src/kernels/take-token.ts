// x[:, index, :] of a [B, L, D] sequence: the token-0 slice the poolers and ITC heads read.
import source from '../../shaders/take-token.wgsl?raw';
import { ShapeError } from '../errors';
import type { Gpu } from '../gpu/runtime';
import { expectShape, type GpuTensor } from '../gpu/tensor';
import { declareKernel } from './program';

export const takeTokenKernel = declareKernel({
  name: 'take-token',
  params: {},
  uniforms: { batch: 'u32', length: 'u32', dim: 'u32', index: 'u32' },
  bindings: { x: true, out: true },
  source,
});

export function takeToken(gpu: Gpu, x: GpuTensor, index: number, opts: { out?: GpuTensor } = {}): GpuTensor {
  expectShape('takeToken: x', x, [-1, -1, -1], ['f32']);
  const [B, L, D] = x.shape;
  if (!Number.isInteger(index) || index < 0 || index >= L) {
    throw new ShapeError(`takeToken: token index ${index} is outside [0, ${L}) of x [${x.shape.join(', ')}]`);
  }
  const out = opts.out ?? gpu.tensor([B, D], 'f32', 'takeToken');
  expectShape('takeToken: out', out, [B, D], ['f32']);
  takeTokenKernel.dispatch(
    gpu,
    {},
    {
      bindings: { x, out },
      uniforms: { batch: B, length: L, dim: D, index },
      groups: Math.ceil((B * D) / 256),
      label: 'takeToken',
    },
  );
  return out;
}
