// Image-text matching and retrieval: ITM probabilities through the cross-modal encoder, ITC cosines from the
// towers alone, and retrieval as the original evaluates it (rank by ITC, re-rank the best by ITM).
import { checkAbort, checkCount, checkImageList, checkOptions, checkTextList, checkTexts } from './checks';
import { checkImage } from './images';
import type { TaskContext } from './context';
import { batched, passOptions } from './progress';
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
 * ITM probability and ITC cosine similarity of one image with each text, in the order given. The picture's
 * features are computed once, then texts go through the cross-modal encoder TEXT_BATCH at a time; progress and
 * cancel at each stage of each pass.
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
  const task = { signal, onProgress: opts?.onProgress };
  const stage = 'matching captions';
  checkAbort(signal);
  const pixels = await ctx.pixels([image]);
  const features = await ctx.model.imageFeatures(pixels, passOptions(task, stage, 0, texts.length, 0));
  try {
    const withItc = ctx.hasHead('itc');
    const wanted = withItc ? ['itm_logits', 'itc_text', 'itc_image'] : ['itm_logits'];
    return await batched(texts, TEXT_BATCH, task, stage, async (batch, pass) => {
      const out = await ctx.model.forward({ ...ctx.encodeTexts(batch), image: features }, { ...pass, outputs: wanted });
      const itm = out.get('itm_logits')!;
      const itc = withItc ? cosines(out.get('itc_text')!, out.get('itc_image')!, 0) : undefined;
      return batch.map((text, b) => {
        const r: MatchResult = { text, itm: matchProbability(itm.data, b), itc: itc ? itc[b] : NaN };
        const cut = ctx.truncation(text);
        if (cut !== undefined) r.truncatedTo = cut;
        return r;
      });
    });
  } finally {
    features.dispose();
  }
}

/**
 * Rank images for a text: ITC over all, then ITM re-ranking of the best `rerank` (as the original evaluates).
 * Progress counts pictures encoded, then pictures re-ranked, and ticks within each pass; cancel stops a pass at
 * its next stage.
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
  const task = { signal, onProgress };
  checkTexts([text], 'text');
  checkImageList('retrieveImages', images);
  checkRetrieval('retrieveImages', topK, rerank);
  checkAbort(signal);
  const textArrays = ctx.encodeTexts([text]);
  const textFeature = await ctx.model.encodeText(textArrays.inputIds, textArrays.attentionMask, { signal });
  const sims = await batched(images, IMAGE_BATCH, task, 'encoding pictures', async (batch, pass) =>
    cosines(textFeature, await ctx.model.encodeImage(await ctx.pixels(batch), pass), 'all'),
  );
  const hits: RetrievalHit[] = sims.map((itc, index) => ({ index, itc }));
  const stage = 're-ranking by ITM';
  const total = Math.min(rerank, hits.length);
  let done = 0;
  return rerankByItm(ctx, hits, rerank, topK, async (hit) => {
    checkAbort(signal);
    if (done === 0) onProgress?.({ stage, done, total });
    // One pass per picture (text tower, image tower, cross-modal layers): its ITM probability.
    const out = await ctx.model.forward(
      { ...textArrays, pixelValues: await ctx.pixels([images[hit.index]]) },
      { ...passOptions(task, stage, done, total, 1), outputs: ['itm_logits'] },
    );
    onProgress?.({ stage, done: ++done, total });
    return matchProbability(out.get('itm_logits')!.data, 0);
  });
}

/**
 * Rank texts for an image: ITC over all, then ITM re-ranking of the best `rerank`; image features computed once.
 * Progress ticks within each pass (the picture encoded, then the re-ranking); cancel stops a pass at its next stage.
 */
export async function retrieveTexts(
  ctx: TaskContext,
  image: ImageInput,
  texts: readonly string[],
  opts: (RetrievalOptions & TaskOptions) | undefined,
  signal: AbortSignal | undefined,
): Promise<RetrievalHit[]> {
  ctx.requireHead('itc', 'contrastive retrieval');
  checkOptions('retrieveTexts', opts, ['topK', 'rerank', 'signal', 'onProgress']);
  const { topK = texts.length, rerank = 16, onProgress } = opts ?? {};
  const task = { signal, onProgress };
  checkImage(image, 'retrieveTexts: the image');
  checkTextList('retrieveTexts', texts);
  checkRetrieval('retrieveTexts', topK, rerank);
  checkAbort(signal);
  const pixels = await ctx.pixels([image]);
  onProgress?.({ stage: 'encoding the picture', done: 0, total: 1 });
  const imageFeature = await ctx.model.encodeImage(pixels, passOptions(task, 'encoding the picture', 0, 1, 1));
  const { inputIds, attentionMask } = ctx.encodeTexts(texts);
  const textFeatures = await ctx.model.encodeText(inputIds, attentionMask, { signal });
  const hits: RetrievalHit[] = cosines(imageFeature, textFeatures, 'all').map((itc, index) => ({ index, itc }));
  if (!ctx.hasHead('itm')) return hits.sort((a, b) => b.itc - a.itc).slice(0, topK);
  const top = [...hits].sort((a, b) => b.itc - a.itc).slice(0, rerank);
  const stage = 're-ranking by ITM';
  onProgress?.({ stage, done: 0, total: top.length });
  const features = await ctx.model.imageFeatures(pixels, passOptions(task, stage, 0, top.length, 0));
  try {
    const out = await ctx.model.forward(
      { ...ctx.encodeTexts(top.map((h) => texts[h.index])), image: features },
      { ...passOptions(task, stage, 0, top.length, top.length), outputs: ['itm_logits'] },
    );
    onProgress?.({ stage, done: top.length, total: top.length });
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
