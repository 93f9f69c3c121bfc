// BridgeTower at base width on a reduced depth (768 hidden, 12 heads, 2 text / 2 vision / 2 cross layers,
// 288-pixel image = 325 tokens, 40 tokens, the real 50265-row vocabulary) with random weights, on a device
// with WebGPU's default 128 MiB binding limit so the 154 MB word-embedding table and MLM decoder run in
// row chunks. Separate ViT LayerNorms (vit_layernorm_shared false), a 2-layer VQA head with head_hidden_scale
// 1.5 and a 1-layer SNLI-VE head. Checked per tensor against the float64 reference.
import { beforeAll, describe, expect, it } from 'vitest';
import { BridgeTowerModel, type OutputTensor } from '../../src/model/bridgetower';
import { PRESETS, MemoryWeights, randomWeights } from '../../src/checkpoint/random-weights';
import { compareValues } from '../../src/common/compare';
import { bridgeTowerReference, type T64 } from '../reference/bridgetower';
import { linearRef } from '../../src/kernels/check/linear';
import { layerNormRef } from '../../src/kernels/check/layernorm';
import { testGpu } from '../gpu/node-gpu';
import type { HostTensor } from '../../src/common/tensor';

const config = PRESETS['base-reduced']();
const L = 40,
  S = config.vision.imageSize,
  H = config.hiddenSize,
  V = config.text.vocabSize;
/** Rows 43689 | 43690 straddle the word-table chunks at a 128 MiB binding (43690 rows of 3072 bytes). */
const CHUNK_EDGE = Math.floor((128 * 2 ** 20) / (4 * config.text.hiddenSize) / 2) * 2;
/** <s>, the last id, both sides of the chunk edge, words spread over the vocabulary, </s>, 4 pads. */
const ids = Int32Array.from({ length: L }, (_, i) => {
  if (i === 0) return 0;
  if (i === 35) return 2;
  if (i > 35) return 1;
  return [V - 1, CHUNK_EDGE - 1, CHUNK_EDGE][i - 1] ?? 3 + ((i * 7919 * 13) % (V - 4));
});
const mask = Int32Array.from(ids, (v) => (v === 1 ? 0 : 1));
const pixels = Float32Array.from({ length: 3 * S * S }, (_, i) => Math.sin(i * 0.0137) * 1.8);
/** MLM rows checked in float64 (the full 40 x 50265 reference decoder is left out for time). */
const MLM_ROWS = [0, 17, 39];

let weights: Map<string, HostTensor>;
let got: Map<string, OutputTensor>;
let want: Map<string, T64>;
let bindingLimit = 0;

beforeAll(async () => {
  weights = randomWeights(config, 7);
  const gpu = await testGpu({ limits: 'default' });
  bindingLimit = gpu.caps.maxStorageBufferBindingSize;
  const model = await BridgeTowerModel.load(gpu, new MemoryWeights(config, weights));
  try {
    // forward() records and submits before its first await: SwiftShader runs it while the reference computes.
    const pending = model.forward(
      {
        inputIds: { shape: [1, L], data: ids },
        attentionMask: { shape: [1, L], data: mask },
        pixelValues: { shape: [1, 3, S, S], data: pixels },
      },
      { outputs: [...model.knownOutputs()].filter((n) => !n.startsWith('cross_attn_probs')) },
    );
    want = bridgeTowerReference(
      config,
      weights,
      { inputIds: ids, attentionMask: mask, batch: 1, length: L, pixelValues: pixels },
      new Set(['mlm_logits']),
    );
    got = await pending;
  } finally {
    model.dispose();
  }
}, 600_000);

function f64(name: string): Float64Array {
  return Float64Array.from(weights.get(name)!.data as Float32Array);
}

describe('base width, reduced depth, default binding limit', () => {
  it('splits the word table and MLM decoder into chunks on this device', () => {
    expect(bindingLimit).toBe(128 * 2 ** 20);
    expect(V * config.text.hiddenSize * 4).toBeGreaterThan(bindingLimit);
  });

  it('has 325 image tokens', () => expect(got.get('image_pre')!.shape).toEqual([1, 325, 768]));

  it('matches the float64 reference on every tensor', () => {
    const failures: string[] = [];
    for (const [name, ref] of want) {
      const g = got.get(name);
      if (!g) {
        failures.push(`${name}: not produced`);
        continue;
      }
      expect(g.shape, name).toEqual(ref.shape);
      const r = compareValues(g.data, ref.data, 1e-4, 1e-3);
      if (!r.pass) failures.push(`${name}: ${r.detail}, max abs ${r.maxAbs}`);
    }
    expect(failures).toEqual([]);
    expect(want.size).toBeGreaterThan(15);
  });

  it('matches the float64 MLM head on sampled rows across both decoder chunks', () => {
    const feats = want.get('text_feats')!.data;
    const rows = new Float64Array(MLM_ROWS.length * H);
    MLM_ROWS.forEach((r, i) => rows.set(feats.subarray(r * H, (r + 1) * H), i * H));
    const M = MLM_ROWS.length;
    const h = linearRef(rows, f64('mlm_score.transform.dense.weight'), M, H, H, {
      bias: f64('mlm_score.transform.dense.bias'),
      activation: 'gelu',
    });
    const t = layerNormRef(
      h,
      M,
      H,
      f64('mlm_score.transform.LayerNorm.weight'),
      f64('mlm_score.transform.LayerNorm.bias'),
      1e-12,
    );
    const logits = linearRef(t, f64('mlm_score.decoder.weight'), M, H, V, { bias: f64('mlm_score.bias') });
    const all = got.get('mlm_logits')!;
    expect(all.shape).toEqual([1, L, V]);
    const sampled = new Float32Array(M * V);
    MLM_ROWS.forEach((r, i) => sampled.set(all.data.subarray(r * V, (r + 1) * V), i * V));
    const r = compareValues(sampled, logits, 1e-4, 1e-3);
    expect(r.pass, r.detail).toBe(true);
  });
});
