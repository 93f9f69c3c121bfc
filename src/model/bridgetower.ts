// BridgeTower on the GPU: the graph. The RoBERTa text tower, the CLIP ViT image tower, the cross-modal stack fed
// by them through cross_modal_*_layernorm and the bridge layers (link_tower), and the heads. `forward` follows
// fixtures/README.md "Computation, step by step" and returns the tensors asked for under the names of
// expected.safetensors; what to run and the input checks are planned first (plan.ts). A forward pass records
// every kernel into one command encoder and ends with one submit and one readback of just the requested tensors;
// given a signal or a stage callback, it submits per stage instead (text tower, image tower in groups of a few
// layers, cross-modal layers, second image; replay.ts) and waits for each, so progress ticks within a pass and a
// Cancel stops it at the next stage.
// The first pass of a plan is captured and the next passes of that plan replay it (src/gpu/recording.ts).
import { AbortedError } from '../errors';
import type { Gpu } from '../gpu/runtime';
import type { GpuTensor } from '../gpu/tensor';
import { concat } from '../kernels/concat';
import { takeToken } from '../kernels/take-token';
import type { WeightSet } from '../common/weight-set';
import {
  definitions,
  describeDefinitions,
  splitIndex,
  type BridgeTowerConfig,
  type Definition,
} from '../common/config';
import { ClipVisionTower, LN_POST, lnSeparate } from './clip-vit';
import { broadcastBatch, CrossModalStack } from './cross-stack';
import { Heads } from './heads';
import {
  ImageFeatures,
  type CompileOptions,
  type ComputePrecision,
  type ModelOptions,
  type ForwardInputs,
  type ForwardOptions,
  type HostArray,
  type IdData,
  type OutputTensor,
  type StageOptions,
} from './io';
import { Outputs } from './outputs';
import {
  checkConfig,
  defaultOutputs,
  knownOutputs,
  planForward,
  planImageFeatures,
  IMAGE_ROLES,
  type ForwardPlan,
  type ItmStack,
  type PlannedImage,
  type PlannedText,
} from './plan';
import { RobertaTextTower } from './roberta';
import { ModelWeights, type WeightUploadOptions } from './weights';
import { imageStageNames, imageStageStarts, KeptPasses, passInputs, PassStages, replayKey, stageNames } from './replay';

export * from './io';

/** What one forward pass owns and returns: the outputs kept, the uploaded inputs, the image features it computed. */
interface Pass {
  outs: Outputs;
  upload: (data: Float32Array | Int32Array, shape: number[], label: string) => GpuTensor;
  owned: ImageFeatures[];
}

/** The text tower's results the rest of the pass uses. */
interface TextSide {
  mask: GpuTensor;
  /** The bridge inputs cross_modal_text_transform(text layer) + token type 0, one per cross layer. */
  crossInputs: GpuTensor[];
  itc?: GpuTensor;
}

export class BridgeTowerModel {
  readonly config: BridgeTowerConfig;
  readonly split: number;
  /** Image tokens N = (S/P)^2 + 1. */
  readonly imageTokens: number;
  private readonly text: RobertaTextTower;
  private readonly vision: ClipVisionTower;
  private readonly cross: CrossModalStack;
  private readonly heads: Heads;
  private readonly known: Set<string>;
  /** Captured passes by plan (replayKey), oldest first. */
  private readonly recordings: KeptPasses;

  private constructor(
    readonly gpu: Gpu,
    readonly weights: ModelWeights,
    config: BridgeTowerConfig,
    /** The storage of the activations between matrix products (ModelOptions.compute). */
    readonly compute: ComputePrecision,
  ) {
    this.config = config;
    this.split = splitIndex(config);
    const grid = config.vision.imageSize / config.vision.patchSize;
    this.imageTokens = grid * grid + 1;
    this.text = new RobertaTextTower(gpu, weights, config, compute);
    this.vision = new ClipVisionTower(gpu, weights, config, compute);
    this.heads = new Heads(gpu, weights, config);
    this.cross = new CrossModalStack(gpu, weights, config, this.heads, compute);
    this.known = knownOutputs(config);
    this.recordings = new KeptPasses(gpu);
  }

