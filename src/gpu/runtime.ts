// The runtime every kernel records into: one device, a buffer pool, a pipeline cache, a uniform arena
// and one open command encoder. Kernels call `dispatch`; nothing reaches the GPU until `submit` (or a
// `read`, which submits what was recorded plus the copy to a staging buffer), so a forward pass is one
// submit with one readback.
import { DeviceLostError, LimitError, BridgeTowerError } from '../errors';
import { describeAdapter, requestGpuDevice, type DeviceRequest, type GpuCaps } from './device';
import { BufferPool } from './pool';
import { GpuTensor, tensorBytes, type GpuDType } from './tensor';
import { GpuTimer } from './timing';

export interface GpuOptions extends DeviceRequest {
  /**
   * Record per-kernel GPU times with timestamp queries (when the adapter has them).
   * @default false
   */
  profile?: boolean;
  /**
   * Called when the device is lost (the runtime is unusable afterwards).
   * @default none
   */
  onDeviceLost?: (error: DeviceLostError) => void;
}

/** A buffer, or a tensor, or a byte range of a buffer, bound at the next binding slot. */
export type Binding = GpuTensor | GPUBuffer | { buffer: GPUBuffer; offset?: number; size?: number };

export interface DispatchArgs {
  pipeline: GPUComputePipeline;
  /** Bound in order at @binding(0..); the uniform block (if any) comes after them. */
  bindings: Binding[];
  /** Uniform block contents; bound at @binding(bindings.length). */
  uniforms?: ArrayBufferView | ArrayBuffer;
  workgroups: readonly [number, number?, number?];
  /** Names the dispatch in GPU timings and errors. */
  label: string;
}

const UNIFORM_CHUNK = 64 * 1024;

export class Gpu {
  readonly pool: BufferPool;
  private readonly pipelines = new Map<string, GPUComputePipeline>();
  private encoder: GPUCommandEncoder | null = null;
  private pass: GPUComputePassEncoder | null = null;
  private readonly uniformChunks: { buffer: GPUBuffer; staging: Uint8Array<ArrayBuffer> }[] = [];
  private uniformChunk = 0;
  private uniformOffset = 0;
  private lost: DeviceLostError | null = null;
  private readonly errors: string[] = [];
  private readonly timer: GpuTimer | null;
  private persistentBytes = 0;

