// Reuses storage buffers between tensors so a forward pass recycles activation memory.
// Sizes are rounded up to size classes (powers of two below 1 MiB, then steps of 1/8 of a power of two)
// so a freed buffer fits the next tensor of a similar size. A request takes the oldest free buffer of its class,
// so the same sequence of requests and releases from the same free buffers gets the same buffers: a repeated
// forward pass binds exactly what the last one bound, and the runtime finds its bind groups again.

export function sizeClass(bytes: number): number {
  const b = Math.max(256, bytes);
  const p = 2 ** Math.ceil(Math.log2(b));
  if (p <= 1 << 20) return p;
  const step = p / 16;
  return Math.ceil(b / step) * step;
}

export class BufferPool {
  /** Free buffers per size class, newest first (the oldest is popped). */
  private readonly free = new Map<number, GPUBuffer[]>();
  /** Creation order of the pool's buffers. */
  private readonly order = new WeakMap<GPUBuffer, number>();
  private created = 0;
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
    let list = this.free.get(buffer.size);
    if (!list) this.free.set(buffer.size, (list = []));
    const n = this.order.get(buffer)!;
    let at = list.length;
    while (at > 0 && this.order.get(list[at - 1])! < n) at--;
    list.splice(at, 0, buffer);
    this.inUse -= buffer.size;
  }

  /** Take these buffers out of the pool while something keeps them (a recording); false, and none taken, unless all are free. */
  withdraw(buffers: ReadonlySet<GPUBuffer>): boolean {
    if (![...buffers].every((b) => this.free.get(b.size)?.includes(b))) return false;
    for (const b of buffers) {
      const list = this.free.get(b.size)!;
      list.splice(list.indexOf(b), 1);
      this.inUse += b.size;
    }
    this.peak = Math.max(this.peak, this.inUse);
    return true;
  }

  /** Return withdrawn buffers. */
  restore(buffers: ReadonlySet<GPUBuffer>): void {
    for (const b of buffers) this.release(b);
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
    const buffer = this.createBuffer({ size, usage, label: `pool:${label}` });
    this.order.set(buffer, this.created++);
    return buffer;
  }
}
