// The one description of a BridgeTower model that the graph runner needs. The checkpoint readers
// (src/checkpoint/) produce it from `hyper_parameters.config`, an HF `config.json`, or tensor shapes;
// the web format stores it verbatim in its manifest.

export type ImagePreprocess = 'blip' | 'clip' | 'hf';

/**
 * Whose code defines the computation where the two codebases differ: 'authors' (microsoft/BridgeTower, the
 * `.ckpt` files) or 'hf' (transformers v4.40.2 `BridgeTowerFor*`, files written by `save_pretrained`).
 * They differ in the LayerNorm eps values, which config fields are read (activations, link towers, ...),
 * and the ITC image embedding (see `itcImage` in src/model/bridgetower.ts).
 */
export type Definition = 'authors' | 'hf';

/** Activations of the text, cross-modal and MLM-transform layers (HF `hidden_act`, by its ACT2FN name). */
export type HiddenAct = 'gelu' | 'gelu_tanh' | 'relu' | 'silu' | 'quickgelu' | 'tanh';

/** The bridge layer (HF `link_tower_type`): LN(x + y), LN(s·x + y) with a learned s, LN((1−β)·x + β·y). */
export type LinkTowerType = 'add' | 'scaled_add' | 'interpolate';

/** Every LayerNorm eps of the model, by the layers that use it. */
export interface LayerNormEps {
  /** CLIP: ln_pre, ln_1, ln_2, ln_post, ln_separate. */
  vision: number;
  /** RoBERTa embeddings and encoder layers. */
  text: number;
  /** The cross-modal BertCrossLayers. */
  cross: number;
  /** cross_modal_{text,image}_layernorm and the link towers. */
  bridge: number;
  /** The MLM head's transform LayerNorm. */
  mlm: number;
}

/**
 * An HF `preprocessor_config.json` (BridgeTowerImageProcessor): resize the shortest edge to `shortestEdge` (long side
 * capped at int(1333/800·shortestEdge), sides floored to multiples of `sizeDivisor`), centre-crop to `cropSize`,
 * x·rescaleFactor, then (x − mean) / std. Used with `imagePreprocess: 'hf'` in place of HF's defaults.
 */
export interface HfImageProcessor {
  shortestEdge: number;
  sizeDivisor: number;
  cropSize: number;
  doResize: boolean;
  doRescale: boolean;
  rescaleFactor: number;
  doNormalize: boolean;
  mean: [number, number, number];
  std: [number, number, number];
}

/** A two-layer task head: Linear(in -> hidden), LayerNorm(1e-5), GELU, Linear(hidden -> out); or one Linear. */
export interface TaskHeadConfig {
  /** 1: a single Linear; 2: Linear, LayerNorm, GELU, Linear (original `task_head_layers`). */
  layers: 1 | 2;
  /** Input width: 2H for vqa/snli, 4H for nlvr2. */
  inFeatures: number;
  /** Hidden width of the 2-layer head (int(in_base * head_hidden_scale)); 0 when layers = 1. */
  hidden: number;
  /** Number of output logits. */
  outFeatures: number;
}

export interface BridgeTowerConfig {
  /** Cross-modal stack: hidden size H, heads, layer count C, FFN = H * mlpRatio. */
  hiddenSize: number;
  numHeads: number;
  numLayers: number;
  crossIntermediateSize: number;

  vision: {
    /** Hv, CLIP ViT width. */
    width: number;
    layers: number;
    heads: number;
    patchSize: number;
    /** Image side S the positional embedding is laid out for; N = (S/P)^2 + 1 tokens. */
    imageSize: number;
    /** false: the ITC image feature uses ln_separate[Lv-1] instead of ln_post. */
    layernormShared: boolean;
  };

  text: {
    /** Ht, RoBERTa width. */
    hiddenSize: number;
    layers: number;
    heads: number;
    intermediateSize: number;
    vocabSize: number;
    maxPositionEmbeddings: number;
    /** RoBERTa's own token-type table rows (1 for roberta-base). */
    typeVocabSize: number;
    padTokenId: number;
    bosTokenId: number;
    eosTokenId: number;
    /** Longest tokenised text the model was trained with (original `max_text_len`). */
    maxTextLen: number;
  };

