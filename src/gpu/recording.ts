// A captured pass: what one forward pass recorded (dispatches with their pipelines and bind groups, copies, its
// submits), the input buffers it wrote by label, the pooled buffers it used and the buffers it read back. The
// runtime replays it for the next pass of the same plan with new input data: the same commands on the same
// buffers, so a steady-state pass creates no pipeline, bind group or buffer and its encoding is a loop of
// setPipeline / setBindGroup / dispatchWorkgroups. The recording owns its buffers until it is released. Also the
// capture that makes one: what the runtime records while a capture is on, until the pass's read.
import type { BufferPool } from './pool';
import type { GpuDType } from './tensor';
import type { TimedDispatch } from './timing';

export type RecordedCommand =
  | {
      kind: 'dispatch';
      pipeline: GPUComputePipeline;
      bindGroup: GPUBindGroup;
      x: number;
      y: number;
      z: number;
      timed: TimedDispatch;
    }
  | { kind: 'copy'; src: GPUBuffer; srcOffset: number; dst: GPUBuffer; dstOffset: number; bytes: number }
  | { kind: 'submit' };

export type RecordedDispatch = Extract<RecordedCommand, { kind: 'dispatch' }>;
export type RecordedCopy = Extract<RecordedCommand, { kind: 'copy' }>;

/** A buffer read back at the end of the pass, with the element type and count of its tensor. */
export interface RecordedRead {
  buffer: GPUBuffer;
  dtype: GpuDType;
  size: number;
  bytes: number;
}

export class Recording {
  /** Set while a replay runs: a second pass of the same plan then records afresh. */
  busy = false;
  released = false;

  constructor(
    readonly commands: readonly RecordedCommand[],
    /** Pooled activation buffers, withdrawn from the pool while the recording lives. */
    readonly pooled: ReadonlySet<GPUBuffer>,
    /** The pass's input buffers by label (owned). */
    readonly inputs: ReadonlyMap<string, GPUBuffer>,
    readonly reads: readonly RecordedRead[],
  ) {}
}

/** A capture while it runs: what `end` makes a Recording of. */
export interface Capture {
  commands: RecordedCommand[];
  pooled: Set<GPUBuffer>;
  inputs: Map<string, GPUBuffer>;
  reads: RecordedRead[];
}

/** The runtime's capture of a pass: at most one at a time, paused while other work records. */
export class PassCapture {
  private capture: Capture | null = null;
  /** False while the capture is paused, and after its read. */
  private on = false;

  /** The capture, while it records (begun, not paused, not read yet). */
  get active(): Capture | null {
    return this.on ? this.capture : null;
  }

  begin(): void {
    if (this.capture) throw new Error('internal error: a capture is already running');
    this.capture = { commands: [], pooled: new Set(), inputs: new Map(), reads: [] };
    this.on = true;
  }

  pause(): void {
    this.on = false;
  }

  resume(): void {
    this.on = this.capture !== null && this.capture.reads.length === 0;
  }

  /** The pass ends at its read; replays read the same buffers themselves. */
  read(reads: RecordedRead[]): void {
    const c = this.active;
    if (!c) return;
    c.reads = reads;
    this.on = false;
  }

  /** The recording, its pooled buffers withdrawn from `pool`; null (its inputs destroyed) when it cannot be. */
  end(pool: BufferPool): Recording | null {
    const c = this.capture;
    this.capture = null;
    this.on = false;
    if (!c || !c.reads.length || !pool.withdraw(c.pooled)) {
      for (const b of c?.inputs.values() ?? []) b.destroy();
      return null;
    }
    return new Recording(c.commands, c.pooled, c.inputs, c.reads);
  }
}
