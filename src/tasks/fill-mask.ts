// Fill-mask: the MLM head's distribution over the vocabulary at the first <mask>, conditioned on the image.
import { TokenizerError } from '../errors';
import { checkCount, checkOptions, checkTexts } from './checks';
import { checkImage } from './images';
import type { TaskContext } from './context';
import { softmaxScores, topIndices } from './scores';
import type { FillMaskToken, ImageInput } from './types';

/** The `topK` likeliest tokens for the first `<mask>` in `text`, best first, each with the filled sentence. */
export async function fillMask(
  ctx: TaskContext,
  image: ImageInput,
  text: string,
  opts: { topK?: number } | undefined,
): Promise<FillMaskToken[]> {
  ctx.requireHead('mlm', 'fill-mask');
  checkOptions('fillMask', opts, ['topK']);
  const { topK = 5 } = opts ?? {};
  checkCount('fillMask', 'topK', topK, 1);
  checkImage(image, 'fillMask: the image');
  checkTexts([text], 'text');
  const tok = ctx.tokenizer;
  if (tok.maskId === undefined) throw new TokenizerError(`${ctx.source}: the vocabulary has no <mask> token`);
  const ids = tok.encode(text, ctx.maxTextLength);
  const position = ids.indexOf(tok.maskId);
  if (position < 0) throw new TokenizerError(`fill-mask needs a <mask> in the text: ${JSON.stringify(text)}`);
  const out = await ctx.model.forward(
    { ...ctx.idsToArrays([ids]), pixelValues: await ctx.pixels([image]) },
    { outputs: ['mlm_logits'] },
  );
  const V = ctx.config.text.vocabSize;
  const probs = softmaxScores(out.get('mlm_logits')!.data.subarray(position * V, (position + 1) * V));
  return topIndices(probs, topK).map((id) => {
    const filled = ids.slice();
    filled[position] = id;
    return { token: tok.decode([id]), tokenId: id, score: probs[id], sequence: tok.decode(filled) };
  });
}
