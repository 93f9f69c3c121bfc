// One shared Node WebGPU runtime per test file (SwiftShader here, whatever Dawn finds elsewhere).
import { createNodeGpu } from '../../src/gpu/node';
import type { Gpu, GpuOptions } from '../../src/gpu/runtime';

const cache = new Map<string, Promise<Gpu>>();

export function testGpu(options: Omit<GpuOptions, 'gpu'> = {}): Promise<Gpu> {
  const key = JSON.stringify(options);
  let g = cache.get(key);
  if (!g) cache.set(key, (g = createNodeGpu(options)));
  return g;
}
