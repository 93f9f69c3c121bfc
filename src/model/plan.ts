// The planning step of a forward pass, before anything touches the GPU: which outputs a model can produce and
// which it returns by default, which towers and cross-modal stacks the outputs asked for need, and the checks of
// every input (names, shapes, token ids, image features), so that a pass never stops half-recorded.
import { ConfigError, HeadUnavailableError, ShapeError } from '../errors';
import type { Gpu } from '../gpu/runtime';
import { definitions, type BridgeTowerConfig } from '../common/config';
import type { ForwardInputs, ForwardOptions, HostArray, ImageFeatures } from './io';

/** Token ids checked against the vocabulary, with the additive attention mask. */
export interface PlannedText {
  batch: number;
  length: number;
  /** [B, L]. */
  ids: Int32Array;
  /** [B, L] additive: 0 for real tokens, -10000 for padding. */
  mask: Float32Array;
  /** Whether the top text layers feed the cross-modal stack (kept from split-1 on). */
  feedsCross: boolean;
}

/** Which image an input is: its token type, the prefix of its outputs and the input that carries it. */
export const IMAGE_ROLES = {
  image: { tokenType: 1, prefix: '', input: 'pixelValues', label: 'pixel values' },
  /** NLVR2's second image. */
  image2: { tokenType: 2, prefix: 'img2.', input: 'pixelValues2', label: 'pixel values 2' },
} as const;
export type ImageRole = keyof typeof IMAGE_ROLES;

/** What the image tower keeps for one image. */
export interface ImageProducts {
  /** The cross-modal stack's inputs (cross_modal_image_transform of the top layers). */
  cross: boolean;
  /** itc_image. */
  itc: boolean;
  /** The inputs of the authors' ITM fusion stack. */
  fusion: boolean;
}

/** One image's side: pixels of the right shape to run the image tower on, or image features of a usable batch. */
export type PlannedImage =
  | {
      from: 'pixels';
      role: ImageRole;
      pixels: Float32Array;
      shape: number[];
      keep: ImageProducts;
      /** Vision layers run: up to the last one whose output is kept or asked for. */
      layers: number;
    }
  | { from: 'features'; role: ImageRole; features: ImageFeatures };

/**
 * The cross-modal stack that ITM reads: `main` (the one every head reads) or `fusion` (the authors' ITM path of
 * itm_itc models, infer_fusion, where its inputs differ: its intermediates are the `itm.*` outputs).
 */
export type ItmStack = 'main' | 'fusion';

/** A forward pass: nothing, the towers alone, or the towers and the cross-modal stacks. */
export type ForwardPlan =
  | { kind: 'nothing'; wanted: ReadonlySet<string> }
  | {
      kind: 'towers';
      /** The outputs asked for, in the order asked. */
      wanted: ReadonlySet<string>;
      /** B: the text batch, or the image batch when no text runs. */
      batch: number;
      text?: PlannedText;
      image?: PlannedImage;
    }
  | {
      kind: 'cross';
      wanted: ReadonlySet<string>;
      batch: number;
      text: PlannedText;
      image: PlannedImage;
      /** Set when NLVR2's second image is needed; its cross-modal stack writes the `img2.*` outputs. */
      image2?: PlannedImage;
      itm: ItmStack;
      /** Text position whose cross-attention `cross_attn_probs.*` reports. */
      query: number;
    };

/** The device limit a plan checks the largest output against. */
export type BindingCheck = Pick<Gpu, 'checkBindingSize'>;

const TEXT_ONLY = /^(text_embeddings|text_layer\.\d+|itc_text)$/;
/** The cross stack of the authors' ITM path (itm_itc models), where it differs from the other heads'. */
const FUSION = /^itm\./;
const IMAGE_ONLY = /^(image_pre|image_layer\.\d+|itc_image)$/;
/** Image-tower intermediates, which reusable image features do not keep. */
const PIXEL_ONLY = /^(img2\.)?(image_pre|image_layer\.\d+)$/;
/** Outputs of the second NLVR2 image, which repeat the image-dependent steps 3-8. */
const IMG2 = /^img2\./;

/** Additive text mask: (1 - m) * -10000, as the original (BertModel.get_extended_attention_mask). */
const MASK_VALUE = -10000;

const HEAD_OUTPUTS: Record<string, string> = {
  vqa_logits: 'vqa',
  itm_logits: 'itm',
  itc_text: 'itc',
  itc_image: 'itc',
  itc_cross: 'itc',
  itc_logits: 'itc',
  mlm_logits: 'mlm',
  snli_logits: 'snli',
  rank_score: 'irtr',
  nlvr2_logits: 'nlvr2',
};

