// The planning step of a forward pass, without a GPU: which outputs a config has, what the outputs asked for
// make run (text tower, image tower, cross-modal stack, the authors' ITM path, NLVR2's second image), and the
// input checks that refuse a pass before anything is recorded.
import { beforeAll, describe, expect, it } from 'vitest';
import { openPathWeights } from '../../src/checkpoint/source-node';
import { ConfigError, HeadUnavailableError, LimitError, ShapeError } from '../../src/errors';
import type { GpuTensor } from '../../src/gpu/tensor';
import type { BridgeTowerConfig } from '../../src/common/config';
import { ImageFeatures, type ForwardInputs, type ForwardOptions } from '../../src/model/io';
import {
  checkConfig,
  defaultOutputs,
  knownOutputs,
  planForward,
  planImageFeatures,
  type BindingCheck,
  type ForwardPlan,
  type PlannedText,
} from '../../src/model/plan';

const configs: Record<string, BridgeTowerConfig> = {};
const FIXTURES = {
  tiny: 'tiny/model.ckpt',
  nlvr2: 'tiny-nlvr2/model.ckpt',
  itmItc: 'authors-itm-itc/model.ckpt',
  hfItc: 'hf-itc/model.safetensors',
};

beforeAll(async () => {
  for (const [key, path] of Object.entries(FIXTURES)) {
    const w = await openPathWeights(`test/fixtures/${path}`);
    configs[key] = w.config;
    await w.close();
  }
});

/** A device limit that records what it was asked and refuses bindings over `limit` bytes. */
function limits(limit = Infinity): BindingCheck & { asked: string[] } {
  const asked: string[] = [];
  return {
    asked,
    checkBindingSize(what: string, bytes: number) {
      asked.push(what);
      if (bytes > limit) throw new LimitError(`${what} needs ${bytes} bytes`);
    },
  };
}

const ids = (B: number, L: number, fill = 5) => ({ shape: [B, L], data: new Int32Array(B * L).fill(fill) });
const pixels = (c: BridgeTowerConfig, B: number) => {
  const S = c.vision.imageSize;
  return { shape: [B, 3, S, S], data: new Float32Array(B * 3 * S * S) };
};
/** Image features as imageFeatures() returns them; the planner reads only their batch, token type and parts. */
const features = (
  c: BridgeTowerConfig,
  batch: number,
  tokenType: number,
  parts: { itc?: boolean; fusion?: boolean } = {},
) =>
  new ImageFeatures(
    batch,
    tokenType,
    Array.from({ length: c.numLayers }, () => ({}) as GpuTensor),
    parts.itc ? ({} as GpuTensor) : undefined,
    parts.fusion ? [] : undefined,
  );
const plan = (c: BridgeTowerConfig, inputs: ForwardInputs, opts: ForwardOptions = {}, check = limits()) =>
  planForward(c, inputs, opts, check);

/** What a plan runs, to compare: its kind, the text tower's role, what the image tower keeps, the ITM stack. */
function runs(p: ForwardPlan) {
  if (p.kind === 'nothing') return { kind: p.kind };
  const image = p.image && (p.image.from === 'pixels' ? p.image.keep : p.image.from);
  return {
    kind: p.kind,
    text: p.text ? (p.text.feedsCross ? 'feeds cross' : 'alone') : 'none',
    image: image ?? 'none',
    image2: p.kind === 'cross' && !!p.image2,
    itm: p.kind === 'cross' ? p.itm : 'none',
  };
}

/** The text of a plan that runs the text tower. */
function textOf(p: ForwardPlan): PlannedText {
  if (p.kind === 'nothing' || !p.text) throw new Error(`the plan runs no text tower (${p.kind})`);
  return p.text;
}

