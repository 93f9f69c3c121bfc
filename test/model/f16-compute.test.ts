// f16 compute (ModelOptions.compute 'f16': the activations between matrix products stored as halves, f32
// arithmetic) against the f32 forward of the f32 weights, on every fixture with expected outputs, with f32 and
// with f16 weights. The bar, per output tensor: every element within the f16 weights' tolerance (F16_TOLERANCE),
// cosine similarity >= 0.999, and the same top-1 index in every row of the vqa, itm, snli and nlvr2 logits.
// Each case logs its worst element error, its lowest cosine and its top-1 agreement (the README's figures).
import { readdirSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { compareValues } from '../../src/common/compare';
import type { Gpu } from '../../src/gpu/runtime';
import type { ComputePrecision, HostArray, IdData, OutputTensor } from '../../src/model/bridgetower';
import { F16_TOLERANCE, loadFixtureModel, type VerifyOptions } from '../../src/verify/fixture';
import { readSafetensorsFile } from '../../src/verify/load-model';
import { testGpu } from '../gpu/node-gpu';

// authors-bert holds a BERT text tower, which the model refuses (a ConfigError tested elsewhere): no forward to compare.
const FIXTURES = readdirSync('test/fixtures').filter(
  (f) => f !== 'authors-bert' && existsSync(join('test/fixtures', f, 'expected.safetensors')),
);
const TOP1 = ['vqa_logits', 'itm_logits', 'snli_logits', 'nlvr2_logits'];
const MIN_COSINE = 0.999;

function cosine(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let ab = 0,
    aa = 0,
    bb = 0;
  for (let i = 0; i < a.length; i++) {
    ab += a[i] * b[i];
    aa += a[i] * a[i];
    bb += b[i] * b[i];
  }
  return aa === 0 && bb === 0 ? 1 : ab / Math.sqrt(aa * bb);
}

/** Index of the largest value of each row of the last dimension. */
function top1(t: OutputTensor): number[] {
  const n = t.shape[t.shape.length - 1];
  return Array.from({ length: t.data.length / n }, (_, r) => {
    let best = 0;
    for (let i = 1; i < n; i++) if (t.data[r * n + i] > t.data[r * n + best]) best = i;
    return best;
  });
}

async function forward(gpu: Gpu, dir: string, opts: VerifyOptions, compute: ComputePrecision) {
  const inputs = await readSafetensorsFile(join(dir, 'inputs.safetensors'));
  const names = [...(await readSafetensorsFile(join(dir, 'expected.safetensors'))).keys()];
  const arr = <T>(n: string): HostArray<T> | undefined => {
    const t = inputs.get(n);
    return t && { shape: t.shape, data: t.data as T };
  };
  const model = await loadFixtureModel(gpu, dir, { ...opts, compute });
  try {
    const known = new Set(model.knownOutputs());
    return await model.forward(
      {
        inputIds: arr<IdData>('input_ids'),
        attentionMask: arr<IdData>('attention_mask'),
        pixelValues: arr<Float32Array>('pixel_values'),
        pixelValues2: arr<Float32Array>('pixel_values_2'),
      },
      { outputs: names.filter((n) => known.has(n)) },
    );
  } finally {
    model.dispose();
  }
}

describe('f16 compute against the f32 forward', () => {
  for (const fixture of FIXTURES) {
    for (const weights of ['f32', 'f16'] as const) {
      it(`${fixture}, ${weights} weights`, async () => {
        const gpu = await testGpu();
        const dir = join('test/fixtures', fixture);
        const reference = await forward(gpu, dir, {}, 'f32');
        const got = await forward(gpu, dir, weights === 'f32' ? {} : { from: 'web', dtype: 'f16' }, 'f16');
        const failures: string[] = [];
        let worst = 0,
          worstName = '',
          minCos = 1,
          minCosName = '',
          rows = 0,
          agree = 0;
        for (const [name, want] of reference) {
          const g = got.get(name);
          if (!g) {
            failures.push(`${name}: not produced`);
            continue;
          }
          const r = compareValues(g.data, want.data, F16_TOLERANCE.atol, F16_TOLERANCE.rtol);
          if (!r.pass) failures.push(`${name}: ${r.detail}`);
          if (r.maxAbs > worst) [worst, worstName] = [r.maxAbs, name];
          const c = cosine(g.data, want.data);
          if (!(c >= MIN_COSINE)) failures.push(`${name}: cosine ${c.toFixed(6)} < ${MIN_COSINE}`);
          if (c < minCos) [minCos, minCosName] = [c, name];
          if (TOP1.includes(name)) {
            const [a, b] = [top1(g), top1(want)];
            rows += b.length;
            agree += b.filter((v, i) => v === a[i]).length;
            if (a.join() !== b.join()) failures.push(`${name}: top-1 ${a.join(',')} vs ${b.join(',')}`);
          }
        }
        console.log(
          `f16 compute | ${fixture} | ${weights} weights | ${reference.size} outputs | max |a-b| ` +
            `${worst.toExponential(2)} (${worstName}) | min cosine ${minCos.toFixed(6)} (${minCosName}) | top-1 ` +
            `${agree}/${rows}`,
        );
        expect(failures, `|a-b| <= ${F16_TOLERANCE.atol} + ${F16_TOLERANCE.rtol}|b|, cosine >= ${MIN_COSINE}`).toEqual(
          [],
        );
        expect(reference.size).toBeGreaterThan(10);
      });
    }
  }
});