/** The configurations the graph can run: refused by name before any weight is uploaded. */
export function checkConfig(c: BridgeTowerConfig, source: string): void {
  if (c.numLayers < 1 || c.numLayers > c.text.layers || c.vision.layers < c.text.layers) {
    throw new ConfigError(
      `${source}: ${c.numLayers} cross-modal layers are fed by the top text and vision layers; ` +
        `that needs 1 <= ${c.numLayers} <= text layers (${c.text.layers}) <= vision layers (${c.vision.layers})`,
    );
  }
  if (c.tokenTypes < 2) {
    throw new ConfigError(`${source}: token_type_embeddings needs at least 2 rows, the config has ${c.tokenTypes}`);
  }
}

/** Every output name a model of this config can produce. */
export function knownOutputs(c: BridgeTowerConfig): Set<string> {
  const image: string[] = ['image_pre', 'text_feats', 'image_feats', 'cls_feats'];
  for (let i = 0; i < c.vision.layers; i++) image.push(`image_layer.${i}`);
  for (let j = 0; j < c.numLayers; j++) {
    image.push(
      `cross_text_in.${j}`,
      `cross_image_in.${j}`,
      `cross_text.${j}`,
      `cross_image.${j}`,
      `cross_attn_probs.${j}`,
    );
  }
  const names = new Set<string>(['text_embeddings', ...image]);
  for (let i = 0; i < c.text.layers; i++) names.add(`text_layer.${i}`);
  if (c.tokenTypes > 2) for (const n of image) names.add(`img2.${n}`);
  const h = c.heads;
  if (h.vqa) names.add('vqa_logits');
  if (h.snli) names.add('snli_logits');
  if (h.itm) names.add('itm_logits');
  if (h.irtr) names.add('rank_score');
  if (h.mlm) names.add('mlm_logits');
  if (h.itc) {
    names.add('itc_text');
    names.add('itc_image');
  }
  if (h.itc?.cross) {
    names.add('itc_cross');
    names.add('itc_logits');
  }
  if (fusionDiffers(c)) {
    for (let j = 0; j < c.numLayers; j++) {
      for (const n of ['cross_text_in', 'cross_image_in', 'cross_text', 'cross_image']) names.add(`itm.${n}.${j}`);
    }
    for (const n of ['text_feats', 'image_feats', 'cls_feats']) names.add(`itm.${n}`);
  }
  if (h.nlvr2) names.add('nlvr2_logits');
  return names;
}

/** The outputs a forward pass returns when none are named. */
export function defaultOutputs(c: BridgeTowerConfig): string[] {
  const h = c.heads;
  return [
    'text_feats',
    'image_feats',
    'cls_feats',
    ...(h.vqa ? ['vqa_logits'] : []),
    ...(h.itm ? ['itm_logits'] : []),
    ...(h.itc ? ['itc_text', 'itc_image'] : []),
    ...(h.itc?.cross ? ['itc_cross', 'itc_logits'] : []),
    ...(h.mlm ? ['mlm_logits'] : []),
    ...(h.snli ? ['snli_logits'] : []),
    ...(h.irtr ? ['rank_score'] : []),
    ...(h.nlvr2 ? ['nlvr2_logits', 'img2.text_feats', 'img2.image_feats', 'img2.cls_feats'] : []),
  ];
}

/**
 * True when the authors' ITM path (infer_fusion, itm_itc models) computes other bridge inputs than the path of
 * the other heads: separate vision LayerNorms, or more vision layers than text layers.
 */
export function fusionDiffers(c: BridgeTowerConfig): boolean {
  return (
    !!c.heads.itm &&
    definitions(c).itmPath === 'fusion' &&
    (!c.vision.layernormShared || c.vision.layers !== c.text.layers)
  );
}

