// Attention maps: where text token 0 looks in the image at one cross-modal layer, the app's heatmap.
import { ShapeError } from '../errors';
import type { OutputTensor } from '../model/bridgetower';
import { checkAbort, checkTexts } from './checks';
import type { TaskContext } from './context';
import type { AttentionMap, ImageInput } from './types';

/** The graph's output holding layer `layer`'s text-to-image attention probabilities. */
export function attentionOutput(layer: number): string {
  return `cross_attn_probs.${layer}`;
}

/** A cross-modal layer index that exists in this model (0-based), or a ShapeError naming the range. */
export function checkLayer(ctx: TaskContext, layer: number): void {
  const n = ctx.config.numLayers;
  if (!Number.isInteger(layer) || layer < 0 || layer >= n) {
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
 * Where text token 0 looks in the image at cross-modal layer `layer` (0-based): the text-to-image
 * cross-attention probabilities, averaged over heads, laid out on the patch grid.
 */
export async function crossAttention(
  ctx: TaskContext,
  image: ImageInput,
  text: string,
  layer: number,
  signal: AbortSignal | undefined,
): Promise<AttentionMap> {
  checkLayer(ctx, layer);
  checkTexts([text], 'text');
  checkAbort(signal);
  const name = attentionOutput(layer);
  const inputs = { ...ctx.encodeTexts([text]), pixelValues: await ctx.pixels([image]) };
  const out = (await ctx.model.forward(inputs, { outputs: [name] })).get(name)!;
  return attentionMap(ctx, out, layer);
}
