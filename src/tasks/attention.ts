// Attention maps: where text token 0 looks in the image at one cross-modal layer, the app's heatmap.
import { untrusted } from '../common/untrusted';
import { ArgumentError, ShapeError } from '../errors';
import type { OutputTensor } from '../model/bridgetower';
import { checkAbort, checkOptions, checkTexts } from './checks';
import { checkImage } from './images';
import type { TaskContext } from './context';
import type { AttentionMap, ImageInput } from './types';

/** The graph's output holding layer `layer`'s text-to-image attention probabilities. */
export function attentionOutput(layer: number): string {
  return `cross_attn_probs.${layer}`;
}

/** A cross-modal layer index that exists in this model (0-based), or a ShapeError naming the range. */
export function checkLayer(ctx: TaskContext, layer: unknown): asserts layer is number {
  const n = ctx.config.numLayers;
  if (typeof layer !== 'number' || !Number.isInteger(layer))
    throw new ArgumentError(`the cross-modal layer must be an integer, got ${untrusted(layer)}`);
  if (layer < 0 || layer >= n) {
    throw new ShapeError(`cross-modal layer ${layer} does not exist: this model has layers 0..${n - 1}`);
  }
}

/** Text token 0's row of a cross_attn_probs output, averaged over heads, on the patch grid. */
export function attentionMap(ctx: TaskContext, out: OutputTensor, layer: number): AttentionMap {
  const [, heads, N] = out.shape;
  const mean = new Float32Array(N);
  for (let h = 0; h < heads; h++) for (let n = 0; n < N; n++) mean[n] += out.data[h * N + n] / heads;
  const grid = ctx.config.vision.imageSize / ctx.config.vision.patchSize;
  return { layer, gridHeight: grid, gridWidth: grid, weights: mean.slice(1), classWeight: mean[0] };
}

/**
 * Where text token 0 looks in the image at cross-modal layer `layer` (0-based, default the last): the text-to-image
 * cross-attention probabilities, averaged over heads, laid out on the patch grid.
 */
export async function crossAttention(
  ctx: TaskContext,
  image: ImageInput,
  text: string,
  opts: { layer?: number; signal?: AbortSignal } | undefined,
  signal: AbortSignal | undefined,
): Promise<AttentionMap> {
  checkOptions('crossAttention', opts, ['layer', 'signal']);
  const { layer = ctx.config.numLayers - 1 } = opts ?? {};
  checkLayer(ctx, layer);
  checkImage(image, 'crossAttention: the image');
  checkTexts([text], 'text');
  checkAbort(signal);
  const name = attentionOutput(layer);
  const inputs = { ...ctx.encodeTexts([text]), pixelValues: await ctx.pixels([image]) };
  const out = (await ctx.model.forward(inputs, { outputs: [name], signal })).get(name)!;
  return attentionMap(ctx, out, layer);
}