  /** Whose code defines this model's computation ('authors' or 'hf'): the source of its weights decides. */
  get definition(): Definition {
    return definitions(this.config).definition;
  }

  /** The definitions this model follows, in words (printed by `verify` and `run`). */
  describeDefinitions(): string {
    return describeDefinitions(this.config);
  }

  /** HF's logit_scale.exp(): the factor HF applies to similarities of the ITC embeddings; undefined without it. */
  get logitScale(): number | undefined {
    return this.config.heads.itc?.cross ? Math.exp(this.weights.scalar('logit_scale')) : undefined;
  }

  /** Upload the weights once; the WeightSet can be closed afterwards. */
  static async load(gpu: Gpu, ws: WeightSet, opts: WeightUploadOptions & ModelOptions = {}): Promise<BridgeTowerModel> {
    const c = ws.config;
    checkConfig(c, ws.source);
    // An unknown compute reaches the kernels, which refuse it (ShapeError); the task API checks it first.
    return new BridgeTowerModel(gpu, await ModelWeights.upload(gpu, ws, c, opts), c, opts.compute ?? 'f32');
  }

  /** Every output name this model can produce. */
  knownOutputs(): string[] {
    return [...this.known];
  }

  /** The outputs a forward pass returns when none are named. */
  defaultOutputs(): string[] {
    return defaultOutputs(this.config);
  }

  async forward(inputs: ForwardInputs, opts: ForwardOptions = {}): Promise<Map<string, OutputTensor>> {
    const plan = planForward(this.config, inputs, opts, this.gpu);
    if (plan.kind === 'nothing') return new Map();
    if (opts.signal?.aborted) throw new AbortedError('the forward pass was cancelled');
    const stages = new PassStages(this.gpu, stageNames(plan), opts);
    const key = replayKey(plan, stages.staged);
    const known = this.recordings.get(key);
    if (known && !known.recording.busy) {
      const data = await this.gpu.replay(known.recording, passInputs(plan), () => stages.done());
      await stages.done();
      return new Map(known.outputs.map((o, i) => [o.name, { shape: o.shape, data: data[i] as Float32Array }]));
    }
    const capture = key !== undefined && !known;
    if (capture) this.gpu.beginCapture();
    let outputs: { name: string; shape: number[] }[] | undefined;
    try {
      const result = await this.record(plan, stages);
      outputs = [...result].map(([name, t]) => ({ name, shape: t.shape }));
      await stages.done();
      return result;
    } finally {
      const recording = capture ? this.gpu.endCapture() : null;
      if (recording && outputs && key !== undefined) this.recordings.keep(key, { recording, outputs });
      else if (recording) this.gpu.releaseRecording(recording);
    }
  }

