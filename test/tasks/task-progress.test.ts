// The task API's progress and cancel (AbortSignal) for retrieval, matching, embeddings and questions, on the demo
// model: ticks between passes and within each pass (`pass`, per stage: the demo's 4 image layers are 2 stages), a
// cancel at the next stage; the answer's cross-attention from the same pass; `truncatedTo`.
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AbortedError } from '../../src/errors';
import type { BridgeTower } from '../../src/tasks';
import { loadBridgeTower } from '../../src/tasks/node';
import type { TaskOptions, TaskProgress } from '../../src/tasks/types';

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
    const encoding = seen.filter((p) => p.stage === 'encoding pictures');
    expect(encoding.filter((p) => !p.pass).map((p) => `${p.done}/${p.total}`)).toEqual([
      '0/20',
      '8/20',
      '16/20',
      '20/20',
    ]);
    // Within each batch: its image tower's two stages, over the batch's pictures.
    const within = encoding
      .filter((p) => p.pass)
      .map((p) => `${p.done}+${p.pass!.items} ${p.pass!.done}/${p.pass!.total}`);
    expect(within).toEqual(['0+8 1/2', '0+8 2/2', '8+8 1/2', '8+8 2/2', '16+4 1/2', '16+4 2/2']);
    const reranking = seen.filter((p) => p.stage === 're-ranking by ITM');
    expect(reranking.filter((p) => !p.pass).map((p) => p.done)).toEqual([0, 1, 2, 3, 4, 5, 6]);
    // One pass per picture: text tower, two image stages, cross-modal layers.
    const first = reranking.filter((p) => p.pass && p.done === 0).map((p) => `${p.pass!.done}/${p.pass!.total}`);
    expect(first).toEqual(['1/4', '2/4', '3/4', '4/4']);
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

  it('stops a retrieval, an embedding and a match within a pass, at the stage after the cancel', async () => {
    for (const run of [
      (o: TaskOptions) => bt.retrieveImages('a red circle', images, o),
      (o: TaskOptions) => bt.embedImage(images.slice(0, 1), o),
      (o: TaskOptions) => bt.retrieveTexts(images[0], ['a red circle', 'a blue square'], o),
      (o: TaskOptions) => bt.match(images[0], ['a red circle'], o),
    ]) {
      const controller = new AbortController();
      const ticks: string[] = [];
      const task = run({
        signal: controller.signal,
        onProgress: (p) => {
          if (!p.pass) return;
          ticks.push(`${p.stage} ${p.pass.done}/${p.pass.total}`);
          controller.abort();
        },
      });
      await expect(task).rejects.toBeInstanceOf(AbortedError);
      expect(ticks).toHaveLength(1);
      expect(ticks[0]).toMatch(/ 1\/\d$/);
    }
    expect((await bt.embedImage(images.slice(0, 1)))[0]).toEqual(
      (await bt.embedImage(images.slice(0, 1), { onProgress: () => {} }))[0],
    );
  });

  it('ticks more than once within one picture of embedImage', async () => {
    const seen: TaskProgress[] = [];
    await bt.embedImage(images.slice(0, 1), { onProgress: (p) => seen.push({ ...p }) });
    expect(seen.map((p) => `${p.done}/${p.total}${p.pass ? ` ${p.pass.done}/${p.pass.total}` : ''}`)).toEqual([
      '0/1',
      '0/1 1/2',
      '0/1 2/2',
      '1/1',
    ]);
    await expect(bt.embedImage(images.slice(0, 1), { signal: AbortSignal.abort() })).rejects.toBeInstanceOf(
      AbortedError,
    );
    await expect(bt.embedImage(images.slice(0, 1), { topK: 1 } as TaskOptions)).rejects.toThrow(/unknown option/);
  });

  it('matches many captions in batches, with progress, to the same scores as one at a time', async () => {
    const texts = Array.from({ length: 10 }, (_, i) => `a ${['red', 'blue'][i % 2]} circle and ${i} squares`);
    const seen: number[] = [];
    const all = await bt.match(images[2], texts, { onProgress: (p) => (p.pass ? undefined : seen.push(p.done)) });
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
