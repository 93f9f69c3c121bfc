// Float64 CPU forward pass of BridgeTower, written straight from fixtures/README.md ("Computation, step by
// step") on top of the kernel references (each in its kernel's check, src/kernels/check/<kernel>.ts): the oracle
// the GPU model is checked against where no golden fixture exists (base width). Output names and shapes are those
// of expected.safetensors.
import type { BridgeTowerConfig, TaskHeadConfig } from '../../src/common/config';
import { splitIndex } from '../../src/common/config';
import type { HostTensor } from '../../src/common/tensor';
import { f16BitsToF32 } from '../../src/common/f16';
import { addRef } from '../../src/kernels/check/add';
import { attentionRef } from '../../src/kernels/check/attention';
import { classPositionEmbedRef } from '../../src/kernels/check/class-position-embed';
import { concatRef } from '../../src/kernels/check/concat';
import { l2NormalizeRef } from '../../src/kernels/check/l2-normalize';
import { layerNormRef } from '../../src/kernels/check/layernorm';
import { linearRef } from '../../src/kernels/check/linear';
import type { Activation } from '../../src/kernels/check/math';
import { takeTokenRef } from '../../src/kernels/check/take-token';
import { textEmbeddingsRef } from '../../src/kernels/check/text-embeddings';

/** A float64 tensor with its shape. */
export interface T64 {
  shape: number[];
  data: Float64Array;
}

export interface ReferenceInputs {
  /** [B, L] token ids and 0/1 mask. */
  inputIds: ArrayLike<number>;
  attentionMask: ArrayLike<number>;
  batch: number;
  length: number;
  /** [B, 3, S, S]. */
  pixelValues: Float32Array;
  /** NLVR2's second image. */
  pixelValues2?: Float32Array;
}

/** LayerNorm eps by module (fixtures README table). */
const EPS_TEXT = 1e-5;
const EPS_CLIP = 1e-5;
const EPS_CROSS = 1e-12;
const EPS_MLM = 1e-12;
const EPS_BRIDGE = 1e-5;
const EPS_HEAD = 1e-5;
const MASK_VALUE = -10000;

const last = (t: T64): number => t.shape[t.shape.length - 1];

/**
 * Every tensor of expected.safetensors that `config` defines (img2.* when pixelValues2 is given).
 * `skip` names heads not worth computing (e.g. 'mlm_logits' at base width).
 */
