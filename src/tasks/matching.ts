// Image-text matching and retrieval: ITM probabilities through the cross-modal encoder, ITC cosines from the
// towers alone, and retrieval as the original evaluates it (rank by ITC, re-rank the best by ITM).
import { checkAbort, checkCount, checkImageList, checkOptions, checkTextList, checkTexts } from './checks';
import { checkImage } from './images';
import type { TaskContext } from './context';
import { cosines, matchProbability } from './scores';
import type { ImageInput, MatchResult, RetrievalHit, TaskOptions } from './types';

/** Images per forward pass when encoding many images for retrieval; captions per pass when matching many. */
const IMAGE_BATCH = 8;
const TEXT_BATCH = 8;

export interface RetrievalOptions {
  /**
   * How many hits, best first.
   * @default all
   */
  topK?: number;
  /**
   * How many of the best by ITC are re-ranked by ITM.
   * @default 16
   */
  rerank?: number;
}

/**
 * ITM probability and ITC cosine similarity of one image with each text, in the order given. Texts go through
 * the cross-modal encoder TEXT_BATCH at a time (progress and cancel between batches).
 */
export async function matchTexts(
  ctx: TaskContext,
  image: ImageInput,
  texts: readonly string[],
  opts: TaskOptions | undefined,
  signal: AbortSignal | undefined,
): Promise<MatchResult[]> {
  ctx.requireHead('itm', 'image-text matching');
  checkOptions('match', opts, ['signal', 'onProgress']);
  checkImage(image, 'match: the image');
  checkTextList('match', texts);
  const onProgress = opts?.onProgress;
  checkAbort(signal);
  const features = ctx.model.imageFeatures(await ctx.pixels([image]));
  try {
    const withItc = ctx.hasHead('itc');
    const wanted = withItc ? ['itm_logits', 'itc_text', 'itc_image'] : ['itm_logits'];
    const results: MatchResult[] = [];
    onProgress?.({ stage: 'matching captions', done: 0, total: texts.length });
    for (let i = 0; i < texts.length; i += TEXT_BATCH) {
      checkAbort(signal);
      const batch = texts.slice(i, i + TEXT_BATCH);
      const out = await ctx.model.forward({ ...ctx.encodeTexts(batch), image: features }, { outputs: wanted, signal });
      const itm = out.get('itm_logits')!;
      const itc = withItc ? cosines(out.get('itc_text')!, out.get('itc_image')!, 0) : undefined;
      for (const [b, text] of batch.entries()) {
        const r: MatchResult = { text, itm: matchProbability(itm.data, b), itc: itc ? itc[b] : NaN };
        const cut = ctx.truncation(text);
        if (cut !== undefined) r.truncatedTo = cut;
        results.push(r);
      }
      onProgress?.({ stage: 'matching captions', done: results.length, total: texts.length });
    }
    return results;
  } finally {
    features.dispose();
  }
}

/**
 * Rank images for a text: ITC over all, then ITM re-ranking of the best `rerank` (as the original evaluates).
 * Progress counts pictures encoded, then pictures re-ranked; cancel stops between forward passes.
 */
