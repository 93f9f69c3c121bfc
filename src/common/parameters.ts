// The canonical parameter list: every tensor BridgeTower's inference reads, under the original checkpoint's
// state_dict names (HF names are mapped onto these, checkpoint/names.ts), with the shape a config implies.
// Checkpoint readers check files against it; the model's weight loader and random weights enumerate it.
import { definitions, type BridgeTowerConfig } from './config';

/** Name prefixes of the two towers' parameters. */
export const VISION_PREFIX = 'vit_model.visual.';
export const TEXT_PREFIX = 'text_transformer.';

/** The classification heads built as an MLP, and the name of each one's parameters. */
export const TASK_HEADS = ['vqa', 'snli', 'nlvr2'] as const;
export type TaskHead = (typeof TASK_HEADS)[number];
export const TASK_CLASSIFIER: Record<TaskHead, string> = {
  vqa: 'vqa_classifier',
  snli: 'snli_classifier',
  nlvr2: 'nlvr2_classifier',
};

const V = VISION_PREFIX;
const T = TEXT_PREFIX;

/** Every tensor inference uses, with its shape under `config`, in checkpoint order. */
export function expectedTensors(c: BridgeTowerConfig): Array<[string, number[]]> {
  const out: Array<[string, number[]]> = [];
  const H = c.hiddenSize,
    Hv = c.vision.width,
    Ht = c.text.hiddenSize;
  const linear = (p: string, outF: number, inF: number): void => {
    out.push([`${p}.weight`, [outF, inF]], [`${p}.bias`, [outF]]);
  };
  const norm = (p: string, w: number): void => {
    out.push([`${p}.weight`, [w]], [`${p}.bias`, [w]]);
  };
  linear('cross_modal_text_transform', H, Ht);
  linear('cross_modal_image_transform', H, Hv);
  out.push(['token_type_embeddings.weight', [c.tokenTypes, H]]);
  const grid = c.vision.imageSize / c.vision.patchSize;
  out.push(
    [`${V}class_embedding`, [Hv]],
    [`${V}positional_embedding`, [grid * grid + 1, Hv]],
    [`${V}conv1.weight`, [Hv, 3, c.vision.patchSize, c.vision.patchSize]],
  );
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
  // HF's BridgeTowerModel never applies ln_separate: only the authors' code reads it.
  if (!c.vision.layernormShared && definitions(c).definition === 'authors') {
    for (let i = 0; i < c.vision.layers; i++) norm(`${V}ln_separate.${i}`, Hv);
  }
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
  const d = definitions(c);
  if (c.heads.mlm) {
    out.push(['mlm_score.bias', [c.text.vocabSize]]);
    linear('mlm_score.transform.dense', H, H);
    norm('mlm_score.transform.LayerNorm', H);
    // Tied: the decoder is the word-embedding table (HF ties the output to the input embeddings).
    if (!d.tieWordEmbeddings) out.push(['mlm_score.decoder.weight', [c.text.vocabSize, H]]);
  }
  if (c.heads.itm) linear('itm_score.fc', 2, 2 * H);
  if (c.heads.itc) {
    linear('itc_text_head.fc', c.heads.itc.dim, Ht);
    // HF projects the image's cross-modal input (width H), the authors the vision tower's output (width Hv).
    linear('itc_image_head.fc', c.heads.itc.dim, d.definition === 'hf' ? H : Hv);
    if (c.heads.itc.cross) {
      linear('itc_cross_modal_head.fc', c.heads.itc.dim, 2 * H);
      out.push(['logit_scale', []]);
    }
  }
  norm('cross_modal_text_layernorm', H);
  norm('cross_modal_image_layernorm', H);
  for (let i = 0; i < c.numLayers - 1; i++) {
    for (const side of ['text', 'image']) {
      norm(`cross_modal_${side}_link_tower.${i}.LayerNorm`, H);
      if (d.linkTower === 'scaled_add') out.push([`cross_modal_${side}_link_tower.${i}.scaled_factor`, []]);
      if (d.linkTower === 'interpolate') out.push([`cross_modal_${side}_link_tower.${i}.beta`, []]);
    }
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
