// The per-forward counters the bench reads: what the runtime has created (pipelines, bind groups, buffers),
// recorded (dispatches, submits) and moved (bytes each way) since it was created, and the host time spent
// recording between submits. The runtime's parts count into one `GpuCounters` object; `bench-model` takes
// differences of `Gpu.counters()` around a forward. The encoding clock runs from the first command after a
// submit to the next submit, in wall time and (with a `cpuClock`) in process CPU time.

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

export function zeroCounters(): GpuCounters {
  return {
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
}

/** Times the recording of one submit into `encodeMs` and `encodeCpuMs`. */
export class EncodingClock {
  private since: number | null = null;
  private cpuSince = 0;

  constructor(
    private readonly count: GpuCounters,
    private readonly cpuClock: () => number,
  ) {}

  /** Start the clock, unless it already runs. */
  start(): void {
    if (this.since !== null) return;
    this.since = performance.now();
    this.cpuSince = this.cpuClock();
  }

  /** At a submit: add the span since `start` (if it ran) and stop. */
  stop(): void {
    if (this.since !== null) {
      this.count.encodeMs += performance.now() - this.since;
      this.count.encodeCpuMs += this.cpuClock() - this.cpuSince;
    }
    this.since = null;
  }
}
