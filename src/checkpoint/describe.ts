// The model description: a BridgeTowerConfig from what the checkpoint declares (the original
// `hyper_parameters.config`, an HF config.json, or a BridgeTowerConfig) and from what its tensor shapes
// show. Every declared value that a shape also determines is checked against it; a contradiction is a
// ConfigError naming the tensor. Nothing is guessed: a value neither declared nor visible in a shape is
// an error, except the documented defaults (heads = width / 64 as in CLIP and RoBERTa, RoBERTa's special
// token ids, max_text_len = positions - 2).
import { ConfigError, MissingTensorError } from '../errors';
import {
  definitions,
  type BridgeTowerConfig,
  type HiddenAct,
  type ImagePreprocess,
  type LinkTowerType,
  type TaskHeadConfig,
} from '../common/config';
import {
  expectedTensors,
  TASK_CLASSIFIER,
  TASK_HEADS,
  TEXT_PREFIX as T,
  VISION_PREFIX as V,
  type TaskHead,
} from '../common/parameters';
import type { TensorInfo } from '../common/weight-set';

type Value = number | boolean | string;
export interface Fact {
  value: Value;
  from: string;
}
/** Flat field paths of BridgeTowerConfig ("vision.width", "heads.vqa.hidden", ...) -> value and its origin. */
export type Facts = Map<string, Fact>;

/** Released towers the original config names instead of giving their sizes (MODEL.md). */
const NAMED_VIT: Record<string, { width: number; layers: number; patch: number }> = {
  'ViT-B/16': { width: 768, layers: 12, patch: 16 },
  'ViT-B/32': { width: 768, layers: 12, patch: 32 },
  'ViT-L/14': { width: 1024, layers: 24, patch: 14 },
  'ViT-L/14@336px': { width: 1024, layers: 24, patch: 14 },
  'ViT-L/14-336': { width: 1024, layers: 24, patch: 14 },
};
const NAMED_TEXT: Record<
  string,
  { hidden: number; layers: number; heads: number; intermediate: number; positions: number; types: number }
> = {
  'roberta-base': { hidden: 768, layers: 12, heads: 12, intermediate: 3072, positions: 514, types: 1 },
  'roberta-large': { hidden: 1024, layers: 24, heads: 16, intermediate: 4096, positions: 514, types: 1 },
};

/** The tensor whose shape gives each field: named when the value can be found nowhere. */
const FIELD_TENSOR: Record<string, string> = {
  hiddenSize: 'cross_modal_text_transform.weight',
  numLayers: 'cross_modal_text_layers.0.attention.self.query.weight',
  crossIntermediateSize: 'cross_modal_text_layers.0.intermediate.dense.weight',
  'vision.width': `${V}class_embedding`,
  'vision.layers': `${V}transformer.resblocks.0.attn.in_proj_weight`,
  'vision.patchSize': `${V}conv1.weight`,
  'vision.imageSize': `${V}positional_embedding`,
  'text.hiddenSize': `${T}embeddings.word_embeddings.weight`,
  'text.vocabSize': `${T}embeddings.word_embeddings.weight`,
  'text.layers': `${T}encoder.layer.0.attention.self.query.weight`,
  'text.intermediateSize': `${T}encoder.layer.0.intermediate.dense.weight`,
  'text.maxPositionEmbeddings': `${T}embeddings.position_embeddings.weight`,
  'text.typeVocabSize': `${T}embeddings.token_type_embeddings.weight`,
  tokenTypes: 'token_type_embeddings.weight',
};

const describeShape = (name: string, info: TensorInfo): string => `${name} ${JSON.stringify(info.shape)}`;

function countLayers(names: Iterable<string>, prefix: string): number {
  let n = 0;
  const re = new RegExp(`^${prefix.replace(/\./g, '\\.')}(\\d+)\\.`);
  for (const name of names) {
    const m = re.exec(name);
    if (m) n = Math.max(n, Number(m[1]) + 1);
  }
  return n;
}

