// The bind-group cache: a dispatch's bind group found again by its pipeline and the exact buffer ranges it
// binds, so a repeated pass over the same (pooled) buffers creates none. Buffers and pipelines are named in the
// keys by ids that are never reused. Past a bound on its size the runtime clears the cache at a submit. Also
// what a binding may be (a tensor, a buffer, a byte range of a buffer) and its GPUBufferBinding.
import { GpuTensor } from './tensor';
import type { GpuCounters } from './counters';

/** Bind groups kept before the cache starts over (at a submit). */
const BIND_GROUPS_KEPT = 16384;

/** A buffer, or a tensor, or a byte range of a buffer, bound at the next binding slot. */
export type Binding = GpuTensor | GPUBuffer | { buffer: GPUBuffer; offset?: number; size?: number };

export function bindingResource(b: Binding): GPUBufferBinding {
  if (b instanceof GpuTensor) return { buffer: b.buffer, offset: 0, size: b.byteLength };
  if ('buffer' in b && !('mapState' in b)) return { buffer: b.buffer, offset: b.offset ?? 0, size: b.size };
  return { buffer: b as GPUBuffer };
}

export class BindGroupCache {
  private readonly groups = new Map<string, GPUBindGroup>();
  /** Ids that name buffers and pipelines in keys (never reused). */
  private readonly ids = new WeakMap<object, number>();
  private nextId = 1;

  constructor(
    private readonly device: GPUDevice,
    private readonly count: GpuCounters,
  ) {}

  /** The bind group of `resources` at @binding(0..) for `pipeline`, from the cache when it saw them before. */
  get(pipeline: GPUComputePipeline, resources: readonly GPUBufferBinding[], label: string): GPUBindGroup {
    let key = String(this.id(pipeline));
    for (const r of resources) key += `|${this.id(r.buffer)}:${r.offset ?? 0}:${r.size ?? ''}`;
    let group = this.groups.get(key);
    if (!group) {
      group = this.device.createBindGroup({
        layout: pipeline.getBindGroupLayout(0),
        entries: resources.map((resource, binding) => ({ binding, resource })),
        label,
      });
      this.count.bindGroupsCreated++;
      this.groups.set(key, group);
    }
    return group;
  }

  get overgrown(): boolean {
    return this.groups.size > BIND_GROUPS_KEPT;
  }

  clear(): void {
    this.groups.clear();
  }

  private id(o: object): number {
    let id = this.ids.get(o);
    if (id === undefined) this.ids.set(o, (id = this.nextId++));
    return id;
  }
}
