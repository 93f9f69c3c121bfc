// BridgeTower on the GPU: RoBERTa and CLIP ViT towers, the cross-modal encoder joined to them by bridge
// layers, and the heads. `forward` follows fixtures/README.md "Computation, step by step" and returns the
// tensors asked for under the names of expected.safetensors. A forward pass records every kernel into one
// command encoder and ends with one submit and one readback of just the requested tensors.
import { ConfigError, HeadUnavailableError, ShapeError } from '../errors';
import type { Gpu } from '../gpu/runtime';
import type { GpuTensor } from '../gpu/tensor';
import { concat } from '../kernels/concat';
import { takeToken } from '../kernels/take-token';
import type { WeightSet } from '../spec/weight-set';
import { definitions, describeDefinitions, splitIndex, type BridgeTowerConfig, type Definition } from '../spec/config';
import { ClipVisionTower, LN_POST, lnSeparate } from './clip-vit';
import { CrossModalSide } from './cross-modal';
import { Heads } from './heads';
import { Outputs } from './outputs';
import { RobertaTextTower } from './roberta';
import { ModelWeights, type WeightUploadOptions } from './weights';

/** A host array with its row-major shape (a HostTensor from a safetensors file fits). */
export interface HostArray<T> {
  shape: readonly number[];
  data: T;
}

export type IdData = Int32Array | BigInt64Array | Uint32Array;

export interface ForwardInputs {
  /** [B, L] RoBERTa ids. */
  inputIds?: HostArray<IdData>;
  /** [B, L], 1 for real tokens and 0 for padding; all ones when absent. */
  attentionMask?: HostArray<IdData | Float32Array>;
  /** [B, 3, S, S] normalised pixels, S = the config's image size. */
  pixelValues?: HostArray<Float32Array>;
  /** NLVR2's second image [B, 3, S, S] (token type 2). */
  pixelValues2?: HostArray<Float32Array>;
  /** Image-side results from `imageFeatures` instead of pixelValues (batch 1 is shared by every text). */
  image?: ImageFeatures;
  /** Likewise for the second image (computed with tokenType 2). */
  image2?: ImageFeatures;
}

export interface ForwardOptions {
  /**
   * Names as in expected.safetensors (`text_layer.2`, `cross_text.1`, `img2.cls_feats`, heads...), plus
   * `cross_attn_probs.{j}` [B, heads, N]: the text-to-image cross-attention of one text token at cross layer j;
   * `itc_cross` [B, D] and `itc_logits` [B, 3, D] (HF's cross-modal embedding and its stack of text, image and cross
   * embeddings, for BridgeTowerForContrastiveLearning weights); `itm.*` (the cross stack of the authors' ITM path of
   * itm_itc models, where it differs from the other heads': `itm.cross_text.{j}`, `itm.cls_feats`, ...).
   * Default: text_feats, image_feats, cls_feats and every head the weights have.
   */
  outputs?: readonly string[];
  /** Text position whose cross-attention `cross_attn_probs.*` reports (default 0, the <s> token). */
  attentionQuery?: number;
}

export interface OutputTensor {
  shape: number[];
  data: Float32Array;
}

/**
 * Image-side results that do not depend on the text, kept on the GPU: for each cross layer j, the bridge
 * input cross_modal_image_transform(ln_post(image_layer[split-1+j])) + token_type[k], and the ITC feature.
 */
export class ImageFeatures {
  constructor(
    readonly batch: number,
    readonly tokenType: number,
    /** [B, N, H] per cross layer. */
    readonly crossInputs: GpuTensor[],
    /** itc_image [B, dim], when the model has the ITC head. */
    readonly itc: GpuTensor | undefined,
    /**
     * The bridge inputs of the authors' ITM path (infer_fusion) where they differ from `crossInputs`: the last
     * numLayers vision layers, through ln_separate[i] when the LayerNorms are not shared.
     */
    readonly fusionInputs?: GpuTensor[],
  ) {}

  dispose(): void {
    for (const t of this.crossInputs) t.release();
    for (const t of this.fusionInputs ?? []) t.release();
    this.itc?.release();
  }
}

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