/** Everything the tensor shapes say about the configuration. */
export function shapeFacts(infos: Map<string, TensorInfo>): Facts {
  const facts: Facts = new Map();
  const dim = (name: string, axis: number, key: string): void => {
    const info = infos.get(name);
    if (info && axis < info.shape.length) facts.set(key, { value: info.shape[axis], from: describeShape(name, info) });
  };
  const count = (prefix: string, key: string): void => {
    const n = countLayers(infos.keys(), prefix);
    if (n) facts.set(key, { value: n, from: `the ${n} ${prefix}N tensors` });
  };
  dim('cross_modal_text_transform.weight', 0, 'hiddenSize');
  count('cross_modal_text_layers.', 'numLayers');
  dim('cross_modal_text_layers.0.intermediate.dense.weight', 0, 'crossIntermediateSize');
  dim(`${V}class_embedding`, 0, 'vision.width');
  count(`${V}transformer.resblocks.`, 'vision.layers');
  const conv = infos.get(`${V}conv1.weight`);
  if (conv) {
    if (conv.shape.length !== 4 || conv.shape[1] !== 3 || conv.shape[2] !== conv.shape[3]) {
      throw new ConfigError(
        `tensor ${describeShape(`${V}conv1.weight`, conv)} is not a square RGB patch embedding [width, 3, P, P]`,
      );
    }
    facts.set('vision.patchSize', { value: conv.shape[2], from: describeShape(`${V}conv1.weight`, conv) });
  }
  const pos = infos.get(`${V}positional_embedding`);
  const patch = facts.get('vision.patchSize')?.value as number | undefined;
  if (pos && patch) {
    const grid = Math.round(Math.sqrt(pos.shape[0] - 1));
    if (pos.shape.length !== 2 || grid * grid + 1 !== pos.shape[0]) {
      throw new ConfigError(
        `tensor ${describeShape(`${V}positional_embedding`, pos)} is not a square grid of patch positions plus the class position`,
      );
    }
    facts.set('vision.imageSize', { value: grid * patch, from: describeShape(`${V}positional_embedding`, pos) });
  }
  facts.set('vision.layernormShared', {
    value: !infos.has(`${V}ln_separate.0.weight`),
    from: `the presence of ${V}ln_separate.0.weight`,
  });
  dim(`${T}embeddings.word_embeddings.weight`, 1, 'text.hiddenSize');
  dim(`${T}embeddings.word_embeddings.weight`, 0, 'text.vocabSize');
  count(`${T}encoder.layer.`, 'text.layers');
  dim(`${T}encoder.layer.0.intermediate.dense.weight`, 0, 'text.intermediateSize');
  dim(`${T}embeddings.position_embeddings.weight`, 0, 'text.maxPositionEmbeddings');
  dim(`${T}embeddings.token_type_embeddings.weight`, 0, 'text.typeVocabSize');
  dim('token_type_embeddings.weight', 0, 'tokenTypes');

  const has = (name: string, key: string): void => {
    facts.set(key, { value: infos.has(name), from: `the presence of ${name}` });
  };
  // The decoder is absent from HF files with tie_word_embeddings; the transform is always there.
  has('mlm_score.transform.dense.weight', 'heads.mlm');
  has('itm_score.fc.weight', 'heads.itm');
  has('rank_output.weight', 'heads.irtr');
  has('itc_text_head.fc.weight', 'heads.itc');
  dim('itc_text_head.fc.weight', 0, 'heads.itc.dim');
  if (infos.has('itc_text_head.fc.weight')) has('itc_cross_modal_head.fc.weight', 'heads.itc.cross');
  for (const [param, type] of [
    ['scaled_factor', 'scaled_add'],
    ['beta', 'interpolate'],
  ] as const) {
    const name = `cross_modal_text_link_tower.0.${param}`;
    if (infos.has(name)) facts.set('linkTower', { value: type, from: `the presence of ${name}` });
  }
  for (const head of TASK_HEADS) {
    const c = TASK_CLASSIFIER[head];
    const first = infos.get(`${c}.0.weight`);
    has(`${c}.0.weight`, `heads.${head}`);
    if (!first) continue;
    const last = infos.get(`${c}.3.weight`);
    const from = describeShape(`${c}.0.weight`, first);
    facts.set(`heads.${head}.layers`, { value: last ? 2 : 1, from: `the presence of ${c}.3.weight` });
    facts.set(`heads.${head}.inFeatures`, { value: first.shape[1], from });
    facts.set(`heads.${head}.hidden`, { value: last ? first.shape[0] : 0, from });
    if (last)
      facts.set(`heads.${head}.outFeatures`, { value: last.shape[0], from: describeShape(`${c}.3.weight`, last) });
    else facts.set(`heads.${head}.outFeatures`, { value: first.shape[0], from });
  }
  return facts;
}

function num(h: Record<string, unknown>, key: string): number | undefined {
  const v = h[key];
  return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
}

