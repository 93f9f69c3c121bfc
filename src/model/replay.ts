// How a forward pass is replayed and staged (the bookkeeping of BridgeTowerModel.forward): the key of a plan's
// captured commands, the input data a replay writes, and the stages a pass submits at when it runs in stages.
import { AbortedError } from '../errors';
import type { Recording } from '../gpu/recording';
import type { Gpu } from '../gpu/runtime';
import { ImageFeatures, type ForwardOptions } from './io';
import { IMAGE_ROLES, type ForwardPlan } from './plan';

/** A captured pass and the names and shapes of what its read returns. */
export interface KeptRecording {
  recording: Recording;
  outputs: { name: string; shape: number[] }[];
}

/**
 * Passes kept for replay per model: each keeps its activation buffers (the pass's peak working set) and its
 * input buffers, so a few shapes (a question, a caption batch, text alone) run without creating anything.
 */
export const RECORDINGS_KEPT = 4;

/** How a pass reports and stops between its stages. */
export interface Staging {
  names: string[];
  done: number;
  signal?: AbortSignal;
  onStage?: ForwardOptions['onStage'];
}

/**
 * What decides a pass's commands: the plan without its input data (shapes, outputs, flags), and whether it runs
 * in stages. Undefined when the plan holds image features, whose buffers belong to the caller.
 */
export function replayKey(plan: ForwardPlan, staged: boolean): string | undefined {
  let features = false;
  const key = JSON.stringify(plan, (_k, v: unknown) => {
    if (v instanceof ImageFeatures) {
      features = true;
      return undefined;
    }
    if (ArrayBuffer.isView(v)) return (v as Float32Array).length;
    return v instanceof Set ? [...(v as Set<string>)] : v;
  });
  return features ? undefined : `${staged ? 'staged ' : ''}${key}`;
}

/** The pass's input data under the labels textTower and imageTower write them with. */
export function passInputs(plan: ForwardPlan): Map<string, ArrayBufferView> {
  const m = new Map<string, ArrayBufferView>();
  if (plan.kind === 'nothing') return m;
  if (plan.text) {
    m.set('attention mask', plan.text.mask);
    m.set('input ids', plan.text.ids);
  }
  const images = [plan.image, plan.kind === 'cross' ? plan.image2 : undefined];
  for (const image of images) if (image?.from === 'pixels') m.set(IMAGE_ROLES[image.role].label, image.pixels);
  return m;
}

/** The stages of a pass, in order: each ends with a submit when the pass runs in stages. */
export function stageNames(plan: ForwardPlan): string[] {
  if (plan.kind === 'nothing') return [];
  const names: string[] = [];
  if (plan.text) names.push('text tower');
  if (plan.image?.from === 'pixels') names.push('image tower');
  if (plan.kind === 'cross') names.push('cross-modal layers');
  if (plan.kind === 'cross' && plan.image2) names.push('second image');
  return names;
}

/** The passes a model keeps for replay, by replayKey, oldest first; beyond RECORDINGS_KEPT the oldest goes. */
export class KeptPasses {
  private readonly byKey = new Map<string, KeptRecording>();

  constructor(private readonly gpu: Gpu) {}

  get(key: string | undefined): KeptRecording | undefined {
    return key === undefined ? undefined : this.byKey.get(key);
  }

  keep(key: string, kept: KeptRecording): void {
    this.byKey.set(key, kept);
    for (const [oldest, r] of this.byKey) {
      if (this.byKey.size <= RECORDINGS_KEPT) break;
      this.gpu.releaseRecording(r.recording);
      this.byKey.delete(oldest);
    }
  }

  releaseAll(): void {
    for (const r of this.byKey.values()) this.gpu.releaseRecording(r.recording);
    this.byKey.clear();
  }
}

/** A stage's work is submitted: wait for the GPU, report it, and stop here if the caller cancelled. */
export async function stageDone(gpu: Gpu, s: Staging): Promise<void> {
  await gpu.device.queue.onSubmittedWorkDone();
  s.done++;
  s.onStage?.(s.done, s.names.length, s.names[s.done - 1]);
  if (s.signal?.aborted && s.done < s.names.length) throw new AbortedError('the forward pass was cancelled');
}
