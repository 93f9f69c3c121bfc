// How the long tasks report and stop: a forward pass's stages as TaskProgress ticks within a batch (`pass`), and
// the batch loop that checks the signal before each pass and reports after it.
import type { StageOptions } from '../model/bridgetower';
import { checkAbort } from './checks';
import type { TaskOptions } from './types';

/**
 * What a pass over `items` of a task's items takes: the task's signal, and stage ticks reported as `stage` with
 * `done` of `total` items finished before it.
 */
export function passOptions(
  opts: TaskOptions,
  stage: string,
  done: number,
  total: number,
  items: number,
): StageOptions {
  const { signal, onProgress } = opts;
  if (!onProgress) return { signal };
  return { signal, onStage: (d, t) => onProgress({ stage, done, total, pass: { done: d, total: t, items } }) };
}

/**
 * `run` over `items` in batches of `size`, one forward pass each: the signal checked before each, progress as
 * `stage` before the first and after each batch, and within each through its pass's stages.
 */
export async function batched<T, R>(
  items: readonly T[],
  size: number,
  opts: TaskOptions,
  stage: string,
  run: (batch: readonly T[], pass: StageOptions) => Promise<R[]>,
): Promise<R[]> {
  const out: R[] = [];
  opts.onProgress?.({ stage, done: 0, total: items.length });
  for (let i = 0; i < items.length; i += size) {
    checkAbort(opts.signal);
    const batch = items.slice(i, i + size);
    out.push(...(await run(batch, passOptions(opts, stage, out.length, items.length, batch.length))));
    opts.onProgress?.({ stage, done: out.length, total: items.length });
  }
  return out;
}
