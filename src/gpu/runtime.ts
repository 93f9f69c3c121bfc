// The runtime every kernel records into: one device, a buffer pool, a pipeline cache, uniform slots, a bind group
// cache and one open command encoder. Kernels call `dispatch`; nothing reaches the GPU until `submit` (or a
// `read`, which submits what was recorded plus the copy to a staging buffer), so a forward pass is one
// submit with one readback. Everything a pass binds is kept and found again by identity (pooled activation
// buffers, input buffers per label, uniform blocks by content, bind groups by pipeline and buffer ranges), so a
// repeated pass of the same shapes creates no GPU object; `counters()` shows it.
import { DeviceLostError, LimitError, BridgeTowerError } from '../errors';
import { describeAdapter, requestGpuDevice, type DeviceRequest, type GpuCaps } from './device';
import { BufferPool } from './pool';
import { GpuTensor, tensorBytes, type GpuDType } from './tensor';
import { GpuTimer, type TimingTotal } from './timing';
import { Recording, type RecordedCommand, type RecordedRead } from './recording';

/** What `read` returns per tensor: f16 as raw halves, q8 / q4 as raw words. */
export type HostData = Float32Array | Int32Array | Uint32Array | Uint16Array;

interface Capture {
  commands: RecordedCommand[];
  pooled: Set<GPUBuffer>;
  inputs: Map<string, GPUBuffer>;
  reads: RecordedRead[];
}

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

/** A buffer, or a tensor, or a byte range of a buffer, bound at the next binding slot. */
export type Binding = GpuTensor | GPUBuffer | { buffer: GPUBuffer; offset?: number; size?: number };

/** A pipeline by cache key, built on first use (or by `compile`). */
export interface PipelineSource {
  key: string;
  code: () => string;
  entryPoint?: string;
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

/** What the runtime did since it was created: the counts `bench-model` reports per forward (take differences). */
export interface GpuCounters {
  dispatches: number;
  submits: number;
  pipelinesCreated: number;
  bindGroupsCreated: number;
  buffersCreated: number;
  /** Bytes sent to the device: uploads and queue writes. */
  bytesWritten: number;
  /** Bytes copied back to the host. */
  bytesRead: number;
  /** Host milliseconds spent recording: from the first command after a submit (or `markEncoding`) to the submit. */
  encodeMs: number;
  /** The same span in process CPU time, with a `cpuClock` (0 without). */
  encodeCpuMs: number;
}

const UNIFORM_CHUNK = 64 * 1024;
/** Distinct uniform blocks and bind groups kept before the caches start over (at a submit). */
const UNIFORM_CHUNKS_KEPT = 64;
const BIND_GROUPS_KEPT = 16384;
/** Readback buffers kept for reuse. */
const STAGING_KEPT = 4;

export class Gpu {
  readonly pool: BufferPool;
  private readonly pipelines = new Map<string, GPUComputePipeline>();
  private encoder: GPUCommandEncoder | null = null;
  private pass: GPUComputePassEncoder | null = null;
  /**
   * Uniform blocks by content: each distinct block is written once into a slot of a chunk and stays there, so
   * a repeated dispatch binds the same slot, its bind group is found in the cache and nothing is written.
   */
  private uniformChunks: GPUBuffer[] = [];
  private uniformOffset = UNIFORM_CHUNK;
  private readonly uniformSlots = new Map<string, GPUBufferBinding>();
  private readonly bindGroups = new Map<string, GPUBindGroup>();
  /** Ids that name buffers and pipelines in bind group keys (never reused). */
  private readonly ids = new WeakMap<object, number>();
  private nextId = 1;
  /** One buffer per input label ('input ids', 'pixel values'...), rewritten by each pass. */
  private readonly inputs = new Map<string, GPUBuffer>();
  private readonly inputsWritten = new Set<string>();
  private readonly staging: GPUBuffer[] = [];
  private lost: DeviceLostError | null = null;
  private readonly errors: string[] = [];
  private readonly timer: GpuTimer | null;
  private persistentBytes = 0;
  private stageName = '';
  /** Set while `compile` traces a pass: the pipelines it would build, and nothing is recorded. */
  private tracing: Map<string, PipelineSource> | null = null;
  private capturing: Capture | null = null;
  /** False while a capture is paused, and after its read. */
  private captureOn = false;
  private readonly count: GpuCounters = {
    dispatches: 0,
    submits: 0,
    pipelinesCreated: 0,
    bindGroupsCreated: 0,
    buffersCreated: 0,
    bytesWritten: 0,
    bytesRead: 0,
    encodeMs: 0,
    encodeCpuMs: 0,
  };
  private encodingSince: number | null = null;
  private encodingCpuSince = 0;
  private readonly cpuClock: () => number;