export async function retrieveImages(
  ctx: TaskContext,
  text: string,
  images: readonly ImageInput[],
  opts: (RetrievalOptions & TaskOptions) | undefined,
  signal: AbortSignal | undefined,
): Promise<RetrievalHit[]> {
  ctx.requireHead('itc', 'contrastive retrieval');
  checkOptions('retrieveImages', opts, ['topK', 'rerank', 'signal', 'onProgress']);
  const { topK = images.length, rerank = 16, onProgress } = opts ?? {};
  checkTexts([text], 'text');
  checkImageList('retrieveImages', images);
  checkRetrieval('retrieveImages', topK, rerank);
  checkAbort(signal);
  const { inputIds, attentionMask } = ctx.encodeTexts([text]);
  const textFeature = await ctx.model.encodeText(inputIds, attentionMask);
  const sims: number[] = [];
  onProgress?.({ stage: 'encoding pictures', done: 0, total: images.length });
  for (let i = 0; i < images.length; i += IMAGE_BATCH) {
    checkAbort(signal);
    const batch = await ctx.pixels(images.slice(i, i + IMAGE_BATCH));
    const feats = await ctx.model.encodeImage(batch);
    sims.push(...cosines(textFeature, feats, 'all'));
    onProgress?.({ stage: 'encoding pictures', done: sims.length, total: images.length });
  }
  const hits: RetrievalHit[] = sims.map((itc, index) => ({ index, itc }));
  const total = Math.min(rerank, hits.length);
  let done = 0;
  return rerankByItm(ctx, hits, rerank, topK, async (hit) => {
    checkAbort(signal);
    if (done === 0) onProgress?.({ stage: 're-ranking by ITM', done, total });
    const itm = (await matchTexts(ctx, images[hit.index], [text], {}, signal))[0].itm;
    onProgress?.({ stage: 're-ranking by ITM', done: ++done, total });
    return itm;
  });
}

/** Rank texts for an image: ITC over all, then ITM re-ranking of the best `rerank`; image features computed once. */
export async function retrieveTexts(
  ctx: TaskContext,
  image: ImageInput,
  texts: readonly string[],
  opts: (RetrievalOptions & Pick<TaskOptions, 'signal'>) | undefined,
  signal: AbortSignal | undefined,
): Promise<RetrievalHit[]> {
  ctx.requireHead('itc', 'contrastive retrieval');
  checkOptions('retrieveTexts', opts, ['topK', 'rerank', 'signal']);
  const { topK = texts.length, rerank = 16 } = opts ?? {};
  checkImage(image, 'retrieveTexts: the image');
  checkTextList('retrieveTexts', texts);
  checkRetrieval('retrieveTexts', topK, rerank);
  checkAbort(signal);
  const pixels = await ctx.pixels([image]);
  const imageFeature = await ctx.model.encodeImage(pixels);
  const { inputIds, attentionMask } = ctx.encodeTexts(texts);
  const textFeatures = await ctx.model.encodeText(inputIds, attentionMask);
  const hits: RetrievalHit[] = cosines(imageFeature, textFeatures, 'all').map((itc, index) => ({ index, itc }));
  if (!ctx.hasHead('itm')) return hits.sort((a, b) => b.itc - a.itc).slice(0, topK);
  checkAbort(signal);
  const features = ctx.model.imageFeatures(pixels);
  try {
    const top = [...hits].sort((a, b) => b.itc - a.itc).slice(0, rerank);
    const out = await ctx.model.forward(
      { ...ctx.encodeTexts(top.map((h) => texts[h.index])), image: features },
      { outputs: ['itm_logits'] },
    );
    const itm = out.get('itm_logits')!.data;
    const scores = new Map(top.map((h, b) => [h.index, matchProbability(itm, b)]));
    return rerankByItm(ctx, hits, rerank, topK, async (hit) => scores.get(hit.index)!);
  } finally {
    features.dispose();
  }
}

function checkRetrieval(method: string, topK: number, rerank: number): void {
  checkCount(method, 'topK', topK, 1);
  checkCount(method, 'rerank', rerank, 0);
}

/** Hits by ITC, the best `rerank` of them re-ordered by their ITM probability (when the model has ITM). */
async function rerankByItm(
  ctx: TaskContext,
  hits: RetrievalHit[],
  rerank: number,
  topK: number,
  itm: (hit: RetrievalHit) => Promise<number>,
): Promise<RetrievalHit[]> {
  const byItc = [...hits].sort((a, b) => b.itc - a.itc);
  if (!ctx.hasHead('itm')) return byItc.slice(0, topK);
  const head = byItc.slice(0, rerank);
  for (const h of head) h.itm = await itm(h);
  head.sort((a, b) => b.itm! - a.itm!);
  return [...head, ...byItc.slice(rerank)].slice(0, topK);
}
