// The embeddings API on HF's contrastive model (hf-itc, with hf-model's 64-token vocabulary) and on an authors'
// ITC model: unit-length Float32Arrays of the contrastive size, the same numbers batched or one by one and as the
// model's itc_text / itc_image / itc_cross outputs, and embedPair refused where the model has no cross-modal head.
import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseMergesTxt, parseVocabJson } from '../../src/checkpoint/tokenizer-files';
import { HeadUnavailableError, ShapeError } from '../../src/errors';
import { pixelValues } from '../../src/preprocess/image';
import { toRgb } from '../../src/preprocess/image-input';
import type { BridgeTower } from '../../src/tasks';
import { loadBridgeTower } from '../../src/tasks/node';
import { testGpu } from '../gpu/node-gpu';
import { maxDiff } from '../support/max-diff';

const TEXTS = ['the cat sat on the mat.', 'a red box.', 'the mat', 'a cat in the box.', 'red', 'the red cat sat.'];
let hf: BridgeTower;
let authors: BridgeTower;
let images: Uint8Array[];

beforeAll(async () => {
  const gpu = await testGpu();
  const tokenizer = {
    vocab: parseVocabJson(await readFile('test/fixtures/hf-model/vocab.json', 'utf8'), 'vocab.json'),
    merges: parseMergesTxt(await readFile('test/fixtures/hf-model/merges.txt', 'utf8'), 'merges.txt'),
  };
  hf = await loadBridgeTower('test/fixtures/hf-itc', { gpu, open: { tokenizer } });
  authors = await loadBridgeTower('test/fixtures/authors-itm-itc/model.ckpt', {
    gpu,
    open: { tokenizer },
    imagePreprocess: 'blip',
  });
  images = await Promise.all(
    ['test/fixtures/hf-model/image.png', 'test/fixtures/images/baseline420.jpg', 'test/fixtures/images/grey.jpg'].map(
      async (p) => new Uint8Array(await readFile(p)),
    ),
  );
});
afterAll(() => {
  hf?.dispose();
  authors?.dispose();
});

const norm = (v: Float32Array) => Math.sqrt(v.reduce((s, x) => s + x * x, 0));

describe('embeddings', () => {
  it('says which definition each model uses', () => {
    expect(hf.definition).toBe('hf');
    expect(authors.definition).toBe('authors');
    expect(hf.model.logitScale).toBeCloseTo(8.596558570861816, 5);
    expect(authors.model.logitScale).toBeUndefined();
  });

  it('embeds texts and images as unit vectors of the contrastive size, batched or not', async () => {
    for (const m of [hf, authors]) {
      const dim = m.config.heads.itc!.dim;
      const texts = await m.embedText(TEXTS);
      const imgs = await m.embedImage(images);
      expect(texts).toHaveLength(TEXTS.length);
      expect(imgs).toHaveLength(images.length);
      for (const v of [...texts, ...imgs]) {
        expect(v).toBeInstanceOf(Float32Array);
        expect(v.length).toBe(dim);
        expect(norm(v)).toBeCloseTo(1, 5);
      }
      const one = await m.embedText([TEXTS[3]]);
      expect(maxDiff(one[0], texts[3])).toBeLessThan(1e-5);
      const oneImage = await m.embedImage([images[2]]);
      expect(maxDiff(oneImage[0], imgs[2])).toBeLessThan(1e-5);
      expect(await m.embedText([])).toEqual([]);
    }
  });

  it("gives HF's cross-modal embedding of a pair, the third row of itc_logits", async () => {
    const pair = await hf.embedPair(images[0], TEXTS[0]);
    expect(pair.length).toBe(hf.config.heads.itc!.dim);
    expect(norm(pair)).toBeCloseTo(1, 5);
    const pairs = await hf.embedPairs([images[0], images[1]], [TEXTS[0], TEXTS[1]]);
    expect(maxDiff(pairs[0], pair)).toBeLessThan(1e-5);
    const [text] = await hf.embedText([TEXTS[1]]);
    const [image] = await hf.embedImage([images[1]]);
    const ids = hf.tokenizer.encode(TEXTS[1], 40);
    const inputIds = { shape: [1, ids.length], data: Int32Array.from(ids) };
    const attentionMask = { shape: [1, ids.length], data: new Int32Array(ids.length).fill(1) };
    const px = pixelValues([await toRgb(images[1])], { size: hf.config.vision.imageSize, mode: 'hf' });
    const logits = (
      await hf.model.forward({ inputIds, attentionMask, pixelValues: px }, { outputs: ['itc_logits'] })
    ).get('itc_logits')!;
    const D = hf.config.heads.itc!.dim;
    expect(logits.shape).toEqual([1, 3, D]);
    expect(maxDiff(logits.data.subarray(0, D), text)).toBeLessThan(1e-5);
    expect(maxDiff(logits.data.subarray(D, 2 * D), image)).toBeLessThan(1e-5);
    expect(maxDiff(logits.data.subarray(2 * D), pairs[1])).toBeLessThan(1e-5);
  });

  it("refuses embedPair without HF's cross-modal head, and mismatched pair lists", async () => {
    await expect(authors.embedPair(images[0], TEXTS[0])).rejects.toThrow(HeadUnavailableError);
    await expect(authors.embedPair(images[0], TEXTS[0])).rejects.toThrow(/itc_cross_modal_head/);
    await expect(hf.embedPairs([images[0]], TEXTS.slice(0, 2))).rejects.toThrow(ShapeError);
  });
});