  private constructor(
    readonly device: GPUDevice,
    readonly caps: GpuCaps,
    options: GpuOptions,
  ) {
    this.cpuClock = options.cpuClock ?? (() => 0);
    const create = (d: GPUBufferDescriptor): GPUBuffer => this.createBuffer(d);
    this.pool = new BufferPool(create);
    this.timer = options.profile && caps.timestampQuery ? new GpuTimer(device, create) : null;
    void device.lost.then((info) => {
      if (info.reason === 'destroyed') return;
      this.lost = new DeviceLostError(`the GPU device was lost (${info.reason}): ${info.message}`);
      options.onDeviceLost?.(this.lost);
    });
    device.addEventListener('uncapturederror', (ev) => {
      this.errors.push((ev as GPUUncapturedErrorEvent).error.message);
    });
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
    let p = this.pipelines.get(key);
    if (!p) {
      const module = this.device.createShaderModule({ code: code(), label: key });
      p = this.device.createComputePipeline({ layout: 'auto', compute: { module, entryPoint }, label: key });
      this.count.pipelinesCreated++;
      this.pipelines.set(key, p);
    }
    return p;
  }

  /**
   * Build the pipelines that `trace` would use, all at once with createComputePipelineAsync (the browser compiles
   * them in parallel, off the main thread), instead of one by one at the first pass. `trace` runs with nothing
   * recorded: its dispatches only name pipelines and its reads return zeros. Returns how many were built.
   */
  async compile(trace: () => Promise<unknown>, onProgress?: (done: number, total: number) => void): Promise<number> {
    this.assertUsable();
    if (this.tracing) throw new Error('internal error: compile() while another compile traces');
    const wanted = new Map<string, PipelineSource>();
    this.tracing = wanted;
    try {
      await trace();
    } finally {
      this.tracing = null;
    }
    let done = 0;
    onProgress?.(0, wanted.size);
    await Promise.all(
      [...wanted.values()].map(async ({ key, code, entryPoint = 'main' }) => {
        const module = this.device.createShaderModule({ code: code(), label: key });
        const p = await this.device
          .createComputePipelineAsync({ layout: 'auto', compute: { module, entryPoint }, label: key })
          .catch((e: unknown) => {
            throw new BridgeTowerError('gpu', `compiling ${key} failed: ${(e as Error).message}${this.errorSuffix()}`);
          });
        this.count.pipelinesCreated++;
        this.pipelines.set(key, p);
        onProgress?.(++done, wanted.size);
      }),
    );
    this.throwRecordedErrors();
    return wanted.size;
  }

  get pipelineCount(): number {
    return this.pipelines.size;
  }

  /** Throw a LimitError if a single binding of `bytes` exceeds what the device grants. */
  checkBindingSize(what: string, bytes: number): void {
    if (bytes > this.caps.maxStorageBufferBindingSize) {
      throw new LimitError(
        `${what} needs a ${bytes}-byte storage binding; this device allows ${this.caps.maxStorageBufferBindingSize} ` +
          `(maxStorageBufferBindingSize on ${this.adapterDescription})`,
      );
    }
  }

