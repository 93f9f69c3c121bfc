// A repeated forward pass of the same shapes creates nothing: the first pass is captured (its bind groups, uniform
// slots, activation and input buffers), the next ones replay it with their own inputs. Checked with the runtime's
// counters and against the tiny fixture's expected outputs, with the inputs' batch order swapped so a replay that
// kept the first pass's data would fail.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadFixtureModel } from '../../src/verify/fixture';
import { readSafetensorsFile } from '../../src/verify/load-model';
import type { BridgeTowerModel, HostArray } from '../../src/model/bridgetower';
import type { GpuCounters } from '../../src/gpu/runtime';
import type { HostTensor } from '../../src/common/tensor';
import { testGpu } from './node-gpu';

const DIR = 'test/fixtures/tiny';
let model: BridgeTowerModel;
let inputs: Map<string, HostTensor>;
let expected: Map<string, HostTensor>;

beforeAll(async () => {
  model = await loadFixtureModel(await testGpu(), DIR, { from: 'ckpt' });
  inputs = await readSafetensorsFile(`${DIR}/inputs.safetensors`);
  expected = await readSafetensorsFile(`${DIR}/expected.safetensors`);
});
afterAll(() => model?.dispose());

/** The two batch rows of a [2, ...] tensor in the other order. */
function swapped<T extends Float32Array | BigInt64Array>(t: HostArray<T>): HostArray<T> {
  const row = t.data.length / 2;
  const data = t.data.slice() as T;
  data.set(t.data.subarray(row) as never, 0);
  data.set(t.data.subarray(0, row) as never, row);
  return { shape: t.shape, data };
}

function fixtureInputs(swap: boolean) {
  const ids = inputs.get('input_ids')! as HostArray<BigInt64Array>;
  const mask = inputs.get('attention_mask')! as HostArray<BigInt64Array>;
  const pixels = inputs.get('pixel_values')! as HostArray<Float32Array>;
  return swap
    ? { inputIds: swapped(ids), attentionMask: swapped(mask), pixelValues: swapped(pixels) }
    : { inputIds: ids, attentionMask: mask, pixelValues: pixels };
}

function created(before: GpuCounters, after: GpuCounters) {
  return {
    pipelines: after.pipelinesCreated - before.pipelinesCreated,
    bindGroups: after.bindGroupsCreated - before.bindGroupsCreated,
    buffers: after.buffersCreated - before.buffersCreated,
  };
}

function maxDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

const OUTPUTS = ['cls_feats', 'itm_logits', 'vqa_logits', 'itc_text', 'itc_image', 'text_feats'];

describe('steady-state forward', () => {
  it('creates no pipeline, bind group or buffer on a repeated pass and returns that pass’s results', async () => {
    const gpu = model.gpu;
    const c0 = gpu.counters();
    await model.forward(fixtureInputs(false), { outputs: OUTPUTS });
    const c1 = gpu.counters();
    expect(created(c0, c1).bindGroups).toBeGreaterThan(0);
    for (const swap of [true, false, true]) {
      const before = gpu.counters();
      const got = await model.forward(fixtureInputs(swap), { outputs: OUTPUTS });
      const after = gpu.counters();
      expect(created(before, after)).toEqual({ pipelines: 0, bindGroups: 0, buffers: 0 });
      expect(after.dispatches - before.dispatches).toBe(c1.dispatches - c0.dispatches);
      for (const name of OUTPUTS) {
        const want = expected.get(name)!;
        const data = swap ? swapped(want as HostArray<Float32Array>).data : (want.data as Float32Array);
        expect(maxDiff(got.get(name)!.data, data), `${name} (batch swapped: ${swap})`).toBeLessThan(1e-5);
      }
    }
  });

  it('leaves image features held by the caller intact while replaying', async () => {
    const p = inputs.get('pixel_values')! as HostArray<Float32Array>;
    const [, , S] = p.shape;
    const one = (t: HostArray<BigInt64Array>) => ({ shape: [1, t.shape[1]], data: t.data.subarray(0, t.shape[1]) });
    const ids = one(inputs.get('input_ids')! as HostArray<BigInt64Array>);
    const mask = one(inputs.get('attention_mask')! as HostArray<BigInt64Array>);
    const features = await model.imageFeatures({ shape: [1, 3, S, S], data: p.data.subarray(0, 3 * S * S) });
    try {
      for (let round = 0; round < 2; round++) {
        await model.forward(fixtureInputs(true), { outputs: OUTPUTS });
        const got = await model.forward({ inputIds: ids, attentionMask: mask, image: features }, { outputs: OUTPUTS });
        for (const name of ['cls_feats', 'vqa_logits', 'itm_logits']) {
          const want = expected.get(name)!.data as Float32Array;
          expect(maxDiff(got.get(name)!.data, want.subarray(0, want.length / 2)), name).toBeLessThan(1e-5);
        }
      }
    } finally {
      features.dispose();
    }
  });
});