describe('outputs of a config', () => {
  it('lists the default outputs: features and every head the weights have', () => {
    expect(defaultOutputs(configs.tiny)).toEqual([
      'text_feats',
      'image_feats',
      'cls_feats',
      'vqa_logits',
      'itm_logits',
      'itc_text',
      'itc_image',
      'mlm_logits',
      'snli_logits',
      'rank_score',
    ]);
    expect(defaultOutputs(configs.nlvr2)).toEqual([
      'text_feats',
      'image_feats',
      'cls_feats',
      'nlvr2_logits',
      'img2.text_feats',
      'img2.image_feats',
      'img2.cls_feats',
    ]);
    expect(defaultOutputs(configs.hfItc)).toContain('itc_logits');
  });

  it('knows per-layer intermediates, img2.* only with a third token type, itm.* only where the ITM path differs', () => {
    const tiny = knownOutputs(configs.tiny);
    const c = configs.tiny;
    expect(tiny.has(`image_layer.${c.vision.layers - 1}`)).toBe(true);
    expect(tiny.has(`image_layer.${c.vision.layers}`)).toBe(false);
    expect(tiny.has(`cross_attn_probs.${c.numLayers - 1}`)).toBe(true);
    expect([...tiny].some((n) => n.startsWith('img2.') || n.startsWith('itm.'))).toBe(false);
    expect(knownOutputs(configs.nlvr2).has('img2.cross_text.0')).toBe(true);
    expect(knownOutputs(configs.itmItc).has('itm.cls_feats')).toBe(true);
  });
});

describe('what runs', () => {
  const none = { cross: false, itc: false, fusion: false };

  it('runs the text tower alone for itc_text, and needs no pixels', () => {
    const p = plan(configs.tiny, { inputIds: ids(2, 7) }, { outputs: ['itc_text'] });
    expect(runs(p)).toEqual({ kind: 'towers', text: 'alone', image: 'none', image2: false, itm: 'none' });
    expect(p.kind !== 'nothing' && p.batch).toBe(2);
  });

  it('runs the image tower alone for itc_image, its batch from the pixels', () => {
    const p = plan(configs.tiny, { pixelValues: pixels(configs.tiny, 3) }, { outputs: ['itc_image'] });
    expect(runs(p)).toMatchObject({ kind: 'towers', text: 'none', image: { ...none, itc: true } });
    expect(p.kind !== 'nothing' && p.batch).toBe(3);
    const S = configs.tiny.vision.imageSize;
    expect(p.kind !== 'nothing' && p.image?.from === 'pixels' && p.image.shape).toEqual([3, 3, S, S]);
  });

  it('runs both towers and the cross-modal stack for the default outputs', () => {
    const c = configs.tiny;
    const p = plan(c, { inputIds: ids(1, 4), pixelValues: pixels(c, 1) });
    expect([...p.wanted]).toEqual(defaultOutputs(c));
    expect(runs(p)).toEqual({
      kind: 'cross',
      text: 'feeds cross',
      image: { cross: true, itc: true, fusion: false },
      image2: false,
      itm: 'main',
    });
  });

  it('adds the second image for NLVR2 outputs, and the first image with it', () => {
    const c = configs.nlvr2;
    const both = { inputIds: ids(1, 4), pixelValues: pixels(c, 1), pixelValues2: pixels(c, 1) };
    const p = plan(c, both);
    expect(runs(p)).toMatchObject({ kind: 'cross', image2: true });
    expect(p.kind === 'cross' && p.image2?.from === 'pixels' && [p.image2.role, p.image2.keep]).toEqual([
      'image2',
      { cross: true, itc: false, fusion: false },
    ]);
    expect(runs(plan(c, both, { outputs: ['img2.cls_feats'] }))).toMatchObject({ kind: 'cross', image2: true });
    expect(() => plan(c, { inputIds: ids(1, 4), pixelValues: pixels(c, 1) })).toThrow(
      /pixelValues2 \[B, 3, S, S\] are needed/,
    );
  });

  it("runs the authors' ITM path of an itm_itc model only for its outputs", () => {
    const c = configs.itmItc;
    const inputs = { inputIds: ids(1, 4), pixelValues: pixels(c, 1) };
    const itm = (outputs: string[]) => runs(plan(c, inputs, { outputs })).itm;
    expect(itm(['itm_logits'])).toBe('fusion');
    expect(itm(['itm.cross_text.0'])).toBe('fusion');
    expect(itm(['cls_feats'])).toBe('main');
    expect(runs(plan(c, inputs, { outputs: ['itm_logits'] })).image).toMatchObject({ fusion: true });
  });

  it('computes the image ITC embedding for HF itc_logits', () => {
    const c = configs.hfItc;
    const p = plan(c, { inputIds: ids(1, 4), pixelValues: pixels(c, 1) }, { outputs: ['itc_logits'] });
    expect(runs(p)).toMatchObject({ kind: 'cross', image: { cross: true, itc: true } });
  });

  it('plans nothing, and checks no input, when no output is asked for', () => {
    const p = plan(configs.tiny, {}, { outputs: [] });
    expect(p.wanted.size).toBe(0);
    expect(runs(p)).toEqual({ kind: 'nothing' });
  });
});