  /** An activation tensor from the pool (contents undefined). */
  tensor(shape: readonly number[], dtype: GpuDType = 'f32', label = ''): GpuTensor {
    this.assertUsable();
    const bytes = tensorBytes(shape, dtype);
    this.checkBindingSize(`tensor ${label || `[${shape.join(', ')}]`}`, bytes);
    const buffer = this.pool.acquire(bytes, label);
    if (this.captureOn) this.capturing!.pooled.add(buffer);
    return new GpuTensor(buffer, shape.slice(), dtype, (b) => this.pool.release(b), label);
  }

  /** A tensor with its own buffer holding `data` (weights, inputs). Its release() destroys the buffer. */
  upload(data: ArrayBufferView, shape: readonly number[], dtype: GpuDType, label = ''): GpuTensor {
    this.assertUsable();
    const bytes = this.checkUpload(data, shape, dtype, label);
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
    this.assertUsable();
    if (this.tracing) return this.tensor(shape, dtype, label);
    this.startEncoding();
    const capture = this.captureOn ? this.capturing! : null;
    if (this.inputsWritten.has(label) || capture?.inputs.has(label)) return this.upload(data, shape, dtype, label);
    const bytes = this.checkUpload(data, shape, dtype, label);
    let buffer = capture ? undefined : this.inputs.get(label);
    if (!buffer || buffer.size < bytes) {
      if (!capture) buffer?.destroy();
      buffer = this.createBuffer({
        size: bytes,
        usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST,
        label: `input:${label}`,
      });
      if (capture) capture.inputs.set(label, buffer);
      else this.inputs.set(label, buffer);
    }
    this.inputsWritten.add(label);
    this.writeInput(buffer, data);
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
    this.assertUsable();
    const [x, y = 1, z = 1] = args.workgroups;
    const maxDim = this.caps.maxComputeWorkgroupsPerDimension;
    if (x > maxDim || y > maxDim || z > maxDim) {
      throw new LimitError(`${args.label}: dispatch of ${x}x${y}x${z} workgroups exceeds ${maxDim} per dimension`);
    }
    if (x === 0 || y === 0 || z === 0) return;
    const source = args.pipeline;
    if (this.tracing) {
      if (isSource(source) && !this.pipelines.has(source.key)) {
        this.tracing.set(source.key, source);
      }
      return;
    }
    const pipeline = isSource(source) ? this.pipeline(source.key, source.code, source.entryPoint) : source;
    this.startEncoding();
    const bindGroup = this.bindGroup(pipeline, args);
    const timed = {
      label: args.label,
      stage: this.stageName,
      flops: args.flops ?? 0,
      weightBytes: args.weightBytes ?? 0,
    };
    const pass = this.timer ? this.timer.beginPass(this.commandEncoder(), timed) : this.computePass();
    pass.setPipeline(pipeline);
    pass.setBindGroup(0, bindGroup);
    pass.dispatchWorkgroups(x, y, z);
    if (this.timer) pass.end();
    this.count.dispatches++;
    if (this.captureOn) this.capturing!.commands.push({ kind: 'dispatch', pipeline, bindGroup, x, y, z, timed });
  }

  /** Copy `bytes` from one buffer to another, in recording order. */
  copy(src: GPUBuffer, srcOffset: number, dst: GPUBuffer, dstOffset: number, bytes: number): void {
    if (this.tracing) return;
    this.startEncoding();
    this.endPass();
    this.commandEncoder().copyBufferToBuffer(src, srcOffset, dst, dstOffset, bytes);
    if (this.captureOn) this.capturing!.commands.push({ kind: 'copy', src, srcOffset, dst, dstOffset, bytes });
  }

  /** Send everything recorded so far to the GPU. */
  submit(): void {
    this.assertUsable();
    if (this.tracing) return;
    this.endPass();
    this.timer?.resolve(this.commandEncoder());
    if (this.encoder) {
      this.device.queue.submit([this.encoder.finish()]);
      this.count.submits++;
    }
    if (this.captureOn) this.capturing!.commands.push({ kind: 'submit' });
    this.encoder = null;
    this.inputsWritten.clear();
    if (this.encodingSince !== null) {
      this.count.encodeMs += performance.now() - this.encodingSince;
      this.count.encodeCpuMs += this.cpuClock() - this.encodingCpuSince;
    }
    this.encodingSince = null;
    this.trimCaches();
  }

