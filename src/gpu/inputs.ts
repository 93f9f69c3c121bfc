// The buffers of a pass's inputs (token ids, mask, pixels): one kept per label and rewritten by each pass,
// replaced by a larger one when a larger input comes; while a pass is captured, its inputs get buffers of their
// own that the capture keeps. Writes are queue-ordered, so an input lands after every earlier submit has read
// the previous contents; a label already written since the last submit is for the caller to upload apart.
export class InputBuffers {
  private readonly kept = new Map<string, GPUBuffer>();
  /** Labels written since the last submit. */
  private readonly written = new Set<string>();

  constructor(
    private readonly createBuffer: (descriptor: GPUBufferDescriptor) => GPUBuffer,
    private readonly writeBuffer: (buffer: GPUBuffer, offset: number, data: ArrayBufferView, bytes: number) => void,
  ) {}

  writtenSinceSubmit(label: string): boolean {
    return this.written.has(label);
  }

  /** Write `data` (a buffer of `bytes`) for `label` into its kept buffer, or into a new one kept by `capture`. */
  write(data: ArrayBufferView, bytes: number, label: string, capture?: Map<string, GPUBuffer>): GPUBuffer {
    let buffer = capture ? undefined : this.kept.get(label);
    if (!buffer || buffer.size < bytes) {
      if (!capture) buffer?.destroy();
      buffer = this.createBuffer({
        size: bytes,
        usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST,
        label: `input:${label}`,
      });
      (capture ?? this.kept).set(label, buffer);
    }
    this.written.add(label);
    this.fill(buffer, data);
    return buffer;
  }

  /** Write an input's bytes, the last partial word padded with zeros. */
  fill(buffer: GPUBuffer, data: ArrayBufferView): void {
    const whole = data.byteLength - (data.byteLength % 4);
    this.writeBuffer(buffer, 0, data, whole);
    if (whole < data.byteLength) {
      const tail = new Uint8Array(4);
      tail.set(new Uint8Array(data.buffer, data.byteOffset + whole, data.byteLength - whole));
      this.writeBuffer(buffer, whole, tail, 4);
    }
  }

  /** At a submit: every label may be written into its kept buffer again. */
  submitted(): void {
    this.written.clear();
  }

  destroy(): void {
    for (const b of this.kept.values()) b.destroy();
  }
}
