// The model description: a BridgeTowerConfig from what the checkpoint declares (the original
// `hyper_parameters.config`, an HF config.json, or a BridgeTowerConfig) and from what its tensor shapes
// show. Every declared value that a shape also determines is checked against it; a contradiction is a
// ConfigError naming the tensor. Nothing is guessed: a value neither declared nor visible in a shape is
// an error, except the documented defaults (heads = width / 64 as in CLIP and RoBERTa, RoBERTa's special
// token ids, max_text_len = positions - 2).
import { ConfigError, MissingTensorError } from '../errors';
import type { BridgeTowerConfig, ImagePreprocess, TaskHeadConfig } from '../model/config';
import type { TensorInfo } from './weight-set';

type Value = number | boolean | string;
export interface Fact { value: Value; from: string }
/** Flat field paths of BridgeTowerConfig ("vision.width", "heads.vqa.hidden", ...) -> value and its origin. */
export type Facts = Map<string, Fact>;

const TASK_HEADS = ['vqa', 'snli', 'nlvr2'] as const;
type TaskHead = (typeof TASK_HEADS)[number];
const TASK_CLASSIFIER: Record<TaskHead, string> = { vqa: 'vqa_classifier', snli: 'snli_classifier', nlvr2: 'nlvr2_classifier' };

/** Released towers the original config names instead of giving their sizes (MODEL.md). */
const NAMED_VIT: Record<string, { width: number; layers: number; patch: number }> = {
  'ViT-B/16': { width: 768, layers: 12, patch: 16 },
  'ViT-B/32': { width: 768, layers: 12, patch: 32 },
  'ViT-L/14': { width: 1024, layers: 24, patch: 14 },
  'ViT-L/14@336px': { width: 1024, layers: 24, patch: 14 },
  'ViT-L/14-336': { width: 1024, layers: 24, patch: 14 },
};
const NAMED_TEXT: Record<string, { hidden: number; layers: number; heads: number; intermediate: number; positions: number; types: number }> = {
  'roberta-base': { hidden: 768, layers: 12, heads: 12, intermediate: 3072, positions: 514, types: 1 },
  'roberta-large': { hidden: 1024, layers: 24, heads: 16, intermediate: 4096, positions: 514, types: 1 },
};