  /** Record and run a planned pass; a staged pass submits and waits at the end of each stage but the last. */
  private async record(
    plan: ForwardPlan,
    stages = new PassStages(this.gpu, stageNames(plan)),
  ): Promise<Map<string, OutputTensor>> {
    if (plan.kind === 'nothing') return new Map();
    const outs = new Outputs(plan.wanted);
    const uploads: GpuTensor[] = [];
    const upload = (data: Float32Array | Int32Array, shape: number[], label: string): GpuTensor => {
      const t = this.gpu.input(data, shape, data instanceof Int32Array ? 'i32' : 'f32', label);
      uploads.push(t);
      return t;
    };
    const pass: Pass = { outs, upload, owned: [] };
    let text: TextSide | undefined;
    try {
      if (plan.text) await stages.next();
      text = plan.text && this.textTower(plan.text, pass);
      const image = plan.image && (await this.imageTower(plan.image, pass, stages));
      if (image?.itc)
        outs.offer('itc_image', image.itc, image.itc.shape, { borrowed: plan.image?.from === 'features' });
      if (plan.kind === 'cross' && text && image) {
        await stages.next();
        const B = plan.batch;
        const textInputs = text.crossInputs;
        const stack = { textInputs, mask: text.mask, batch: B, query: plan.query };
        const cls = this.cross.run(stack, image, outs, '');
        this.taskHeads(cls, outs, plan.itm);
        if (plan.itm === 'fusion') this.cross.fusionItm(stack, image, outs);
        if (outs.wants('itc_cross') || outs.wants('itc_logits')) this.itcCross(cls, text.itc, image.itc, B, outs);
        if (plan.image2) {
          const image2 = await this.imageTower(plan.image2, pass, stages);
          await stages.next();
          this.nlvr2(cls, this.cross.run(stack, image2, outs, IMAGE_ROLES.image2.prefix), outs);
        }
        outs.release(cls, ...textInputs);
      }
      outs.release(text?.itc);
      const entries = outs.entries();
      const data = await this.gpu.read(...entries.map((e) => e.tensor));
      const missing = outs.missing();
      if (missing.length)
        throw new Error(`internal error: outputs ${missing.join(', ')} were asked for and not produced`);
      return new Map(entries.map((e, i) => [e.name, { shape: e.shape, data: data[i] as Float32Array }]));
    } finally {
      // The text side's products too: a cancel between stages leaves them unreleased.
      for (const t of [...(text?.crossInputs ?? []), text?.itc]) t?.release();
      outs.releaseAll();
      for (const f of pass.owned) f.dispose();
      for (const t of uploads) t.release();
    }
  }

  /**
   * Build the pipelines of a pass of `outputs` (default: the default outputs) before the first one runs: the pass
   * is traced on a blank image and `<s></s>` and its pipelines compiled in parallel (Gpu.compile). Shapes travel
   * in uniforms, so they serve every later text length and batch. Returns how many were built.
   */
  async compile(opts: CompileOptions = {}): Promise<number> {
    const { text, vision } = this.config;
    const S = vision.imageSize;
    const inputs = {
      inputIds: { shape: [1, 2], data: Int32Array.of(text.bosTokenId, text.eosTokenId) },
      pixelValues: { shape: [1, 3, S, S], data: new Float32Array(3 * S * S) },
    };
    const plan = planForward(this.config, inputs, { outputs: opts.outputs }, this.gpu);
    return this.gpu.compile(() => this.record(plan), opts.onProgress);
  }

  /**
   * Run the image tower once and keep what the cross-modal stack and ITC need, for reuse across many
   * texts (`forward({inputIds, image})`). tokenType 1 for an image, 2 for NLVR2's second image. Given a signal or
   * a stage callback, the image tower runs in stages as in `forward`.
   */
  async imageFeatures(
    pixelValues: HostArray<Float32Array>,
    opts: StageOptions & {
      /**
       * 1 for an image, 2 for NLVR2's second image.
       * @default 1
       */
      tokenType?: 1 | 2;
    } = {},
  ): Promise<ImageFeatures> {
    const planned = planImageFeatures(this.config, pixelValues, opts.tokenType ?? 1);
    if (opts.signal?.aborted) throw new AbortedError('the image features were cancelled');
    const stages = new PassStages(this.gpu, imageStageNames(planned), opts);
    const pixels = this.gpu.input(planned.pixels, planned.shape, 'f32', 'pixel values');
    try {
      const features = await this.imageLayers(pixels, planned, new Outputs(new Set()), stages);
      this.gpu.submit();
      await stages.done();
      return features;
    } finally {
      pixels.release();
    }
  }

  /** itc_text [B, dim] from the text tower alone. */
  async encodeText(
    inputIds: HostArray<IdData>,
    attentionMask?: HostArray<IdData | Float32Array>,
    opts: StageOptions = {},
  ): Promise<OutputTensor> {
    return this.forwardOne({ inputIds, attentionMask }, 'itc_text', opts);
  }

  /** itc_image [B, dim] from the image tower alone; in stages of a few layers given a signal or stage callback. */
  async encodeImage(pixelValues: HostArray<Float32Array>, opts: StageOptions = {}): Promise<OutputTensor> {
    return this.forwardOne({ pixelValues }, 'itc_image', opts);
  }