export class BridgeTowerModel {
  readonly config: BridgeTowerConfig;
  readonly split: number;
  /** Image tokens N = (S/P)^2 + 1. */
  readonly imageTokens: number;
  private readonly text: RobertaTextTower;
  private readonly vision: ClipVisionTower;
  private readonly crossText: CrossModalSide;
  private readonly crossImage: CrossModalSide;
  private readonly heads: Heads;
  private readonly known: Set<string>;

  private constructor(readonly gpu: Gpu, readonly weights: ModelWeights, config: BridgeTowerConfig) {
    this.config = config;
    this.split = splitIndex(config);
    const grid = config.vision.imageSize / config.vision.patchSize;
    this.imageTokens = grid * grid + 1;
    this.text = new RobertaTextTower(gpu, weights, config);
    this.vision = new ClipVisionTower(gpu, weights, config);
    this.crossText = new CrossModalSide(gpu, weights, 'text', config);
    this.crossImage = new CrossModalSide(gpu, weights, 'image', config);
    this.heads = new Heads(gpu, weights, config);
    this.known = knownOutputs(config);
  }

  /** Whose code defines this model's computation ('authors' or 'hf'): the source of its weights decides. */
  get definition(): Definition { return definitions(this.config).definition; }

  /** The definitions this model follows, in words (printed by `verify` and `run`). */
  describeDefinitions(): string { return describeDefinitions(this.config); }

  /** HF's logit_scale.exp(): the factor HF applies to similarities of the ITC embeddings; undefined without it. */
  get logitScale(): number | undefined {
    return this.config.heads.itc?.cross ? Math.exp(this.weights.scalar('logit_scale')) : undefined;
  }

  /** Upload the weights once; the WeightSet can be closed afterwards. */
  static async load(gpu: Gpu, weightSet: WeightSet, opts: WeightUploadOptions = {}): Promise<BridgeTowerModel> {
    const c = weightSet.config;
    if (c.numLayers < 1 || c.numLayers > c.text.layers || c.vision.layers < c.text.layers) {
      throw new ConfigError(`${weightSet.source}: ${c.numLayers} cross-modal layers are fed by the top text and vision layers; ` +
        `that needs 1 <= ${c.numLayers} <= text layers (${c.text.layers}) <= vision layers (${c.vision.layers})`);
    }
    if (c.tokenTypes < 2) throw new ConfigError(`${weightSet.source}: token_type_embeddings needs at least 2 rows, the config has ${c.tokenTypes}`);
    return new BridgeTowerModel(gpu, await ModelWeights.upload(gpu, weightSet, c, opts), c);
  }

  /** Every output name this model can produce. */
  knownOutputs(): string[] { return [...this.known]; }

  /** The outputs a forward pass returns when none are named. */
  defaultOutputs(): string[] {
    const h = this.config.heads;
    return ['text_feats', 'image_feats', 'cls_feats',
      ...(h.vqa ? ['vqa_logits'] : []), ...(h.itm ? ['itm_logits'] : []), ...(h.itc ? ['itc_text', 'itc_image'] : []),
      ...(h.itc?.cross ? ['itc_cross', 'itc_logits'] : []),
      ...(h.mlm ? ['mlm_logits'] : []), ...(h.snli ? ['snli_logits'] : []), ...(h.irtr ? ['rank_score'] : []),
      ...(h.nlvr2 ? ['nlvr2_logits', 'img2.text_feats', 'img2.image_feats', 'img2.cls_feats'] : [])];
  }