/** Facts declared by the original sacred config (`hyper_parameters.config`), extension keys included. */
export function hyperFacts(h: Record<string, unknown>): Facts {
  const facts: Facts = new Map();
  const set = (key: string, value: Value | undefined, from: string): void => {
    if (value !== undefined) facts.set(key, { value, from: `hyper_parameters.config.${from}` });
  };
  // The authors build RoBERTa only when the tokenizer's name says so (bt_module.py); otherwise their BertModel,
  // whose embeddings, positions and eps differ. Likewise a Swin or timm ViT instead of CLIP.
  if (typeof h.tokenizer === 'string' && !h.tokenizer.includes('roberta')) {
    throw new ConfigError(
      `hyper_parameters.config.tokenizer ${JSON.stringify(h.tokenizer)}: the authors build a BERT text tower for it; ` +
        'only RoBERTa text towers are supported',
    );
  }
  if (typeof h.vit === 'string' && !h.vit.includes('CLIP')) {
    throw new ConfigError(
      `hyper_parameters.config.vit ${JSON.stringify(h.vit)}: not a CLIP vision tower; only CLIP ViT towers are supported`,
    );
  }
  if (h.vit_layernorm_shared === false && h.vit_layernorm_init_from_vit === true) {
    throw new ConfigError(
      'hyper_parameters.config: vit_layernorm_init_from_vit with vit_layernorm_shared false cannot be built by ' +
        "the authors' code (it reads vit_model.visual.cross_modal_ln_separate, which does not exist)",
    );
  }
  set('definition', 'authors', 'the original checkpoint');
  const H = num(h, 'hidden_size');
  set('hiddenSize', H, 'hidden_size');
  set('numHeads', num(h, 'num_heads'), 'num_heads');
  set('numLayers', num(h, 'num_layers'), 'num_layers');
  const ratio = num(h, 'mlp_ratio');
  if (H !== undefined && ratio !== undefined)
    set('crossIntermediateSize', Math.trunc(H * ratio), 'hidden_size * mlp_ratio');

  // The original names CLIP towers 'CLIP-ViT-B/16' and strips the prefix before loading them.
  const vit = typeof h.vit === 'string' ? NAMED_VIT[h.vit.replace(/^CLIP-/, '')] : undefined;
  if (num(h, 'vit_width') !== undefined) set('vision.width', num(h, 'vit_width'), 'vit_width');
  else if (vit) set('vision.width', vit.width, 'vit');
  else set('vision.width', num(h, 'input_image_embed_size'), 'input_image_embed_size');
  // vit_remove_last builds one resblock fewer than the tower has layers (clip_model.py, Transformer).
  const vitLayers = num(h, 'vit_layers') ?? vit?.layers;
  set(
    'vision.layers',
    vitLayers !== undefined && h.vit_remove_last === true ? vitLayers - 1 : vitLayers,
    `${num(h, 'vit_layers') !== undefined ? 'vit_layers' : 'vit'}${h.vit_remove_last === true ? ' - 1 (vit_remove_last)' : ''}`,
  );
  if (num(h, 'vit_heads') !== undefined) set('vision.heads', num(h, 'vit_heads'), 'vit_heads');
  else if (vit) set('vision.heads', Math.floor(vit.width / 64), 'vit (heads = width // 64)');
  set(
    'vision.patchSize',
    num(h, 'patch_size') ?? vit?.patch,
    num(h, 'patch_size') !== undefined ? 'patch_size' : 'vit',
  );
  set('vision.imageSize', num(h, 'image_size'), 'image_size');
  if (typeof h.vit_layernorm_shared === 'boolean')
    set('vision.layernormShared', h.vit_layernorm_shared, 'vit_layernorm_shared');

  const text = typeof h.tokenizer === 'string' ? NAMED_TEXT[h.tokenizer] : undefined;
  const pick = (ext: string, named: number | undefined): [number | undefined, string] =>
    num(h, ext) !== undefined ? [num(h, ext), ext] : [named, 'tokenizer'];
  set(
    'text.hiddenSize',
    num(h, 'input_text_embed_size') ?? text?.hidden,
    num(h, 'input_text_embed_size') !== undefined ? 'input_text_embed_size' : 'tokenizer',
  );
  set('text.layers', ...pick('text_num_layers', text?.layers));
  set('text.heads', ...pick('text_num_heads', text?.heads));
  set('text.intermediateSize', ...pick('text_intermediate_size', text?.intermediate));
  set('text.maxPositionEmbeddings', ...pick('text_max_position_embeddings', text?.positions));
  set('text.typeVocabSize', ...pick('text_type_vocab_size', text?.types));
  set('text.vocabSize', num(h, 'vocab_size'), 'vocab_size');
  set('text.maxTextLen', num(h, 'max_text_len'), 'max_text_len');

  const loss = h.loss_names && typeof h.loss_names === 'object' ? (h.loss_names as Record<string, unknown>) : undefined;
  if (loss) {
    const on = (...keys: string[]): boolean => keys.some((k) => typeof loss[k] === 'number' && (loss[k] as number) > 0);
    set('heads.mlm', on('mlm'), 'loss_names.mlm');
    set('heads.itm', on('itm', 'itm_itc', 'irtr_itm_itc'), 'loss_names.itm');
    set('heads.itc', on('itc', 'itm_itc', 'irtr_itm_itc'), 'loss_names.itc');
    set('heads.irtr', on('irtr'), 'loss_names.irtr');
    set('itmPath', on('itm_itc', 'irtr_itm_itc') ? 'fusion' : 'infer', 'loss_names.itm_itc / irtr_itm_itc');
    set('tokenTypes', on('nlvr2') ? 3 : 2, 'loss_names.nlvr2');
    const layers = num(h, 'task_head_layers');
    const scale = num(h, 'head_hidden_scale');
    for (const head of TASK_HEADS) {
      set(`heads.${head}`, on(head), `loss_names.${head}`);
      if (!on(head) || H === undefined) continue;
      set(`heads.${head}.inFeatures`, head === 'nlvr2' ? 4 * H : 2 * H, 'hidden_size');
      if (layers !== undefined) {
        set(`heads.${head}.layers`, layers, 'task_head_layers');
        if (layers === 1) set(`heads.${head}.hidden`, 0, 'task_head_layers');
        else if (scale !== undefined) set(`heads.${head}.hidden`, Math.trunc(2 * H * scale), 'head_hidden_scale');
      }
      if (head === 'vqa') set('heads.vqa.outFeatures', num(h, 'vqav2_label_size'), 'vqav2_label_size');
      else set(`heads.${head}.outFeatures`, head === 'snli' ? 3 : 2, 'loss_names');
    }
  }
  set('heads.itc.dim', num(h, 'contrastive_hidden_size'), 'contrastive_hidden_size');

  const preprocess =
    typeof h.image_preprocess === 'string'
      ? h.image_preprocess
      : Array.isArray(h.val_transform_keys) && typeof h.val_transform_keys[0] === 'string'
        ? h.val_transform_keys[0]
        : undefined;
  if (preprocess !== undefined) {
    const mode =
      preprocess === 'hf'
        ? 'hf'
        : preprocess.startsWith('blip')
          ? 'blip'
          : preprocess.startsWith('clip')
            ? 'clip'
            : undefined;
    if (!mode)
      throw new ConfigError(
        `hyper_parameters.config: image transform ${JSON.stringify(preprocess)} is not one of blip, clip, hf; choose one with --image-preprocess`,
      );
    set('imagePreprocess', mode, typeof h.image_preprocess === 'string' ? 'image_preprocess' : 'val_transform_keys');
  }
  return facts;
}

