// How a forward pass is replayed and staged (the bookkeeping of BridgeTowerModel.forward): the key of a plan's
// captured commands, the input data a replay writes, and the stages a pass submits at when it runs in stages: the
// text tower, the image tower in groups of a few layers (a base tower of 12 layers is most of a pass), the
// cross-modal layers, and NLVR2's second image likewise.
import { AbortedError } from '../errors';
import type { Recording } from '../gpu/recording';
import type { Gpu } from '../gpu/runtime';
import { ImageFeatures, type ForwardOptions } from './io';
import { IMAGE_ROLES, type ForwardPlan, type PlannedImage } from './plan';

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

/**
 * Most vision layers in one stage: a base image tower (12 layers, tens of seconds on a CPU adapter) ticks and
 * stops every 3 layers. Each boundary is a submit and a wait for the GPU, no extra dispatch.
 */
export const IMAGE_STAGE_LAYERS = 3;

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

/** The first vision layer of each stage of an image tower of `layers` layers: even groups of at most IMAGE_STAGE_LAYERS. */
export function imageStageStarts(layers: number): number[] {
  const n = Math.max(1, Math.ceil(layers / IMAGE_STAGE_LAYERS));
  return Array.from({ length: n }, (_, k) => Math.round((k * layers) / n));
}

/** The stages of one image tower: one, or `${tower}, layers a-b of n` per group of layers. */
export function imageStageNames(image: PlannedImage): string[] {
  if (image.from === 'features') return [];
  const tower = image.role === 'image' ? 'image tower' : 'second image tower';
  const starts = imageStageStarts(image.layers);
  if (starts.length === 1) return [tower];
  const ends = [...starts.slice(1), image.layers];
  return starts.map((a, k) => `${tower}, layers ${a + 1}-${ends[k]} of ${image.layers}`);
}

/** The stages of a pass, in order: each ends with a submit when the pass runs in stages. */
export function stageNames(plan: ForwardPlan): string[] {
  if (plan.kind === 'nothing') return [];
  const names: string[] = [];
  if (plan.text) names.push('text tower');
  if (plan.image) names.push(...imageStageNames(plan.image));
  if (plan.kind === 'cross') {
    names.push('cross-modal layers');
    if (plan.image2) names.push(...imageStageNames(plan.image2), 'second image cross-modal layers');
  }
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

/**
 * The stages of one pass: `next` enters each in turn, naming the stage its dispatches belong to. Given a signal or a
 * stage callback the pass runs in stages: entering a stage first submits the previous one and waits for it, and
 * `done` (after each stage's submit) reports it and stops the pass with AbortedError if the caller cancelled.
 */
export class PassStages {
  readonly staged: boolean;
  private entered = 0;
  private finished = 0;

  constructor(
    private readonly gpu: Gpu,
    private readonly names: readonly string[],
    private readonly opts: Pick<ForwardOptions, 'signal' | 'onStage'> = {},
  ) {
    this.staged = !!(opts.signal || opts.onStage);
  }

  async next(): Promise<void> {
    if (this.entered > 0 && this.staged) {
      this.gpu.submit();
      // Other work may record while this pass waits.
      this.gpu.pauseCapture();
      try {
        await this.done();
      } finally {
        this.gpu.resumeCapture();
      }
    }
    this.gpu.stage(this.names[this.entered++]);
  }

  /** A stage's work is submitted: wait for the GPU, report it, and stop here if the caller cancelled. */
  async done(): Promise<void> {
    // A pass of image features and their heads alone has no stage to report.
    if (!this.staged || this.finished === this.names.length) return;
    await this.gpu.device.queue.onSubmittedWorkDone();
    const n = ++this.finished;
    this.opts.onStage?.(n, this.names.length, this.names[n - 1]);
    if (this.opts.signal?.aborted && n < this.names.length) throw new AbortedError('the forward pass was cancelled');
  }
}
