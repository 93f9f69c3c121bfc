// Timings of attention (every variant that fits the adapter) and layerNorm (both variants) at BridgeTower-base
// shapes. Not part of the test run: `npx vitest bench --run test/kernels/attention.bench.ts`.
// Each iteration records one call and waits for the GPU; the first call (pipeline build) is a warm-up.
import { bench, describe } from 'vitest';
import { attention, type AttentionVariant } from '../../src/kernels/attention';
import { layerNorm, type LayerNormVariant } from '../../src/kernels/layernorm';
import { testGpu } from '../gpu/node-gpu';
import { randomF32, rng } from './harness';

const gpu = await testGpu();
const info = gpu.device.adapterInfo;
const fourLaneSubgroups = gpu.caps.subgroups && info?.subgroupMinSize === 4 && info?.subgroupMaxSize === 4;
const variants: AttentionVariant[] = [...(fourLaneSubgroups ? ['subgroup' as const] : []), 'streaming', 'tiled'];
// SwiftShader needs seconds for the largest shape: few iterations there.
const options = gpu.caps.cpuAdapter ? { iterations: 2, warmupIterations: 1, time: 0, warmupTime: 0 } : { iterations: 50, time: 0 };

const HEADS = 12, D = 64, W = HEADS * D;

// Lq x Lk: text->image cross-attention at 288px, CLIP self-attention at 288px and at 576px.
for (const [Lq, Lk] of [[40, 325], [325, 325], [1297, 1297]]) {
  describe(`attention Lq ${Lq}, Lk ${Lk}, 12 heads of 64, masked (${(4 * Lq * Lk * W / 1e9).toFixed(2)} GFLOP)`, () => {
    const rand = rng(1);
    const q = gpu.upload(randomF32(Lq * W, rand), [1, Lq, W], 'f32', 'q');
    const k = gpu.upload(randomF32(Lk * W, rand), [1, Lk, W], 'f32', 'k');
    const v = gpu.upload(randomF32(Lk * W, rand), [1, Lk, W], 'f32', 'v');
    const mask = gpu.upload(new Float32Array(Lk), [1, Lk], 'f32', 'mask');
    for (const variant of variants) {
      bench(variant, async () => {
        attention(gpu, q, k, v, { heads: HEADS, width: W, mask, variant }).release();
        await gpu.finish();
      }, options);
    }
  });
}

for (const rows of [325, 1297]) {
  describe(`layerNorm [${rows}, 768] with residual`, () => {
    const rand = rng(2);
    const x = gpu.upload(randomF32(rows * 768, rand), [rows, 768], 'f32', 'x');
    const r = gpu.upload(randomF32(rows * 768, rand), [rows, 768], 'f32', 'residual');
    const w = gpu.upload(randomF32(768, rand), [768], 'f32', 'weight');
    const b = gpu.upload(randomF32(768, rand), [768], 'f32', 'bias');
    for (const variant of ['rows', 'workgroup'] as LayerNormVariant[]) {
      bench(variant, async () => {
        layerNorm(gpu, x, w, b, 1e-5, { residual: r, variant }).release();
        await gpu.finish();
      }, options);
    }
  });
}
