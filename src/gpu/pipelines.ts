// The pipeline cache: one compute pipeline per key, built on first use with createComputePipeline, or ahead of
// the first pass by `compile`, which builds every pipeline a traced pass names at once with
// createComputePipelineAsync (the browser compiles them in parallel, off the main thread). A key must name
// everything that changes a pipeline's code; every pipeline built is counted in `pipelinesCreated`.
import { BridgeTowerError } from '../errors';
import type { GpuCounters } from './counters';

/** A pipeline by cache key, built on first use (or by `compile`). */
export interface PipelineSource {
  key: string;
  code: () => string;
  entryPoint?: string;
}

export function isSource(p: GPUComputePipeline | PipelineSource): p is PipelineSource {
  return 'key' in p && 'code' in p;
}

export class PipelineCache {
  private readonly pipelines = new Map<string, GPUComputePipeline>();

  constructor(
    private readonly device: GPUDevice,
    private readonly count: GpuCounters,
  ) {}

  get size(): number {
    return this.pipelines.size;
  }

  has(key: string): boolean {
    return this.pipelines.has(key);
  }

  /** The pipeline of `key`, built now (synchronously) if the cache lacks it. */
  get(key: string, code: () => string, entryPoint = 'main'): GPUComputePipeline {
    let p = this.pipelines.get(key);
    if (!p) {
      const module = this.device.createShaderModule({ code: code(), label: key });
      p = this.device.createComputePipeline({ layout: 'auto', compute: { module, entryPoint }, label: key });
      this.count.pipelinesCreated++;
      this.pipelines.set(key, p);
    }
    return p;
  }

  /**
   * Build `sources` in parallel with createComputePipelineAsync. A failure names its key, with the device's
   * recorded errors from `errorSuffix`.
   */
  async compile(
    sources: readonly PipelineSource[],
    errorSuffix: () => string,
    onProgress?: (done: number, total: number) => void,
  ): Promise<void> {
    let done = 0;
    onProgress?.(0, sources.length);
    await Promise.all(
      sources.map(async ({ key, code, entryPoint = 'main' }) => {
        const module = this.device.createShaderModule({ code: code(), label: key });
        const p = await this.device
          .createComputePipelineAsync({ layout: 'auto', compute: { module, entryPoint }, label: key })
          .catch((e: unknown) => {
            throw new BridgeTowerError('gpu', `compiling ${key} failed: ${(e as Error).message}${errorSuffix()}`);
          });
        this.count.pipelinesCreated++;
        this.pipelines.set(key, p);
        onProgress?.(++done, sources.length);
      }),
    );
  }
}
