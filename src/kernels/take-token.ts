// x[:, index, :] of a [B, L, D] sequence: the token-0 slice the poolers and ITC heads read.
import source from '../../shaders/take-token.wgsl?raw';
import { ShapeError } from '../errors';
import type { Gpu } from '../gpu/runtime';
import { expectShape, type GpuTensor } from '../gpu/tensor';
import { foldGrid } from './grid';

export function takeToken(gpu: Gpu, x: GpuTensor, index: number, opts: { out?: GpuTensor } = {}): GpuTensor {
  expectShape('takeToken: x', x, [-1, -1, -1], ['f32']);
  const [B, L, D] = x.shape;
  if (!Number.isInteger(index) || index < 0 || index >= L) {
    throw new ShapeError(`takeToken: token index ${index} is outside [0, ${L}) of x [${x.shape.join(', ')}]`);
  }
  const out = opts.out ?? gpu.tensor([B, D], 'f32', 'takeToken');
  expectShape('takeToken: out', out, [B, D], ['f32']);
  gpu.dispatch({
    pipeline: gpu.pipeline('takeToken', () => source),
    bindings: [x, out],
    uniforms: new Uint32Array([B, L, D, index]),
    workgroups: foldGrid(gpu, Math.ceil((B * D) / 256), 'takeToken'),
    label: 'takeToken',
  });
  return out;
}
