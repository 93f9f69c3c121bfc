// The model API on the tiny fixture: reusable image features, the towers alone, cross-attention maps,
// one submit per forward, and input validation.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadFixtureModel } from '../../src/verify/fixture';
import { readSafetensorsFile } from '../../src/verify/load-model';
import { ConfigError, HeadUnavailableError, ShapeError } from '../../src/errors';
import type { BridgeTowerModel, HostArray } from '../../src/model/bridgetower';
import type { HostTensor } from '../../src/common/tensor';
import { testGpu } from '../gpu/node-gpu';
import { maxDiff } from '../support/max-diff';

const DIR = 'test/fixtures/tiny';
let model: BridgeTowerModel;
let inputs: Map<string, HostTensor>;
let expected: Map<string, HostTensor>;
const ids = () => inputs.get('input_ids')! as HostArray<BigInt64Array>;
const mask = () => inputs.get('attention_mask')! as HostArray<BigInt64Array>;
const pixels = () => inputs.get('pixel_values')! as HostArray<Float32Array>;

beforeAll(async () => {
  model = await loadFixtureModel(await testGpu(), DIR, { from: 'ckpt' });
  inputs = await readSafetensorsFile(`${DIR}/inputs.safetensors`);
  expected = await readSafetensorsFile(`${DIR}/expected.safetensors`);
});
afterAll(() => model?.dispose());