  async forward(inputs: ForwardInputs, opts: ForwardOptions = {}): Promise<Map<string, OutputTensor>> {
    const wanted = new Set(opts.outputs ?? this.defaultOutputs());
    for (const name of wanted) this.checkOutputName(name);
    if (!wanted.size) return new Map();
    const needText = [...wanted].some((n) => !IMAGE_ONLY.test(n));
    const needImage = [...wanted].some((n) => !TEXT_ONLY.test(n) && !IMG2.test(n));
    const needCross = [...wanted].some((n) => !TEXT_ONLY.test(n) && !IMAGE_ONLY.test(n));
    const needImage2 = [...wanted].some((n) => IMG2.test(n) || n === 'nlvr2_logits');
    const needFusion = fusionDiffers(this.config) && [...wanted].some((n) => FUSION.test(n) || n === 'itm_logits');
    const needItcImage = wanted.has('itc_image') || wanted.has('itc_logits');

    const text = needText ? this.checkText(inputs) : undefined;
    const B = text?.batch ?? this.imageBatch(inputs.pixelValues, inputs.image, 'pixelValues');
    const image = needImage ? this.checkImage(inputs.pixelValues, inputs.image, 'pixelValues', B, 1) : undefined;
    const image2 = needImage2 ? this.checkImage(inputs.pixelValues2, inputs.image2, 'pixelValues2', B, 2) : undefined;
    const query = opts.attentionQuery ?? 0;
    if (text && (!Number.isInteger(query) || query < 0 || query >= text.length)) {
      throw new ShapeError(`attentionQuery ${query} is outside the text (length ${text.length})`);
    }
    if (text && wanted.has('mlm_logits')) {
      // Checked before recording anything: a forward pass never stops half-recorded.
      this.gpu.checkBindingSize(`mlm_logits [${B}, ${text.length}, ${this.config.text.vocabSize}] (run fewer or shorter texts)`, B * text.length * this.config.text.vocabSize * 4);
    }
    for (const [features, prefix] of [[inputs.image, ''], [inputs.image2, 'img2.']] as const) {
      const pixelOnly = [...wanted].filter((n) => PIXEL_ONLY.test(n) && IMG2.test(n) === (prefix !== ''));
      if (features && pixelOnly.length) throw new ShapeError(`${pixelOnly.join(', ')} need pixel values: image features from imageFeatures() do not keep the image tower's layers`);
    }
    if (needItcImage && inputs.image && !inputs.image.itc) {
      throw new HeadUnavailableError('itc', 'itc_image was asked for, but the given image features were computed without the ITC head');
    }
    if (needFusion && inputs.image && !inputs.image.fusionInputs) {
      throw new ShapeError('image features were computed without the inputs of the authors\' ITM path (itm_itc); use imageFeatures()');
    }

    const outs = new Outputs(wanted);
    const uploads: GpuTensor[] = [];
    const upload = (data: Float32Array | Int32Array, shape: number[], label: string): GpuTensor => {
      const t = this.gpu.upload(data, shape, data instanceof Int32Array ? 'i32' : 'f32', label);
      uploads.push(t);
      return t;
    };
    const owned: ImageFeatures[] = [];
    try {
      let textSources: GpuTensor[] = [];
      let textItc: GpuTensor | undefined;
      let mask: GpuTensor | undefined;
      if (text) {
        mask = upload(text.mask, [text.batch, text.length], 'attention mask');
        ({ sources: textSources, itc: textItc } = this.textTower(upload(text.ids, [text.batch, text.length], 'input ids'), mask, outs, needCross));
      }
      let features: ImageFeatures | undefined;
      if (image) {
        features = image.features
          ?? this.imageTower(upload(image.pixels!, image.shape, 'pixel values'), 1, outs, '', needCross, needItcImage, needFusion);
        if (image.features) {
          if (features.itc) outs.offer('itc_image', features.itc, features.itc.shape, { borrowed: true });
        } else {
          owned.push(features);
          if (features.itc) outs.offer('itc_image', features.itc);
        }
      }
      if (needCross && mask && features) {
        const textInputs = textSources.map((t) => this.crossText.transform(t, 0));
        outs.release(...textSources);
        const cls = this.crossStack(textInputs, mask, features, B, outs, '', query);
        this.runHeads(cls, outs, !needFusion);
        if (needFusion) {
          const fusion = new ImageFeatures(features.batch, features.tokenType, features.fusionInputs!, undefined);
          const fusionCls = this.crossStack(textInputs, mask, fusion, B, outs, 'itm.', query);
          if (outs.wants('itm_logits')) outs.offer('itm_logits', this.heads.itm(fusionCls));
          outs.release(fusionCls);
        }
        if (outs.wants('itc_cross') || outs.wants('itc_logits')) {
          const cross = outs.offer('itc_cross', this.heads.itc('cross_modal', cls));
          if (outs.wants('itc_logits')) {
            const imageItc = features.itc!.shape[0] === B ? features.itc! : broadcastBatch(this.gpu, features.itc!, B);
            const pair = concat(this.gpu, textItc!, imageItc);
            const D = cross.shape[1];
            outs.offer('itc_logits', concat(this.gpu, pair, cross), [B, 3, D]);
            pair.release();
            if (imageItc !== features.itc) imageItc.release();
          }
          outs.release(cross);
        }
        if (image2) {
          const features2 = image2.features ?? this.imageTower(upload(image2.pixels!, image2.shape, 'pixel values 2'), 2, outs, 'img2.', true, false);
          if (!image2.features) owned.push(features2);
          const cls2 = this.crossStack(textInputs, mask, features2, B, outs, 'img2.', query);
          if (wanted.has('nlvr2_logits')) {
            const pair = concat(this.gpu, cls, cls2);
            outs.offer('nlvr2_logits', this.heads.classifier('nlvr2_classifier', this.config.heads.nlvr2!, pair));
            pair.release();
          }
          outs.release(cls2);
        }
        outs.release(cls, ...textInputs);
      }
      outs.release(textItc);
      const entries = outs.entries();
      const data = await this.gpu.read(...entries.map((e) => e.tensor));
      const missing = outs.missing();
      if (missing.length) throw new Error(`internal error: outputs ${missing.join(', ')} were asked for and not produced`);
      return new Map(entries.map((e, i) => [e.name, { shape: e.shape, data: data[i] as Float32Array }]));
    } finally {
      outs.releaseAll();
      for (const f of owned) f.dispose();
      for (const t of uploads) t.release();
    }
  }

