// A disposed model refuses every task by name (DisposedError), and disposing while tasks run never frees the
// weights under a pass: a task stops with a DisposedError at its next check (between passes, or at the next stage
// of a staged pass), a pass without stages finishes with its answer, and the memory is freed once the last task
// has settled.
import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { DisposedError } from '../../src/errors';
import type { Gpu } from '../../src/gpu/runtime';
import { loadBridgeTower } from '../../src/tasks/node';
import { testGpu } from '../gpu/node-gpu';

const EVAL = 'test/fixtures/demo-model/eval';
const images = Array.from({ length: 20 }, (_, i) => readFileSync(`${EVAL}/img-${String(i).padStart(2, '0')}.png`));
const image = images[0];

let gpu: Gpu;
beforeAll(async () => {
  gpu = await testGpu();
});

/** Whether the model's weights are gone from the GPU (a pass then fails naming a weight that is not uploaded). */
async function freed(bt: Awaited<ReturnType<typeof loadBridgeTower>>): Promise<boolean> {
  const S = bt.config.vision.imageSize;
  const inputs = {
    inputIds: { shape: [1, 2], data: Int32Array.of(0, 2) },
    pixelValues: { shape: [1, 3, S, S], data: new Float32Array(3 * S * S) },
  };
  return bt.model.forward(inputs, { outputs: ['vqa_logits'] }).then(
    () => false,
    (e: Error) => /was not uploaded/.test(e.message),
  );
}

describe('dispose()', () => {
  it('makes every later call refuse with a DisposedError naming the method', async () => {
    const bt = await loadBridgeTower('weights/demo', { gpu });
    bt.dispose();
    expect(bt.disposed).toBe(true);
    const calls: [string, () => Promise<unknown>][] = [
      ['vqa', () => bt.vqa(image, 'what?')],
      ['match', () => bt.match(image, ['a'])],
      ['retrieveImages', () => bt.retrieveImages('a', [image])],
      ['retrieveTexts', () => bt.retrieveTexts(image, ['a'])],
      ['crossAttention', () => bt.crossAttention(image, 'a')],
      ['embedText', () => bt.embedText(['a'])],
      ['embedImage', () => bt.embedImage([image])],
      ['embedPair', () => bt.embedPair(image, 'a')],
      ['embedPairs', () => bt.embedPairs([image], ['a'])],
      ['fillMask', () => bt.fillMask(image, 'a <mask>')],
      ['nlvr2', () => bt.nlvr2(image, image, 'a')],
      ['entailment', () => bt.entailment(image, 'a')],
      ['warmUp', () => bt.warmUp()],
    ];
    for (const [method, call] of calls) {
      await expect(call(), method).rejects.toThrow(
        new DisposedError(`${method}: this model was disposed (load it again to use it)`),
      );
    }
    bt.dispose();
    expect(await freed(bt)).toBe(true);
  });

  it('stops a task between its passes with a DisposedError, and frees the model only after it', async () => {
    const bt = await loadBridgeTower('weights/demo', { gpu });
    let disposedAt = -1;
    const run = bt.retrieveImages('a red circle', images, {
      onProgress: (p) => {
        if (p.done === 8 && disposedAt < 0) {
          disposedAt = p.done;
          bt.dispose();
        }
      },
    });
    await expect(run).rejects.toThrow(new DisposedError('retrieveImages: the model was disposed while this task ran'));
    expect(disposedAt).toBe(8);
    expect(await freed(bt)).toBe(true);
  });

  it('stops a question within its pass, lets a pass without stages finish, and frees the model after both', async () => {
    const bt = await loadBridgeTower('weights/demo', { gpu });
    const reference = await loadBridgeTower('weights/demo', { gpu });
    try {
      const answer = bt.vqa(image, 'how many objects are in the image');
      const embedding = bt.embedText(['a red circle']);
      bt.dispose();
      await expect(answer).rejects.toThrow(new DisposedError('vqa: the model was disposed while this task ran'));
      expect(await embedding).toEqual(await reference.embedText(['a red circle']));
      expect(await freed(bt)).toBe(true);
    } finally {
      reference.dispose();
    }
  });

  it("keeps a caller's own cancel an AbortedError", async () => {
    const bt = await loadBridgeTower('weights/demo', { gpu });
    try {
      const controller = new AbortController();
      controller.abort();
      await expect(bt.match(image, ['a'], { signal: controller.signal })).rejects.toThrow('cancelled');
      await expect(bt.match(image, ['a'], { signal: controller.signal })).rejects.not.toBeInstanceOf(DisposedError);
    } finally {
      bt.dispose();
    }
  });
});
