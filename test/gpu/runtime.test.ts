import { describe, expect, it } from 'vitest';
import { BridgeTowerError, LimitError } from '../../src/errors';
import { sizeClass } from '../../src/gpu/pool';
import { testGpu } from './node-gpu';

// y[i] = x[i] * u.scale + u.shift, one invocation per element.
const AFFINE = `
struct U { n: u32, scale: f32, shift: f32 }
@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read_write> y: array<f32>;
@group(0) @binding(2) var<uniform> u: U;
@compute @workgroup_size(64) fn main(@builtin(global_invocation_id) id: vec3u) {
  if (id.x < u.n) { y[id.x] = x[id.x] * u.scale + u.shift; }
}`;

function uniforms(n: number, scale: number, shift: number): ArrayBuffer {
  const b = new ArrayBuffer(12);
  new Uint32Array(b, 0, 1)[0] = n;
  new Float32Array(b, 4, 2).set([scale, shift]);
  return b;
}

describe('Gpu runtime', () => {
  it('records many dispatches with distinct uniforms into one submit and reads several tensors back', async () => {
    const gpu = await testGpu();
    const n = 1000;
    const x = gpu.upload(
      Float32Array.from({ length: n }, (_, i) => i),
      [n],
      'f32',
      'x',
    );
    const pipeline = gpu.pipeline('test:affine', () => AFFINE);
    let cur = x;
    const outs = [];
    // 2000 dispatches spill the uniform arena over several 64 KiB chunks.
    for (let step = 0; step < 2000; step++) {
      const y = gpu.tensor([n], 'f32', 'y');
      gpu.dispatch({
        pipeline,
        bindings: [cur, y],
        uniforms: uniforms(n, 1, step % 3),
        workgroups: [Math.ceil(n / 64)],
        label: 'affine',
      });
      if (cur !== x) cur.release();
      cur = y;
      if (step === 0) outs.push(gpu.tensor([n], 'f32', 'snapshot'));
      if (step === 0) gpu.copy(y.buffer, 0, outs[0].buffer, 0, n * 4);
    }
    const [final, first] = await gpu.read(cur, outs[0]);
    let shift = 0;
    for (let step = 0; step < 2000; step++) shift += step % 3;
    for (let i = 0; i < n; i += 97) {
      expect(final[i]).toBe(i + shift);
      expect(first[i]).toBe(i);
    }
    expect(gpu.pipelineCount).toBeGreaterThanOrEqual(1);
    // The chain reuses two pooled buffers instead of allocating 2000.
    expect(gpu.memory().poolAllocatedBytes).toBeLessThanOrEqual(4 * sizeClass(n * 4));
    cur.release();
    outs[0].release();
    x.release();
  });

  it('reuses the cached pipeline for the same key', async () => {
    const gpu = await testGpu();
    expect(gpu.pipeline('test:affine', () => AFFINE)).toBe(gpu.pipeline('test:affine', () => 'not even parsed'));
  });

  it('reports WGSL that does not compile as an error, not silence', async () => {
    const gpu = await testGpu();
    // Dawn prints uncaptured errors unless a listener takes them: keep the expected ones out of the test output.
    const seen: string[] = [];
    const take = (ev: Event) => {
      seen.push((ev as GPUUncapturedErrorEvent).error.message);
      ev.preventDefault();
    };
    gpu.device.addEventListener('uncapturederror', take);
    const bad = gpu.pipeline('test:bad', () => '@compute @workgroup_size(1) fn main() { let x: f32 = 1u; }');
    const y = gpu.tensor([4], 'f32', 'y');
    gpu.dispatch({ pipeline: bad, bindings: [], workgroups: [1], label: 'bad' });
    await expect(gpu.read(y)).rejects.toBeInstanceOf(BridgeTowerError);
    y.release();
    gpu.device.removeEventListener('uncapturederror', take);
    expect(seen[0]).toMatch(/Error while parsing WGSL/);
  });

  it('refuses a tensor larger than the binding limit with a LimitError naming it', async () => {
    const gpu = await testGpu({ limits: 'default' });
    expect(gpu.caps.maxStorageBufferBindingSize).toBe(128 * 1024 * 1024);
    expect(() => gpu.tensor([50265, 768], 'f32', 'word_embeddings')).toThrow(LimitError);
    expect(() => gpu.tensor([50265, 768], 'f32', 'word_embeddings')).toThrow(
      /word_embeddings.*maxStorageBufferBindingSize/,
    );
  });

  it('compiles the pipelines a traced pass names, recording nothing, so the real pass builds none', async () => {
    const gpu = await testGpu();
    const n = 256;
    const x = gpu.upload(new Float32Array(n).fill(2), [n], 'f32', 'x');
    const pass = async () => {
      const y = gpu.tensor([n], 'f32', 'y');
      gpu.dispatch({
        pipeline: { key: 'test:affine-compiled', code: () => AFFINE },
        bindings: [x, y],
        uniforms: uniforms(n, 3, 1),
        workgroups: [n / 64],
        label: 'affine',
      });
      const [out] = await gpu.read(y);
      y.release();
      return out;
    };
    const before = gpu.counters();
    let ticks = 0;
    expect(await gpu.compile(pass, () => ticks++)).toBe(1);
    const traced = gpu.counters();
    expect(traced.pipelinesCreated - before.pipelinesCreated).toBe(1);
    expect([traced.dispatches - before.dispatches, traced.submits - before.submits]).toEqual([0, 0]);
    expect(ticks).toBe(2);
    expect((await pass())[n - 1]).toBe(7);
    expect(gpu.counters().pipelinesCreated).toBe(traced.pipelinesCreated);
    x.release();
  });

  it('grants the adapter limits when asked', async () => {
    const gpu = await testGpu();
    expect(gpu.caps.maxStorageBufferBindingSize).toBeGreaterThan(128 * 1024 * 1024);
  });
});