  /**
   * Run the image tower once and keep what the cross-modal stack and ITC need, for reuse across many
   * texts (`forward({inputIds, image})`). tokenType 1 for an image, 2 for NLVR2's second image.
   */
  imageFeatures(pixelValues: HostArray<Float32Array>, opts: { tokenType?: 1 | 2 } = {}): ImageFeatures {
    const k = opts.tokenType ?? 1;
    if (k >= this.config.tokenTypes) throw new ConfigError(`token type ${k} needs ${k + 1} token_type_embeddings rows; the model has ${this.config.tokenTypes}`);
    const B = this.imageBatch(pixelValues, undefined, 'pixelValues');
    const image = this.checkImage(pixelValues, undefined, 'pixelValues', B, k);
    const pixels = this.gpu.upload(image.pixels!, image.shape, 'f32', 'pixel values');
    const features = this.imageTower(pixels, k, new Outputs(new Set()), '', true, !!this.config.heads.itc && k === 1,
      k === 1 && fusionDiffers(this.config));
    this.gpu.submit();
    pixels.release();
    return features;
  }

  /** itc_text [B, dim] from the text tower alone. */
  async encodeText(inputIds: HostArray<IdData>, attentionMask?: HostArray<IdData | Float32Array>): Promise<OutputTensor> {
    return (await this.forward({ inputIds, attentionMask }, { outputs: ['itc_text'] })).get('itc_text')!;
  }

  /** itc_image [B, dim] from the image tower alone. */
  async encodeImage(pixelValues: HostArray<Float32Array>): Promise<OutputTensor> {
    return (await this.forward({ pixelValues }, { outputs: ['itc_image'] })).get('itc_image')!;
  }

  dispose(): void {
    this.weights.dispose();
  }

  // --- towers -------------------------------------------------------------------------------------------