  private constructor(
    readonly device: GPUDevice,
    readonly caps: GpuCaps,
    options: GpuOptions,
  ) {
    this.pool = new BufferPool(device);
    this.timer = options.profile && caps.timestampQuery ? new GpuTimer(device) : null;
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
      this.pipelines.set(key, p);
    }
    return p;
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
    return new GpuTensor(buffer, shape.slice(), dtype, (b) => this.pool.release(b), label);
  }

  /** A tensor with its own buffer holding `data` (weights, inputs). Its release() destroys the buffer. */
  upload(data: ArrayBufferView, shape: readonly number[], dtype: GpuDType, label = ''): GpuTensor {
    this.assertUsable();
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
    const buffer = this.device.createBuffer({
      size: bytes,
      usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST,
      mappedAtCreation: true,
      label,
    });
    new Uint8Array(buffer.getMappedRange()).set(new Uint8Array(data.buffer, data.byteOffset, have));
    buffer.unmap();
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

  /** Record one compute dispatch. */
  dispatch(args: DispatchArgs): void {
    this.assertUsable();
    const entries: GPUBindGroupEntry[] = args.bindings.map((b, i) => ({ binding: i, resource: bindingResource(b) }));
    if (args.uniforms) entries.push({ binding: entries.length, resource: this.uniformSlice(args.uniforms) });
    const [x, y = 1, z = 1] = args.workgroups;
    const maxDim = this.caps.maxComputeWorkgroupsPerDimension;
    if (x > maxDim || y > maxDim || z > maxDim) {
      throw new LimitError(`${args.label}: dispatch of ${x}x${y}x${z} workgroups exceeds ${maxDim} per dimension`);
    }
    if (x === 0 || y === 0 || z === 0) return;
    const bindGroup = this.device.createBindGroup({
      layout: args.pipeline.getBindGroupLayout(0),
      entries,
      label: args.label,
    });
    const pass = this.timer ? this.timer.beginPass(this.commandEncoder(), args.label) : this.computePass();
    pass.setPipeline(args.pipeline);
    pass.setBindGroup(0, bindGroup);
    pass.dispatchWorkgroups(x, y, z);
    if (this.timer) pass.end();
  }

  /** Copy `bytes` from one buffer to another, in recording order. */
  copy(src: GPUBuffer, srcOffset: number, dst: GPUBuffer, dstOffset: number, bytes: number): void {
    this.endPass();
    this.commandEncoder().copyBufferToBuffer(src, srcOffset, dst, dstOffset, bytes);
  }

  /** Send everything recorded so far to the GPU. */
  submit(): void {
    this.assertUsable();
    this.endPass();
    this.flushUniforms();
    this.timer?.resolve(this.commandEncoder());
    if (this.encoder) this.device.queue.submit([this.encoder.finish()]);
    this.encoder = null;
  }

  /** Submit, then read tensors back (one staging buffer, one map). */
  async read(...tensors: GpuTensor[]): Promise<(Float32Array | Int32Array | Uint32Array | Uint16Array)[]> {
    this.assertUsable();
    const sizes = tensors.map((t) => t.byteLength);
    const offsets: number[] = [];
    let total = 0;
    for (const s of sizes) {
      offsets.push(total);
      total += Math.ceil(s / 256) * 256;
    }
    const staging = this.device.createBuffer({
      size: Math.max(total, 4),
      usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST,
      label: 'readback',
    });
    tensors.forEach((t, i) => this.copy(t.buffer, 0, staging, offsets[i], sizes[i]));
    this.submit();
    try {
      await staging.mapAsync(GPUMapMode.READ);
    } catch (e) {
      this.assertUsable();
      throw new BridgeTowerError('gpu', `reading results back failed: ${(e as Error).message}${this.errorSuffix()}`);
    }
    this.throwRecordedErrors();
    const mapped = staging.getMappedRange();
    const out = tensors.map((t, i) => {
      const bytes = mapped.slice(offsets[i], offsets[i] + sizes[i]);
      switch (t.dtype) {
        case 'f32':
          return new Float32Array(bytes, 0, t.size);
        case 'i32':
          return new Int32Array(bytes, 0, t.size);
        case 'u32':
          return new Uint32Array(bytes, 0, t.size);
        case 'f16':
          return new Uint16Array(bytes, 0, t.size);
        // Packed codes, as raw words.
        case 'q8':
        case 'q4':
          return new Uint32Array(bytes);
      }
    });
    staging.unmap();
    staging.destroy();
    if (this.timer) await this.timer.collect();
    return out;
  }

  /** Wait until the GPU has finished everything submitted; reports recorded validation errors. */
  async finish(): Promise<void> {
    this.submit();
    await this.device.queue.onSubmittedWorkDone();
    this.assertUsable();
    this.throwRecordedErrors();
    if (this.timer) await this.timer.collect();
  }

  /** Per-label GPU milliseconds since the last reset (empty without `profile` or timestamp queries). */
  timings(): Map<string, { ms: number; count: number }> {
    return this.timer?.totals() ?? new Map();
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
    for (const c of this.uniformChunks) c.buffer.destroy();
    this.device.destroy();
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

  /** Place uniform bytes in the arena; chunks are written with writeBuffer just before the submit that uses them. */
  private uniformSlice(data: ArrayBufferView | ArrayBuffer): GPUBufferBinding {
    const bytes =
      data instanceof ArrayBuffer
        ? new Uint8Array(data)
        : new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
    const size = Math.max(16, Math.ceil(bytes.byteLength / 16) * 16);
    const align = this.caps.minUniformBufferOffsetAlignment;
    if (this.uniformOffset + size > UNIFORM_CHUNK) {
      this.uniformChunk++;
      this.uniformOffset = 0;
    }
    if (this.uniformChunk === this.uniformChunks.length) {
      this.uniformChunks.push({
        buffer: this.device.createBuffer({
          size: UNIFORM_CHUNK,
          usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST,
          label: 'uniforms',
        }),
        staging: new Uint8Array(UNIFORM_CHUNK),
      });
    }
    const chunk = this.uniformChunks[this.uniformChunk];
    const offset = this.uniformOffset;
    chunk.staging.fill(0, offset, offset + size);
    chunk.staging.set(bytes, offset);
    this.uniformOffset = Math.ceil((offset + size) / align) * align;
    return { buffer: chunk.buffer, offset, size };
  }

  /** Queue-ordered: these writes land before this submit and after every earlier one, so chunks are reused at once. */
  private flushUniforms(): void {
    for (let i = 0; i <= this.uniformChunk && i < this.uniformChunks.length; i++) {
      const c = this.uniformChunks[i];
      const used = i < this.uniformChunk ? UNIFORM_CHUNK : this.uniformOffset;
      if (used > 0) this.device.queue.writeBuffer(c.buffer, 0, c.staging, 0, used);
    }
    this.uniformChunk = 0;
    this.uniformOffset = 0;
  }
}

function bindingResource(b: Binding): GPUBindingResource {
  if (b instanceof GpuTensor) return { buffer: b.buffer, offset: 0, size: b.byteLength };
  if ('buffer' in b && !('mapState' in b)) return { buffer: b.buffer, offset: b.offset ?? 0, size: b.size };
  return { buffer: b as GPUBuffer };
}
