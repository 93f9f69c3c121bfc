// Folding a long 1-D grid of workgroups into x*y: WebGPU allows at most maxComputeWorkgroupsPerDimension
// (65535 by default) per dimension.
import { LimitError } from '../errors';
import type { Gpu } from '../gpu/runtime';

/**
 * Workgroups [x, y] covering `groups` workgroups; the shader recovers the linear index as
 * `wid.x + wid.y * num_workgroups.x` and returns when it is >= the count it was given.
 */
export function foldGrid(gpu: Gpu, groups: number, what: string): [number, number] {
  const max = gpu.caps.maxComputeWorkgroupsPerDimension;
  if (groups <= max) return [Math.max(groups, 1), 1];
  const y = Math.ceil(groups / max);
  if (y > max) throw new LimitError(`${what}: ${groups} workgroups exceed ${max}x${max}`);
  return [Math.ceil(groups / y), y];
}