const V = 'vit_model.visual.';
const T = 'text_transformer.';

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
      throw new ConfigError(`tensor ${describeShape(`${V}conv1.weight`, conv)} is not a square RGB patch embedding [width, 3, P, P]`);
    }
    facts.set('vision.patchSize', { value: conv.shape[2], from: describeShape(`${V}conv1.weight`, conv) });
  }
  const pos = infos.get(`${V}positional_embedding`);
  const patch = facts.get('vision.patchSize')?.value as number | undefined;
  if (pos && patch) {
    const grid = Math.round(Math.sqrt(pos.shape[0] - 1));
    if (pos.shape.length !== 2 || grid * grid + 1 !== pos.shape[0]) {
      throw new ConfigError(`tensor ${describeShape(`${V}positional_embedding`, pos)} is not a square grid of patch positions plus the class position`);
    }
    facts.set('vision.imageSize', { value: grid * patch, from: describeShape(`${V}positional_embedding`, pos) });
  }
  facts.set('vision.layernormShared', { value: !infos.has(`${V}ln_separate.0.weight`), from: `the presence of ${V}ln_separate.0.weight` });
  dim(`${T}embeddings.word_embeddings.weight`, 1, 'text.hiddenSize');
  dim(`${T}embeddings.word_embeddings.weight`, 0, 'text.vocabSize');
  count(`${T}encoder.layer.`, 'text.layers');
  dim(`${T}encoder.layer.0.intermediate.dense.weight`, 0, 'text.intermediateSize');
  dim(`${T}embeddings.position_embeddings.weight`, 0, 'text.maxPositionEmbeddings');
  dim(`${T}embeddings.token_type_embeddings.weight`, 0, 'text.typeVocabSize');
  dim('token_type_embeddings.weight', 0, 'tokenTypes');

  const has = (name: string, key: string): void => { facts.set(key, { value: infos.has(name), from: `the presence of ${name}` }); };
  has('mlm_score.decoder.weight', 'heads.mlm');
  has('itm_score.fc.weight', 'heads.itm');
  has('rank_output.weight', 'heads.irtr');
  has('itc_text_head.fc.weight', 'heads.itc');
  dim('itc_text_head.fc.weight', 0, 'heads.itc.dim');
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
    if (last) facts.set(`heads.${head}.outFeatures`, { value: last.shape[0], from: describeShape(`${c}.3.weight`, last) });
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
  const H = num(h, 'hidden_size');
  set('hiddenSize', H, 'hidden_size');
  set('numHeads', num(h, 'num_heads'), 'num_heads');
  set('numLayers', num(h, 'num_layers'), 'num_layers');
  const ratio = num(h, 'mlp_ratio');
  if (H !== undefined && ratio !== undefined) set('crossIntermediateSize', Math.trunc(H * ratio), 'hidden_size * mlp_ratio');

  // The original names CLIP towers 'CLIP-ViT-B/16' and strips the prefix before loading them.
  const vit = typeof h.vit === 'string' ? NAMED_VIT[h.vit.replace(/^CLIP-/, '')] : undefined;
  if (num(h, 'vit_width') !== undefined) set('vision.width', num(h, 'vit_width'), 'vit_width');
  else if (vit) set('vision.width', vit.width, 'vit');
  else set('vision.width', num(h, 'input_image_embed_size'), 'input_image_embed_size');
  set('vision.layers', num(h, 'vit_layers') ?? vit?.layers, num(h, 'vit_layers') !== undefined ? 'vit_layers' : 'vit');
  if (num(h, 'vit_heads') !== undefined) set('vision.heads', num(h, 'vit_heads'), 'vit_heads');
  else if (vit) set('vision.heads', vit.width / 64, 'vit (heads = width / 64)');
  set('vision.patchSize', num(h, 'patch_size') ?? vit?.patch, num(h, 'patch_size') !== undefined ? 'patch_size' : 'vit');
  set('vision.imageSize', num(h, 'image_size'), 'image_size');
  if (typeof h.vit_layernorm_shared === 'boolean') set('vision.layernormShared', h.vit_layernorm_shared, 'vit_layernorm_shared');

  const text = typeof h.tokenizer === 'string' ? NAMED_TEXT[h.tokenizer] : undefined;
  const pick = (ext: string, named: number | undefined): [number | undefined, string] =>
    num(h, ext) !== undefined ? [num(h, ext), ext] : [named, 'tokenizer'];
  set('text.hiddenSize', num(h, 'input_text_embed_size') ?? text?.hidden, num(h, 'input_text_embed_size') !== undefined ? 'input_text_embed_size' : 'tokenizer');
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

  const preprocess = typeof h.image_preprocess === 'string' ? h.image_preprocess
    : Array.isArray(h.val_transform_keys) && typeof h.val_transform_keys[0] === 'string' ? h.val_transform_keys[0] : undefined;
  if (preprocess !== undefined) {
    const mode = preprocess === 'hf' ? 'hf' : preprocess.startsWith('blip') ? 'blip' : preprocess.startsWith('clip') ? 'clip' : undefined;
    if (!mode) throw new ConfigError(`hyper_parameters.config: image transform ${JSON.stringify(preprocess)} is not one of blip, clip, hf; choose one with --image-preprocess`);
    set('imagePreprocess', mode, typeof h.image_preprocess === 'string' ? 'image_preprocess' : 'val_transform_keys');
  }
  return facts;
}