  /**
   * Steps 1-2. Returns the text layers that feed the cross-modal stack (split-1 .. Lt-1) when `needCross`, and
   * itc_text when itc_text or itc_logits is asked for.
   */
  private textTower(ids: GpuTensor, mask: GpuTensor, outs: Outputs, needCross: boolean): { sources: GpuTensor[]; itc?: GpuTensor } {
    const c = this.config, first = this.split - 1;
    let x = outs.offer('text_embeddings', this.text.embed(ids));
    const sources: GpuTensor[] = [];
    for (let i = 0; i < c.text.layers; i++) {
      const y = outs.offer(`text_layer.${i}`, this.text.layer(i, x, mask));
      if (!sources.includes(x)) outs.release(x);
      if (needCross && i >= first) sources.push(y);
      x = y;
    }
    let itc: GpuTensor | undefined;
    if (outs.wants('itc_text') || outs.wants('itc_logits')) {
      const cls = takeToken(this.gpu, x, 0);
      itc = outs.offer('itc_text', this.heads.itc('text', cls));
      cls.release();
    }
    if (!sources.includes(x)) outs.release(x);
    return { sources, itc };
  }

  /**
   * Step 3 plus the image half of steps 5-6 that does not depend on the text; intermediates under `prefix`.
   * ITC image embedding: the authors' l2norm(itc_image_head(LN(last vision layer)[:, 0])), LN = ln_post or
   * ln_separate[Lv-1]; HF's l2norm(itc_image_head((cross_modal_image_transform(ln_post(x)) + token_type[1])[:, 0]))
   * with x the vision layer Lt-1, where HF's text-indexed loop stops.
   */
  private imageTower(pixels: GpuTensor, tokenType: number, outs: Outputs, prefix: string, needCross: boolean, needItc: boolean,
    needFusion = false): ImageFeatures {
    const c = this.config, first = this.split - 1, hf = this.definition === 'hf';
    const itcLayer = hf ? c.text.layers - 1 : c.vision.layers - 1;
    const fusionFirst = c.vision.layers - c.numLayers;
    let last = needCross ? c.text.layers - 1 : -1;
    if (needItc) last = Math.max(last, itcLayer);
    if (needFusion) last = c.vision.layers - 1;
    for (let i = 0; i < c.vision.layers; i++) if (outs.wants(`${prefix}image_layer.${i}`)) last = Math.max(last, i);
    let x = outs.offer(`${prefix}image_pre`, this.vision.embed(pixels));
    const crossInputs: GpuTensor[] = [];
    const fusionInputs: GpuTensor[] = [];
    let itc: GpuTensor | undefined;
    for (let i = 0; i <= last; i++) {
      const y = outs.offer(`${prefix}image_layer.${i}`, this.vision.resblock(i, x));
      outs.release(x);
      x = y;
      if (needCross && i >= first && i < c.text.layers) {
        const post = this.vision.layerNorm(x, LN_POST);
        crossInputs.push(this.crossImage.transform(post, tokenType));
        post.release();
      }
      if (needFusion && i >= fusionFirst) {
        const normed = this.vision.layerNorm(x, c.vision.layernormShared ? LN_POST : lnSeparate(i));
        fusionInputs.push(this.crossImage.transform(normed, tokenType));
        normed.release();
      }
      if (needItc && i === itcLayer) {
        const cls = takeToken(this.gpu, x, 0);
        const normed = this.vision.layerNorm(cls, hf || c.vision.layernormShared ? LN_POST : lnSeparate(i));
        cls.release();
        if (hf) {
          const projected = this.crossImage.transform(normed, 1);
          itc = this.heads.itc('image', projected);
          projected.release();
        } else {
          itc = this.heads.itc('image', normed);
        }
        normed.release();
      }
    }
    outs.release(x);
    return new ImageFeatures(pixels.shape[0], tokenType, crossInputs, itc, needFusion ? fusionInputs : undefined);
  }

