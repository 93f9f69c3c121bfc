// Facts declared by the authors' config (a checkpoint's `hyper_parameters.config`, MODEL.md).
import { ConfigError } from '../errors';
import { TASK_HEADS } from '../common/parameters';
import { num, type Facts, type Value } from './facts';
import { untrusted } from '../common/untrusted';

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

/** Text towers a user may name for a checkpoint whose config cannot say (`--text-tower`, `textTower`). */
export const TEXT_TOWERS = ['roberta'] as const;
export type TextTower = (typeof TEXT_TOWERS)[number];
export const isTextTower = (t: unknown): t is TextTower => TEXT_TOWERS.includes(t as TextTower);

export interface AuthorsConfigOptions {
  /** The text tower, for a config whose tokenizer name does not say (a tokenizer of one's own). */
  textTower?: TextTower;
}

/**
 * The authors build RoBERTa only when the tokenizer's name contains "roberta" (bt_module.py), and their BertModel
 * otherwise, whose embeddings, positions and eps differ. A name that says BERT is refused; any other name (a
 * tokenizer of one's own, such as the demo's "demo-bpe") cannot tell, and needs the user's word.
 */
function checkTextTower(tokenizer: unknown, opts: AuthorsConfigOptions): void {
  if (typeof tokenizer !== 'string' || tokenizer.includes('roberta')) return;
  const where = `hyper_parameters.config.tokenizer ${untrusted(tokenizer)}`;
  if (/bert/i.test(tokenizer)) {
    const over = opts.textTower
      ? ` (it names a BERT tokenizer, which --text-tower ${opts.textTower} cannot override)`
      : '';
    throw new ConfigError(
      `${where}: the authors build a BERT text tower for it; only RoBERTa text towers are supported${over}`,
    );
  }
  if (!opts.textTower)
    throw new ConfigError(
      `${where} does not say which text tower the checkpoint has (the authors' code builds BERT for any name ` +
        `without "roberta"); if it is RoBERTa, say so: bridgetower convert --text-tower roberta ` +
        '(or the textTower open option)',
    );
}

/** Facts declared by the original sacred config (`hyper_parameters.config`), extension keys included. */
export function hyperFacts(h: Record<string, unknown>, opts: AuthorsConfigOptions = {}): Facts {
  const facts: Facts = new Map();
  const set = (key: string, value: Value | undefined, from: string): void => {
    if (value !== undefined) facts.set(key, { value, from: `hyper_parameters.config.${from}` });
  };
  checkTextTower(h.tokenizer, opts);
  // Likewise a Swin or timm ViT instead of CLIP.
  if (typeof h.vit === 'string' && !h.vit.includes('CLIP')) {
    throw new ConfigError(
      `hyper_parameters.config.vit ${untrusted(h.vit)}: not a CLIP vision tower; only CLIP ViT towers are supported`,
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
    const on = (...keys: string[]): boolean => keys.some((k) => typeof loss[k] === 'number' && loss[k] > 0);
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
        `hyper_parameters.config: image transform ${untrusted(preprocess)} is not one of blip, clip, hf; choose one with --image-preprocess`,
      );
    set('imagePreprocess', mode, typeof h.image_preprocess === 'string' ? 'image_preprocess' : 'val_transform_keys');
  }
  return facts;
}