  private async forwardOne(inputs: ForwardInputs, name: string, opts: StageOptions): Promise<OutputTensor> {
    const out = (await this.forward(inputs, { ...opts, outputs: [name] })).get(name);
    if (!out) throw new Error(`internal error: ${name} was asked for and not produced`);
    return out;
  }

  dispose(): void {
    this.recordings.releaseAll();
    this.weights.dispose();
  }

  // --- towers -------------------------------------------------------------------------------------------

  /**
   * Steps 1-2, and step 5's text transform of the layers that feed the cross-modal stack when they do; itc_text
   * when itc_text or itc_logits is asked for.
   */
  private textTower(planned: PlannedText, pass: Pass): TextSide {
    const { outs, upload } = pass;
    const c = this.config,
      first = this.split - 1;
    const mask = upload(planned.mask, [planned.batch, planned.length], 'attention mask');
    const ids = upload(planned.ids, [planned.batch, planned.length], 'input ids');
    const crossInputs: GpuTensor[] = [];
    const name = (i: number) => (i < 0 ? 'text_embeddings' : `text_layer.${i}`);
    const feeds = (i: number) => planned.feedsCross && i >= first;
    let pending = this.text.embed(ids);
    for (let i = 0; i < c.text.layers; i++) {
      // `input`, layer i's input written, is layer i-1's output (text_embeddings for i = 0).
      const { out, input } = this.text.layer(i, pending, mask);
      outs.offer(name(i - 1), input);
      if (feeds(i - 1)) crossInputs.push(this.cross.text.transform(input, 0));
      outs.release(input);
      pending = out;
    }
    const last = c.text.layers - 1;
    let x: GpuTensor;
    if (feeds(last)) {
      // The bridge's input transform normalises the last layer on load and writes it.
      x = this.gpu.tensor(pending.raw.shape, 'f32', 'text layer output');
      crossInputs.push(this.cross.text.transform(pending.raw, 0, this.weights.norm(pending.norm, pending.eps, x)));
    } else {
      x = this.weights.normalize(pending);
    }
    pending.raw.release();
    outs.offer(name(last), x);
    let itc: GpuTensor | undefined;
    if (outs.wants('itc_text') || outs.wants('itc_logits')) {
      const cls = takeToken(this.gpu, x, 0);
      itc = outs.offer('itc_text', this.heads.itc('text', cls));
      cls.release();
    }
    outs.release(x);
    return { mask, crossInputs, itc };
  }

  /** One image's side: the given image features, or the image tower run on the pixels, entering its stages. */
  private async imageTower(planned: PlannedImage, pass: Pass, stages: PassStages): Promise<ImageFeatures> {
    if (planned.from === 'features') return planned.features;
    const pixels = pass.upload(planned.pixels, planned.shape, IMAGE_ROLES[planned.role].label);
    const features = await this.imageLayers(pixels, planned, pass.outs, stages);
    pass.owned.push(features);
    return features;
  }