  /** Rows of the cross-modal `token_type_embeddings`: 2, or 3 for NLVR2. */
  tokenTypes: number;

  /** Heads present in the weights. */
  heads: {
    vqa?: TaskHeadConfig;
    snli?: TaskHeadConfig;
    nlvr2?: TaskHeadConfig;
    itm?: boolean;
    /**
     * Contrastive feature size (original `contrastive_hidden_size`). `cross`: HF's
     * BridgeTowerForContrastiveLearning, with `itc_cross_modal_head` on the pooled output and `logit_scale`.
     */
    itc?: { dim: number; cross?: boolean };
    mlm?: boolean;
    /** IRTR `rank_output` (shares storage with itm_score.fc rows 1: in the original). */
    irtr?: boolean;
  };

  imagePreprocess: ImagePreprocess;
  /** The model folder's preprocessor_config.json, when it has one (HF). */
  imageProcessor?: HfImageProcessor;

  // Fields below are absent from configurations written before they existed; `definitions()` gives their
  // values then (the authors' code, which every earlier configuration followed).

  definition?: Definition;
  layerNormEps?: LayerNormEps;
  hiddenAct?: { text: HiddenAct; cross: HiddenAct; mlm: HiddenAct };
  linkTower?: LinkTowerType;
  /** HF `tie_word_embeddings`: the MLM decoder is the word-embedding table (and absent from the file). */
  tieWordEmbeddings?: boolean;
  /**
   * 'fusion': the authors' ITM of `itm_itc` / `irtr_itm_itc` models (infer_image + infer_fusion): the bridge
   * inputs on the image side are the last `numLayers` vision layers, each through ln_separate[i] when the
   * LayerNorms are not shared. 'infer' (default): the path of every other head.
   */
  itmPath?: 'infer' | 'fusion';
}

/** The authors' values: nn.LayerNorm's 1e-5, except the BertConfig-built cross layers and MLM head (1e-12). */
export const AUTHORS_EPS: LayerNormEps = { vision: 1e-5, text: 1e-5, cross: 1e-12, bridge: 1e-5, mlm: 1e-12 };

/** transformers' defaults: every `layer_norm_eps` of BridgeTowerConfig and its text and vision configs is 1e-5. */
export const HF_EPS: LayerNormEps = { vision: 1e-5, text: 1e-5, cross: 1e-5, bridge: 1e-5, mlm: 1e-5 };

/** The definition fields of `c` with their defaults filled in. */
export function definitions(
  c: BridgeTowerConfig,
): Required<
  Pick<BridgeTowerConfig, 'definition' | 'layerNormEps' | 'hiddenAct' | 'linkTower' | 'tieWordEmbeddings' | 'itmPath'>
> {
  const definition = c.definition ?? 'authors';
  return {
    definition,
    layerNormEps: c.layerNormEps ?? (definition === 'hf' ? HF_EPS : AUTHORS_EPS),
    hiddenAct: c.hiddenAct ?? { text: 'gelu', cross: 'gelu', mlm: 'gelu' },
    linkTower: c.linkTower ?? 'add',
    tieWordEmbeddings: c.tieWordEmbeddings ?? false,
    itmPath: c.itmPath ?? 'infer',
  };
}

/** How `verify`, `run` and the task API name the definitions a model follows. */
export function describeDefinitions(c: BridgeTowerConfig): string {
  const d = definitions(c);
  const code =
    d.definition === 'hf'
      ? 'Hugging Face transformers v4.40.2 BridgeTower classes'
      : "the authors' microsoft/BridgeTower code";
  const parts = [code];
  if (c.heads.itc) {
    parts.push(
      d.definition === 'hf'
        ? 'ITC image embedding from the cross-modal image transform (HF)'
        : 'ITC image embedding from the last vision layer (authors)',
    );
  }
  if (c.heads.itm && d.itmPath === 'fusion') parts.push("ITM through the authors' infer_fusion path (itm_itc)");
  if (d.linkTower !== 'add') parts.push(`link towers ${d.linkTower}`);
  return parts.join('; ');
}

/** Layer index at which the uni-modal towers hand over to the cross-modal stack (fixtures README, step 4). */
export function splitIndex(c: BridgeTowerConfig): number {
  return c.text.layers - c.numLayers + 1;
}
