// The task API's progress and cancel (AbortSignal, checked between forward passes) for retrieval, matching
// and questions, on the demo model; the answer's cross-attention from the same pass; `truncatedTo`.
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AbortedError } from '../../src/errors';
import type { BridgeTower } from '../../src/tasks';
import { loadBridgeTower } from '../../src/tasks/node';
import type { TaskProgress } from '../../src/tasks/types';

const EVAL = 'test/fixtures/demo-model/eval';
const images = Array.from({ length: 20 }, (_, i) => readFileSync(`${EVAL}/img-${String(i).padStart(2, '0')}.png`));

let bt: BridgeTower;
beforeAll(async () => {
  bt = await loadBridgeTower('weights/demo');
});
afterAll(() => bt?.dispose());

describe('task progress and cancel', () => {
  it('reports retrieval progress (pictures encoded, then re-ranked) without changing the ranking', async () => {
    const seen: TaskProgress[] = [];
    const onProgress = (p: TaskProgress) => seen.push({ ...p });
    const hits = await bt.retrieveImages('a red circle', images, { topK: 5, rerank: 6, onProgress });
    expect(hits).toEqual(await bt.retrieveImages('a red circle', images, { topK: 5, rerank: 6 }));
    const encoding = seen.filter((p) => p.stage === 'encoding pictures').map((p) => `${p.done}/${p.total}`);
    expect(encoding).toEqual(['0/20', '8/20', '16/20', '20/20']);
    const reranking = seen.filter((p) => p.stage === 're-ranking by ITM').map((p) => p.done);
    expect(reranking).toEqual([0, 1, 2, 3, 4, 5, 6]);
  });

  it('stops a retrieval between forward passes when its signal aborts', async () => {
    const controller = new AbortController();
    let passes = 0;
    const run = bt.retrieveImages('a red circle', images, {
      signal: controller.signal,
      onProgress: (p) => {
        if (p.done > 0 && ++passes === 1) controller.abort();
      },
    });
    await expect(run).rejects.toBeInstanceOf(AbortedError);
    expect(passes).toBe(1);
    const aborted = AbortSignal.abort();
    await expect(bt.match(images[0], ['a red circle'], { signal: aborted })).rejects.toBeInstanceOf(AbortedError);
    const question = bt.vqa(images[0], 'how many objects are there?', { signal: aborted });
    await expect(question).rejects.toBeInstanceOf(AbortedError);
    // The model still answers after a cancel.
    expect((await bt.vqa(images[0], 'how many objects are there?')).answers.length).toBeGreaterThan(0);
  });

  it('matches many captions in batches, with progress, to the same scores as one at a time', async () => {
    const texts = Array.from({ length: 10 }, (_, i) => `a ${['red', 'blue'][i % 2]} circle and ${i} squares`);
    const seen: number[] = [];
    const all = await bt.match(images[2], texts, { onProgress: (p) => seen.push(p.done) });
    expect(seen).toEqual([0, 8, 10]);
    for (const [i, t] of texts.entries()) {
      const [one] = await bt.match(images[2], [t]);
      expect(all[i].text).toBe(t);
      expect(Math.abs(all[i].itm - one.itm), t).toBeLessThan(1e-5);
    }
  });

  it("returns the cross-attention of the answer's own forward pass, and says when a question was cut", async () => {
    const q = 'how many objects are there?';
    const r = await bt.vqa(images[2], q, { attentionLayer: 0 });
    const separate = await bt.crossAttention(images[2], q, { layer: 0 });
    expect(r.attention!.layer).toBe(0);
    expect(Math.max(...r.attention!.weights.map((w, i) => Math.abs(w - separate.weights[i])))).toBeLessThan(1e-6);
    expect(r.truncatedTo).toBeUndefined();
    const long = await bt.vqa(images[2], `how many ${'very '.repeat(30)}red objects are there?`);
    expect(long.truncatedTo).toBe(24);
    const [m] = await bt.match(images[2], [`a ${'very '.repeat(30)}red circle`]);
    expect(m.truncatedTo).toBe(24);
  });
});
