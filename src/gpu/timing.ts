// Per-dispatch GPU times from timestamp queries: each timed dispatch gets its own compute pass
// with beginning/end timestamps; results are resolved into a buffer at submit and read after.

const QUERY_CAPACITY = 4096;

export class GpuTimer {
  private readonly querySet: GPUQuerySet;
  private readonly resolveBuffer: GPUBuffer;
  private labels: string[] = [];
  private readonly pending: { buffer: GPUBuffer; labels: string[] }[] = [];
  private readonly sums = new Map<string, { ms: number; count: number }>();

  constructor(private readonly device: GPUDevice) {
    this.querySet = device.createQuerySet({ type: 'timestamp', count: QUERY_CAPACITY });
    this.resolveBuffer = device.createBuffer({
      size: QUERY_CAPACITY * 8,
      usage: GPUBufferUsage.QUERY_RESOLVE | GPUBufferUsage.COPY_SRC,
    });
  }

  /** A compute pass that writes a begin and end timestamp for `label` (untimed once the query set is full). */
  beginPass(encoder: GPUCommandEncoder, label: string): GPUComputePassEncoder {
    const i = this.labels.length;
    if (2 * i + 2 > QUERY_CAPACITY) return encoder.beginComputePass();
    this.labels.push(label);
    return encoder.beginComputePass({
      timestampWrites: { querySet: this.querySet, beginningOfPassWriteIndex: 2 * i, endOfPassWriteIndex: 2 * i + 1 },
    });
  }

  resolve(encoder: GPUCommandEncoder): void {
    const n = this.labels.length;
    if (n === 0) return;
    const readback = this.device.createBuffer({
      size: n * 16,
      usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST,
    });
    encoder.resolveQuerySet(this.querySet, 0, 2 * n, this.resolveBuffer, 0);
    encoder.copyBufferToBuffer(this.resolveBuffer, 0, readback, 0, n * 16);
    this.pending.push({ buffer: readback, labels: this.labels });
    this.labels = [];
  }

  async collect(): Promise<void> {
    for (const { buffer, labels } of this.pending.splice(0)) {
      await buffer.mapAsync(GPUMapMode.READ);
      const t = new BigUint64Array(buffer.getMappedRange());
      labels.forEach((label, i) => {
        const ms = Number(t[2 * i + 1] - t[2 * i]) / 1e6;
        const s = this.sums.get(label) ?? { ms: 0, count: 0 };
        s.ms += ms > 0 ? ms : 0;
        s.count++;
        this.sums.set(label, s);
      });
      buffer.unmap();
      buffer.destroy();
    }
  }

  totals(): Map<string, { ms: number; count: number }> {
    return new Map(this.sums);
  }
  reset(): void {
    this.sums.clear();
  }
}
