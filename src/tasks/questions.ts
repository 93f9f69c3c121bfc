// Visual question answering: one forward pass, the VQA logits turned into the top-k answers by label.
import { checkAbort, checkCount, checkOptions, checkTexts, now } from './checks';
import { checkImage } from './images';
import { attentionMap, attentionOutput, checkLayer } from './attention';
import type { TaskContext } from './context';
import { sigmoid, softmaxScores, topIndices } from './scores';
import type { Answer, ImageInput, TaskOptions, VqaResult } from './types';

export interface VqaOptions extends TaskOptions {
  /**
   * How many answers, best first (at most the head's answer count).
   * @default 5
   */
  topK?: number;
  /**
   * Also return this cross-modal layer's attention map from the same forward pass.
   * @default none: no map
   */
  attentionLayer?: number;
}

/**
 * The top-k answers, best first. With `attentionLayer`, the same forward pass also returns that cross-modal
 * layer's attention map (as crossAttention would).
 */
export async function answerQuestion(
  ctx: TaskContext,
  image: ImageInput,
  question: string,
  opts: VqaOptions | undefined,
  signal: AbortSignal | undefined,
): Promise<VqaResult> {
  const head = ctx.requireHead('vqa', 'visual question answering');
  checkOptions('vqa', opts, ['topK', 'attentionLayer', 'signal', 'onProgress']);
  const { topK = 5, attentionLayer, onProgress } = opts ?? {};
  checkCount('vqa', 'topK', topK, 1);
  checkImage(image, 'vqa: the image');
  checkTexts([question], 'question');
  const t0 = now();
  if (attentionLayer !== undefined) checkLayer(ctx, attentionLayer);
  checkAbort(signal);
  onProgress?.({ stage: 'answering', done: 0, total: 1 });
  const attention = attentionLayer === undefined ? [] : [attentionOutput(attentionLayer)];
  // The pass runs in stages: progress ticks as each tower and the cross-modal layers finish, and a cancel stops it
  // at the next of them.
  const out = await ctx.model.forward(
    { ...ctx.encodeTexts([question]), pixelValues: await ctx.pixels([image]) },
    {
      outputs: ['vqa_logits', ...attention],
      signal,
      onStage: (done, total) => onProgress?.({ stage: 'answering', done, total }),
    },
  );
  const logits = out.get('vqa_logits')!.data;
  const probs = ctx.vqaScoring === 'softmax' ? softmaxScores(logits) : logits.map(sigmoid);
  const answers: Answer[] = topIndices(probs, Math.min(topK, head.outFeatures)).map((i) => ({
    answer: ctx.labels?.[i] ?? String(i),
    score: probs[i],
  }));
  const result: VqaResult = { answers, ms: now() - t0 };
  const cut = ctx.truncation(question);
  if (cut !== undefined) result.truncatedTo = cut;
  if (attentionLayer !== undefined) result.attention = attentionMap(ctx, out.get(attention[0])!, attentionLayer);
  return result;
}