describe('model API', () => {
  it('reuses batch-1 image features across texts with the results of per-text images', async () => {
    const p = pixels();
    const [B, , S] = p.shape;
    const image0 = p.data.subarray(0, 3 * S * S);
    const twice = new Float32Array(B * 3 * S * S);
    for (let b = 0; b < B; b++) twice.set(image0, b * 3 * S * S);
    const outputs = ['cls_feats', 'itm_logits', 'vqa_logits', 'itc_image'];
    const direct = await model.forward(
      { inputIds: ids(), attentionMask: mask(), pixelValues: { shape: p.shape, data: twice } },
      { outputs },
    );
    const features = await model.imageFeatures({ shape: [1, 3, S, S], data: image0 });
    try {
      for (let round = 0; round < 2; round++) {
        const reused = await model.forward({ inputIds: ids(), attentionMask: mask(), image: features }, { outputs });
        for (const name of ['cls_feats', 'itm_logits', 'vqa_logits'])
          expect(maxDiff(reused.get(name)!.data, direct.get(name)!.data), name).toBeLessThan(1e-6);
        expect(maxDiff(reused.get('itc_image')!.data, direct.get('itc_image')!.data.subarray(0, 16))).toBeLessThan(
          1e-6,
        );
      }
      await expect(model.forward({ inputIds: ids(), image: features }, { outputs: ['image_layer.1'] })).rejects.toThrow(
        /need pixel values/,
      );
    } finally {
      features.dispose();
    }
  });

  it('takes precomputed features for both NLVR2 images (token types 1 and 2)', async () => {
    const dir = 'test/fixtures/tiny-nlvr2';
    const nlvr2 = await loadFixtureModel(model.gpu, dir, { from: 'ckpt' });
    try {
      const io = await readSafetensorsFile(`${dir}/inputs.safetensors`);
      const want = await readSafetensorsFile(`${dir}/expected.safetensors`);
      const image = await nlvr2.imageFeatures(io.get('pixel_values')! as HostArray<Float32Array>);
      const image2 = await nlvr2.imageFeatures(io.get('pixel_values_2')! as HostArray<Float32Array>, { tokenType: 2 });
      try {
        const got = await nlvr2.forward(
          {
            inputIds: io.get('input_ids')! as HostArray<BigInt64Array>,
            attentionMask: io.get('attention_mask')! as HostArray<BigInt64Array>,
            image,
            image2,
          },
          { outputs: ['nlvr2_logits', 'img2.cls_feats'] },
        );
        for (const name of ['nlvr2_logits', 'img2.cls_feats'])
          expect(maxDiff(got.get(name)!.data, want.get(name)!.data as Float32Array), name).toBeLessThan(1e-5);
        await expect(
          nlvr2.forward(
            { inputIds: io.get('input_ids')! as HostArray<BigInt64Array>, image: image2, image2 },
            { outputs: ['cls_feats'] },
          ),
        ).rejects.toThrow(/token type 2, this input needs 1/);
      } finally {
        image.dispose();
        image2.dispose();
      }
    } finally {
      nlvr2.dispose();
    }
  });

  it('runs the text and image towers alone for ITC', async () => {
    const text = await model.encodeText(ids(), mask());
    const image = await model.encodeImage(pixels());
    expect(maxDiff(text.data, expected.get('itc_text')!.data as Float32Array)).toBeLessThan(1e-5);
    expect(maxDiff(image.data, expected.get('itc_image')!.data as Float32Array)).toBeLessThan(1e-5);
  });

  it('reports cross-attention of a text token over the image tokens', async () => {
    const out = await model.forward(
      { inputIds: ids(), attentionMask: mask(), pixelValues: pixels() },
      { outputs: ['cross_attn_probs.0', 'cross_attn_probs.1'], attentionQuery: 0 },
    );
    for (const j of [0, 1]) {
      const p = out.get(`cross_attn_probs.${j}`)!;
      expect(p.shape).toEqual([2, model.config.numHeads, model.imageTokens]);
      for (let row = 0; row < p.data.length / model.imageTokens; row++) {
        const r = p.data.subarray(row * model.imageTokens, (row + 1) * model.imageTokens);
        expect(Math.min(...r)).toBeGreaterThanOrEqual(0);
        expect(Math.abs(r.reduce((a, b) => a + b, 0) - 1)).toBeLessThan(1e-5);
      }
    }
  });

  it('submits once per forward pass', async () => {
    const queue = model.gpu.device.queue;
    const submit = queue.submit.bind(queue);
    let submits = 0;
    queue.submit = (buffers) => {
      submits++;
      submit(buffers);
    };
    try {
      await model.forward({ inputIds: ids(), attentionMask: mask(), pixelValues: pixels() });
    } finally {
      queue.submit = submit;
    }
    expect(submits).toBe(1);
  });

  it('rejects bad inputs and outputs with clear errors', async () => {
    const p = pixels();
    const run = (inputs: Parameters<BridgeTowerModel['forward']>[0], outputs?: string[]) =>
      model.forward(inputs, { outputs });
    const badIds = { shape: [1, 3], data: Int32Array.of(0, model.config.text.vocabSize, 2) };
    await expect(
      run({
        inputIds: badIds,
        pixelValues: { shape: [1, ...p.shape.slice(1)], data: p.data.subarray(0, p.data.length / 2) },
      }),
    ).rejects.toThrow(
      new ShapeError(
        `inputIds[0, 1] = ${model.config.text.vocabSize} is outside the vocabulary [0, ${model.config.text.vocabSize})`,
      ),
    );
    const long = model.config.text.maxPositionEmbeddings - 1;
    await expect(run({ inputIds: { shape: [1, long], data: new Int32Array(long) } }, ['itc_text'])).rejects.toThrow(
      ShapeError,
    );
    await expect(
      run({ inputIds: ids(), pixelValues: { shape: [2, 3, 16, 16], data: new Float32Array(2 * 3 * 256) } }),
    ).rejects.toThrow(/image size 32/);
    await expect(run({ inputIds: ids() })).rejects.toThrow(/pixelValues/);
    await expect(
      run({ inputIds: ids(), attentionMask: { shape: [1, 7], data: new Int32Array(7) } }, ['itc_text']),
    ).rejects.toThrow(/attentionMask/);
    await expect(run({ inputIds: ids() }, ['text_layer.9'])).rejects.toThrow(ConfigError);
    await expect(run({ inputIds: ids(), pixelValues: p }, ['nlvr2_logits'])).rejects.toThrow(HeadUnavailableError);
    // The model is still usable after rejected calls.
    const ok = await run({ inputIds: ids(), attentionMask: mask(), pixelValues: p }, ['itm_logits']);
    expect(maxDiff(ok.get('itm_logits')!.data, expected.get('itm_logits')!.data as Float32Array)).toBeLessThan(1e-5);
  });
});
