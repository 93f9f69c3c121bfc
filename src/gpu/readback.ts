// Reading results back to the host: the readback (staging) buffers kept for reuse, where each read lands in one
// staging buffer (256-byte aligned, so one copy per tensor and one map for all), and the typed array each read
// becomes on the host.
import type { RecordedRead } from './recording';

/** What `read` returns per tensor: f16 as raw halves, q8 / q4 as raw words. */
export type HostData = Float32Array | Int32Array | Uint32Array | Uint16Array;

/** Readback buffers kept for reuse. */
const STAGING_KEPT = 4;

/** Where each read starts in the staging buffer, and the bytes the buffer needs (at least 4). */
export function stagingLayout(reads: readonly RecordedRead[]): { offsets: number[]; total: number } {
  const offsets: number[] = [];
  let total = 0;
  for (const r of reads) {
    offsets.push(total);
    total += Math.ceil(r.bytes / 256) * 256;
  }
  return { offsets, total: Math.max(total, 4) };
}

export function hostArray(r: RecordedRead, bytes: ArrayBuffer): HostData {
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

/** The readback buffers: taken for one read, given back after it; the smallest go when more are kept. */
export class StagingBuffers {
  private readonly kept: GPUBuffer[] = [];

  constructor(private readonly createBuffer: (descriptor: GPUBufferDescriptor) => GPUBuffer) {}

  take(bytes: number): GPUBuffer {
    const at = this.kept.findIndex((b) => b.size >= bytes);
    if (at >= 0) return this.kept.splice(at, 1)[0];
    return this.createBuffer({
      size: bytes,
      usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST,
      label: 'readback',
    });
  }

  giveBack(buffer: GPUBuffer): void {
    this.kept.push(buffer);
    if (this.kept.length > STAGING_KEPT) {
      this.kept.sort((a, b) => b.size - a.size);
      this.kept.pop()!.destroy();
    }
  }

  destroy(): void {
    for (const b of this.kept) b.destroy();
  }
}
