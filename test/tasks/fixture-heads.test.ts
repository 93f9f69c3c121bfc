// The tasks that need heads the demo model lacks (fill-mask, SNLI-VE, NLVR2, IRTR/ITC retrieval), on the golden
// fixtures' random models. Their checkpoints carry no tokenizer, so a hand-made byte-level vocabulary that fits
// their 64 ids is given at load: each task's answer is checked against the model's own logits for the same
// tokens and pixels, which the fixture tests check against PyTorch.
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixtureTokenizer } from '../support/fixture-tokenizer';
import { HeadUnavailableError } from '../../src/errors';
import { pixelValues } from '../../src/preprocess/image';
import { decodeImage } from '../../src/preprocess/decode';
import { BridgeTower } from '../../src/tasks';
import { softmaxScores } from '../../src/tasks/scores';
import { loadBridgeTower } from '../../src/tasks/node';

const image = readFileSync('test/fixtures/tiny/image.png');
const open = { tokenizer: fixtureTokenizer() };

async function pixelsOf(bt: BridgeTower, bytes: Uint8Array) {
  return pixelValues([await decodeImage(bytes)], { size: bt.config.vision.imageSize, mode: bt.imagePreprocess });
}

function ids(bt: BridgeTower, text: string) {
  const row = Int32Array.from(bt.tokenizer.encode(text));
  return { shape: [1, row.length], data: row };
}