  /**
   * Step 3 plus the image half of steps 5-6 that does not depend on the text; intermediates under the role's
   * prefix. ITC image embedding: the authors' l2norm(itc_image_head(LN(last vision layer)[:, 0])), LN = ln_post or
   * ln_separate[Lv-1]; HF's l2norm(itc_image_head((cross_modal_image_transform(ln_post(x)) + token_type[1])[:, 0]))
   * with x the vision layer Lt-1, where HF's text-indexed loop stops. Enters each of the tower's stages (replay.ts
   * imageStageStarts); a cancel there releases what the tower made so far.
   */
  private async imageLayers(
    pixels: GpuTensor,
    planned: PlannedImage & { from: 'pixels' },
    outs: Outputs,
    stages: PassStages,
  ): Promise<ImageFeatures> {
    const c = this.config,
      first = this.split - 1,
      hf = this.definition === 'hf',
      keep = planned.keep;
    const { tokenType, prefix } = IMAGE_ROLES[planned.role];
    const itcLayer = hf ? c.text.layers - 1 : c.vision.layers - 1;
    const fusionFirst = c.vision.layers - c.numLayers;
    const starts = new Set(imageStageStarts(planned.layers));
    await stages.next();
    let x = outs.offer(`${prefix}image_pre`, this.vision.embed(pixels));
    const crossInputs: GpuTensor[] = [];
    const fusionInputs: GpuTensor[] = [];
    let itc: GpuTensor | undefined;
    try {
      for (let i = 0; i < planned.layers; i++) {
        if (i > 0 && starts.has(i)) await stages.next();
        const y = outs.offer(`${prefix}image_layer.${i}`, this.vision.resblock(i, x));
        outs.release(x);
        x = y;
        if (keep.cross && i >= first && i < c.text.layers) {
          crossInputs.push(this.cross.image.transform(x, tokenType, this.vision.norm(LN_POST)));
        }
        if (keep.fusion && i >= fusionFirst) {
          const norm = this.vision.norm(c.vision.layernormShared ? LN_POST : lnSeparate(i));
          fusionInputs.push(this.cross.image.transform(x, tokenType, norm));
        }
        if (keep.itc && i === itcLayer) {
          const cls = takeToken(this.gpu, x, 0);
          const norm = this.vision.norm(hf || c.vision.layernormShared ? LN_POST : lnSeparate(i));
          if (hf) {
            const projected = this.cross.image.transform(cls, 1, norm);
            itc = this.heads.itc('image', projected);
            projected.release();
          } else {
            itc = this.heads.itc('image', cls, norm);
          }
          cls.release();
        }
      }
    } catch (e) {
      // A cancel at a stage boundary: what the tower made so far goes back to the pool.
      outs.release(x, ...crossInputs, ...fusionInputs, itc);
      throw e;
    }
    outs.release(x);
    return new ImageFeatures(pixels.shape[0], tokenType, crossInputs, itc, keep.fusion ? fusionInputs : undefined);
  }

  // --- cross-modal stack and heads ----------------------------------------------------------------------

  /** Step 9 heads on cls_feats of the first image (ITM too when it reads the main stack). */
  private taskHeads(cls: GpuTensor, outs: Outputs, itm: ItmStack): void {
    const h = this.config.heads;
    if (h.vqa && outs.wants('vqa_logits'))
      outs.offer('vqa_logits', this.heads.classifier('vqa_classifier', h.vqa, cls));
    if (h.snli && outs.wants('snli_logits')) {
      outs.offer('snli_logits', this.heads.classifier('snli_classifier', h.snli, cls));
    }
    if (itm === 'main' && outs.wants('itm_logits')) outs.offer('itm_logits', this.heads.itm(cls));
    if (outs.wants('rank_score')) outs.offer('rank_score', this.heads.rank(cls), [cls.shape[0]]);
  }

  /**
   * HF's itc_cross = l2norm(itc_cross_modal_head(cls_feats)) and itc_logits = stack(text, image, cross) [B, 3, D]
   * (the text and image embeddings are there when itc_logits is asked for).
   */
  private itcCross(
    cls: GpuTensor,
    textItc: GpuTensor | undefined,
    imageItc: GpuTensor | undefined,
    B: number,
    outs: Outputs,
  ): void {
    const cross = outs.offer('itc_cross', this.heads.itc('cross_modal', cls));
    if (outs.wants('itc_logits') && textItc && imageItc) {
      const image = imageItc.shape[0] === B ? imageItc : broadcastBatch(this.gpu, imageItc, B);
      const pair = concat(this.gpu, textItc, image);
      const D = cross.shape[1];
      outs.offer('itc_logits', concat(this.gpu, pair, cross), [B, 3, D]);
      pair.release();
      if (image !== imageItc) image.release();
    }
    outs.release(cross);
  }

  /** nlvr2_classifier on the cls_feats of both images [B, 4H]. */
  private nlvr2(cls: GpuTensor, cls2: GpuTensor, outs: Outputs): void {
    const head = this.config.heads.nlvr2;
    if (head && outs.wants('nlvr2_logits')) {
      const pair = concat(this.gpu, cls, cls2);
      outs.offer('nlvr2_logits', this.heads.classifier('nlvr2_classifier', head, pair));
      pair.release();
    }
    outs.release(cls2);
  }
}