const obj = (x: unknown): Record<string, unknown> =>
  x && typeof x === 'object' && !Array.isArray(x) ? (x as Record<string, unknown>) : {};

/** HF ACT2FN names -> the activation computed (gelu_new, gelu_fast and gelu_pytorch_tanh are one formula). */
const HF_ACTIVATIONS: Record<string, HiddenAct> = {
  gelu: 'gelu',
  gelu_python: 'gelu',
  gelu_new: 'gelu_tanh',
  gelu_fast: 'gelu_tanh',
  gelu_pytorch_tanh: 'gelu_tanh',
  relu: 'relu',
  silu: 'silu',
  swish: 'silu',
  quick_gelu: 'quickgelu',
  tanh: 'tanh',
};
type Widen<T> = T extends boolean ? boolean : T extends number ? number : string;
const LINK_TOWERS: readonly LinkTowerType[] = ['add', 'scaled_add', 'interpolate'];

/**
 * Facts declared by an HF BridgeTower config.json: what transformers v4.40.2 builds from it. save_pretrained
 * writes only the fields that differ from the class defaults, so an absent field means HF's default.
 * A configuration HF cannot build or run is a ConfigError naming the field. The project's own fixtures mark
 * their HF-named copies of original weights with `bridgetower_oracle_notes`: those keep the authors' definitions.
 */