/** Facts declared by an HF BridgeTower config.json (plus the fixtures' `bridgetower_oracle_notes`). */
export function hfConfigFacts(c: Record<string, unknown>): Facts {
  const facts: Facts = new Map();
  const obj = (x: unknown): Record<string, unknown> => (x && typeof x === 'object' && !Array.isArray(x) ? (x as Record<string, unknown>) : {});
  const set = (key: string, value: Value | undefined, from: string): void => {
    if (value !== undefined) facts.set(key, { value, from: `config.json ${from}` });
  };
  const text = obj(c.text_config), vision = obj(c.vision_config), notes = obj(c.bridgetower_oracle_notes);
  const H = num(c, 'hidden_size');
  set('hiddenSize', H, 'hidden_size');
  set('numHeads', num(c, 'num_attention_heads'), 'num_attention_heads');
  set('numLayers', num(c, 'num_hidden_layers'), 'num_hidden_layers');
  set('vision.width', num(vision, 'hidden_size'), 'vision_config.hidden_size');
  set('vision.layers', num(vision, 'num_hidden_layers'), 'vision_config.num_hidden_layers');
  set('vision.patchSize', num(vision, 'patch_size'), 'vision_config.patch_size');
  set('vision.imageSize', num(vision, 'image_size'), 'vision_config.image_size');
  if (typeof vision.share_layernorm === 'boolean') set('vision.layernormShared', vision.share_layernorm, 'vision_config.share_layernorm');
  if (num(notes, 'vision_num_attention_heads') !== undefined) set('vision.heads', num(notes, 'vision_num_attention_heads'), 'bridgetower_oracle_notes.vision_num_attention_heads');
  else if (num(vision, 'hidden_size') !== undefined) set('vision.heads', num(vision, 'hidden_size')! / 64, 'vision_config.hidden_size / 64');
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
    for (const head of ['mlm', 'itm', 'itc', 'irtr', ...TASK_HEADS]) set(`heads.${head}`, heads.has(head), 'bridgetower_oracle_notes.heads');
    const layers = num(notes, 'task_head_layers'), scale = num(notes, 'head_hidden_scale');
    for (const head of TASK_HEADS) {
      if (!heads.has(head) || H === undefined) continue;
      set(`heads.${head}.inFeatures`, head === 'nlvr2' ? 4 * H : 2 * H, 'hidden_size');
      set(`heads.${head}.layers`, layers, 'bridgetower_oracle_notes.task_head_layers');
      if (layers === 1) set(`heads.${head}.hidden`, 0, 'bridgetower_oracle_notes.task_head_layers');
      else if (layers === 2 && scale !== undefined) set(`heads.${head}.hidden`, Math.trunc(2 * H * scale), 'bridgetower_oracle_notes.head_hidden_scale');
      set(`heads.${head}.outFeatures`, head === 'vqa' ? num(notes, 'vqav2_label_size') : head === 'snli' ? 3 : 2, 'bridgetower_oracle_notes');
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
  for (const head of ['mlm', 'itm', 'itc', 'irtr', ...TASK_HEADS]) if (!facts.has(`heads.${head}`)) facts.set(`heads.${head}`, { value: false, from: `${origin} heads` });
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
      if (head && d.value === true) throw new MissingTensorError(s.from.replace('the presence of ', ''), `${opts.file} (${d.from} declares the ${head[1]} head)`);
      if (head || /^heads\.(\w+)\./.test(key) && declared.get(`heads.${key.split('.')[1]}`)?.value === false) { merged.set(key, d); continue; }
      throw new ConfigError(`${opts.file}: ${d.from} gives ${key} = ${JSON.stringify(d.value)}, but tensor ${s.from} gives ${JSON.stringify(s.value)}`);
    }
    merged.set(key, d);
  }
  for (const [key, s] of shapes) if (!merged.has(key)) merged.set(key, s);

  const get = (key: string): Value | undefined => merged.get(key)?.value;
  const need = (key: string): number => {
    const v = get(key);
    if (typeof v === 'number' && Number.isSafeInteger(v) && v >= 0) return v;
    if (v !== undefined) throw new ConfigError(`${opts.file}: ${merged.get(key)!.from} gives ${key} = ${JSON.stringify(v)}, not a whole number`);
    throw new MissingTensorError(FIELD_TENSOR[key] ?? key, `${opts.file} (needed for ${key})`);
  };
  const heads = (key: string, widthKey: string): number => {
    if (get(key) !== undefined) return need(key);
    const width = need(widthKey);
    if (width % 64) throw new ConfigError(`${opts.file}: the number of attention heads for ${key} is not declared and width ${width} is not a multiple of 64; give a config (--config)`);
    return width / 64;
  };
  const maxPositions = need('text.maxPositionEmbeddings');
  const taskHead = (head: TaskHead): TaskHeadConfig | undefined => {
    if (get(`heads.${head}`) !== true) return undefined;
    const layers = need(`heads.${head}.layers`);
    if (layers !== 1 && layers !== 2) throw new ConfigError(`${opts.file}: ${merged.get(`heads.${head}.layers`)!.from} gives ${layers} task head layers (1 or 2 expected)`);
    return { layers, inFeatures: need(`heads.${head}.inFeatures`), hidden: need(`heads.${head}.hidden`), outFeatures: need(`heads.${head}.outFeatures`) };
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
  if (get('heads.itc') === true) config.heads.itc = { dim: need('heads.itc.dim') };
  if (config.numLayers < 1 || config.numLayers > config.text.layers || config.numLayers > config.vision.layers) {
    throw new ConfigError(`${opts.file}: ${config.numLayers} cross-modal layers need at least as many text (${config.text.layers}) and vision (${config.vision.layers}) layers`);
  }
  for (const [what, width, h] of [['cross-modal', config.hiddenSize, config.numHeads], ['vision', config.vision.width, config.vision.heads], ['text', config.text.hiddenSize, config.text.heads]] as const) {
    if (h < 1 || width % h) throw new ConfigError(`${opts.file}: ${what} width ${width} does not split into ${h} attention heads`);
  }
  if (config.vision.imageSize % config.vision.patchSize) throw new ConfigError(`${opts.file}: image size ${config.vision.imageSize} is not a multiple of patch size ${config.vision.patchSize}`);
  return config;
}