  /** Steps 5-8 for one image: the cross-modal layers with their bridge inputs; returns cls_feats. */
  private crossStack(textInputs: GpuTensor[], mask: GpuTensor, image: ImageFeatures, B: number, outs: Outputs, prefix: string, query: number): GpuTensor {
    let x1: GpuTensor | undefined, y1: GpuTensor | undefined;
    for (let j = 0; j < this.config.numLayers; j++) {
      const imageInput = image.batch === B ? image.crossInputs[j] : broadcastBatch(this.gpu, image.crossInputs[j], B);
      const x = outs.offer(`${prefix}cross_text_in.${j}`, this.crossText.input(j, textInputs[j], x1));
      const y = outs.offer(`${prefix}cross_image_in.${j}`, this.crossImage.input(j, imageInput, y1));
      if (imageInput !== image.crossInputs[j]) imageInput.release();
      outs.release(x1, y1);
      const probsName = `${prefix}cross_attn_probs.${j}`;
      const t = this.crossText.layers[j].forward(x, mask, y, undefined, outs.wants(probsName) ? query : undefined);
      if (t.probs) outs.offer(probsName, t.probs);
      x1 = outs.offer(`${prefix}cross_text.${j}`, t.out);
      y1 = outs.offer(`${prefix}cross_image.${j}`, this.crossImage.layers[j].forward(y, undefined, x, mask).out);
      outs.release(x, y);
    }
    outs.offer(`${prefix}text_feats`, x1!);
    outs.offer(`${prefix}image_feats`, y1!);
    const cls = outs.offer(`${prefix}cls_feats`, this.heads.clsFeats(x1!, y1!));
    if (!prefix && outs.wants('mlm_logits')) outs.offer('mlm_logits', this.heads.mlm(x1!));
    outs.release(x1, y1);
    return cls;
  }

  /** Step 9 heads on cls_feats of the first image (ITM too unless it takes the authors' fusion path). */
  private runHeads(cls: GpuTensor, outs: Outputs, itm: boolean): void {
    const h = this.config.heads;
    if (outs.wants('vqa_logits')) outs.offer('vqa_logits', this.heads.classifier('vqa_classifier', h.vqa!, cls));
    if (outs.wants('snli_logits')) outs.offer('snli_logits', this.heads.classifier('snli_classifier', h.snli!, cls));
    if (itm && outs.wants('itm_logits')) outs.offer('itm_logits', this.heads.itm(cls));
    if (outs.wants('rank_score')) outs.offer('rank_score', this.heads.rank(cls), [cls.shape[0]]);
  }

  // --- input checks -------------------------------------------------------------------------------------

  private checkOutputName(name: string): void {
    if (this.known.has(name)) return;
    const head = HEAD_OUTPUTS[name];
    if (head) throw new HeadUnavailableError(head, `${name} needs the ${head} head, which these weights do not have`);
    throw new ConfigError(`unknown output ${JSON.stringify(name)}; this model has: ${[...this.known].join(', ')}`);
  }

