// Uniform slots: uniform blocks kept by content. Each distinct block is written once into a slot of a 64 KiB
// chunk (slots aligned to the device's minUniformBufferOffsetAlignment) and stays there, so a repeated dispatch
// binds the same slot, its bind group is found in the bind-group cache and nothing is written. Past a bound on
// the chunks the runtime starts the slots over at a submit.

const UNIFORM_CHUNK = 64 * 1024;
/** Chunks of distinct uniform blocks kept before the slots start over (at a submit). */
const UNIFORM_CHUNKS_KEPT = 64;

export class UniformSlots {
  private chunks: GPUBuffer[] = [];
  private offset = UNIFORM_CHUNK;
  private readonly slots = new Map<string, GPUBufferBinding>();

  constructor(
    private readonly createBuffer: (descriptor: GPUBufferDescriptor) => GPUBuffer,
    private readonly writeBuffer: (buffer: GPUBuffer, offset: number, data: ArrayBufferView, bytes: number) => void,
    private readonly align: number,
  ) {}

  /** The slot holding this uniform block, written the first time the block is seen. */
  slot(data: ArrayBufferView | ArrayBuffer): GPUBufferBinding {
    const bytes =
      data instanceof ArrayBuffer
        ? new Uint8Array(data)
        : new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
    const size = Math.max(16, Math.ceil(bytes.byteLength / 16) * 16);
    const padded = new Uint8Array(size);
    padded.set(bytes);
    const words = new Uint32Array(padded.buffer);
    const key = words.join(',');
    let slot = this.slots.get(key);
    if (!slot) {
      if (this.offset + size > UNIFORM_CHUNK) {
        this.chunks.push(
          this.createBuffer({
            size: UNIFORM_CHUNK,
            usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST,
            label: 'uniforms',
          }),
        );
        this.offset = 0;
      }
      slot = { buffer: this.chunks[this.chunks.length - 1], offset: this.offset, size };
      this.writeBuffer(slot.buffer, this.offset, padded, size);
      this.offset = Math.ceil((this.offset + size) / this.align) * this.align;
      this.slots.set(key, slot);
    }
    return slot;
  }

  get overgrown(): boolean {
    return this.chunks.length > UNIFORM_CHUNKS_KEPT;
  }

  /**
   * Start over. The old chunks are not destroyed: recordings and submitted work may still bind them, and they go
   * when the last bind group that holds them does.
   */
  clear(): void {
    this.chunks = [];
    this.offset = UNIFORM_CHUNK;
    this.slots.clear();
  }

  destroy(): void {
    for (const b of this.chunks) b.destroy();
  }
}