  /** Submit, then read tensors back (one staging buffer, one map). */
  async read(...tensors: GpuTensor[]): Promise<HostData[]> {
    this.assertUsable();
    const reads = tensors.map((t) => ({ buffer: t.buffer, dtype: t.dtype, size: t.size, bytes: t.byteLength }));
    if (this.tracing) return reads.map((r) => hostArray(r, new ArrayBuffer(r.bytes)));
    if (this.capturing && this.captureOn) {
      // The pass ends here; replays read the same buffers themselves.
      this.capturing.reads = reads;
      this.captureOn = false;
    }
    return this.readBuffers(reads);
  }

  /**
   * From here until the next `read` submits, remember what is recorded (dispatches with their bind groups,
   * copies, submits, inputs) and every pooled buffer it takes, so that `endCapture` can keep it as a Recording.
   */
  beginCapture(): void {
    if (this.capturing) throw new Error('internal error: a capture is already running');
    this.capturing = { commands: [], pooled: new Set(), inputs: new Map(), reads: [] };
    this.captureOn = true;
  }

  /** Stop capturing while other work may record (a pass awaiting between its stages); `resumeCapture` goes on. */
  pauseCapture(): void {
    this.captureOn = false;
  }
  resumeCapture(): void {
    this.captureOn = this.capturing !== null && this.capturing.reads.length === 0;
  }

