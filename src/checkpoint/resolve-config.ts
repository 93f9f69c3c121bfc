// The BridgeTowerConfig from declared and shape facts (facts.ts), and the check of the tensors against it.
import { ConfigError, MissingTensorError } from '../errors';
import { definitions, type BridgeTowerConfig, type ImagePreprocess, type TaskHeadConfig } from '../common/config';
import { expectedTensors, TASK_HEADS, TEXT_PREFIX as T, VISION_PREFIX as V, type TaskHead } from '../common/parameters';
import type { TensorInfo } from '../common/weight-set';
import type { Facts, Value } from './facts';
import { untrusted } from '../common/untrusted';

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
        `${opts.file}: ${d.from} gives ${key} = ${untrusted(d.value)}, but tensor ${s.from} gives ${untrusted(s.value)}`,
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
        `${opts.file}: ${merged.get(key)!.from} gives ${key} = ${untrusted(v)}, not a whole number`,
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
        `${opts.file}: ${merged.get(key)!.from} gives ${key} = ${untrusted(v)}, not a positive number`,
      );
    }
    return v;
  };
  const oneOf = <T extends string>(key: string, allowed: readonly T[]): T | undefined => {
    const v = get(key);
    if (v === undefined) return undefined;
    if (!allowed.includes(v as T)) {
      throw new ConfigError(
        `${opts.file}: ${merged.get(key)!.from} gives ${key} = ${untrusted(v)}, not one of ${allowed.join(', ')}`,
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
