// Facts shown by the tensor shapes.
import { ConfigError } from '../errors';
import { TASK_CLASSIFIER, TASK_HEADS, TEXT_PREFIX as T, VISION_PREFIX as V } from '../common/parameters';
import type { TensorInfo } from '../common/weight-set';
import type { Facts } from './facts';

/** A tensor's name and shape, for messages and facts' origins. */
export const shapeText = (name: string, info: TensorInfo): string => `${name} ${JSON.stringify(info.shape)}`;

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
    if (info && axis < info.shape.length) facts.set(key, { value: info.shape[axis], from: shapeText(name, info) });
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
        `tensor ${shapeText(`${V}conv1.weight`, conv)} is not a square RGB patch embedding [width, 3, P, P]`,
      );
    }
    facts.set('vision.patchSize', { value: conv.shape[2], from: shapeText(`${V}conv1.weight`, conv) });
  }
  const pos = infos.get(`${V}positional_embedding`);
  const patch = facts.get('vision.patchSize')?.value as number | undefined;
  if (pos && patch) {
    const grid = Math.round(Math.sqrt(pos.shape[0] - 1));
    if (pos.shape.length !== 2 || grid * grid + 1 !== pos.shape[0]) {
      throw new ConfigError(
        `tensor ${shapeText(`${V}positional_embedding`, pos)} is not a square grid of patch positions plus the class position`,
      );
    }
    facts.set('vision.imageSize', { value: grid * patch, from: shapeText(`${V}positional_embedding`, pos) });
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
    const from = shapeText(`${c}.0.weight`, first);
    facts.set(`heads.${head}.layers`, { value: last ? 2 : 1, from: `the presence of ${c}.3.weight` });
    facts.set(`heads.${head}.inFeatures`, { value: first.shape[1], from });
    facts.set(`heads.${head}.hidden`, { value: last ? first.shape[0] : 0, from });
    if (last) facts.set(`heads.${head}.outFeatures`, { value: last.shape[0], from: shapeText(`${c}.3.weight`, last) });
    else facts.set(`heads.${head}.outFeatures`, { value: first.shape[0], from });
  }
  return facts;
}
