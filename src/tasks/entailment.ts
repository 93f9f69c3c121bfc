// Statements about images: NLVR2 (true of a pair of images?) and SNLI-VE (does the image entail a hypothesis?).
import { checkTexts } from './checks';
import { checkImage } from './images';
import type { TaskContext } from './context';
import { softmaxScores, topIndices } from './scores';
import type { EntailmentResult, ImageInput, Nlvr2Result } from './types';

/** SNLI-VE classes in the original's label order (src/utils/write_snli.py). */
const SNLI_LABELS = ['contradiction', 'neutral', 'entailment'] as const;

/** NLVR2: is the statement true of the pair of images? */
export async function judgePair(
  ctx: TaskContext,
  left: ImageInput,
  right: ImageInput,
  statement: string,
): Promise<Nlvr2Result> {
  ctx.requireHead('nlvr2', 'NLVR2');
  checkImage(left, 'nlvr2: the left image');
  checkImage(right, 'nlvr2: the right image');
  checkTexts([statement], 'statement');
  const out = await ctx.model.forward(
    {
      ...ctx.encodeTexts([statement]),
      pixelValues: await ctx.pixels([left]),
      pixelValues2: await ctx.pixels([right]),
    },
    { outputs: ['nlvr2_logits'] },
  );
  const p = softmaxScores(out.get('nlvr2_logits')!.data);
  return { answer: p[1] > p[0], score: Math.max(p[0], p[1]) };
}

/** SNLI-VE: does the image entail, contradict or leave open the hypothesis? */
export async function entailment(ctx: TaskContext, image: ImageInput, hypothesis: string): Promise<EntailmentResult> {
  ctx.requireHead('snli', 'visual entailment');
  checkImage(image, 'entailment: the image');
  checkTexts([hypothesis], 'hypothesis');
  const out = await ctx.model.forward(
    { ...ctx.encodeTexts([hypothesis]), pixelValues: await ctx.pixels([image]) },
    { outputs: ['snli_logits'] },
  );
  const p = softmaxScores(out.get('snli_logits')!.data);
  const best = topIndices(p, 1)[0];
  return { label: SNLI_LABELS[best], scores: { contradiction: p[0], neutral: p[1], entailment: p[2] } };
}