export function bridgeTowerReference(
  config: BridgeTowerConfig,
  weights: Map<string, HostTensor>,
  inputs: ReferenceInputs,
  skip: ReadonlySet<string> = new Set(),
): Map<string, T64> {
  const cache = new Map<string, Float64Array>();
  const w = (name: string): Float64Array => {
    let a = cache.get(name);
    if (!a) {
      const t = weights.get(name);
      if (!t) throw new Error(`reference: missing weight ${name}`);
      a =
        t.dtype === 'f16'
          ? Float64Array.from(t.data as Uint16Array, f16BitsToF32)
          : Float64Array.from(t.data as Float32Array);
      cache.set(name, a);
    }
    return a;
  };
  const linW = (x: T64, weight: Float64Array, bias?: Float64Array, activation?: Activation): T64 => {
    const K = last(x),
      N = weight.length / K;
    return {
      shape: [...x.shape.slice(0, -1), N],
      data: linearRef(x.data, weight, x.data.length / K, K, N, { bias, activation }),
    };
  };
  const lin = (x: T64, prefix: string, activation?: Activation): T64 =>
    linW(x, w(`${prefix}.weight`), w(`${prefix}.bias`), activation);
  const ln = (x: T64, prefix: string, eps: number, opts: { residual?: T64; activation?: 'gelu' } = {}): T64 => ({
    shape: x.shape,
    data: layerNormRef(
      opts.residual ? addRef(x.data, opts.residual.data) : x.data,
      x.data.length / last(x),
      last(x),
      w(`${prefix}.weight`),
      w(`${prefix}.bias`),
      eps,
      { activation: opts.activation },
    ),
  });
  const add = (a: T64, b: T64): T64 => ({ shape: a.shape, data: addRef(a.data, b.data) });
  /** `fusedWidth`: q, k and v are one [B, L, 3W] tensor (CLIP's in_proj) read at column offsets 0, W, 2W. */
  const attn = (q: T64, k: T64, v: T64, heads: number, mask: Float64Array | undefined, fusedWidth?: number): T64 => {
    const [B, Lq] = q.shape,
      Lk = k.shape[1];
    const width = fusedWidth ?? last(q);
    const data = attentionRef(q.data, k.data, v.data, mask, {
      B,
      Lq,
      Lk,
      heads,
      width,
      Wq: last(q),
      Wk: last(k),
      Wv: last(v),
      qOffset: 0,
      kOffset: fusedWidth ?? 0,
      vOffset: 2 * (fusedWidth ?? 0),
    });
    return { shape: [B, Lq, width], data };
  };
  const first = (x: T64): T64 => ({
    shape: [x.shape[0], x.shape[2]],
    data: takeTokenRef(x.data, x.shape[0], x.shape[1], x.shape[2], 0),
  });
  const cat = (a: T64, b: T64): T64 => ({
    shape: [a.shape[0], a.shape[1] + b.shape[1]],
    data: concatRef(a.data, b.data, a.shape[0], a.shape[1], b.shape[1]),
  });
  const l2 = (x: T64): T64 => ({ shape: x.shape, data: l2NormalizeRef(x.data, x.shape[0], x.shape[1], 1e-12) });
  const out = new Map<string, T64>();

  const { batch: B, length: L } = inputs;
  const c = config;
  const split = splitIndex(c);
  const mask = Float64Array.from({ length: B * L }, (_, i) => (1 - inputs.attentionMask[i]) * MASK_VALUE);

  // 1-2. RoBERTa.
  const tp = 'text_transformer';
  const Ht = c.text.hiddenSize;
  const emb = textEmbeddingsRef(
    inputs.inputIds,
    B,
    L,
    Ht,
    w(`${tp}.embeddings.word_embeddings.weight`),
    w(`${tp}.embeddings.position_embeddings.weight`),
    w(`${tp}.embeddings.token_type_embeddings.weight`),
    c.text.padTokenId,
  );
  let text = ln({ shape: [B, L, Ht], data: emb }, `${tp}.embeddings.LayerNorm`, EPS_TEXT);
  out.set('text_embeddings', text);
  const textLayers: T64[] = [];
  const runTextLayer = (i: number): void => {
    const p = `${tp}.encoder.layer.${i}`;
    const x = text;
    const ctx = attn(
      lin(x, `${p}.attention.self.query`),
      lin(x, `${p}.attention.self.key`),
      lin(x, `${p}.attention.self.value`),
      c.text.heads,
      mask,
    );
    const a = ln(lin(ctx, `${p}.attention.output.dense`), `${p}.attention.output.LayerNorm`, EPS_TEXT, { residual: x });
    const h = lin(a, `${p}.intermediate.dense`, 'gelu');
    text = ln(lin(h, `${p}.output.dense`), `${p}.output.LayerNorm`, EPS_TEXT, { residual: a });
    textLayers[i] = text;
    out.set(`text_layer.${i}`, text);
  };

  // 7. BertCrossLayer.
  const tt = w('token_type_embeddings.weight');
  const H = c.hiddenSize;
  const plusTokenType = (x: T64, k: number): T64 => ({
    shape: x.shape,
    data: x.data.map((v, i) => v + tt[k * H + (i % H)]),
  });
  const crossLayer = (
    p: string,
    h: T64,
    hMask: Float64Array | undefined,
    other: T64,
    otherMask: Float64Array | undefined,
  ): T64 => {
    const self = attn(
      lin(h, `${p}.attention.self.query`),
      lin(h, `${p}.attention.self.key`),
      lin(h, `${p}.attention.self.value`),
      c.numHeads,
      hMask,
    );
    const a = ln(lin(self, `${p}.attention.output.dense`), `${p}.attention.output.LayerNorm`, EPS_CROSS, {
      residual: h,
    });
    const cross = attn(
      lin(a, `${p}.crossattention.self.query`),
      lin(other, `${p}.crossattention.self.key`),
      lin(other, `${p}.crossattention.self.value`),
      c.numHeads,
      otherMask,
    );
    const cc = ln(lin(cross, `${p}.crossattention.output.dense`), `${p}.crossattention.output.LayerNorm`, EPS_CROSS, {
      residual: a,
    });
    const f = lin(cc, `${p}.intermediate.dense`, 'gelu');
    return ln(lin(f, `${p}.output.dense`), `${p}.output.LayerNorm`, EPS_CROSS, { residual: cc });
  };

  // 3. CLIP ViT for one image: image_pre, then resblock i on demand (image_layer.i, before ln_post).
  const vp = 'vit_model.visual';
  const Hv = c.vision.width;
  const S = c.vision.imageSize,
    P = c.vision.patchSize,
    G = S / P,
    N = G * G + 1,
    K = 3 * P * P;
  const imageTower = (pixels: Float32Array, prefix: string) => {
    // conv1 as a matmul over patches flattened in (c, ky, kx) order, row-major patch order.
    const patches = new Float64Array(B * (N - 1) * K);
    for (let b = 0; b < B; b++)
      for (let gy = 0; gy < G; gy++)
        for (let gx = 0; gx < G; gx++) {
          let o = (b * (N - 1) + gy * G + gx) * K;
          for (let ch = 0; ch < 3; ch++)
            for (let ky = 0; ky < P; ky++)
              for (let kx = 0; kx < P; kx++) {
                patches[o++] = pixels[((b * 3 + ch) * S + gy * P + ky) * S + gx * P + kx];
              }
        }
    const embedded = linW({ shape: [B, N - 1, K], data: patches }, w(`${vp}.conv1.weight`));
    const tokens = classPositionEmbedRef(
      embedded.data,
      w(`${vp}.class_embedding`),
      w(`${vp}.positional_embedding`),
      B,
      N,
      Hv,
    );
    let img = ln({ shape: [B, N, Hv], data: tokens }, `${vp}.ln_pre`, EPS_CLIP);
    out.set(`${prefix}image_pre`, img);
    const layers: T64[] = [];
    const run = (i: number): void => {
      const p = `${vp}.transformer.resblocks.${i}`;
      const qkv = linW(ln(img, `${p}.ln_1`, EPS_CLIP), w(`${p}.attn.in_proj_weight`), w(`${p}.attn.in_proj_bias`));
      const ctx = attn(qkv, qkv, qkv, c.vision.heads, undefined, Hv);
      img = add(img, lin(ctx, `${p}.attn.out_proj`));
      img = add(img, lin(lin(ln(img, `${p}.ln_2`, EPS_CLIP), `${p}.mlp.c_fc`, 'quickgelu'), `${p}.mlp.c_proj`));
      layers[i] = img;
      out.set(`${prefix}image_layer.${i}`, img);
    };
    return { run, layers };
  };

  // 4-8. Towers up to the split, then the cross-modal stack with its bridge layers; returns cls_feats.
  const crossStack = (pixels: Float32Array, k: number, prefix: string, runText: boolean): T64 => {
    const tower = imageTower(pixels, prefix);
    for (let i = 0; i < split; i++) {
      if (runText) runTextLayer(i);
      tower.run(i);
    }
    const textIn = (i: number) => plusTokenType(lin(textLayers[i], 'cross_modal_text_transform'), 0);
    const imageIn = (i: number) =>
      plusTokenType(lin(ln(tower.layers[i], `${vp}.ln_post`, EPS_CLIP), 'cross_modal_image_transform'), k);
    let xIn = ln(textIn(split - 1), 'cross_modal_text_layernorm', EPS_BRIDGE);
    let yIn = ln(imageIn(split - 1), 'cross_modal_image_layernorm', EPS_BRIDGE);
    let x1 = xIn,
      y1 = yIn;
    for (let j = 0; j < c.numLayers; j++) {
      if (j > 0) {
        const i = split - 1 + j;
        if (runText) runTextLayer(i);
        tower.run(i);
        xIn = ln(textIn(i), `cross_modal_text_link_tower.${j - 1}.LayerNorm`, EPS_BRIDGE, { residual: x1 });
        yIn = ln(imageIn(i), `cross_modal_image_link_tower.${j - 1}.LayerNorm`, EPS_BRIDGE, { residual: y1 });
      }
      out.set(`${prefix}cross_text_in.${j}`, xIn);
      out.set(`${prefix}cross_image_in.${j}`, yIn);
      x1 = crossLayer(`cross_modal_text_layers.${j}`, xIn, mask, yIn, undefined);
      y1 = crossLayer(`cross_modal_image_layers.${j}`, yIn, undefined, xIn, mask);
      out.set(`${prefix}cross_text.${j}`, x1);
      out.set(`${prefix}cross_image.${j}`, y1);
    }
    out.set(`${prefix}text_feats`, x1);
    out.set(`${prefix}image_feats`, y1);
    const cls = cat(
      lin(first(x1), 'cross_modal_text_pooler.dense', 'tanh'),
      lin(first(y1), 'cross_modal_image_pooler.dense', 'tanh'),
    );
    out.set(`${prefix}cls_feats`, cls);
    if (c.heads.itc && !prefix && !skip.has('itc_image')) {
      for (let i = split - 1 + c.numLayers; i < c.vision.layers; i++) tower.run(i);
      const lnx = c.vision.layernormShared ? `${vp}.ln_post` : `${vp}.ln_separate.${c.vision.layers - 1}`;
      out.set('itc_image', l2(lin(first(ln(tower.layers[c.vision.layers - 1], lnx, EPS_CLIP)), 'itc_image_head.fc')));
    }
    return cls;
  };

  const cls = crossStack(inputs.pixelValues, 1, '', true);

  // 9. Heads.
  const head = (name: string, cfg: TaskHeadConfig, x: T64): T64 =>
    cfg.layers === 1
      ? lin(x, `${name}.0`)
      : lin(ln(lin(x, `${name}.0`), `${name}.1`, EPS_HEAD, { activation: 'gelu' }), `${name}.3`);
  if (c.heads.vqa) out.set('vqa_logits', head('vqa_classifier', c.heads.vqa, cls));
  if (c.heads.snli) out.set('snli_logits', head('snli_classifier', c.heads.snli, cls));
  if (c.heads.itm) out.set('itm_logits', lin(cls, 'itm_score.fc'));
  if (c.heads.irtr) out.set('rank_score', { shape: [B], data: lin(cls, 'rank_output').data });
  if (c.heads.itc && !skip.has('itc_text')) {
    out.set('itc_text', l2(lin(first(textLayers[c.text.layers - 1]), 'itc_text_head.fc')));
  }
  if (c.heads.mlm && !skip.has('mlm_logits')) {
    const t = ln(
      lin(out.get('text_feats')!, 'mlm_score.transform.dense', 'gelu'),
      'mlm_score.transform.LayerNorm',
      EPS_MLM,
    );
    out.set('mlm_logits', linW(t, w('mlm_score.decoder.weight'), w('mlm_score.bias')));
  }
  if (c.heads.nlvr2) {
    if (!inputs.pixelValues2) throw new Error('reference: the NLVR2 head needs pixelValues2');
    const cls2 = crossStack(inputs.pixelValues2, 2, 'img2.', false);
    out.set('nlvr2_logits', head('nlvr2_classifier', c.heads.nlvr2, cat(cls, cls2)));
  }
  return out;
}
