// The cross-modal stack of one image, fixtures README steps 5-8: each cross layer's inputs through
// cross_modal_*_layernorm (layer 0) or the bridge layers, its text and image BertCrossLayers, and cls_feats from the
// poolers. A cross layer's output stays with its LayerNorm pending (the next bridge layer runs it) unless it is
// asked for by name.
import type { Gpu } from '../gpu/runtime';
import type { GpuTensor } from '../gpu/tensor';
import type { BridgeTowerConfig } from '../common/config';
import type { ActivationDType } from '../kernels/linear';
import { CrossModalSide } from './cross-modal';
import type { Heads } from './heads';
import type { ImageFeatures } from './io';
import type { Outputs } from './outputs';
import type { ModelWeights, PendingNorm } from './weights';

/** What every cross-modal stack of a pass shares: the text side's bridge inputs, its mask, B, the query row. */
export interface CrossStackInputs {
  /** cross_modal_text_transform of the text layers that feed the stack, one per cross layer. */
  textInputs: GpuTensor[];
  mask: GpuTensor;
  batch: number;
  query: number;
}

/** One side's output of a cross layer: its LayerNorm pending, and the normalised tensor when it was written. */
interface CrossOutput {
  pending: PendingNorm;
  normed?: GpuTensor;
}

/** The outputs of one cross layer: its text and image sides. */
interface CrossFeatures {
  text: CrossOutput;
  image: CrossOutput;
}

export class CrossModalStack {
  readonly text: CrossModalSide;
  readonly image: CrossModalSide;

  constructor(
    private readonly gpu: Gpu,
    private readonly weights: ModelWeights,
    private readonly config: BridgeTowerConfig,
    private readonly heads: Heads,
    inner: ActivationDType,
  ) {
    this.text = new CrossModalSide(gpu, weights, 'text', config, inner);
    this.image = new CrossModalSide(gpu, weights, 'image', config, inner);
  }

  /**
   * Steps 5-8 for one image: each cross layer j takes its inputs through cross_modal_*_layernorm (j = 0) or the
   * bridge layers link_tower.{j-1}; returns cls_feats.
   */
  run(stack: CrossStackInputs, image: ImageFeatures, outs: Outputs, prefix: string): GpuTensor {
    let feats = this.layer(0, stack, image, outs, prefix);
    for (let j = 1; j < this.config.numLayers; j++) feats = this.layer(j, stack, image, outs, prefix, feats);
    const text = feats.text.normed ?? this.weights.normalize(feats.text.pending);
    const imageFeats = feats.image.normed ?? this.weights.normalize(feats.image.pending);
    feats.text.pending.raw.release();
    feats.image.pending.raw.release();
    outs.offer(`${prefix}text_feats`, text);
    outs.offer(`${prefix}image_feats`, imageFeats);
    const cls = outs.offer(`${prefix}cls_feats`, this.heads.clsFeats(text, imageFeats));
    if (!prefix && outs.wants('mlm_logits')) outs.offer('mlm_logits', this.heads.mlm(text));
    outs.release(text, imageFeats);
    return cls;
  }

  /** The authors' ITM path of itm_itc models (infer_fusion): its own cross-modal stack, then itm_score. */
  fusionItm(stack: CrossStackInputs, image: ImageFeatures, outs: Outputs): void {
    const fusionCls = this.run(stack, image.fusionFeatures(), outs, 'itm.');
    if (outs.wants('itm_logits')) outs.offer('itm_logits', this.heads.itm(fusionCls));
    outs.release(fusionCls);
  }

  /** Cross layer j on the outputs of layer j-1 (`previous`, released here) or, for j = 0, on the stack's inputs. */
  private layer(
    j: number,
    stack: CrossStackInputs,
    image: ImageFeatures,
    outs: Outputs,
    prefix: string,
    previous?: CrossFeatures,
  ): CrossFeatures {
    const B = stack.batch;
    const imageInput = image.batch === B ? image.crossInputs[j] : broadcastBatch(this.gpu, image.crossInputs[j], B);
    const { input: x, proj: xp } = this.text.layerInput(j, stack.textInputs[j], previous?.text.pending);
    const { input: y, proj: yp } = this.image.layerInput(j, imageInput, previous?.image.pending);
    outs.offer(`${prefix}cross_text_in.${j}`, x);
    outs.offer(`${prefix}cross_image_in.${j}`, y);
    if (imageInput !== image.crossInputs[j]) imageInput.release();
    outs.release(previous?.text.normed, previous?.image.normed);
    previous?.text.pending.raw.release();
    previous?.image.pending.raw.release();
    const probsName = `${prefix}cross_attn_probs.${j}`;
    const mask = stack.mask;
    const query = outs.wants(probsName) ? stack.query : undefined;
    const t = this.text.layers[j].forward(x, xp, mask, yp, undefined, query);
    if (t.probs) outs.offer(probsName, t.probs);
    const text = this.written(`${prefix}cross_text.${j}`, t.out, outs);
    const imageOut = this.written(
      `${prefix}cross_image.${j}`,
      this.image.layers[j].forward(y, yp, undefined, xp, mask).out,
      outs,
    );
    outs.release(x, y);
    xp.release();
    yp.release();
    return { text, image: imageOut };
  }

  /** A cross layer's output, written (normalised) now only when it is asked for by `name`. */
  private written(name: string, pending: PendingNorm, outs: Outputs): CrossOutput {
    return { pending, normed: outs.wants(name) ? outs.offer(name, this.weights.normalize(pending)) : undefined };
  }
}

/** Repeat a batch-1 tensor B times along the batch (one image shared by B texts). */
export function broadcastBatch(gpu: Gpu, t: GpuTensor, B: number): GpuTensor {
  const out = gpu.tensor([B, ...t.shape.slice(1)], t.dtype, 'broadcast');
  for (let b = 0; b < B; b++) gpu.copy(t.buffer, 0, out.buffer, b * t.byteLength, t.byteLength);
  return out;
}
