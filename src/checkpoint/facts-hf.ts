// Facts declared by an HF BridgeTower config.json.
import { ConfigError } from '../errors';
import type { HiddenAct, LinkTowerType } from '../common/config';
import { num, obj, type Facts, type Value } from './facts';
import { untrusted } from '../common/untrusted';

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
 * A configuration HF cannot build or run is a ConfigError naming the field.
 */
export function hfConfigFacts(c: Record<string, unknown>): Facts {
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
      throw new ConfigError(`config.json ${where}${key} = ${untrusted(v)} is not a ${typeof fallback}`);
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
    refuse(`link_tower_type ${untrusted(link)}: HF implements only ${LINK_TOWERS.join(', ')}`);
  }
  const act = (value: string, from: string): HiddenAct =>
    HF_ACTIVATIONS[value] ??
    refuse(`${from} ${untrusted(value)}: not a supported activation (${Object.keys(HF_ACTIVATIONS).join(', ')})`);
  const [textAct, textActFrom] = txt('hidden_act', 'gelu');
  const [mlmAct, mlmActFrom] = top('hidden_act', 'gelu');
  const [position] = txt('position_embedding_type', 'absolute');
  if (position !== 'absolute') {
    refuse(
      `text_config.position_embedding_type ${untrusted(position)}: only absolute position embeddings are supported`,
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
