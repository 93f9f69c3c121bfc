import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readSafetensors } from '../../src/checkpoint/safetensors';
import type { BridgeTower } from '../../src/tasks';
import { loadBridgeTower } from '../../src/tasks/node';

const EVAL = 'test/fixtures/demo-model/eval';
interface Question {
  image: string;
  question: string;
  torch_top1: string;
  torch_top1_prob: number;
  input_ids: number[];
}
interface Caption {
  image: string;
  caption: string;
  torch_itm_prob: number;
  input_ids: number[];
}
const questions: Question[] = JSON.parse(readFileSync(`${EVAL}/questions.json`, 'utf8'));
const captions: Caption[] = JSON.parse(readFileSync(`${EVAL}/captions.json`, 'utf8'));
const pixels = readSafetensors(readFileSync(`${EVAL}/pixel_values.safetensors`), 'pixel_values.safetensors');

let bt: BridgeTower;
beforeAll(async () => {
  bt = await loadBridgeTower('weights/demo');
});
afterAll(() => bt?.dispose());

describe('demo model (weights/demo) against the torch reference', () => {
  it('tokenises every eval question and caption to the reference ids', () => {
    for (const q of questions) expect(bt.tokenizer.encode(q.question, 24), q.question).toEqual(q.input_ids);
    for (const c of captions) expect(bt.tokenizer.encode(c.caption, 24), c.caption).toEqual(c.input_ids);
  });

  it('answers every eval question with torch_top1, probability within 1e-3 (reference pixel values)', async () => {
    for (const q of questions) {
      const px = pixels.get(q.image)!;
      const ids = Int32Array.from(q.input_ids);
      const out = await bt.model.forward(
        {
          inputIds: { shape: [1, ids.length], data: ids },
          pixelValues: { shape: [1, ...px.shape], data: px.data as Float32Array },
        },
        { outputs: ['vqa_logits'] },
      );
      const logits = out.get('vqa_logits')!.data;
      const p = softmaxArr(logits);
      const top = p.indexOf(Math.max(...p));
      expect(bt.labels![top], `${q.image}: ${q.question}`).toBe(q.torch_top1);
      expect(Math.abs(p[top] - q.torch_top1_prob), `${q.image}: ${q.question}`).toBeLessThanOrEqual(1e-3);
    }
  });

  it('gives every eval caption the torch ITM probability within 1e-3', async () => {
    for (const c of captions) {
      const r = await bt.match(readFileSync(`${EVAL}/${c.image}`), [c.caption]);
      expect(Math.abs(r[0].itm - c.torch_itm_prob), `${c.image}: ${c.caption}`).toBeLessThanOrEqual(1e-3);
    }
  });

  it('vqa() on decoded PNGs gives torch_top1 for the 64x64 eval images', async () => {
    for (const q of questions.filter((q) => /^img-\d\d\.png$/.test(q.image))) {
      const r = await bt.vqa(readFileSync(`${EVAL}/${q.image}`), q.question, { topK: 3 });
      expect(r.answers[0].answer, `${q.image}: ${q.question}`).toBe(q.torch_top1);
      expect(Math.abs(r.answers[0].score - q.torch_top1_prob)).toBeLessThanOrEqual(1e-3);
    }
  });
});

function softmaxArr(x: Float32Array): number[] {
  const m = Math.max(...x);
  const e = Array.from(x, (v) => Math.exp(v - m));
  const s = e.reduce((a, b) => a + b, 0);
  return e.map((v) => v / s);
}
