// Per-dispatch GPU times from timestamp queries: each timed dispatch gets its own compute pass
// with beginning/end timestamps; results are resolved into a buffer at submit and read after.
// Times are summed per dispatch label (with the label's FLOPs and weight bytes) and per stage.

const QUERY_CAPACITY = 4096;

/** One timed dispatch: its label, the stage it ran in, and its work for rates. */
export interface TimedDispatch {
  label: string;
  stage: string;
  flops: number;
  weightBytes: number;
}

/** Sums over the dispatches of one label (or one stage). */
export interface TimingTotal {
  ms: number;
  count: number;
  flops: number;
  weightBytes: number;
}

export class GpuTimer {
  private readonly querySet: GPUQuerySet;
  private readonly resolveBuffer: GPUBuffer;
  private timed: TimedDispatch[] = [];
  private readonly pending: { buffer: GPUBuffer; timed: TimedDispatch[] }[] = [];
  /** Readback buffers whose results were collected, kept for the next resolves (a steady forward creates none). */
  private readonly spare: GPUBuffer[] = [];
  private readonly byLabel = new Map<string, TimingTotal>();
  private readonly byStage = new Map<string, TimingTotal>();

  constructor(
    device: GPUDevice,
    private readonly createBuffer: (descriptor: GPUBufferDescriptor) => GPUBuffer,
  ) {
    this.querySet = device.createQuerySet({ type: 'timestamp', count: QUERY_CAPACITY });
    this.resolveBuffer = createBuffer({
      size: QUERY_CAPACITY * 8,
      usage: GPUBufferUsage.QUERY_RESOLVE | GPUBufferUsage.COPY_SRC,
      label: 'timestamps',
    });
  }

  /** A compute pass that writes a begin and end timestamp for `d` (untimed once the query set is full). */
  beginPass(encoder: GPUCommandEncoder, d: TimedDispatch): GPUComputePassEncoder {
    const i = this.timed.length;
    if (2 * i + 2 > QUERY_CAPACITY) return encoder.beginComputePass();
    this.timed.push(d);
    return encoder.beginComputePass({
      timestampWrites: { querySet: this.querySet, beginningOfPassWriteIndex: 2 * i, endOfPassWriteIndex: 2 * i + 1 },
    });
  }

  resolve(encoder: GPUCommandEncoder): void {
    const n = this.timed.length;
    if (n === 0) return;
    const at = this.spare.findIndex((b) => b.size >= n * 16);
    const readback =
      at >= 0
        ? this.spare.splice(at, 1)[0]
        : this.createBuffer({
            size: QUERY_CAPACITY * 16,
            usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST,
            label: 'timestamps readback',
          });
    encoder.resolveQuerySet(this.querySet, 0, 2 * n, this.resolveBuffer, 0);
    encoder.copyBufferToBuffer(this.resolveBuffer, 0, readback, 0, n * 16);
    this.pending.push({ buffer: readback, timed: this.timed });
    this.timed = [];
  }

  async collect(): Promise<void> {
    for (const { buffer, timed } of this.pending.splice(0)) {
      await buffer.mapAsync(GPUMapMode.READ);
      const t = new BigUint64Array(buffer.getMappedRange(), 0, 2 * timed.length);
      timed.forEach((d, i) => {
        const ms = Math.max(0, Number(t[2 * i + 1] - t[2 * i]) / 1e6);
        add(this.byLabel, d.label, ms, d);
        add(this.byStage, d.stage, ms, d);
      });
      buffer.unmap();
      this.spare.push(buffer);
    }
  }

  /** Per dispatch label. */
  totals(): Map<string, TimingTotal> {
    return new Map(this.byLabel);
  }
  /** Per stage, in the order the stages first ran. */
  stageTotals(): Map<string, TimingTotal> {
    return new Map(this.byStage);
  }
  reset(): void {
    this.byLabel.clear();
    this.byStage.clear();
  }
}

function add(sums: Map<string, TimingTotal>, key: string, ms: number, d: TimedDispatch): void {
  const s = sums.get(key) ?? { ms: 0, count: 0, flops: 0, weightBytes: 0 };
  s.ms += ms;
  s.count++;
  s.flops += d.flops;
  s.weightBytes += d.weightBytes;
  sums.set(key, s);
}