  private checkText(inputs: ForwardInputs): { batch: number; length: number; ids: Int32Array; mask: Float32Array } {
    const ids = inputs.inputIds;
    if (!ids) throw new ShapeError('inputIds [B, L] are needed for the text outputs asked for');
    if (ids.shape.length !== 2 || ids.shape[0] < 1 || ids.shape[1] < 1 || ids.data.length !== ids.shape[0] * ids.shape[1]) {
      throw new ShapeError(`inputIds: expected [B, L] with B, L >= 1 and B*L values, got shape [${ids.shape.join(', ')}] with ${ids.data.length} values`);
    }
    const [B, L] = ids.shape;
    const t = this.config.text;
    if (L > t.maxPositionEmbeddings - 2) {
      throw new ShapeError(`inputIds: ${L} tokens exceed this model's ${t.maxPositionEmbeddings - 2} (max_position_embeddings ${t.maxPositionEmbeddings} - 2)`);
    }
    const out = new Int32Array(B * L);
    for (let i = 0; i < out.length; i++) {
      const v = Number(ids.data[i]);
      if (!Number.isInteger(v) || v < 0 || v >= t.vocabSize) {
        throw new ShapeError(`inputIds[${Math.floor(i / L)}, ${i % L}] = ${v} is outside the vocabulary [0, ${t.vocabSize})`);
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
    return { batch: B, length: L, ids: out, mask };
  }

  private imageBatch(pixels: HostArray<Float32Array> | undefined, features: ImageFeatures | undefined, what: string): number {
    if (features) return features.batch;
    if (!pixels) throw new ShapeError(`${what} [B, 3, S, S] are needed for the outputs asked for`);
    return pixels.shape[0];
  }

  /** Pixels of the right shape, or features of a usable batch and token type. */
  private checkImage(pixels: HostArray<Float32Array> | undefined, features: ImageFeatures | undefined, what: string, B: number, tokenType: number):
    { pixels?: Float32Array; shape: number[]; features?: ImageFeatures } {
    if (features) {
      if (features.batch !== B && features.batch !== 1) throw new ShapeError(`${what}: image features of batch ${features.batch} cannot pair with a text batch of ${B}`);
      if (features.tokenType !== tokenType) throw new ShapeError(`${what}: image features were computed with token type ${features.tokenType}, this input needs ${tokenType}`);
      if (features.crossInputs.length !== this.config.numLayers) throw new ShapeError(`${what}: image features were computed without the cross-modal inputs`);
      return { shape: [], features };
    }
    if (!pixels) throw new ShapeError(`${what} [B, 3, S, S] are needed for the outputs asked for`);
    const S = this.config.vision.imageSize;
    const s = pixels.shape;
    if (s.length !== 4 || s[0] !== B || s[1] !== 3 || s[2] !== S || s[3] !== S || pixels.data.length !== B * 3 * S * S) {
      throw new ShapeError(`${what}: expected [${B}, 3, ${S}, ${S}] (batch of the text, this model's image size ${S}), got [${s.join(', ')}] with ${pixels.data.length} values`);
    }
    return { pixels: pixels.data, shape: [...s] };
  }
}

const HEAD_OUTPUTS: Record<string, string> = {
  vqa_logits: 'vqa', itm_logits: 'itm', itc_text: 'itc', itc_image: 'itc', itc_cross: 'itc', itc_logits: 'itc', mlm_logits: 'mlm',
  snli_logits: 'snli', rank_score: 'irtr', nlvr2_logits: 'nlvr2',
};

function knownOutputs(c: BridgeTowerConfig): Set<string> {
  const image: string[] = ['image_pre', 'text_feats', 'image_feats', 'cls_feats'];
  for (let i = 0; i < c.vision.layers; i++) image.push(`image_layer.${i}`);
  for (let j = 0; j < c.numLayers; j++) image.push(`cross_text_in.${j}`, `cross_image_in.${j}`, `cross_text.${j}`, `cross_image.${j}`, `cross_attn_probs.${j}`);
  const names = new Set<string>(['text_embeddings', ...image]);
  for (let i = 0; i < c.text.layers; i++) names.add(`text_layer.${i}`);
  if (c.tokenTypes > 2) for (const n of image) names.add(`img2.${n}`);
  const h = c.heads;
  if (h.vqa) names.add('vqa_logits');
  if (h.snli) names.add('snli_logits');
  if (h.itm) names.add('itm_logits');
  if (h.irtr) names.add('rank_score');
  if (h.mlm) names.add('mlm_logits');
  if (h.itc) { names.add('itc_text'); names.add('itc_image'); }
  if (h.itc?.cross) { names.add('itc_cross'); names.add('itc_logits'); }
  if (fusionDiffers(c)) {
    for (let j = 0; j < c.numLayers; j++) {
      for (const n of ['cross_text_in', 'cross_image_in', 'cross_text', 'cross_image']) names.add(`itm.${n}.${j}`);
    }
    for (const n of ['text_feats', 'image_feats', 'cls_feats']) names.add(`itm.${n}`);
  }
  if (h.nlvr2) names.add('nlvr2_logits');
  return names;
}

/**
 * True when the authors' ITM path (infer_fusion, itm_itc models) computes other bridge inputs than the path of
 * the other heads: separate vision LayerNorms, or more vision layers than text layers.
 */
function fusionDiffers(c: BridgeTowerConfig): boolean {
  return !!c.heads.itm && definitions(c).itmPath === 'fusion' && (!c.vision.layernormShared || c.vision.layers !== c.text.layers);
}

/** Repeat a batch-1 tensor B times along the batch (one image shared by B texts). */
function broadcastBatch(gpu: Gpu, t: GpuTensor, B: number): GpuTensor {
  const out = gpu.tensor([B, ...t.shape.slice(1)], t.dtype, 'broadcast');
  for (let b = 0; b < B; b++) gpu.copy(t.buffer, 0, out.buffer, b * t.byteLength, t.byteLength);
  return out;
}
