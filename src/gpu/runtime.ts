// The runtime every kernel records into, `Gpu`: a composition of one device (device.ts, its limits in limits.ts and
// its health in health.ts), a buffer pool (pool.ts), a pipeline cache (pipelines.ts), uniform slots (uniforms.ts),
// a bind group cache (bind-groups.ts), one open command encoder (encoder.ts), readback buffers (readback.ts), the
// counters (counters.ts), the pass's input buffers (inputs.ts) and captured passes (recording.ts); here, what a
// kernel calls (tensors, uploads, dispatches, copies, submits, reads), tracing for `compile`, and replay. Kernels call `dispatch`; nothing reaches the GPU until `submit` (or a
// `read`, which submits what was recorded plus the copy to a staging buffer), so a forward pass is one
// submit with one readback. Everything a pass binds is kept and found again by identity (pooled activation
// buffers, input buffers per label, uniform blocks by content, bind groups by pipeline and buffer ranges), so a
// repeated pass of the same shapes creates no GPU object; `counters()` shows it.
import { BridgeTowerError, type DeviceLostError } from '../errors';
import { BindGroupCache, bindingResource, type Binding } from './bind-groups';
import { EncodingClock, zeroCounters, type GpuCounters } from './counters';
import { describeAdapter, requestGpuDevice, type DeviceRequest, type GpuCaps } from './device';
import { CommandRecorder } from './encoder';
import { DeviceHealth } from './health';
import { InputBuffers } from './inputs';
import { checkBindingSize, checkWorkgroups, uploadBytes } from './limits';
import { isSource, PipelineCache, type PipelineSource } from './pipelines';
import { BufferPool } from './pool';
import { hostArray, stagingLayout, StagingBuffers, type HostData } from './readback';
import { PassCapture, type Recording, type RecordedRead } from './recording';
import { GpuTensor, tensorBytes, type GpuDType } from './tensor';
import { GpuTimer, type TimingTotal } from './timing';
import { UniformSlots } from './uniforms';

export type { Binding, GpuCounters, HostData, PipelineSource };

export interface GpuOptions extends DeviceRequest {
  /**
   * Record per-kernel GPU times with timestamp queries (when the adapter has them).
   * @default false
   */
  profile?: boolean;
  /**
   * The process's CPU milliseconds (Node: from process.cpuUsage), for `encodeCpuMs`: on a loaded machine the
   * wall clock of a recording swings with other work, its CPU time does not.
   * @default none: encodeCpuMs stays 0
   */
  cpuClock?: () => number;
  /**
   * Called when the device is lost (the runtime is unusable afterwards).
   * @default none
   */
  onDeviceLost?: (error: DeviceLostError) => void;
}

export interface DispatchArgs {
  pipeline: GPUComputePipeline | PipelineSource;
  /** Bound in order at @binding(0..); the uniform block (if any) comes after them. */
  bindings: Binding[];
  /** Uniform block contents; bound at @binding(bindings.length). */
  uniforms?: ArrayBufferView | ArrayBuffer;
  workgroups: readonly [number, number?, number?];
  /** Names the dispatch in GPU timings and errors. */
  label: string;
  /** Arithmetic of the dispatch (multiply-add = 2), for GFLOP/s in profiles. */
  flops?: number;
  /** Weight bytes the dispatch reads, for GB/s in profiles. */
  weightBytes?: number;
}

export class Gpu {
  readonly pool: BufferPool;
  private readonly count = zeroCounters();
  private readonly clock: EncodingClock;
  private readonly pipelines: PipelineCache;
  private readonly uniforms: UniformSlots;
  private readonly bindGroups: BindGroupCache;
  private readonly staging: StagingBuffers;
  private readonly recorder: CommandRecorder;
  private readonly inputs: InputBuffers;
  private readonly health: DeviceHealth;
  private readonly timer: GpuTimer | null;
  private persistentBytes = 0;
  private stageName = '';
  /** Set while `compile` traces a pass: the pipelines it would build, and nothing is recorded. */
  private tracing: Map<string, PipelineSource> | null = null;
  private readonly captures = new PassCapture();