describe('input checks', () => {
  const c = () => configs.tiny;

  it('refuses unknown outputs and outputs of heads the weights lack', () => {
    expect(() => plan(c(), {}, { outputs: ['cls_feat'] })).toThrow(ConfigError);
    expect(() => plan(c(), {}, { outputs: ['cls_feat'] })).toThrow(
      /unknown output "cls_feat"; this model has: text_embeddings/,
    );
    expect(() => plan(c(), {}, { outputs: ['nlvr2_logits'] })).toThrow(HeadUnavailableError);
  });

  it('checks token ids: presence, shape, length, vocabulary', () => {
    expect(() => plan(c(), {}, { outputs: ['itc_text'] })).toThrow(/inputIds \[B, L\] are needed/);
    expect(() => plan(c(), { inputIds: { shape: [4], data: new Int32Array(4) } }, { outputs: ['itc_text'] })).toThrow(
      ShapeError,
    );
    const max = c().text.maxPositionEmbeddings - 2;
    expect(() => plan(c(), { inputIds: ids(1, max + 1) }, { outputs: ['itc_text'] })).toThrow(/tokens exceed/);
    expect(textOf(plan(c(), { inputIds: ids(1, max) }, { outputs: ['itc_text'] })).length).toBe(max);
    const bad = ids(2, 3);
    bad.data[4] = c().text.vocabSize;
    expect(() => plan(c(), { inputIds: bad }, { outputs: ['itc_text'] })).toThrow(
      `inputIds[1, 1] = ${c().text.vocabSize} is outside the vocabulary [0, ${c().text.vocabSize})`,
    );
  });

  it('turns 64-bit ids into i32 and the 0/1 attention mask into an additive one', () => {
    const p = plan(
      c(),
      {
        inputIds: { shape: [1, 3], data: BigInt64Array.from([0n, 7n, 2n]) },
        attentionMask: { shape: [1, 3], data: BigInt64Array.from([1n, 1n, 0n]) },
      },
      { outputs: ['itc_text'] },
    );
    expect([...textOf(p).ids]).toEqual([0, 7, 2]);
    // (1 - 1) * -10000 is -0 for real tokens: the same as 0 once added to a score.
    const additive = (mask: Float32Array) => Array.from(mask, (v) => v + 0);
    expect(additive(textOf(p).mask)).toEqual([0, 0, -10000]);
    expect(additive(textOf(plan(c(), { inputIds: ids(1, 2) }, { outputs: ['itc_text'] })).mask)).toEqual([0, 0]);
    expect(() =>
      plan(
        c(),
        { inputIds: ids(1, 3), attentionMask: { shape: [1, 2], data: new Int32Array(2) } },
        { outputs: ['itc_text'] },
      ),
    ).toThrow(/attentionMask: expected shape \[1, 3\]/);
  });

  it('checks pixels against the text batch and the image size', () => {
    const S = c().vision.imageSize;
    expect(() => plan(c(), { inputIds: ids(2, 3), pixelValues: pixels(c(), 1) })).toThrow(
      `pixelValues: expected [2, 3, ${S}, ${S}] (batch of the text, this model's image size ${S}), got [1, 3, ${S}, ${S}]`,
    );
  });

  it('checks attentionQuery against the text length', () => {
    const inputs = { inputIds: ids(1, 3), pixelValues: pixels(c(), 1) };
    const p = plan(c(), inputs, { outputs: ['cross_attn_probs.0'], attentionQuery: 2 });
    expect(p.kind === 'cross' && p.query).toBe(2);
    expect(() => plan(c(), inputs, { attentionQuery: 3 })).toThrow('attentionQuery 3 is outside the text (length 3)');
    expect(() => plan(c(), inputs, { attentionQuery: 0.5 })).toThrow(ShapeError);
  });

  it("checks mlm_logits against the device's binding limit before anything runs", () => {
    const inputs = { inputIds: ids(2, 3), pixelValues: pixels(c(), 2) };
    const V = c().text.vocabSize;
    const asked = limits(2 * 3 * V * 4);
    plan(c(), inputs, { outputs: ['mlm_logits'] }, asked);
    expect(asked.asked).toEqual([`mlm_logits [2, 3, ${V}] (run fewer or shorter texts)`]);
    expect(() => plan(c(), inputs, { outputs: ['mlm_logits'] }, limits(2 * 3 * V * 4 - 1))).toThrow(LimitError);
    const none = limits();
    plan(c(), inputs, { outputs: ['cls_feats'] }, none);
    expect(none.asked).toEqual([]);
  });

  it('pairs image features of batch 1 with any text batch, and checks what they hold', () => {
    const text = ids(3, 4);
    expect(runs(plan(c(), { inputIds: text, image: features(c(), 1, 1) }, { outputs: ['cls_feats'] }))).toMatchObject({
      kind: 'cross',
      image: 'features',
    });
    expect(() => plan(c(), { inputIds: text, image: features(c(), 2, 1) }, { outputs: ['cls_feats'] })).toThrow(
      'pixelValues: image features of batch 2 cannot pair with a text batch of 3',
    );
    expect(() => plan(c(), { inputIds: text, image: features(c(), 1, 2) }, { outputs: ['cls_feats'] })).toThrow(
      /computed with token type 2, this input needs 1/,
    );
    expect(() => plan(c(), { inputIds: text, image: features(c(), 1, 1) }, { outputs: ['image_layer.0'] })).toThrow(
      /image_layer.0 need pixel values/,
    );
    expect(() => plan(c(), { inputIds: text, image: features(c(), 1, 1) }, { outputs: ['itc_image'] })).toThrow(
      HeadUnavailableError,
    );
    const alone = plan(c(), { image: features(c(), 1, 1, { itc: true }) }, { outputs: ['itc_image'] });
    expect(alone.kind !== 'nothing' && alone.batch).toBe(1);
    const m = configs.itmItc;
    expect(() => plan(m, { inputIds: text, image: features(m, 1, 1) }, { outputs: ['itm_logits'] })).toThrow(
      /without the inputs of the authors' ITM path/,
    );
    const fused = plan(m, { inputIds: text, image: features(m, 1, 1, { fusion: true }) }, { outputs: ['itm_logits'] });
    expect(runs(fused).itm).toBe('fusion');
  });

  it('plans imageFeatures: token types the model has, ITC and fusion inputs for the first image only', () => {
    expect(() => planImageFeatures(c(), pixels(c(), 1), 2)).toThrow(ConfigError);
    const keep = (c: BridgeTowerConfig, tokenType: 1 | 2) => planImageFeatures(c, pixels(c, 1), tokenType).keep;
    expect(keep(c(), 1)).toEqual({ cross: true, itc: true, fusion: false });
    expect(keep(configs.nlvr2, 2)).toEqual({ cross: true, itc: false, fusion: false });
    expect(keep(configs.itmItc, 1)).toEqual({ cross: true, itc: true, fusion: true });
    expect(planImageFeatures(configs.nlvr2, pixels(configs.nlvr2, 1), 2).role).toBe('image2');
  });

  it('refuses configs whose cross-modal layers the towers cannot feed', () => {
    expect(() => checkConfig(configs.tiny, 'tiny')).not.toThrow();
    const deep = { ...configs.tiny, numLayers: configs.tiny.text.layers + 1 };
    expect(() => checkConfig(deep, 'x')).toThrow(/cross-modal layers are fed by the top text and vision layers/);
    expect(() => checkConfig({ ...configs.tiny, tokenTypes: 1 }, 'x')).toThrow(ConfigError);
  });
});
