// Contrastive embeddings for search and retrieval-augmented generation: the ITC embeddings a BridgeTower was
// trained with, L2-normalised Float32Arrays of the model's contrastive size (`contrastive_hidden_size`).
//
// Which embeddings are comparable (cosine similarity = dot product, as all are unit length):
// - embedText and embedImage of one model: yes, text-to-image and image-to-text; both ITC definitions train them
//   against each other.
// - embedPair (HF BridgeTowerForContrastiveLearning only, e.g. bridgetower-large-itm-mlm-itc): with embedText and
//   embedImage of the same model, HF's loss aligns text-image, text-cross and image-cross pairs, so all three
//   embeddings share one space. The authors' checkpoints have no cross-modal embedding (embedPair refuses them).
// - Embeddings of different models, or of the same weights under the other definition: no. An HF file and an
//   authors' .ckpt compute the image embedding differently (model.definition tells which one a model uses).
// HF scales similarities by `logitScale` (exp of the learned logit_scale) before a softmax; rankings do not change.
import { HeadUnavailableError, ShapeError } from '../errors';
import type { OutputTensor } from '../model/bridgetower';
import { checkImageList, checkOptions, checkTextList } from './checks';
import type { TaskContext } from './context';
import { batched } from './progress';
import type { ImageInput, TaskOptions } from './types';

/** Texts per forward pass (padded to the longest; padding changes no embedding). */
const TEXT_BATCH = 32;
/** Images (or image-text pairs) per forward pass. */
const IMAGE_BATCH = 8;

function requireItc(ctx: TaskContext, what: string, cross = false): void {
  const itc = ctx.model.config.heads.itc;
  if (!itc)
    throw new HeadUnavailableError(
      'itc',
      `${what} needs the contrastive (ITC) heads, which ${ctx.source} does not have`,
    );
  if (cross && !itc.cross) {
    throw new HeadUnavailableError(
      'itc',
      `${what} needs HF's cross-modal ITC head (itc_cross_modal_head of ` +
        `BridgeTowerForContrastiveLearning), which ${ctx.source} does not have; embedText and embedImage work`,
    );
  }
}

function rows(t: OutputTensor): Float32Array[] {
  const D = t.shape[t.shape.length - 1];
  return Array.from({ length: t.shape[0] }, (_, b) => t.data.slice(b * D, (b + 1) * D));
}

/** The public options of the embedding methods, and the task's signal (the caller's joined with dispose()'s). */
function taskOptions(method: string, opts: TaskOptions | undefined, signal: AbortSignal): TaskOptions {
  checkOptions(method, opts, ['signal', 'onProgress']);
  return { onProgress: opts?.onProgress, signal };
}

/** itc_text of each text: the text tower alone. An empty list gives no embeddings. */
export async function embedText(
  ctx: TaskContext,
  texts: readonly string[],
  opts: TaskOptions | undefined,
  signal: AbortSignal,
): Promise<Float32Array[]> {
  requireItc(ctx, 'embedText');
  const task = taskOptions('embedText', opts, signal);
  checkTextList('embedText', texts, true);
  return batched(texts, TEXT_BATCH, task, 'encoding texts', async (batch, pass) => {
    const { inputIds, attentionMask } = ctx.encodeTexts(batch);
    return rows(await ctx.model.encodeText(inputIds, attentionMask, pass));
  });
}

/**
 * itc_image of each image: the image tower alone (the authors' or HF's definition, as the model's source says),
 * in stages of a few layers when a signal or onProgress is given.
 */
export async function embedImage(
  ctx: TaskContext,
  images: readonly ImageInput[],
  opts: TaskOptions | undefined,
  signal: AbortSignal,
): Promise<Float32Array[]> {
  requireItc(ctx, 'embedImage');
  const task = taskOptions('embedImage', opts, signal);
  checkImageList('embedImage', images, true);
  return batched(images, IMAGE_BATCH, task, 'encoding pictures', async (batch, pass) =>
    rows(await ctx.model.encodeImage(await ctx.pixels(batch), pass)),
  );
}

/**
 * HF's cross-modal embedding itc_cross of each (image, text) pair: the whole model, through the pooled output.
 * `method` names the public method in messages (embedPair or embedPairs).
 */
export async function embedPairs(
  ctx: TaskContext,
  images: readonly ImageInput[],
  texts: readonly string[],
  opts: TaskOptions | undefined,
  signal: AbortSignal,
  method: string,
): Promise<Float32Array[]> {
  requireItc(ctx, method, true);
  const task = taskOptions(method, opts, signal);
  checkImageList(method, images, true);
  checkTextList(method, texts, true);
  if (images.length !== texts.length) {
    throw new ShapeError(`${method}: ${images.length} images for ${texts.length} texts (one image per text)`);
  }
  const pairs = images.map((image, i) => ({ image, text: texts[i] }));
  return batched(pairs, IMAGE_BATCH, task, 'encoding pairs', async (batch, pass) => {
    const pixelValues = await ctx.pixels(batch.map((p) => p.image));
    const out = await ctx.model.forward(
      { ...ctx.encodeTexts(batch.map((p) => p.text)), pixelValues },
      { ...pass, outputs: ['itc_cross'] },
    );
    return rows(out.get('itc_cross')!);
  });
}
