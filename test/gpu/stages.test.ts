// A forward pass given a signal or a stage callback runs in stages (text tower, image tower, cross-modal layers):
// progress ticks within the pass, and a Cancel stops it at the next stage boundary with AbortedError, leaving the
// model usable. Captured and replayed passes behave alike.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AbortedError } from '../../src/errors';
import { loadFixtureModel } from '../../src/verify/fixture';
import { readSafetensorsFile } from '../../src/verify/load-model';
import type { BridgeTowerModel, ForwardInputs, HostArray } from '../../src/model/bridgetower';
import type { HostTensor } from '../../src/common/tensor';
import { testGpu } from './node-gpu';

const DIR = 'test/fixtures/tiny';
let model: BridgeTowerModel;
let inputs: ForwardInputs;
let expected: Map<string, HostTensor>;

beforeAll(async () => {
  model = await loadFixtureModel(await testGpu(), DIR, { from: 'ckpt' });
  const io = await readSafetensorsFile(`${DIR}/inputs.safetensors`);
  inputs = {
    inputIds: io.get('input_ids')! as HostArray<BigInt64Array>,
    attentionMask: io.get('attention_mask')! as HostArray<BigInt64Array>,
    pixelValues: io.get('pixel_values')! as HostArray<Float32Array>,
  };
  expected = await readSafetensorsFile(`${DIR}/expected.safetensors`);
});
afterAll(() => model?.dispose());

function maxDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

const OUTPUTS = ['cls_feats', 'vqa_logits'];

describe('forward in stages', () => {
  it('ticks once per stage, first pass and replayed pass alike', async () => {
    for (let round = 0; round < 2; round++) {
      const ticks: string[] = [];
      const got = await model.forward(inputs, {
        outputs: OUTPUTS,
        onStage: (done, total, stage) => ticks.push(`${done}/${total} ${stage}`),
      });
      expect(ticks).toEqual(['1/3 text tower', '2/3 image tower', '3/3 cross-modal layers']);
      for (const name of OUTPUTS)
        expect(maxDiff(got.get(name)!.data, expected.get(name)!.data as Float32Array), name).toBeLessThan(1e-5);
    }
  });

  it('stops at the next stage boundary when cancelled, and the model stays usable', async () => {
    for (let round = 0; round < 2; round++) {
      const cancel = new AbortController();
      const ticks: string[] = [];
      const pass = model.forward(inputs, {
        outputs: OUTPUTS,
        signal: cancel.signal,
        onStage: (_done, _total, stage) => {
          ticks.push(stage);
          cancel.abort();
        },
      });
      await expect(pass).rejects.toBeInstanceOf(AbortedError);
      expect(ticks).toEqual(['text tower']);
    }
    const got = await model.forward(inputs, { outputs: OUTPUTS, signal: new AbortController().signal });
    for (const name of OUTPUTS)
      expect(maxDiff(got.get(name)!.data, expected.get(name)!.data as Float32Array), name).toBeLessThan(1e-5);
  });

  it('refuses to start when already cancelled', async () => {
    const cancel = new AbortController();
    cancel.abort();
    await expect(model.forward(inputs, { outputs: OUTPUTS, signal: cancel.signal })).rejects.toBeInstanceOf(
      AbortedError,
    );
  });
});
