// A forward pass given a signal or a stage callback runs in stages (text tower, image tower in groups of a few
// layers, cross-modal layers): progress ticks within the pass, and a Cancel stops it at the next stage boundary
// with AbortedError, leaving the model usable and returning every activation buffer to the pool. Captured and
// replayed passes behave alike; so do imageFeatures and encodeImage.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AbortedError } from '../../src/errors';
import { IMAGE_STAGE_LAYERS, imageStageStarts } from '../../src/model/replay';
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
/** The tiny fixture's 4 vision layers, in two stages. */
const IMAGE_STAGES = ['image tower, layers 1-2 of 4', 'image tower, layers 3-4 of 4'];

describe('forward in stages', () => {
  it('ticks once per stage, first pass and replayed pass alike', async () => {
    for (let round = 0; round < 2; round++) {
      const ticks: string[] = [];
      const got = await model.forward(inputs, {
        outputs: OUTPUTS,
        onStage: (done, total, stage) => ticks.push(`${done}/${total} ${stage}`),
      });
      expect(ticks).toEqual([
        '1/4 text tower',
        `2/4 ${IMAGE_STAGES[0]}`,
        `3/4 ${IMAGE_STAGES[1]}`,
        '4/4 cross-modal layers',
      ]);
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

  it('stops within the image tower, giving back every buffer the pass took', async () => {
    const pool = () => model.gpu.pool.stats().inUseBytes;
    for (let round = 0; round < 2; round++) {
      const before = pool();
      const cancel = new AbortController();
      const ticks: string[] = [];
      const pass = model.forward(inputs, {
        outputs: [...OUTPUTS, 'itc_text'],
        signal: cancel.signal,
        onStage: (_done, _total, stage) => {
          ticks.push(stage);
          if (stage === IMAGE_STAGES[0]) cancel.abort();
        },
      });
      await expect(pass).rejects.toBeInstanceOf(AbortedError);
      expect(ticks).toEqual(['text tower', IMAGE_STAGES[0]]);
      expect(pool()).toBe(before);
    }
  });

  it('runs imageFeatures and encodeImage in stages of a few layers, and stops them', async () => {
    const pixels = inputs.pixelValues!;
    const ticks: string[] = [];
    const features = await model.imageFeatures(pixels, { onStage: (d, t, stage) => ticks.push(`${d}/${t} ${stage}`) });
    features.dispose();
    expect(ticks).toEqual([`1/2 ${IMAGE_STAGES[0]}`, `2/2 ${IMAGE_STAGES[1]}`]);
    const before = model.gpu.pool.stats().inUseBytes;
    for (const run of [
      (o: { signal: AbortSignal; onStage: () => void }) => model.imageFeatures(pixels, o),
      (o: { signal: AbortSignal; onStage: () => void }) => model.encodeImage(pixels, o),
    ]) {
      const cancel = new AbortController();
      let stages = 0;
      await expect(run({ signal: cancel.signal, onStage: () => (++stages, cancel.abort()) })).rejects.toBeInstanceOf(
        AbortedError,
      );
      expect(stages).toBe(1);
    }
    expect(model.gpu.pool.stats().inUseBytes).toBe(before);
  });

  it('reports no stage for a pass that reads given image features alone', async () => {
    const features = await model.imageFeatures(inputs.pixelValues!);
    const ticks: string[] = [];
    try {
      const got = await model.forward(
        { image: features },
        { outputs: ['itc_image'], onStage: (d, t) => ticks.push(`${d}/${t}`) },
      );
      expect(got.get('itc_image')!.shape).toEqual([2, 16]);
    } finally {
      features.dispose();
    }
    expect(ticks).toEqual([]);
  });

  it('groups the image tower evenly, at most IMAGE_STAGE_LAYERS layers a stage', () => {
    expect(IMAGE_STAGE_LAYERS).toBe(3);
    expect(imageStageStarts(12)).toEqual([0, 3, 6, 9]);
    expect(imageStageStarts(4)).toEqual([0, 2]);
    expect(imageStageStarts(3)).toEqual([0]);
    expect(imageStageStarts(24)).toEqual([0, 3, 6, 9, 12, 15, 18, 21]);
    expect(imageStageStarts(0)).toEqual([0]);
  });

  it('refuses to start when already cancelled', async () => {
    const cancel = new AbortController();
    cancel.abort();
    await expect(model.forward(inputs, { outputs: OUTPUTS, signal: cancel.signal })).rejects.toBeInstanceOf(
      AbortedError,
    );
  });
});