export function hfConfigFacts(c: Record<string, unknown>): Facts {
  if (c.bridgetower_oracle_notes !== undefined) return oracleConfigFacts(c);
  const facts: Facts = new Map();
  const text = obj(c.text_config),
    vision = obj(c.vision_config);
  const set = (key: string, value: Value, from: string): void => {
    facts.set(key, { value, from: `config.json ${from}` });
  };
  /** A field or HF's default for it. */
  const field = <T extends Value>(
    o: Record<string, unknown>,
    where: string,
    key: string,
    fallback: T,
  ): [Widen<T>, string] => {
    const v = o[key];
    if (v === undefined || v === null) {
      return [fallback as unknown as Widen<T>, `${where}${key} (absent: HF's default ${JSON.stringify(fallback)})`];
    }
    if (typeof v !== typeof fallback || (typeof v === 'number' && !Number.isFinite(v))) {
      throw new ConfigError(`config.json ${where}${key} = ${JSON.stringify(v)} is not a ${typeof fallback}`);
    }
    return [v as Widen<T>, `${where}${key}`];
  };
  const top = <T extends Value>(key: string, fallback: T) => field(c, '', key, fallback);
  const txt = <T extends Value>(key: string, fallback: T) => field(text, 'text_config.', key, fallback);
  const vis = <T extends Value>(key: string, fallback: T) => field(vision, 'vision_config.', key, fallback);
  const refuse = (what: string): never => {
    throw new ConfigError(`config.json ${what}`);
  };

  const [numLayers, numLayersFrom] = top('num_hidden_layers', 6);
  if (top('share_cross_modal_transformer_layers', true)[0] === false) {
    refuse(
      'share_cross_modal_transformer_layers: false: HF builds per-layer transforms its forward pass cannot call; ' +
        'transformers cannot run this model',
    );
  }
  if (top('share_link_tower_layers', false)[0] === true && numLayers > 1) {
    refuse(
      `share_link_tower_layers: true with ${numLayers} cross-modal layers: HF indexes the shared link tower per layer ` +
        'and fails; transformers cannot run this model',
    );
  }
  const [shareLn, shareLnFrom] = vis('share_layernorm', true);
  if (top('init_layernorm_from_vision_encoder', false)[0] === true && !shareLn) {
    refuse(
      'init_layernorm_from_vision_encoder: true with vision_config.share_layernorm false: HF reads a ' +
        'cross_modal_ln_separate that does not exist; transformers cannot build this model',
    );
  }
  const [link, linkFrom] = top('link_tower_type', 'add');
  if (!LINK_TOWERS.includes(link as LinkTowerType)) {
    refuse(`link_tower_type ${JSON.stringify(link)}: HF implements only ${LINK_TOWERS.join(', ')}`);
  }
  const act = (value: string, from: string): HiddenAct =>
    HF_ACTIVATIONS[value] ??
    refuse(`${from} ${JSON.stringify(value)}: not a supported activation (${Object.keys(HF_ACTIVATIONS).join(', ')})`);
  const [textAct, textActFrom] = txt('hidden_act', 'gelu');
  const [mlmAct, mlmActFrom] = top('hidden_act', 'gelu');
  const [position] = txt('position_embedding_type', 'absolute');
  if (position !== 'absolute') {
    refuse(
      `text_config.position_embedding_type ${JSON.stringify(position)}: only absolute position embeddings are supported`,
    );
  }

  const [H, HFrom] = top('hidden_size', 768);
  const [Ht, HtFrom] = txt('hidden_size', 768);
  // HF builds the cross-modal layers from text_config, and feeds them cross_modal_*_transform outputs of hidden_size.
  if (H !== Ht) {
    refuse(
      `hidden_size ${H} differs from text_config.hidden_size ${Ht}: HF builds the cross-modal layers from text_config ` +
        'and cannot run this model',
    );
  }
  const architectures = Array.isArray(c.architectures) ? c.architectures : [];
  const [width, widthFrom] = vis('hidden_size', 768);
  if (architectures.includes('BridgeTowerForContrastiveLearning') && width !== H) {
    refuse(
      `architectures BridgeTowerForContrastiveLearning with ${widthFrom} ${width} and hidden_size ${H}: its ITC image embedding ` +
        'adds token_type_embeddings (hidden_size wide) to the vision output; transformers cannot run this model (the widths must agree)',
    );
  }
  set('definition', 'hf', 'model_type (a transformers BridgeTower model)');
  set('hiddenSize', H, HFrom);
  set('numLayers', numLayers, numLayersFrom);
  set('numHeads', ...txt('num_attention_heads', 12));
  set('crossIntermediateSize', ...txt('intermediate_size', 3072));
  set('text.hiddenSize', Ht, HtFrom);
  set('text.layers', ...txt('num_hidden_layers', 12));
  set('text.heads', ...txt('num_attention_heads', 12));
  set('text.intermediateSize', ...txt('intermediate_size', 3072));
  set('text.vocabSize', ...txt('vocab_size', 50265));
  set('text.maxPositionEmbeddings', ...txt('max_position_embeddings', 514));
  set('text.typeVocabSize', ...txt('type_vocab_size', 1));
  set('text.padTokenId', ...txt('pad_token_id', 1));
  set('text.bosTokenId', ...txt('bos_token_id', 0));
  set('text.eosTokenId', ...txt('eos_token_id', 2));
  const [layers, layersFrom] = vis('num_hidden_layers', 12);
  const [removeLast] = vis('remove_last_layer', false);
  set('vision.width', width, widthFrom);
  set(
    'vision.layers',
    removeLast ? layers - 1 : layers,
    removeLast ? `${layersFrom} - 1 (remove_last_layer)` : layersFrom,
  );
  // nn.MultiheadAttention(width, width // 64) in BridgeTowerResidualAttention.
  set('vision.heads', Math.floor(width / 64), `${widthFrom} // 64`);
  set('vision.patchSize', ...vis('patch_size', 16));
  set('vision.imageSize', ...vis('image_size', 288));
  set('vision.layernormShared', shareLn, shareLnFrom);
  set('tokenTypes', 2, 'model_type (HF token_type_embeddings has 2 rows)');
  if (num(c, 'contrastive_hidden_size') !== undefined)
    set('heads.itc.dim', num(c, 'contrastive_hidden_size')!, 'contrastive_hidden_size');
  const [topEps, topEpsFrom] = top('layer_norm_eps', 1e-5);
  const [textEps, textEpsFrom] = txt('layer_norm_eps', 1e-5);
  const [visionEps, visionEpsFrom] = vis('layer_norm_eps', 1e-5);
  set('layerNormEps.vision', visionEps, visionEpsFrom);
  set('layerNormEps.text', textEps, textEpsFrom);
  set('layerNormEps.cross', textEps, textEpsFrom);
  set('layerNormEps.bridge', topEps, topEpsFrom);
  set('layerNormEps.mlm', topEps, topEpsFrom);
  set('hiddenAct.text', act(textAct, textActFrom), textActFrom);
  set('hiddenAct.cross', act(textAct, textActFrom), textActFrom);
  set('hiddenAct.mlm', act(mlmAct, mlmActFrom), mlmActFrom);
  set('linkTower', link, linkFrom);
  set('tieWordEmbeddings', ...top('tie_word_embeddings', false));
  set('itmPath', 'infer', 'model_type');
  set('imagePreprocess', 'hf', 'model_type');
  return facts;
}

