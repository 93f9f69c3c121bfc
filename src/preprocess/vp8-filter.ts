// VP8 loop filter (RFC 6386 section 15), run over the whole reconstructed key frame in macroblock raster
// order: per macroblock the left edge, the inner vertical edges, the top edge, the inner horizontal edges.
// The normal filter works on all three planes, the simple filter on luma only.
import type { Plane } from './vp8-predict';

/** What the filter needs of each macroblock, from the frame header and the macroblock's own header. */
export interface FilterParams {
  /** 0: normal filter, 1: simple filter. */
  type: number;
  sharpness: number;
  /** Filter level (0..63) of each macroblock, after segment and mode adjustments; 0 skips it. */
  levels: Uint8Array;
  /** Whether the inner (subblock) edges of each macroblock are filtered (B_PRED, or any coefficient coded). */
  inner: Uint8Array;
  mbWidth: number;
  mbHeight: number;
}

const clampS8 = (v: number) => (v < -128 ? -128 : v > 127 ? 127 : v);
const clampU8 = (v: number) => (v < 0 ? 0 : v > 255 ? 255 : v);

/**
 * Filter `count` segments across one edge. `at` is the first pixel after the edge (q0), `step` moves across
 * the edge, `along` to the next segment. `edgeLimit` is the limit on 2|p0-q0| + |p1-q1|/2.
 */
function filterEdge(
  d: Uint8Array,
  at: number,
  step: number,
  along: number,
  count: number,
  edgeLimit: number,
  interior: number,
  hevThreshold: number,
  kind: 'simple' | 'macroblock' | 'subblock',
): void {
  for (let n = 0; n < count; n++, at += along) {
    const p1 = d[at - 2 * step];
    const p0 = d[at - step];
    const q0 = d[at];
    const q1 = d[at + step];
    if (Math.abs(p0 - q0) * 2 + (Math.abs(p1 - q1) >> 1) > edgeLimit) continue;
    let hev = true;
    if (kind !== 'simple') {
      const p3 = d[at - 4 * step];
      const p2 = d[at - 3 * step];
      const q2 = d[at + 2 * step];
      const q3 = d[at + 3 * step];
      if (
        Math.abs(p3 - p2) > interior ||
        Math.abs(p2 - p1) > interior ||
        Math.abs(p1 - p0) > interior ||
        Math.abs(q3 - q2) > interior ||
        Math.abs(q2 - q1) > interior ||
        Math.abs(q1 - q0) > interior
      )
        continue;
      hev = Math.abs(p1 - p0) > hevThreshold || Math.abs(q1 - q0) > hevThreshold;
      if (!hev && kind === 'macroblock') {
        const w = clampS8(clampS8(p1 - q1) + 3 * (q0 - p0));
        let a = clampS8((27 * w + 63) >> 7);
        d[at - step] = clampU8(p0 + a);
        d[at] = clampU8(q0 - a);
        a = clampS8((18 * w + 63) >> 7);
        d[at - 2 * step] = clampU8(p1 + a);
        d[at + step] = clampU8(q1 - a);
        a = clampS8((9 * w + 63) >> 7);
        d[at - 3 * step] = clampU8(p2 + a);
        d[at + 2 * step] = clampU8(q2 - a);
        continue;
      }
    }
    // The common adjustment: outer taps when the edge variance is high (and always for the simple filter).
    const a = clampS8((hev ? clampS8(p1 - q1) : 0) + 3 * (q0 - p0));
    const f1 = Math.min(a + 4, 127) >> 3;
    const f2 = Math.min(a + 3, 127) >> 3;
    d[at - step] = clampU8(p0 + f2);
    d[at] = clampU8(q0 - f1);
    if (!hev) {
      const a2 = (f1 + 1) >> 1;
      d[at - 2 * step] = clampU8(p1 + a2);
      d[at + step] = clampU8(q1 - a2);
    }
  }
}

/** Interior limit and high-edge-variance threshold of a filter level on a key frame (section 15.4). */
function limits(level: number, sharpness: number): [number, number] {
  let interior = level;
  if (sharpness) {
    interior >>= sharpness > 4 ? 2 : 1;
    if (interior > 9 - sharpness) interior = 9 - sharpness;
  }
  if (interior < 1) interior = 1;
  return [interior, level >= 40 ? 2 : level >= 15 ? 1 : 0];
}

/** Apply the loop filter in place to the Y, U and V planes. */
export function loopFilter(planes: [Plane, Plane, Plane], f: FilterParams): void {
  for (let mby = 0; mby < f.mbHeight; mby++) {
    for (let mbx = 0; mbx < f.mbWidth; mbx++) {
      const mb = mby * f.mbWidth + mbx;
      const level = f.levels[mb];
      if (level === 0) continue;
      const [interior, hev] = limits(level, f.sharpness);
      const mbLimit = (level + 2) * 2 + interior;
      const subLimit = level * 2 + interior;
      const inner = f.inner[mb] === 1;
      for (let k = 0; k < (f.type === 1 ? 1 : 3); k++) {
        const { data, stride } = planes[k];
        const size = k === 0 ? 16 : 8;
        const at = (mby * size + 1) * stride + mbx * size + 1;
        const edge = f.type === 1 ? 'simple' : 'macroblock';
        const sub = f.type === 1 ? 'simple' : 'subblock';
        if (mbx > 0) filterEdge(data, at, 1, stride, size, mbLimit, interior, hev, edge);
        if (inner)
          for (let x = 4; x < size; x += 4) filterEdge(data, at + x, 1, stride, size, subLimit, interior, hev, sub);
        if (mby > 0) filterEdge(data, at, stride, 1, size, mbLimit, interior, hev, edge);
        if (inner)
          for (let y = 4; y < size; y += 4)
            filterEdge(data, at + y * stride, stride, 1, size, subLimit, interior, hev, sub);
      }
    }
  }
}