/** Plan a forward pass: the outputs asked for, what must run to produce them, and every input checked. */
export function planForward(
  c: BridgeTowerConfig,
  inputs: ForwardInputs,
  opts: ForwardOptions,
  limits: BindingCheck,
): ForwardPlan {
  const known = knownOutputs(c);
  const wanted = new Set(opts.outputs ?? defaultOutputs(c));
  for (const name of wanted) checkOutputName(name, known);
  if (!wanted.size) return { kind: 'nothing', wanted };
  const names = [...wanted];
  const cross = names.some((n) => !TEXT_ONLY.test(n) && !IMAGE_ONLY.test(n));
  const needText = names.some((n) => !IMAGE_ONLY.test(n));
  // The cross-modal stack of a second image follows the first image's (nlvr2_logits pairs their cls_feats).
  const needImage = cross || names.some((n) => !TEXT_ONLY.test(n));
  const needImage2 = names.some((n) => IMG2.test(n) || n === 'nlvr2_logits');
  const fusion = fusionDiffers(c) && names.some((n) => FUSION.test(n) || n === 'itm_logits');
  const keep: ImageProducts = { cross, itc: wanted.has('itc_image') || wanted.has('itc_logits'), fusion };

  const text = needText ? checkText(c, inputs, cross) : undefined;
  const batch = text?.batch ?? imageBatch(inputs.pixelValues, inputs.image, 'pixelValues');
  const image = needImage ? checkImage(c, inputs, 'image', batch, keep, wanted) : undefined;
  const image2 = needImage2
    ? checkImage(c, inputs, 'image2', batch, { cross: true, itc: false, fusion: false }, wanted)
    : undefined;
  const query = opts.attentionQuery ?? 0;
  if (text && (!Number.isInteger(query) || query < 0 || query >= text.length)) {
    throw new ShapeError(`attentionQuery ${query} is outside the text (length ${text.length})`);
  }
  if (text && wanted.has('mlm_logits')) {
    limits.checkBindingSize(
      `mlm_logits [${batch}, ${text.length}, ${c.text.vocabSize}] (run fewer or shorter texts)`,
      batch * text.length * c.text.vocabSize * 4,
    );
  }
  for (const [features, prefix] of [
    [inputs.image, ''],
    [inputs.image2, 'img2.'],
  ] as const) {
    const pixelOnly = names.filter((n) => PIXEL_ONLY.test(n) && IMG2.test(n) === (prefix !== ''));
    if (features && pixelOnly.length) {
      throw new ShapeError(
        `${pixelOnly.join(', ')} need pixel values: image features from imageFeatures() do not keep ` +
          "the image tower's layers",
      );
    }
  }
  if (keep.itc && inputs.image && !inputs.image.itc) {
    throw new HeadUnavailableError(
      'itc',
      'itc_image was asked for, but the given image features were computed without the ITC head',
    );
  }
  // Features without the fusion stack's inputs are refused here, before anything is recorded.
  if (fusion) inputs.image?.fusionFeatures();
  // A cross-modal output is neither text-only nor image-only, so it needs both towers.
  if (cross && text && image) {
    return { kind: 'cross', wanted, batch, text, image, image2, itm: fusion ? 'fusion' : 'main', query };
  }
  return { kind: 'towers', wanted, batch, text, image };
}

/** Plan `imageFeatures`: the pixels checked, and whether the features include itc_image and the fusion inputs. */
export function planImageFeatures(
  c: BridgeTowerConfig,
  pixelValues: HostArray<Float32Array>,
  tokenType: 1 | 2,
): PlannedImage & { from: 'pixels' } {
  if (tokenType >= c.tokenTypes) {
    throw new ConfigError(
      `token type ${tokenType} needs ${tokenType + 1} token_type_embeddings rows; the model has ${c.tokenTypes}`,
    );
  }
  const role: ImageRole = tokenType === 1 ? 'image' : 'image2';
  const B = imageBatch(pixelValues, undefined, 'pixelValues');
  const first = tokenType === 1;
  const keep = { cross: true, itc: !!c.heads.itc && first, fusion: first && fusionDiffers(c) };
  return checkPixels(c, pixelValues, 'pixelValues', B, role, keep, new Set());
}

function checkOutputName(name: string, known: ReadonlySet<string>): void {
  if (known.has(name)) return;
  const head = HEAD_OUTPUTS[name];
  if (head) throw new HeadUnavailableError(head, `${name} needs the ${head} head, which these weights do not have`);
  throw new ConfigError(`unknown output ${JSON.stringify(name)}; this model has: ${[...known].join(', ')}`);
}