/** The fixtures' HF-named copies of original weights (`bridgetower_oracle_notes`): the authors' definitions. */
function oracleConfigFacts(c: Record<string, unknown>): Facts {
  const facts: Facts = new Map();
  const set = (key: string, value: Value | undefined, from: string): void => {
    if (value !== undefined) facts.set(key, { value, from: `config.json ${from}` });
  };
  const text = obj(c.text_config),
    vision = obj(c.vision_config),
    notes = obj(c.bridgetower_oracle_notes);
  set('definition', 'authors', 'bridgetower_oracle_notes');
  const H = num(c, 'hidden_size');
  set('hiddenSize', H, 'hidden_size');
  set('numHeads', num(c, 'num_attention_heads'), 'num_attention_heads');
  set('numLayers', num(c, 'num_hidden_layers'), 'num_hidden_layers');
  set('vision.width', num(vision, 'hidden_size'), 'vision_config.hidden_size');
  set('vision.layers', num(vision, 'num_hidden_layers'), 'vision_config.num_hidden_layers');
  set('vision.patchSize', num(vision, 'patch_size'), 'vision_config.patch_size');
  set('vision.imageSize', num(vision, 'image_size'), 'vision_config.image_size');
  if (typeof vision.share_layernorm === 'boolean')
    set('vision.layernormShared', vision.share_layernorm, 'vision_config.share_layernorm');
  if (num(notes, 'vision_num_attention_heads') !== undefined)
    set(
      'vision.heads',
      num(notes, 'vision_num_attention_heads'),
      'bridgetower_oracle_notes.vision_num_attention_heads',
    );
  else if (num(vision, 'hidden_size') !== undefined) {
    set('vision.heads', Math.floor(num(vision, 'hidden_size')! / 64), 'vision_config.hidden_size // 64');
  }
  set('text.hiddenSize', num(text, 'hidden_size'), 'text_config.hidden_size');
  set('text.layers', num(text, 'num_hidden_layers'), 'text_config.num_hidden_layers');
  set('text.heads', num(text, 'num_attention_heads'), 'text_config.num_attention_heads');
  set('text.intermediateSize', num(text, 'intermediate_size'), 'text_config.intermediate_size');
  set('text.vocabSize', num(text, 'vocab_size'), 'text_config.vocab_size');
  set('text.maxPositionEmbeddings', num(text, 'max_position_embeddings'), 'text_config.max_position_embeddings');
  set('text.typeVocabSize', num(text, 'type_vocab_size'), 'text_config.type_vocab_size');
  set('text.padTokenId', num(text, 'pad_token_id'), 'text_config.pad_token_id');
  set('text.bosTokenId', num(text, 'bos_token_id'), 'text_config.bos_token_id');
  set('text.eosTokenId', num(text, 'eos_token_id'), 'text_config.eos_token_id');
  set('tokenTypes', num(notes, 'token_type_vocab'), 'bridgetower_oracle_notes.token_type_vocab');
  set('heads.itc.dim', num(c, 'contrastive_hidden_size'), 'contrastive_hidden_size');
  if (Array.isArray(notes.heads)) {
    const heads = new Set(notes.heads);
    for (const head of ['mlm', 'itm', 'itc', 'irtr', ...TASK_HEADS])
      set(`heads.${head}`, heads.has(head), 'bridgetower_oracle_notes.heads');
    const layers = num(notes, 'task_head_layers'),
      scale = num(notes, 'head_hidden_scale');
    for (const head of TASK_HEADS) {
      if (!heads.has(head) || H === undefined) continue;
      set(`heads.${head}.inFeatures`, head === 'nlvr2' ? 4 * H : 2 * H, 'hidden_size');
      set(`heads.${head}.layers`, layers, 'bridgetower_oracle_notes.task_head_layers');
      if (layers === 1) set(`heads.${head}.hidden`, 0, 'bridgetower_oracle_notes.task_head_layers');
      else if (layers === 2 && scale !== undefined)
        set(`heads.${head}.hidden`, Math.trunc(2 * H * scale), 'bridgetower_oracle_notes.head_hidden_scale');
      set(
        `heads.${head}.outFeatures`,
        head === 'vqa' ? num(notes, 'vqav2_label_size') : head === 'snli' ? 3 : 2,
        'bridgetower_oracle_notes',
      );
    }
  }
  set('imagePreprocess', 'hf', 'model_type');
  return facts;
}

/** Facts of a complete BridgeTowerConfig (a web-format manifest, or --config with our own format). */
export function configFacts(config: BridgeTowerConfig, origin: string): Facts {
  const facts: Facts = new Map();
  const walk = (x: unknown, path: string): void => {
    if (x && typeof x === 'object') {
      for (const [k, v] of Object.entries(x)) walk(v, path ? `${path}.${k}` : k);
      if (path.startsWith('heads.')) facts.set(path, { value: true, from: `${origin} ${path}` });
    } else if (typeof x === 'number' || typeof x === 'boolean' || typeof x === 'string') {
      facts.set(path, { value: x, from: `${origin} ${path}` });
    }
  };
  walk(config, '');
  if (!facts.has('definition'))
    facts.set('definition', { value: 'authors', from: `${origin} (no definition: the authors')` });
  for (const head of ['mlm', 'itm', 'itc', 'irtr', ...TASK_HEADS])
    if (!facts.has(`heads.${head}`)) facts.set(`heads.${head}`, { value: false, from: `${origin} heads` });
  return facts;
}