/** Every tensor inference uses, with its shape under `config`, in checkpoint order. */
export function expectedTensors(c: BridgeTowerConfig): Array<[string, number[]]> {
  const out: Array<[string, number[]]> = [];
  const H = c.hiddenSize, Hv = c.vision.width, Ht = c.text.hiddenSize;
  const linear = (p: string, outF: number, inF: number): void => { out.push([`${p}.weight`, [outF, inF]], [`${p}.bias`, [outF]]); };
  const norm = (p: string, w: number): void => { out.push([`${p}.weight`, [w]], [`${p}.bias`, [w]]); };
  linear('cross_modal_text_transform', H, Ht);
  linear('cross_modal_image_transform', H, Hv);
  out.push(['token_type_embeddings.weight', [c.tokenTypes, H]]);
  const grid = c.vision.imageSize / c.vision.patchSize;
  out.push([`${V}class_embedding`, [Hv]], [`${V}positional_embedding`, [grid * grid + 1, Hv]], [`${V}conv1.weight`, [Hv, 3, c.vision.patchSize, c.vision.patchSize]]);
  norm(`${V}ln_pre`, Hv);
  for (let i = 0; i < c.vision.layers; i++) {
    const p = `${V}transformer.resblocks.${i}`;
    out.push([`${p}.attn.in_proj_weight`, [3 * Hv, Hv]], [`${p}.attn.in_proj_bias`, [3 * Hv]]);
    linear(`${p}.attn.out_proj`, Hv, Hv);
    norm(`${p}.ln_1`, Hv);
    linear(`${p}.mlp.c_fc`, 4 * Hv, Hv);
    linear(`${p}.mlp.c_proj`, Hv, 4 * Hv);
    norm(`${p}.ln_2`, Hv);
  }
  norm(`${V}ln_post`, Hv);
  if (!c.vision.layernormShared) for (let i = 0; i < c.vision.layers; i++) norm(`${V}ln_separate.${i}`, Hv);
  out.push([`${T}embeddings.word_embeddings.weight`, [c.text.vocabSize, Ht]]);
  out.push([`${T}embeddings.position_embeddings.weight`, [c.text.maxPositionEmbeddings, Ht]]);
  out.push([`${T}embeddings.token_type_embeddings.weight`, [c.text.typeVocabSize, Ht]]);
  norm(`${T}embeddings.LayerNorm`, Ht);
  for (let i = 0; i < c.text.layers; i++) {
    const p = `${T}encoder.layer.${i}`;
    for (const x of ['query', 'key', 'value']) linear(`${p}.attention.self.${x}`, Ht, Ht);
    linear(`${p}.attention.output.dense`, Ht, Ht);
    norm(`${p}.attention.output.LayerNorm`, Ht);
    linear(`${p}.intermediate.dense`, c.text.intermediateSize, Ht);
    linear(`${p}.output.dense`, Ht, c.text.intermediateSize);
    norm(`${p}.output.LayerNorm`, Ht);
  }
  for (const side of ['image', 'text']) {
    for (let i = 0; i < c.numLayers; i++) {
      const p = `cross_modal_${side}_layers.${i}`;
      for (const a of ['attention', 'crossattention']) {
        for (const x of ['query', 'key', 'value']) linear(`${p}.${a}.self.${x}`, H, H);
        linear(`${p}.${a}.output.dense`, H, H);
        norm(`${p}.${a}.output.LayerNorm`, H);
      }
      linear(`${p}.intermediate.dense`, c.crossIntermediateSize, H);
      linear(`${p}.output.dense`, H, c.crossIntermediateSize);
      norm(`${p}.output.LayerNorm`, H);
    }
  }
  linear('cross_modal_image_pooler.dense', H, H);
  linear('cross_modal_text_pooler.dense', H, H);
  if (c.heads.mlm) {
    out.push(['mlm_score.bias', [c.text.vocabSize]]);
    linear('mlm_score.transform.dense', H, H);
    norm('mlm_score.transform.LayerNorm', H);
    out.push(['mlm_score.decoder.weight', [c.text.vocabSize, H]]);
  }
  if (c.heads.itm) linear('itm_score.fc', 2, 2 * H);
  if (c.heads.itc) {
    linear('itc_text_head.fc', c.heads.itc.dim, Ht);
    linear('itc_image_head.fc', c.heads.itc.dim, Hv);
  }
  norm('cross_modal_text_layernorm', H);
  norm('cross_modal_image_layernorm', H);
  for (let i = 0; i < c.numLayers - 1; i++) {
    norm(`cross_modal_text_link_tower.${i}.LayerNorm`, H);
    norm(`cross_modal_image_link_tower.${i}.LayerNorm`, H);
  }
  for (const head of TASK_HEADS) {
    const h = c.heads[head];
    if (!h) continue;
    const p = TASK_CLASSIFIER[head];
    if (h.layers === 1) linear(`${p}.0`, h.outFeatures, h.inFeatures);
    else {
      linear(`${p}.0`, h.hidden, h.inFeatures);
      norm(`${p}.1`, h.hidden);
      linear(`${p}.3`, h.outFeatures, h.hidden);
    }
  }
  if (c.heads.irtr) linear('rank_output', 1, 2 * H);
  return out;
}

/** Every tensor the config needs must be present with exactly the shape the config implies. */
export function checkTensors(config: BridgeTowerConfig, infos: Map<string, TensorInfo>, file: string): void {
  for (const [name, shape] of expectedTensors(config)) {
    const info = infos.get(name);
    if (!info) throw new MissingTensorError(name, file);
    if (info.shape.length !== shape.length || info.shape.some((d, i) => d !== shape[i])) {
      throw new ConfigError(`${file}: tensor ${name} has shape ${JSON.stringify(info.shape)}, the config implies ${JSON.stringify(shape)}`);
    }
  }
}