  private constructor(
    readonly device: GPUDevice,
    readonly caps: GpuCaps,
    /**
     * Held as long as the runtime: `options.gpu`, the entry point the device came from, must outlive the device
     * (in Node, Dawn takes the device's running work down when its entry point is collected).
     */
    private readonly options: GpuOptions,
  ) {
    this.clock = new EncodingClock(this.count, options.cpuClock ?? (() => 0));
    const create = (d: GPUBufferDescriptor): GPUBuffer => this.createBuffer(d);
    const write = (buffer: GPUBuffer, offset: number, data: ArrayBufferView, bytes: number): void =>
      this.writeBuffer(buffer, offset, data, bytes);
    this.pool = new BufferPool(create);
    this.pipelines = new PipelineCache(device, this.count);
    this.uniforms = new UniformSlots(create, write, caps.minUniformBufferOffsetAlignment);
    this.bindGroups = new BindGroupCache(device, this.count);
    this.staging = new StagingBuffers(create);
    this.inputs = new InputBuffers(create, write);
    this.timer = options.profile && caps.timestampQuery ? new GpuTimer(device, create) : null;
    this.recorder = new CommandRecorder(device, this.timer, this.count);
    this.health = new DeviceHealth(device, (error) => this.options.onDeviceLost?.(error));
  }

  static async create(options: GpuOptions = {}): Promise<Gpu> {
    const { device, caps } = await requestGpuDevice(options);
    return new Gpu(device, caps, options);
  }

  get adapterDescription(): string {
    return describeAdapter(this.caps);
  }

  /** A compute pipeline built once per key; the key must name everything that changes `code`. */
  pipeline(key: string, code: () => string, entryPoint = 'main'): GPUComputePipeline {
    return this.pipelines.get(key, code, entryPoint);
  }

  /**
   * Build the pipelines that `trace` would use, all at once with createComputePipelineAsync (the browser compiles
   * them in parallel, off the main thread), instead of one by one at the first pass. `trace` runs with nothing
   * recorded: its dispatches only name pipelines and its reads return zeros. Returns how many were built.
   */
  async compile(trace: () => Promise<unknown>, onProgress?: (done: number, total: number) => void): Promise<number> {
    this.health.assertUsable();
    if (this.tracing) throw new Error('internal error: compile() while another compile traces');
    const wanted = new Map<string, PipelineSource>();
    this.tracing = wanted;
    try {
      await trace();
    } finally {
      this.tracing = null;
    }
    await this.pipelines.compile([...wanted.values()], () => this.health.errorSuffix(), onProgress);
    this.health.throwRecordedErrors();
    return wanted.size;
  }

  get pipelineCount(): number {
    return this.pipelines.size;
  }

  /** Throw a LimitError if a single binding of `bytes` exceeds what the device grants. */
  checkBindingSize(what: string, bytes: number): void {
    checkBindingSize(this.caps, what, bytes);
  }

  /** An activation tensor from the pool (contents undefined). */
  tensor(shape: readonly number[], dtype: GpuDType = 'f32', label = ''): GpuTensor {
    this.health.assertUsable();
    const bytes = tensorBytes(shape, dtype);
    this.checkBindingSize(`tensor ${label || `[${shape.join(', ')}]`}`, bytes);
    const buffer = this.pool.acquire(bytes, label);
    this.captures.active?.pooled.add(buffer);
    return new GpuTensor(buffer, shape.slice(), dtype, (b) => this.pool.release(b), label);
  }

  /** A tensor with its own buffer holding `data` (weights, inputs). Its release() destroys the buffer. */
  upload(data: ArrayBufferView, shape: readonly number[], dtype: GpuDType, label = ''): GpuTensor {
    this.health.assertUsable();
    const bytes = uploadBytes(this.caps, data, shape, dtype, label);
    const buffer = this.createBuffer({
      size: bytes,
      usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST,
      mappedAtCreation: true,
      label,
    });
    new Uint8Array(buffer.getMappedRange()).set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
    buffer.unmap();
    this.count.bytesWritten += data.byteLength;
    this.persistentBytes += bytes;
    return new GpuTensor(
      buffer,
      shape.slice(),
      dtype,
      (b) => {
        this.persistentBytes -= b.size;
        b.destroy();
      },
      label,
    );
  }

  /**
   * A pass's input (token ids, mask, pixels): written into the buffer kept for `label`, which grows when a larger
   * input comes. Queue-ordered, so the write lands after every earlier submit has read the previous contents; a
   * label given twice before one submit gets a buffer of its own. release() keeps the buffer.
   */
  input(data: ArrayBufferView, shape: readonly number[], dtype: GpuDType, label: string): GpuTensor {
    this.health.assertUsable();
    if (this.tracing) return this.tensor(shape, dtype, label);
    this.clock.start();
    const capture = this.captures.active;
    if (this.inputs.writtenSinceSubmit(label) || capture?.inputs.has(label)) {
      return this.upload(data, shape, dtype, label);
    }
    const bytes = uploadBytes(this.caps, data, shape, dtype, label);
    const buffer = this.inputs.write(data, bytes, label, capture?.inputs);
    return new GpuTensor(buffer, shape.slice(), dtype, () => {}, label);
  }

