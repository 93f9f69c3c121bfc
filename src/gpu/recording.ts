// A captured pass: what one forward pass recorded (dispatches with their pipelines and bind groups, copies, its
// submits), the input buffers it wrote by label, the pooled buffers it used and the buffers it read back. The
// runtime replays it for the next pass of the same plan with new input data: the same commands on the same
// buffers, so a steady-state pass creates no pipeline, bind group or buffer and its encoding is a loop of
// setPipeline / setBindGroup / dispatchWorkgroups. The recording owns its buffers until it is released.
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