  /**
   * End a capture after the pass has released its tensors: its pooled buffers leave the pool and belong to the
   * recording. Null when the capture cannot be replayed (one of its buffers is still held by someone).
   */
  endCapture(): Recording | null {
    const c = this.capturing;
    this.capturing = null;
    this.captureOn = false;
    if (!c || !c.reads.length || !this.pool.withdraw(c.pooled)) {
      for (const b of c?.inputs.values() ?? []) b.destroy();
      return null;
    }
    return new Recording(c.commands, c.pooled, c.inputs, c.reads);
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
    this.assertUsable();
    if (r.busy) throw new Error('internal error: a recording replayed while it runs');
    r.busy = true;
    try {
      this.startEncoding();
      for (const [label, buffer] of r.inputs) {
        const data = inputs.get(label);
        if (!data) throw new Error(`internal error: replay without its input ${label}`);
        this.writeInput(buffer, data);
      }
      let submits = 0;
      for (const c of r.commands) {
        if (c.kind === 'dispatch') {
          const pass = this.timer ? this.timer.beginPass(this.commandEncoder(), c.timed) : this.computePass();
          pass.setPipeline(c.pipeline);
          pass.setBindGroup(0, c.bindGroup);
          pass.dispatchWorkgroups(c.x, c.y, c.z);
          if (this.timer) pass.end();
          this.count.dispatches++;
        } else if (c.kind === 'copy') {
          this.endPass();
          this.commandEncoder().copyBufferToBuffer(c.src, c.srcOffset, c.dst, c.dstOffset, c.bytes);
        } else {
          this.submit();
          await between?.(submits++);
          this.startEncoding();
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
    this.assertUsable();
    this.throwRecordedErrors();
    if (this.timer) await this.timer.collect();
  }

  /** What the runtime has done so far (a copy; take differences around a forward). */
  counters(): GpuCounters {
    return { ...this.count };
  }

  /** Start the encoding clock now (before planning a pass) rather than at its first command. */
  markEncoding(): void {
    this.startEncoding();
  }

  /** Per-label GPU milliseconds since the last reset (empty without `profile` or timestamp queries). */
  timings(): Map<string, TimingTotal> {
    return this.timer?.totals() ?? new Map();
  }
  /** Per-stage GPU milliseconds since the last reset (see `stage`). */
  stageTimings(): Map<string, TimingTotal> {
    return this.timer?.stageTotals() ?? new Map();
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
    for (const b of [...this.uniformChunks, ...this.inputs.values(), ...this.staging]) b.destroy();
    this.device.destroy();
  }

  /** Copy buffers into one staging buffer, submit, map, and return their contents as typed arrays. */
  private async readBuffers(reads: readonly RecordedRead[]): Promise<HostData[]> {
    const offsets: number[] = [];
    let total = 0;
    for (const r of reads) {
      offsets.push(total);
      total += Math.ceil(r.bytes / 256) * 256;
    }
    total = Math.max(total, 4);
    const staging = this.takeStaging(total);
    reads.forEach((r, i) => this.copy(r.buffer, 0, staging, offsets[i], r.bytes));
    this.submit();
    try {
      await staging.mapAsync(GPUMapMode.READ, 0, total);
    } catch (e) {
      staging.destroy();
      this.assertUsable();
      throw new BridgeTowerError('gpu', `reading results back failed: ${(e as Error).message}${this.errorSuffix()}`);
    }
    this.count.bytesRead += total;
    const mapped = staging.getMappedRange(0, total);
    const out = reads.map((r, i) => hostArray(r, mapped.slice(offsets[i], offsets[i] + r.bytes)));
    staging.unmap();
    this.giveBackStaging(staging);
    this.throwRecordedErrors();
    if (this.timer) await this.timer.collect();
    return out;
  }

  private createBuffer(descriptor: GPUBufferDescriptor): GPUBuffer {
    this.count.buffersCreated++;
    return this.device.createBuffer(descriptor);
  }

  /** Write an input's bytes, the last partial word padded with zeros. */
  private writeInput(buffer: GPUBuffer, data: ArrayBufferView): void {
    const whole = data.byteLength - (data.byteLength % 4);
    this.writeBuffer(buffer, 0, data, whole);
    if (whole < data.byteLength) {
      const tail = new Uint8Array(4);
      tail.set(new Uint8Array(data.buffer, data.byteOffset + whole, data.byteLength - whole));
      this.writeBuffer(buffer, whole, tail, 4);
    }
  }

  private writeBuffer(buffer: GPUBuffer, offset: number, data: ArrayBufferView, bytes: number): void {
    this.device.queue.writeBuffer(buffer, offset, data.buffer, data.byteOffset, bytes);
    this.count.bytesWritten += bytes;
  }

  /** The byte size of an upload of `data`, after checking it against the shape and the device. */
  private checkUpload(data: ArrayBufferView, shape: readonly number[], dtype: GpuDType, label: string): number {
    const bytes = tensorBytes(shape, dtype);
    if (bytes > this.caps.maxBufferSize) {
      throw new LimitError(
        `tensor ${label} needs a ${bytes}-byte buffer; this device allows ${this.caps.maxBufferSize} (maxBufferSize)`,
      );
    }
    const have = data.byteLength;
    const need = Math.ceil(bytes / 4) * 4;
    if (have > need || have < need - 3) {
      throw new LimitError(`upload ${label}: ${have} bytes given for shape [${shape.join(', ')}] ${dtype}`);
    }
    return bytes;
  }

  private startEncoding(): void {
    if (this.encodingSince !== null) return;
    this.encodingSince = performance.now();
    this.encodingCpuSince = this.cpuClock();
  }

  private id(o: object): number {
    let id = this.ids.get(o);
    if (id === undefined) this.ids.set(o, (id = this.nextId++));
    return id;
  }

  /** The bind group of a dispatch, from the cache when the same pipeline saw the same buffer ranges before. */
  private bindGroup(pipeline: GPUComputePipeline, args: DispatchArgs): GPUBindGroup {
    const resources = args.bindings.map(bindingResource);
    if (args.uniforms) resources.push(this.uniformSlot(args.uniforms));
    let key = String(this.id(pipeline));
    for (const r of resources) key += `|${this.id(r.buffer)}:${r.offset ?? 0}:${r.size ?? ''}`;
    let group = this.bindGroups.get(key);
    if (!group) {
      group = this.device.createBindGroup({
        layout: pipeline.getBindGroupLayout(0),
        entries: resources.map((resource, binding) => ({ binding, resource })),
        label: args.label,
      });
      this.count.bindGroupsCreated++;
      this.bindGroups.set(key, group);
    }
    return group;
  }

  /** The slot holding this uniform block, written the first time the block is seen. */
  private uniformSlot(data: ArrayBufferView | ArrayBuffer): GPUBufferBinding {
    const bytes =
      data instanceof ArrayBuffer
        ? new Uint8Array(data)
        : new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
    const size = Math.max(16, Math.ceil(bytes.byteLength / 16) * 16);
    const padded = new Uint8Array(size);
    padded.set(bytes);
    const words = new Uint32Array(padded.buffer);
    const key = words.join(',');
    let slot = this.uniformSlots.get(key);
    if (!slot) {
      if (this.uniformOffset + size > UNIFORM_CHUNK) {
        this.uniformChunks.push(
          this.createBuffer({
            size: UNIFORM_CHUNK,
            usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST,
            label: 'uniforms',
          }),
        );
        this.uniformOffset = 0;
      }
      slot = { buffer: this.uniformChunks[this.uniformChunks.length - 1], offset: this.uniformOffset, size };
      this.writeBuffer(slot.buffer, slot.offset!, padded, size);
      const align = this.caps.minUniformBufferOffsetAlignment;
      this.uniformOffset = Math.ceil((this.uniformOffset + size) / align) * align;
      this.uniformSlots.set(key, slot);
    }
    return slot;
  }

  /**
   * After a submit: start the caches over when they have grown past their bounds (many shapes seen). The old
   * uniform chunks are not destroyed: recordings and submitted work may still bind them, and they go when the
   * last bind group that holds them does.
   */
  private trimCaches(): void {
    if (this.uniformChunks.length > UNIFORM_CHUNKS_KEPT || this.bindGroups.size > BIND_GROUPS_KEPT) {
      this.uniformChunks = [];
      this.uniformOffset = UNIFORM_CHUNK;
      this.uniformSlots.clear();
      this.bindGroups.clear();
    }
  }

  private takeStaging(bytes: number): GPUBuffer {
    const at = this.staging.findIndex((b) => b.size >= bytes);
    if (at >= 0) return this.staging.splice(at, 1)[0];
    return this.createBuffer({
      size: bytes,
      usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST,
      label: 'readback',
    });
  }

  private giveBackStaging(buffer: GPUBuffer): void {
    this.staging.push(buffer);
    if (this.staging.length > STAGING_KEPT) {
      this.staging.sort((a, b) => b.size - a.size);
      this.staging.pop()!.destroy();
    }
  }

  private assertUsable(): void {
    if (this.lost) throw this.lost;
  }

  private errorSuffix(): string {
    return this.errors.length ? ` (GPU errors: ${this.errors.join('; ')})` : '';
  }

  private throwRecordedErrors(): void {
    if (this.errors.length) {
      const msg = this.errors.splice(0).join('; ');
      throw new BridgeTowerError('gpu', `WebGPU reported an error: ${msg}`);
    }
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
  }
}

function isSource(p: GPUComputePipeline | PipelineSource): p is PipelineSource {
  return 'key' in p && 'code' in p;
}

function hostArray(r: RecordedRead, bytes: ArrayBuffer): HostData {
  switch (r.dtype) {
    case 'f32':
      return new Float32Array(bytes, 0, r.size);
    case 'i32':
      return new Int32Array(bytes, 0, r.size);
    case 'u32':
      return new Uint32Array(bytes, 0, r.size);
    case 'f16':
      return new Uint16Array(bytes, 0, r.size);
    // Packed codes, as raw words.
    case 'q8':
    case 'q4':
      return new Uint32Array(bytes);
  }
}

function bindingResource(b: Binding): GPUBufferBinding {
  if (b instanceof GpuTensor) return { buffer: b.buffer, offset: 0, size: b.byteLength };
  if ('buffer' in b && !('mapState' in b)) return { buffer: b.buffer, offset: b.offset ?? 0, size: b.size };
  return { buffer: b as GPUBuffer };
}