  /** A q8 / q4 weight (src/common/quantize.ts): its packed codes and f32 scales; release() frees both. */
  uploadQuantized(
    codes: Uint8Array,
    scales: Float32Array,
    shape: readonly number[],
    dtype: 'q8' | 'q4',
    label = '',
  ): GpuTensor {
    const s = this.upload(scales, [scales.length], 'f32', `${label} scales`);
    try {
      return this.upload(codes, shape, dtype, label).withScales(s);
    } catch (e) {
      s.release();
      throw e;
    }
  }

  /** Name the stage that the next dispatches belong to (per-stage GPU times in profiles). */
  stage(name: string): void {
    this.stageName = name;
  }

  /** Record one compute dispatch. */
  dispatch(args: DispatchArgs): void {
    this.health.assertUsable();
    const [x, y = 1, z = 1] = args.workgroups;
    checkWorkgroups(this.caps, args.label, x, y, z);
    if (x === 0 || y === 0 || z === 0) return;
    const source = args.pipeline;
    if (this.tracing) {
      if (isSource(source) && !this.pipelines.has(source.key)) {
        this.tracing.set(source.key, source);
      }
      return;
    }
    const pipeline = isSource(source) ? this.pipelines.get(source.key, source.code, source.entryPoint) : source;
    this.clock.start();
    const resources = args.bindings.map(bindingResource);
    if (args.uniforms) resources.push(this.uniforms.slot(args.uniforms));
    const bindGroup = this.bindGroups.get(pipeline, resources, args.label);
    const timed = {
      label: args.label,
      stage: this.stageName,
      flops: args.flops ?? 0,
      weightBytes: args.weightBytes ?? 0,
    };
    const command = { kind: 'dispatch' as const, pipeline, bindGroup, x, y, z, timed };
    this.recorder.dispatch(command);
    this.captures.active?.commands.push(command);
  }

  /** Copy `bytes` from one buffer to another, in recording order. */
  copy(src: GPUBuffer, srcOffset: number, dst: GPUBuffer, dstOffset: number, bytes: number): void {
    if (this.tracing) return;
    this.clock.start();
    const command = { kind: 'copy' as const, src, srcOffset, dst, dstOffset, bytes };
    this.recorder.copy(command);
    this.captures.active?.commands.push(command);
  }

  /** Send everything recorded so far to the GPU. */
  submit(): void {
    this.health.assertUsable();
    if (this.tracing) return;
    this.recorder.submit();
    this.captures.active?.commands.push({ kind: 'submit' });
    this.inputs.submitted();
    this.clock.stop();
    // Start the caches over when they have grown past their bounds (many shapes seen).
    if (this.uniforms.overgrown || this.bindGroups.overgrown) {
      this.uniforms.clear();
      this.bindGroups.clear();
    }
  }

  /** Submit, then read tensors back (one staging buffer, one map). */
  async read(...tensors: GpuTensor[]): Promise<HostData[]> {
    this.health.assertUsable();
    const reads = tensors.map((t) => ({ buffer: t.buffer, dtype: t.dtype, size: t.size, bytes: t.byteLength }));
    if (this.tracing) return reads.map((r) => hostArray(r, new ArrayBuffer(r.bytes)));
    this.captures.read(reads);
    return this.readBuffers(reads);
  }

  /**
   * From here until the next `read` submits, remember what is recorded (dispatches with their bind groups,
   * copies, submits, inputs) and every pooled buffer it takes, so that `endCapture` can keep it as a Recording.
   */
  beginCapture(): void {
    this.captures.begin();
  }

  /** Stop capturing while other work may record (a pass awaiting between its stages); `resumeCapture` goes on. */
  pauseCapture(): void {
    this.captures.pause();
  }
  resumeCapture(): void {
    this.captures.resume();
  }

  /**
   * End a capture after the pass has released its tensors: its pooled buffers leave the pool and belong to the
   * recording. Null when the capture cannot be replayed (one of its buffers is still held by someone).
   */
  endCapture(): Recording | null {
    return this.captures.end(this.pool);
  }

