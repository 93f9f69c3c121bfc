// What a forward pass takes and returns: host inputs, the output options, and image features kept on the GPU
// for reuse across texts.
import { ShapeError } from '../errors';
import type { GpuTensor } from '../gpu/tensor';

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

/**
 * The storage of the activations that only matrix products read (q | k | v, the attention context, the FFN's
 * intermediate): 'f16' halves their memory traffic and keeps the arithmetic f32, as PyTorch's autocast does; the
 * residual stream, LayerNorms, softmax statistics and every returned tensor stay f32.
 */
export type ComputePrecision = 'f32' | 'f16';

export const COMPUTE_PRECISIONS: readonly ComputePrecision[] = ['f32', 'f16'];

/** How BridgeTowerModel.load sets a model up, beyond its weights. */
export interface ModelOptions {
  /**
   * 'f16' stores the activations between matrix products as halves (f32 arithmetic). Off by default: not yet
   * measured on a GPU.
   * @default 'f32'
   */
  compute?: ComputePrecision;
}

/** What BridgeTowerModel.compile builds pipelines for, and how it reports. */
export interface CompileOptions {
  /**
   * The outputs whose pipelines are built.
   * @default the default outputs (`defaultOutputs()`)
   */
  outputs?: readonly string[];
  /**
   * Called as pipelines are compiled.
   * @default none
   */
  onProgress?: (done: number, total: number) => void;
}

export interface ForwardOptions {
  /**
   * Names as in expected.safetensors (`text_layer.2`, `cross_text.1`, `img2.cls_feats`, heads...), plus
   * `cross_attn_probs.{j}` [B, heads, N]: the text-to-image cross-attention of one text token at cross layer j;
   * `itc_cross` [B, D] and `itc_logits` [B, 3, D] (HF's cross-modal embedding and its stack of text, image and cross
   * embeddings, for BridgeTowerForContrastiveLearning weights); `itm.*` (the cross stack of the authors' ITM path of
   * itm_itc models, where it differs from the other heads': `itm.cross_text.{j}`, `itm.cls_feats`, ...).
   * @default text_feats, image_feats, cls_feats and every head the weights have
   */
  outputs?: readonly string[];
  /**
   * Text position whose cross-attention `cross_attn_probs.*` reports.
   * @default 0 (the <s> token)
   */
  attentionQuery?: number;
  /**
   * Stops the pass at its next stage boundary (after the text tower, each few layers of the image tower, the
   * cross-modal layers) with AbortedError. Given this or `onStage`, the pass submits and waits per stage.
   * @default none: the pass submits once
   */
  signal?: AbortSignal;
  /**
   * Called as each stage of the pass finishes on the GPU: stages done, stages in the pass, the stage's name.
   * @default none
   */
  onStage?: (done: number, total: number, stage: string) => void;
}

/** Cancel and stage progress of a pass, as `forward` takes them (imageFeatures, encodeText, encodeImage). */
export type StageOptions = Pick<ForwardOptions, 'signal' | 'onStage'>;

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

  /** The features the authors' ITM fusion stack reads: its own bridge inputs in place of `crossInputs`. */
  fusionFeatures(): ImageFeatures {
    if (!this.fusionInputs) {
      throw new ShapeError(
        "image features were computed without the inputs of the authors' ITM path (itm_itc); use imageFeatures()",
      );
    }
    return new ImageFeatures(this.batch, this.tokenType, this.fusionInputs, undefined);
  }

  dispose(): void {
    for (const t of this.crossInputs) t.release();
    for (const t of this.fusionInputs ?? []) t.release();
    this.itc?.release();
  }
}
