// Reuses storage buffers between tensors so a forward pass recycles activation memory.
// Sizes are rounded up to size classes (powers of two below 1 MiB, then steps of 1/8 of a power of two)
// so a freed buffer fits the next tensor of a similar size.

export function sizeClass(bytes: number): number {
  const b = Math.max(256, bytes);
  const p = 2 ** Math.ceil(Math.log2(b));
  if (p <= 1 << 20) return p;
  const step = p / 16;
  return Math.ceil(b / step) * step;
}

export class BufferPool {
  private readonly free = new Map<number, GPUBuffer[]>();
  private allocated = 0;
  private peak = 0;
  private inUse = 0;

  constructor(private readonly createBuffer: (descriptor: GPUBufferDescriptor) => GPUBuffer) {}

  acquire(bytes: number, label: string): GPUBuffer {
    const size = sizeClass(bytes);
    const list = this.free.get(size);
    const buffer = list?.pop() ?? this.create(size, label);
    this.inUse += size;
    this.peak = Math.max(this.peak, this.inUse);
    return buffer;
  }

  release(buffer: GPUBuffer): void {
    const list = this.free.get(buffer.size);
    if (list) list.push(buffer);
    else this.free.set(buffer.size, [buffer]);
    this.inUse -= buffer.size;
  }

  /** Bytes of pooled buffers created so far (all alive), the high-water mark of bytes in use, bytes in use now. */
  stats(): { allocatedBytes: number; peakInUseBytes: number; inUseBytes: number } {
    return { allocatedBytes: this.allocated, peakInUseBytes: this.peak, inUseBytes: this.inUse };
  }

  /** Destroy the free buffers (those held by live tensors stay). */
  trim(): void {
    for (const list of this.free.values())
      for (const b of list) {
        this.allocated -= b.size;
        b.destroy();
      }
    this.free.clear();
  }

  private create(size: number, label: string): GPUBuffer {
    this.allocated += size;
    const usage = GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST;
    return this.createBuffer({ size, usage, label: `pool:${label}` });
  }
}
