// Which tensors of a forward pass the caller asked for. Layers offer every named tensor they produce;
// the ones asked for are kept (not returned to the pool) until the single readback at the end.
import type { GpuTensor } from '../gpu/tensor';

export class Outputs {
  /** Kept tensors by output name, with the shape each is reported with. */
  private readonly kept = new Map<string, { tensor: GpuTensor; shape: number[] }>();
  private readonly keptBuffers = new Set<GPUBuffer>();
  /** Kept tensors owned by someone else (reusable image features): read, never released here. */
  private readonly borrowed = new Set<GpuTensor>();

  constructor(private readonly wanted: ReadonlySet<string>) {}

  wants(name: string): boolean {
    return this.wanted.has(name);
  }

  /** Keep `t` as output `name` if it was asked for, reported with `shape` (same element count); returns `t`. */
  offer(name: string, t: GpuTensor, shape: readonly number[] = t.shape, opts: { borrowed?: boolean } = {}): GpuTensor {
    if (this.wanted.has(name)) {
      if (opts.borrowed) this.borrowed.add(t);
      this.kept.set(name, { tensor: t, shape: shape.slice() });
      this.keptBuffers.add(t.buffer);
    }
    return t;
  }

  /** Give tensors back to the pool unless they are kept outputs. */
  release(...ts: (GpuTensor | undefined)[]): void {
    for (const t of ts) if (t && !this.keptBuffers.has(t.buffer)) t.release();
  }

  /** The kept tensors with their reported shapes, in the order they were asked for. */
  entries(): { name: string; tensor: GpuTensor; shape: number[] }[] {
    return [...this.wanted].flatMap((name) => {
      const k = this.kept.get(name);
      return k ? [{ name, ...k }] : [];
    });
  }

  /** Names asked for and never produced. */
  missing(): string[] {
    return [...this.wanted].filter((n) => !this.kept.has(n));
  }

  releaseAll(): void {
    for (const t of new Set([...this.kept.values()].map((k) => k.tensor))) if (!this.borrowed.has(t)) t.release();
    this.kept.clear();
    this.keptBuffers.clear();
    this.borrowed.clear();
  }
}
