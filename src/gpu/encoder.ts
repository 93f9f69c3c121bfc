// The open command encoder that dispatches and copies are recorded into: all dispatches in one compute pass
// while nothing is timed, or each dispatch in a compute pass of its own with timestamp queries when profiling
// (timing.ts). `submit` finishes the encoder and sends it to the queue. Live dispatches and replayed ones
// (recording.ts) are encoded the same way, here.
import type { GpuCounters } from './counters';
import type { RecordedCopy, RecordedDispatch } from './recording';
import type { GpuTimer } from './timing';

export class CommandRecorder {
  private encoder: GPUCommandEncoder | null = null;
  private pass: GPUComputePassEncoder | null = null;
  /** The pipeline set last in `pass`: consecutive dispatches of one kernel set it once. */
  private passPipeline: GPUComputePipeline | null = null;

  constructor(
    private readonly device: GPUDevice,
    private readonly timer: GpuTimer | null,
    private readonly count: GpuCounters,
  ) {}

  dispatch(d: RecordedDispatch): void {
    if (this.timer) {
      const pass = this.timer.beginPass(this.commandEncoder(), d.timed);
      pass.setPipeline(d.pipeline);
      pass.setBindGroup(0, d.bindGroup);
      pass.dispatchWorkgroups(d.x, d.y, d.z);
      pass.end();
    } else {
      const pass = this.computePass();
      if (this.passPipeline !== d.pipeline) pass.setPipeline(d.pipeline);
      this.passPipeline = d.pipeline;
      pass.setBindGroup(0, d.bindGroup);
      pass.dispatchWorkgroups(d.x, d.y, d.z);
    }
    this.count.dispatches++;
  }

  copy(c: RecordedCopy): void {
    this.endPass();
    this.commandEncoder().copyBufferToBuffer(c.src, c.srcOffset, c.dst, c.dstOffset, c.bytes);
  }

  /** Finish what was recorded (with the profile's timestamp resolves) and submit it, if anything was. */
  submit(): void {
    this.endPass();
    this.timer?.resolve(this.commandEncoder());
    if (this.encoder) {
      this.device.queue.submit([this.encoder.finish()]);
      this.count.submits++;
    }
    this.encoder = null;
  }

  private commandEncoder(): GPUCommandEncoder {
    return (this.encoder ??= this.device.createCommandEncoder());
  }

  private computePass(): GPUComputePassEncoder {
    return (this.pass ??= this.commandEncoder().beginComputePass());
  }

  private endPass(): void {
    this.pass?.end();
    this.pass = null;
    this.passPipeline = null;
  }
}