describe('tasks on the tiny fixture (mlm, itm, itc, vqa, snli, irtr)', () => {
  let bt: BridgeTower;
  beforeAll(async () => {
    bt = await loadBridgeTower('test/fixtures/tiny/model.ckpt', { open });
  });
  afterAll(() => bt?.dispose());

  it('fill-mask ranks the MLM distribution at the <mask> position', async () => {
    const text = 'a cat <mask> here';
    const got = await bt.fillMask(image, text, { topK: 3 });
    const tokens = bt.tokenizer.encode(text);
    const at = tokens.indexOf(63);
    expect(at).toBeGreaterThan(0);
    const out = await bt.model.forward(
      { inputIds: ids(bt, text), pixelValues: await pixelsOf(bt, image) },
      { outputs: ['mlm_logits'] },
    );
    const p = softmaxScores(out.get('mlm_logits')!.data.subarray(at * 64, (at + 1) * 64));
    const best = [...p.keys()].sort((a, b) => p[b] - p[a]).slice(0, 3);
    expect(got.map((t) => t.tokenId)).toEqual(best);
    got.forEach((t, i) => expect(t.score).toBeCloseTo(p[best[i]], 6));
    expect(got[0].score).toBeGreaterThanOrEqual(got[1].score);
  });

  it('entailment reports softmax(snli_logits) in the original label order', async () => {
    const r = await bt.entailment(image, 'two dogs play');
    const out = await bt.model.forward(
      { inputIds: ids(bt, 'two dogs play'), pixelValues: await pixelsOf(bt, image) },
      { outputs: ['snli_logits'] },
    );
    const p = softmaxScores(out.get('snli_logits')!.data);
    expect(r.scores.contradiction).toBeCloseTo(p[0], 6);
    expect(r.scores.neutral).toBeCloseTo(p[1], 6);
    expect(r.scores.entailment).toBeCloseTo(p[2], 6);
    expect(r.label).toBe(['contradiction', 'neutral', 'entailment'][p.indexOf(Math.max(...p))]);
  });

  it('match and text retrieval agree with each other, image features computed once', async () => {
    const texts = ['a red ball', 'two dogs', 'the sky is blue', 'zebra'];
    const matched = await bt.match(image, texts);
    const hits = await bt.retrieveTexts(image, texts, { rerank: 2 });
    expect(hits.map((h) => h.index).sort()).toEqual([0, 1, 2, 3]);
    for (const h of hits) expect(h.itc).toBeCloseTo(matched[h.index].itc, 5);
    // The two best by ITC are re-ranked by ITM, the rest follow by ITC.
    const byItc = [...matched.keys()].sort((a, b) => matched[b].itc - matched[a].itc);
    const top2 = byItc.slice(0, 2).sort((a, b) => matched[b].itm - matched[a].itm);
    expect(hits.map((h) => h.index)).toEqual([...top2, ...byItc.slice(2)]);
    for (const h of hits.slice(0, 2)) expect(h.itm).toBeCloseTo(matched[h.index].itm, 5);
  });

  it('image retrieval ranks by ITC then ITM', async () => {
    const other = readFileSync('test/fixtures/small/image.png');
    const hits = await bt.retrieveImages('a red ball', [image, other, image], { rerank: 3 });
    expect(hits).toHaveLength(3);
    expect(hits[0].itm).toBeGreaterThanOrEqual(hits[1].itm!);
    const same = hits.filter((h) => h.index !== 1);
    expect(same[0].itc).toBeCloseTo(same[1].itc, 5);
  });

  it('cross-attention sums to one over the class token and the patch grid', async () => {
    const map = await bt.crossAttention(image, 'a cat', { layer: 1 });
    expect([map.gridHeight, map.gridWidth]).toEqual([4, 4]);
    const total = map.weights.reduce((a, b) => a + b, map.classWeight);
    expect(total).toBeCloseTo(1, 5);
    await expect(bt.crossAttention(image, 'a cat', { layer: 2 })).rejects.toThrow(/layers 0\.\.1/);
  });

  it('warmUp builds every pipeline the tasks use', async () => {
    const fresh = await loadBridgeTower('test/fixtures/tiny/model.ckpt', { open });
    try {
      await fresh.warmUp();
      const built = fresh.gpu.pipelineCount;
      expect(built).toBeGreaterThan(5);
      await fresh.vqa(image, 'what is it');
      await fresh.match(image, ['a red ball', 'two dogs']);
      await fresh.fillMask(image, 'a <mask>');
      await fresh.entailment(image, 'a cat');
      await fresh.crossAttention(image, 'a cat', { layer: 1 });
      await fresh.retrieveTexts(image, ['a', 'b c']);
      expect(fresh.gpu.pipelineCount).toBe(built);
    } finally {
      fresh.dispose();
    }
  });

  it('refuses tasks whose head the checkpoint lacks, naming the head', async () => {
    await expect(bt.nlvr2(image, image, 'a cat')).rejects.toBeInstanceOf(HeadUnavailableError);
    await expect(bt.nlvr2(image, image, 'a cat')).rejects.toThrow(/nlvr2 head.*its heads: .*mlm/);
  });
});

describe('NLVR2 on the tiny-nlvr2 fixture', () => {
  let bt: BridgeTower;
  beforeAll(async () => {
    bt = await loadBridgeTower('test/fixtures/tiny-nlvr2/model-hf.safetensors', {
      open: { ...open, config: JSON.parse(readFileSync('test/fixtures/tiny-nlvr2/manifest.json', 'utf8')).config },
    });
  });
  afterAll(() => bt?.dispose());

  it('answers from softmax(nlvr2_logits) of the two images in order', async () => {
    const right = readFileSync('test/fixtures/small/image.png');
    const r = await bt.nlvr2(image, right, 'the left one is red');
    const out = await bt.model.forward(
      {
        inputIds: ids(bt, 'the left one is red'),
        pixelValues: await pixelsOf(bt, image),
        pixelValues2: await pixelsOf(bt, right),
      },
      { outputs: ['nlvr2_logits'] },
    );
    const p = softmaxScores(out.get('nlvr2_logits')!.data);
    expect(r.answer).toBe(p[1] > p[0]);
    expect(r.score).toBeCloseTo(Math.max(p[0], p[1]), 6);
  });

  it('refuses VQA, which this checkpoint has no head for', async () => {
    await expect(bt.vqa(image, 'what')).rejects.toBeInstanceOf(HeadUnavailableError);
  });
});