/** True when `x` is one of our BridgeTowerConfig objects rather than an original or HF config. */
export function isBridgeTowerConfig(x: unknown): x is BridgeTowerConfig {
  return !!x && typeof x === 'object' && 'vision' in x && 'text' in x && 'heads' in x && 'hiddenSize' in x;
}

export interface ResolveOptions {
  /** For messages. */
  file: string;
  /** Names were HF's: the default preprocessing is then 'hf', otherwise 'blip' (every released fine-tuned checkpoint). */
  hfNames: boolean;
}

/** Merge declared facts with shape facts: conflicts are ConfigErrors, gaps are filled by the documented defaults. */
export function resolveConfig(declared: Facts, shapes: Facts, opts: ResolveOptions): BridgeTowerConfig {
  const merged: Facts = new Map();
  for (const [key, d] of declared) {
    const s = shapes.get(key);
    if (s && s.value !== d.value) {
      const head = /^heads\.(\w+)$/.exec(key);
      if (head && d.value === true)
        throw new MissingTensorError(
          s.from.replace('the presence of ', ''),
          `${opts.file} (${d.from} declares the ${head[1]} head)`,
        );
      if (head || (/^heads\.(\w+)\./.test(key) && declared.get(`heads.${key.split('.')[1]}`)?.value === false)) {
        merged.set(key, d);
        continue;
      }
      throw new ConfigError(
        `${opts.file}: ${d.from} gives ${key} = ${JSON.stringify(d.value)}, but tensor ${s.from} gives ${JSON.stringify(s.value)}`,
      );
    }
    merged.set(key, d);
  }
  for (const [key, s] of shapes) if (!merged.has(key)) merged.set(key, s);

  const get = (key: string): Value | undefined => merged.get(key)?.value;
  const need = (key: string): number => {
    const v = get(key);
    if (typeof v === 'number' && Number.isSafeInteger(v) && v >= 0) return v;
    if (v !== undefined)
      throw new ConfigError(
        `${opts.file}: ${merged.get(key)!.from} gives ${key} = ${JSON.stringify(v)}, not a whole number`,
      );
    throw new MissingTensorError(FIELD_TENSOR[key] ?? key, `${opts.file} (needed for ${key})`);
  };
  const heads = (key: string, widthKey: string): number => {
    if (get(key) !== undefined) return need(key);
    const width = need(widthKey);
    // CLIP (the authors' and HF's alike) builds width // 64 heads; RoBERTa-sized towers are multiples of 64.
    if (key === 'vision.heads') return Math.floor(width / 64);
    if (width % 64)
      throw new ConfigError(
        `${opts.file}: the number of attention heads for ${key} is not declared and width ${width} is not a multiple of 64; give a config (--config)`,
      );
    return width / 64;
  };
  const positive = (key: string): number | undefined => {
    const v = get(key);
    if (v === undefined) return undefined;
    if (typeof v !== 'number' || !(v > 0)) {
      throw new ConfigError(
        `${opts.file}: ${merged.get(key)!.from} gives ${key} = ${JSON.stringify(v)}, not a positive number`,
      );
    }
    return v;
  };
  const oneOf = <T extends string>(key: string, allowed: readonly T[]): T | undefined => {
    const v = get(key);
    if (v === undefined) return undefined;
    if (!allowed.includes(v as T)) {
      throw new ConfigError(
        `${opts.file}: ${merged.get(key)!.from} gives ${key} = ${JSON.stringify(v)}, not one of ${allowed.join(', ')}`,
      );
    }
    return v as T;
  };
  const maxPositions = need('text.maxPositionEmbeddings');
  const taskHead = (head: TaskHead): TaskHeadConfig | undefined => {
    if (get(`heads.${head}`) !== true) return undefined;
    const layers = need(`heads.${head}.layers`);
    if (layers !== 1 && layers !== 2)
      throw new ConfigError(
        `${opts.file}: ${merged.get(`heads.${head}.layers`)!.from} gives ${layers} task head layers (1 or 2 expected)`,
      );
    return {
      layers,
      inFeatures: need(`heads.${head}.inFeatures`),
      hidden: need(`heads.${head}.hidden`),
      outFeatures: need(`heads.${head}.outFeatures`),
    };
  };
  const config: BridgeTowerConfig = {
    hiddenSize: need('hiddenSize'),
    numHeads: heads('numHeads', 'hiddenSize'),
    numLayers: need('numLayers'),
    crossIntermediateSize: need('crossIntermediateSize'),
    vision: {
      width: need('vision.width'),
      layers: need('vision.layers'),
      heads: heads('vision.heads', 'vision.width'),
      patchSize: need('vision.patchSize'),
      imageSize: need('vision.imageSize'),
      layernormShared: get('vision.layernormShared') !== false,
    },
    text: {
      hiddenSize: need('text.hiddenSize'),
      layers: need('text.layers'),
      heads: heads('text.heads', 'text.hiddenSize'),
      intermediateSize: need('text.intermediateSize'),
      vocabSize: need('text.vocabSize'),
      maxPositionEmbeddings: maxPositions,
      typeVocabSize: need('text.typeVocabSize'),
      padTokenId: get('text.padTokenId') === undefined ? 1 : need('text.padTokenId'),
      bosTokenId: get('text.bosTokenId') === undefined ? 0 : need('text.bosTokenId'),
      eosTokenId: get('text.eosTokenId') === undefined ? 2 : need('text.eosTokenId'),
      // RoBERTa positions start after the padding index: a text of n tokens uses positions 2..n+1.
      maxTextLen: get('text.maxTextLen') === undefined ? maxPositions - 2 : need('text.maxTextLen'),
    },
    tokenTypes: need('tokenTypes'),
    heads: {},
    imagePreprocess: (get('imagePreprocess') as ImagePreprocess | undefined) ?? (opts.hfNames ? 'hf' : 'blip'),
  };
  for (const head of TASK_HEADS) {
    const h = taskHead(head);
    if (h) config.heads[head] = h;
  }
  if (get('heads.mlm') === true) config.heads.mlm = true;
  if (get('heads.itm') === true) config.heads.itm = true;
  if (get('heads.irtr') === true) config.heads.irtr = true;
  if (get('heads.itc') === true)
    config.heads.itc = { dim: need('heads.itc.dim'), ...(get('heads.itc.cross') === true ? { cross: true } : {}) };
  // Absent fields mean the authors' definitions (config.ts): only what differs from them is written.
  const definition = oneOf('definition', ['authors', 'hf'] as const) ?? (opts.hfNames ? 'hf' : 'authors');
  if (definition === 'hf') config.definition = definition;
  const eps = ['vision', 'text', 'cross', 'bridge', 'mlm'] as const;
  if (eps.some((k) => get(`layerNormEps.${k}`) !== undefined)) {
    const base = definitions(config).layerNormEps;
    config.layerNormEps = { ...base };
    for (const k of eps) config.layerNormEps[k] = positive(`layerNormEps.${k}`) ?? base[k];
  }
  const acts = ['gelu', 'gelu_tanh', 'relu', 'silu', 'quickgelu', 'tanh'] as const;
  if (['text', 'cross', 'mlm'].some((k) => get(`hiddenAct.${k}`) !== undefined)) {
    config.hiddenAct = {
      text: oneOf('hiddenAct.text', acts) ?? 'gelu',
      cross: oneOf('hiddenAct.cross', acts) ?? 'gelu',
      mlm: oneOf('hiddenAct.mlm', acts) ?? 'gelu',
    };
  }
  const link = oneOf('linkTower', ['add', 'scaled_add', 'interpolate'] as const);
  if (link && link !== 'add') config.linkTower = link;
  if (get('tieWordEmbeddings') === true) config.tieWordEmbeddings = true;
  if (oneOf('itmPath', ['infer', 'fusion'] as const) === 'fusion') config.itmPath = 'fusion';
  if (definition === 'hf' && config.heads.itc && config.vision.width !== config.hiddenSize) {
    // BridgeTowerForContrastiveLearning adds token_type_embeddings (hidden_size wide) to ln_post of the vision
    // tower (vision width) before the transform: expand_as fails unless the two widths agree.
    throw new ConfigError(
      `${opts.file}: a contrastive (ITC) model with vision width ${config.vision.width} and cross-modal width ` +
        `${config.hiddenSize}: transformers' BridgeTowerForContrastiveLearning cannot run it (the widths must agree)`,
    );
  }
  if (config.numLayers < 1 || config.numLayers > config.text.layers || config.numLayers > config.vision.layers) {
    throw new ConfigError(
      `${opts.file}: ${config.numLayers} cross-modal layers need at least as many text (${config.text.layers}) and vision (${config.vision.layers}) layers`,
    );
  }
  for (const [what, width, h] of [
    ['cross-modal', config.hiddenSize, config.numHeads],
    ['vision', config.vision.width, config.vision.heads],
    ['text', config.text.hiddenSize, config.text.heads],
  ] as const) {
    if (h < 1 || width % h)
      throw new ConfigError(`${opts.file}: ${what} width ${width} does not split into ${h} attention heads`);
  }
  if (config.vision.imageSize % config.vision.patchSize)
    throw new ConfigError(
      `${opts.file}: image size ${config.vision.imageSize} is not a multiple of patch size ${config.vision.patchSize}`,
    );
  return config;
}

/** Every tensor the config needs must be present with exactly the shape the config implies. */
export function checkTensors(config: BridgeTowerConfig, infos: Map<string, TensorInfo>, file: string): void {
  for (const [name, shape] of expectedTensors(config)) {
    const info = infos.get(name);
    if (!info) throw new MissingTensorError(name, file);
    // A 0-d parameter may be stored as [1] (some safetensors writers).
    const scalar = shape.length === 0 && info.shape.length === 1 && info.shape[0] === 1;
    if (!scalar && (info.shape.length !== shape.length || info.shape.some((d, i) => d !== shape[i]))) {
      throw new ConfigError(
        `${file}: tensor ${name} has shape ${JSON.stringify(info.shape)}, the config implies ${JSON.stringify(shape)}`,
      );
    }
  }
}
