// How linear (./linear.ts) covers y with workgroups: which variant runs M rows on this adapter when none is forced,
// and the tile each variant uses for M. The thresholds come from the side-by-side benchmarks of
// src/kernels/check/linear-rows.ts on SwiftShader (`bridgetower bench kernels --kernel linear-rows`); on GPUs,
// which this project could not time when they were set, from workgroup counts and rows computed per row kept.
import type { Gpu } from '../gpu/runtime';

export type LinearVariant = 'blocked' | 'tiled' | 'rows';

export interface LinearShape {
  variant: LinearVariant;
  /** rows: one dot product split over a workgroup's 64 invocations (GPUs), or whole ones per invocation. */
  split: boolean;
  /** rows: rows summed per pass over the weight. */
  rowsPerPass: typeof ROWS_MAX_CPU | typeof ROWS_MAX_GPU;
  /** blocked: the workgroup's height; its tile has 8·height rows. */
  height: typeof BLOCKED_HEIGHT;
  /** tiled: the tile's rows. */
  tileRows: 16 | 64;
  /** Workgroups along N, and in all. */
  tilesN: number;
  tiles: number;
}

/**
 * `rows` by default up to this many rows: on SwiftShader it ran 1 x 1536 x 3129 in 28 ms against blocked's 59 ms,
 * 4 rows about even, 8 rows 83 ms against 56 (blocked's 8-row tile wastes nothing there). On GPUs up to its one
 * pass of 8 rows, where a 16-row tile of `tiled` would compute twice the rows and give a sixteenth of the
 * workgroups.
 */
const ROWS_MAX_CPU = 4;
const ROWS_MAX_GPU = 8;
/** linear-rows' columns per workgroup (split), or per invocation of a 16-invocation workgroup. */
const ROWS_COLUMNS = 4;
export const ROWS_UNSPLIT_WG = 16;
/** `blocked` and `tiled` cover 64 columns per workgroup; `tiled` takes its 16-row tile up to 64 rows. */
const TILE = 64;
const TILED_SMALL_M = 64;
/** `blocked`'s workgroup height in 8-row blocks. */
const BLOCKED_HEIGHT = 5;

/** The shape for M x N (norm.out only where the variant can write x̂); `variant` and `split` force theirs. */
export function linearShape(
  gpu: Gpu,
  M: number,
  N: number,
  force: { variant?: LinearVariant; split?: boolean; normOut: boolean },
): LinearShape {
  const rowsMax = gpu.caps.cpuAdapter ? ROWS_MAX_CPU : ROWS_MAX_GPU;
  const variant =
    force.variant ?? (M <= rowsMax && !force.normOut ? 'rows' : gpu.caps.cpuAdapter ? 'blocked' : 'tiled');
  const split = force.split ?? !gpu.caps.cpuAdapter;
  // Neither depends on M, so a pipeline serves every batch and text length (loading compiles them once): rows
  // sums as many rows per pass as it is chosen for, blocked's tile is 40 rows high, which the text tower's
  // 40 rows fill (a 64-row tile took 35-40% more CPU there) and which wastes no more than 64 rows elsewhere
  // (325 image rows: 360 computed against 384).
  const rowsPerPass = split ? ROWS_MAX_GPU : ROWS_MAX_CPU;
  const height = BLOCKED_HEIGHT;
  const tileRows = M <= TILED_SMALL_M ? 16 : 64;
  if (variant === 'rows') {
    const tilesN = Math.ceil(N / (split ? ROWS_COLUMNS : ROWS_COLUMNS * ROWS_UNSPLIT_WG));
    return { variant, split, rowsPerPass, height, tileRows, tilesN, tiles: tilesN };
  }
  const tilesN = Math.ceil(N / TILE);
  const tiles = tilesN * Math.ceil(M / (variant === 'blocked' ? 8 * height : tileRows));
  return { variant, split, rowsPerPass, height, tileRows, tilesN, tiles };
}
