// Quantized weights on the trained demo model: weights/demo converted to f16, q8 and q4 through the web
// format, every eval question and caption run through each, and the decisions compared with f32's.
// q8 must agree on every VQA top-1 and ITM decision; q4's agreement is measured and held to its bar.
// The figures printed here are the README's ("Quantized weights").
import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { readSafetensors } from '../../src/checkpoint/safetensors';
import { loadModel } from '../../src/verify/load-model';
import type { BridgeTowerModel } from '../../src/model/bridgetower';
import { testGpu } from '../gpu/node-gpu';
import { maxDiff } from '../support/max-diff';

const EVAL = 'test/fixtures/demo-model/eval';
interface Item {
  image: string;
  input_ids: number[];
  question?: string;
  caption?: string;
}
const questions: Item[] = JSON.parse(readFileSync(`${EVAL}/questions.json`, 'utf8'));
const captions: Item[] = JSON.parse(readFileSync(`${EVAL}/captions.json`, 'utf8'));
const pixels = readSafetensors(readFileSync(`${EVAL}/pixel_values.safetensors`), 'pixel_values.safetensors');

/** vqa_logits for every question and itm_logits for every caption, one batch per distinct length. */
async function run(model: BridgeTowerModel): Promise<{ vqa: Float32Array[]; itm: Float32Array[] }> {
  const forward = async (items: Item[], output: string): Promise<Float32Array[]> => {
    const out: Float32Array[] = new Array(items.length);
    const byLength = new Map<number, number[]>();
    items.forEach((it, i) => byLength.set(it.input_ids.length, [...(byLength.get(it.input_ids.length) ?? []), i]));
    for (const [L, idx] of byLength) {
      const px = idx.map((i) => pixels.get(items[i].image)!);
      const size = px[0].data.length;
      const pixelData = new Float32Array(idx.length * size);
      px.forEach((p, j) => pixelData.set(p.data as Float32Array, j * size));
      const got = await model.forward(
        {
          inputIds: { shape: [idx.length, L], data: Int32Array.from(idx.flatMap((i) => items[i].input_ids)) },
          pixelValues: { shape: [idx.length, ...px[0].shape], data: pixelData },
        },
        { outputs: [output] },
      );
      const t = got.get(output)!;
      const C = t.shape[t.shape.length - 1];
      idx.forEach((i, j) => {
        out[i] = t.data.slice(j * C, (j + 1) * C) as Float32Array;
      });
    }
    return out;
  };
  return { vqa: await forward(questions, 'vqa_logits'), itm: await forward(captions, 'itm_logits') };
}

const argmax = (x: Float32Array): number => x.indexOf(Math.max(...x));
const maxDiffOfRows = (a: Float32Array[], b: Float32Array[]): number => Math.max(...a.map((x, i) => maxDiff(x, b[i])));

let f32: { vqa: Float32Array[]; itm: Float32Array[] };
beforeAll(async () => {
  const model = await loadModel(await testGpu(), 'weights/demo');
  try {
    f32 = await run(model);
  } finally {
    model.dispose();
  }
}, 300_000);

describe.each([
  // Measured on SwiftShader: f16 96/96 and 40/40, worst logit difference 5.7e-3; q8 96/96 and 40/40, 0.093;
  // q4 84/96 and 40/40, 1.43. f16's and q8's bars are every decision and ~2x (1.6x) the logit error; q4's leave
  // room for two more flips and ~1.4x the logit error.
  { dtype: 'f16' as const, vqaAgree: 96, itmAgree: 40, logitBar: 0.015 },
  { dtype: 'q8' as const, vqaAgree: 96, itmAgree: 40, logitBar: 0.15 },
  { dtype: 'q4' as const, vqaAgree: 82, itmAgree: 39, logitBar: 2.0 },
])('demo model in $dtype against f32', ({ dtype, vqaAgree, itmAgree, logitBar }) => {
  it(`agrees on >= ${vqaAgree}/96 VQA answers and >= ${itmAgree}/40 ITM decisions`, async () => {
    const model = await loadModel(await testGpu(), 'weights/demo', { convertTo: dtype });
    let q: { vqa: Float32Array[]; itm: Float32Array[] };
    try {
      q = await run(model);
    } finally {
      model.dispose();
    }
    const vqaSame = q.vqa.filter((x, i) => argmax(x) === argmax(f32.vqa[i])).length;
    const itmSame = q.itm.filter((x, i) => argmax(x) === argmax(f32.itm[i])).length;
    const vqaErr = maxDiffOfRows(q.vqa, f32.vqa),
      itmErr = maxDiffOfRows(q.itm, f32.itm);
    const flips = q.vqa
      .map((x, i) => [x, i] as const)
      .filter(([x, i]) => argmax(x) !== argmax(f32.vqa[i]))
      .map(([x, i]) => {
        const a = argmax(f32.vqa[i]),
          b = argmax(x);
        return `"${questions[i].question}" (${questions[i].image}): answer ${b} for ${a}, f32 margin ${(f32.vqa[i][a] - f32.vqa[i][b]).toFixed(3)}`;
      });
    console.log(
      `${dtype}: VQA top-1 ${vqaSame}/${q.vqa.length}, ITM ${itmSame}/${q.itm.length}; worst |logit - f32|: VQA ${vqaErr.toExponential(2)}, ITM ${itmErr.toExponential(2)}${flips.length ? `; flips: ${flips.join('; ')}` : ''}`,
    );
    expect(vqaSame, flips.join('\n')).toBeGreaterThanOrEqual(vqaAgree);
    expect(itmSame).toBeGreaterThanOrEqual(itmAgree);
    expect(Math.max(vqaErr, itmErr)).toBeLessThanOrEqual(logitBar);
  }, 300_000);
});