function checkText(c: BridgeTowerConfig, inputs: ForwardInputs, feedsCross: boolean): PlannedText {
  const ids = inputs.inputIds;
  if (!ids) throw new ShapeError('inputIds [B, L] are needed for the text outputs asked for');
  if (
    ids.shape.length !== 2 ||
    ids.shape[0] < 1 ||
    ids.shape[1] < 1 ||
    ids.data.length !== ids.shape[0] * ids.shape[1]
  ) {
    throw new ShapeError(
      'inputIds: expected [B, L] with B, L >= 1 and B*L values, ' +
        `got shape [${ids.shape.join(', ')}] with ${ids.data.length} values`,
    );
  }
  const [B, L] = ids.shape;
  const t = c.text;
  if (L > t.maxPositionEmbeddings - 2) {
    throw new ShapeError(
      `inputIds: ${L} tokens exceed this model's ${t.maxPositionEmbeddings - 2} ` +
        `(max_position_embeddings ${t.maxPositionEmbeddings} - 2)`,
    );
  }
  const out = new Int32Array(B * L);
  for (let i = 0; i < out.length; i++) {
    const v = Number(ids.data[i]);
    if (!Number.isInteger(v) || v < 0 || v >= t.vocabSize) {
      throw new ShapeError(
        `inputIds[${Math.floor(i / L)}, ${i % L}] = ${v} is outside the vocabulary [0, ${t.vocabSize})`,
      );
    }
    out[i] = v;
  }
  const mask = new Float32Array(B * L);
  const m = inputs.attentionMask;
  if (m) {
    if (m.shape.length !== 2 || m.shape[0] !== B || m.shape[1] !== L || m.data.length !== B * L) {
      throw new ShapeError(`attentionMask: expected shape [${B}, ${L}] like inputIds, got [${m.shape.join(', ')}]`);
    }
    for (let i = 0; i < mask.length; i++) mask[i] = (1 - Number(m.data[i])) * MASK_VALUE;
  }
  return { batch: B, length: L, ids: out, mask, feedsCross };
}

function imageBatch(
  pixels: HostArray<Float32Array> | undefined,
  features: ImageFeatures | undefined,
  what: string,
): number {
  if (features) return features.batch;
  if (!pixels) throw new ShapeError(`${what} [B, 3, S, S] are needed for the outputs asked for`);
  return pixels.shape[0];
}

function checkImage(
  c: BridgeTowerConfig,
  inputs: ForwardInputs,
  role: ImageRole,
  B: number,
  keep: ImageProducts,
  wanted: ReadonlySet<string>,
): PlannedImage {
  const { tokenType, input: what } = IMAGE_ROLES[role];
  const features = role === 'image' ? inputs.image : inputs.image2;
  if (!features) {
    const pixels = role === 'image' ? inputs.pixelValues : inputs.pixelValues2;
    return checkPixels(c, pixels, what, B, role, keep, wanted);
  }
  if (features.batch !== B && features.batch !== 1) {
    throw new ShapeError(`${what}: image features of batch ${features.batch} cannot pair with a text batch of ${B}`);
  }
  if (features.tokenType !== tokenType) {
    throw new ShapeError(
      `${what}: image features were computed with token type ${features.tokenType}, this input needs ${tokenType}`,
    );
  }
  if (features.crossInputs.length !== c.numLayers) {
    throw new ShapeError(`${what}: image features were computed without the cross-modal inputs`);
  }
  return { from: 'features', role, features };
}

function checkPixels(
  c: BridgeTowerConfig,
  pixels: HostArray<Float32Array> | undefined,
  what: string,
  B: number,
  role: ImageRole,
  keep: ImageProducts,
  wanted: ReadonlySet<string>,
): PlannedImage & { from: 'pixels' } {
  if (!pixels) throw new ShapeError(`${what} [B, 3, S, S] are needed for the outputs asked for`);
  const S = c.vision.imageSize;
  const s = pixels.shape;
  if (s.length !== 4 || s[0] !== B || s[1] !== 3 || s[2] !== S || s[3] !== S || pixels.data.length !== B * 3 * S * S) {
    throw new ShapeError(
      `${what}: expected [${B}, 3, ${S}, ${S}] (batch of the text, this model's image size ${S}), ` +
        `got [${s.join(', ')}] with ${pixels.data.length} values`,
    );
  }
  return {
    from: 'pixels',
    role,
    pixels: pixels.data,
    shape: [...s],
    keep,
    layers: visionLayers(c, role, keep, wanted),
  };
}

/**
 * How many vision layers an image's pass runs: through the top text-indexed layer for the cross-modal inputs (HF's
 * itc_image reads that one too), the last for the authors' itc_image and the fusion inputs, and any asked for.
 */
function visionLayers(c: BridgeTowerConfig, role: ImageRole, keep: ImageProducts, wanted: ReadonlySet<string>): number {
  const hf = definitions(c).definition === 'hf';
  let last = keep.cross ? c.text.layers - 1 : -1;
  if (keep.itc) last = Math.max(last, hf ? c.text.layers - 1 : c.vision.layers - 1);
  if (keep.fusion) last = c.vision.layers - 1;
  const { prefix } = IMAGE_ROLES[role];
  for (let i = 0; i < c.vision.layers; i++) if (wanted.has(`${prefix}image_layer.${i}`)) last = Math.max(last, i);
  return last + 1;
}