  /**
   * Run a recording again with new inputs (by label, the same shapes): the same bind groups and pipelines, no new
   * GPU object. `between(i)` runs after the i-th of the recording's own submits (stage boundaries); the result is
   * the recording's read.
   */
  async replay(
    r: Recording,
    inputs: ReadonlyMap<string, ArrayBufferView>,
    between?: (submit: number) => Promise<void>,
  ): Promise<HostData[]> {
    this.health.assertUsable();
    if (r.busy) throw new Error('internal error: a recording replayed while it runs');
    r.busy = true;
    try {
      this.clock.start();
      for (const [label, buffer] of r.inputs) {
        const data = inputs.get(label);
        if (!data) throw new Error(`internal error: replay without its input ${label}`);
        this.inputs.fill(buffer, data);
      }
      let submits = 0;
      for (const c of r.commands) {
        if (c.kind === 'dispatch') {
          this.recorder.dispatch(c);
        } else if (c.kind === 'copy') {
          this.recorder.copy(c);
        } else {
          this.submit();
          await between?.(submits++);
          this.clock.start();
        }
      }
      return await this.readBuffers(r.reads);
    } finally {
      r.busy = false;
    }
  }

  /** Give a recording's buffers back: its pooled buffers to the pool, its input buffers destroyed. */
  releaseRecording(r: Recording): void {
    if (r.released) return;
    r.released = true;
    this.pool.restore(r.pooled);
    for (const b of r.inputs.values()) b.destroy();
  }

  /** Wait until the GPU has finished everything submitted; reports recorded validation errors. */
  async finish(): Promise<void> {
    this.submit();
    await this.device.queue.onSubmittedWorkDone();
    this.health.assertUsable();
    this.health.throwRecordedErrors();
    if (this.timer) await this.timer.collect();
  }

  /** What the runtime has done so far (a copy; take differences around a forward). */
  counters(): GpuCounters {
    return { ...this.count };
  }

  /** Start the encoding clock now (before planning a pass) rather than at its first command. */
  markEncoding(): void {
    this.clock.start();
  }

  /** Per-label GPU milliseconds since the last reset (empty without `profile` or timestamp queries). */
  timings(): Map<string, TimingTotal> {
    return this.timer?.totals() ?? new Map<string, TimingTotal>();
  }
  /** Per-stage GPU milliseconds since the last reset (see `stage`). */
  stageTimings(): Map<string, TimingTotal> {
    return this.timer?.stageTotals() ?? new Map<string, TimingTotal>();
  }
  resetTimings(): void {
    this.timer?.reset();
  }
  get profiling(): boolean {
    return this.timer !== null;
  }

  memory(): { persistentBytes: number; poolAllocatedBytes: number; poolPeakInUseBytes: number } {
    const s = this.pool.stats();
    return {
      persistentBytes: this.persistentBytes,
      poolAllocatedBytes: s.allocatedBytes,
      poolPeakInUseBytes: s.peakInUseBytes,
    };
  }

  destroy(): void {
    this.pool.trim();
    this.uniforms.destroy();
    this.inputs.destroy();
    this.staging.destroy();
    this.device.destroy();
  }

  /** Copy buffers into one staging buffer, submit, map, and return their contents as typed arrays. */
  private async readBuffers(reads: readonly RecordedRead[]): Promise<HostData[]> {
    const { offsets, total } = stagingLayout(reads);
    const staging = this.staging.take(total);
    reads.forEach((r, i) => this.copy(r.buffer, 0, staging, offsets[i], r.bytes));
    this.submit();
    try {
      await staging.mapAsync(GPUMapMode.READ, 0, total);
    } catch (e) {
      staging.destroy();
      this.health.assertUsable();
      throw new BridgeTowerError(
        'gpu',
        `reading results back failed: ${(e as Error).message}${this.health.errorSuffix()}`,
      );
    }
    this.count.bytesRead += total;
    const mapped = staging.getMappedRange(0, total);
    const out = reads.map((r, i) => hostArray(r, mapped.slice(offsets[i], offsets[i] + r.bytes)));
    staging.unmap();
    this.staging.giveBack(staging);
    this.health.throwRecordedErrors();
    if (this.timer) await this.timer.collect();
    return out;
  }

  private createBuffer(descriptor: GPUBufferDescriptor): GPUBuffer {
    this.count.buffersCreated++;
    return this.device.createBuffer(descriptor);
  }

  private writeBuffer(buffer: GPUBuffer, offset: number, data: ArrayBufferView, bytes: number): void {
    this.device.queue.writeBuffer(buffer, offset, data.buffer, data.byteOffset, bytes);
    this.count.bytesWritten += bytes;
  }
}
