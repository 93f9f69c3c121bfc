// VP8 key-frame reconstruction (RFC 6386 sections 12 and 14): the intra predictors (16x16 luma and 8x8
// chroma modes, the ten 4x4 subblock modes), the inverse WHT of the Y2 block and the inverse DCT added to
// the prediction. Planes carry a one-pixel border above (127) and to the left (129), as section 12 defines
// the pixels outside the frame, so predictors read their edges from the plane itself.

/** A plane with its border: pixel (x, y) of the frame is at (y + 1) * stride + x + 1. */
export interface Plane {
  data: Uint8Array;
  stride: number;
}

/** Whole-block modes (section 11.2); chroma uses the first four. */
export const DC_PRED = 0;
export const V_PRED = 1;
export const H_PRED = 2;
export const TM_PRED = 3;
export const B_PRED = 4;

const clamp255 = (v: number) => (v < 0 ? 0 : v > 255 ? 255 : v);
const avg2 = (x: number, y: number) => (x + y + 1) >> 1;
const avg3 = (x: number, y: number, z: number) => (x + 2 * y + z + 2) >> 2;

/**
 * Predict an n x n block (n = 16 luma, 8 chroma) at pixel offset `at` (its top-left pixel). DC_PRED
 * averages only the edges inside the frame (`hasAbove`, `hasLeft`); the others read the border.
 */
export function predictBlock(p: Plane, at: number, n: number, mode: number, hasAbove: boolean, hasLeft: boolean): void {
  const { data, stride } = p;
  const above = at - stride;
  if (mode === DC_PRED) {
    const shift = n === 16 ? 4 : 3;
    let sum = 0;
    for (let i = 0; i < n; i++) sum += (hasAbove ? data[above + i] : 0) + (hasLeft ? data[at + i * stride - 1] : 0);
    let dc = 128;
    if (hasAbove && hasLeft) dc = (sum + n) >> (shift + 1);
    else if (hasAbove || hasLeft) dc = (sum + (n >> 1)) >> shift;
    for (let r = 0; r < n; r++) data.fill(dc, at + r * stride, at + r * stride + n);
    return;
  }
  const corner = data[above - 1];
  for (let r = 0; r < n; r++) {
    const row = at + r * stride;
    const left = data[row - 1];
    for (let c = 0; c < n; c++) {
      if (mode === V_PRED) data[row + c] = data[above + c];
      else if (mode === H_PRED) data[row + c] = left;
      else data[row + c] = clamp255(left + data[above + c] - corner);
    }
  }
}

/** Subblock modes (section 11.2). */
const B_DC = 0, B_TM = 1, B_VE = 2, B_HE = 3, B_LD = 4, B_RD = 5, B_VR = 6, B_VL = 7, B_HD = 8; // prettier-ignore

/**
 * Predict a 4x4 subblock at `at`. `aboveRight` holds the four pixels above and to the right (section 12.3
 * says which ones); E is the RFC's edge array: L[3], L[2], L[1], L[0], P, A[0..7].
 */
export function predictSubblock(p: Plane, at: number, mode: number, aboveRight: ArrayLike<number>): void {
  const { data, stride } = p;
  const e = new Int32Array(13);
  for (let i = 0; i < 4; i++) {
    e[3 - i] = data[at + i * stride - 1];
    e[5 + i] = data[at - stride + i];
    e[9 + i] = aboveRight[i];
  }
  e[4] = data[at - stride - 1];
  const a3 = (k: number) => avg3(e[k - 1], e[k], e[k + 1]);
  const a2 = (k: number) => avg2(e[k], e[k + 1]);
  const b = new Int32Array(16);
  const set = (v: number, ...rc: number[]) => {
    for (let i = 0; i < rc.length; i += 2) b[rc[i] * 4 + rc[i + 1]] = v;
  };
  switch (mode) {
    case B_DC: {
      let v = 4;
      for (let i = 0; i < 4; i++) v += e[5 + i] + e[3 - i];
      b.fill(v >> 3);
      break;
    }
    case B_TM:
      for (let r = 0; r < 4; r++) for (let c = 0; c < 4; c++) b[r * 4 + c] = clamp255(e[3 - r] + e[5 + c] - e[4]);
      break;
    case B_VE:
      for (let r = 0; r < 4; r++) for (let c = 0; c < 4; c++) b[r * 4 + c] = a3(5 + c);
      break;
    case B_HE:
      for (let r = 0; r < 4; r++) b.fill(r < 3 ? a3(3 - r) : avg3(e[1], e[0], e[0]), r * 4, r * 4 + 4);
      break;
    case B_LD:
      for (let r = 0; r < 4; r++)
        for (let c = 0; c < 4; c++) b[r * 4 + c] = r + c < 6 ? a3(6 + r + c) : avg3(e[11], e[12], e[12]);
      break;
    case B_RD:
      for (let r = 0; r < 4; r++) for (let c = 0; c < 4; c++) b[r * 4 + c] = a3(4 + c - r);
      break;
    case B_VR:
      set(a3(2), 3, 0);
      set(a3(3), 2, 0);
      set(a3(4), 3, 1, 1, 0);
      set(a2(4), 2, 1, 0, 0);
      set(a3(5), 3, 2, 1, 1);
      set(a2(5), 2, 2, 0, 1);
      set(a3(6), 3, 3, 1, 2);
      set(a2(6), 2, 3, 0, 2);
      set(a3(7), 1, 3);
      set(a2(7), 0, 3);
      break;
    case B_VL:
      set(a2(5), 0, 0);
      set(a3(6), 1, 0);
      set(a2(6), 2, 0, 0, 1);
      set(a3(7), 1, 1, 3, 0);
      set(a2(7), 2, 1, 0, 2);
      set(a3(8), 3, 1, 1, 2);
      set(a2(8), 2, 2, 0, 3);
      set(a3(9), 3, 2, 1, 3);
      set(a3(10), 2, 3);
      set(a3(11), 3, 3);
      break;
    case B_HD:
      set(a2(0), 3, 0);
      set(a3(1), 3, 1);
      set(a2(1), 2, 0, 3, 2);
      set(a3(2), 2, 1, 3, 3);
      set(a2(2), 2, 2, 1, 0);
      set(a3(3), 2, 3, 1, 1);
      set(a2(3), 1, 2, 0, 0);
      set(a3(4), 1, 3, 0, 1);
      set(a3(5), 0, 2);
      set(a3(6), 0, 3);
      break;
    default: {
      // B_HU, on the left column L[0..3] = e[3], e[2], e[1], e[0].
      b.fill(e[0]);
      set(avg2(e[3], e[2]), 0, 0);
      set(avg3(e[3], e[2], e[1]), 0, 1);
      set(avg2(e[2], e[1]), 0, 2, 1, 0);
      set(avg3(e[2], e[1], e[0]), 0, 3, 1, 1);
      set(avg2(e[1], e[0]), 1, 2, 2, 0);
      set(avg3(e[1], e[0], e[0]), 1, 3, 2, 1);
    }
  }
  for (let r = 0; r < 4; r++) data.set(b.subarray(r * 4, r * 4 + 4), at + r * stride);
}

/** Inverse WHT of the dequantised Y2 block (section 14.3); out[i] becomes the DC of Y subblock i. */
export function inverseWht(input: Int16Array, out: Int16Array): void {
  const t = new Int16Array(16);
  for (let i = 0; i < 4; i++) {
    const a1 = input[i] + input[12 + i];
    const b1 = input[4 + i] + input[8 + i];
    const c1 = input[4 + i] - input[8 + i];
    const d1 = input[i] - input[12 + i];
    t[i] = a1 + b1;
    t[4 + i] = c1 + d1;
    t[8 + i] = a1 - b1;
    t[12 + i] = d1 - c1;
  }
  for (let i = 0; i < 4; i++) {
    const a1 = t[4 * i] + t[4 * i + 3];
    const b1 = t[4 * i + 1] + t[4 * i + 2];
    const c1 = t[4 * i + 1] - t[4 * i + 2];
    const d1 = t[4 * i] - t[4 * i + 3];
    out[4 * i] = (a1 + b1 + 3) >> 3;
    out[4 * i + 1] = (c1 + d1 + 3) >> 3;
    out[4 * i + 2] = (a1 - b1 + 3) >> 3;
    out[4 * i + 3] = (d1 - c1 + 3) >> 3;
  }
}

/** sqrt(2) * cos(pi / 8) - 1 and sqrt(2) * sin(pi / 8) in 16-bit fixed point (section 14.4). */
const COS_MINUS_1 = 20091;
const SIN = 35468;
const idctTemp = new Int16Array(16);

/** Inverse DCT of coefficients[off..off+16] (section 14.4), added to the 4x4 pixels at `at` with clamping. */
export function addInverseDct(coefficients: Int16Array, off: number, p: Plane, at: number): void {
  const t = idctTemp;
  for (let i = 0; i < 4; i++) {
    const i0 = coefficients[off + i];
    const i4 = coefficients[off + 4 + i];
    const i8 = coefficients[off + 8 + i];
    const i12 = coefficients[off + 12 + i];
    const a1 = i0 + i8;
    const b1 = i0 - i8;
    const c1 = ((i4 * SIN) >> 16) - (i12 + ((i12 * COS_MINUS_1) >> 16));
    const d1 = i4 + ((i4 * COS_MINUS_1) >> 16) + ((i12 * SIN) >> 16);
    t[i] = a1 + d1;
    t[12 + i] = a1 - d1;
    t[4 + i] = b1 + c1;
    t[8 + i] = b1 - c1;
  }
  const { data, stride } = p;
  for (let r = 0; r < 4; r++) {
    const i0 = t[4 * r];
    const i1 = t[4 * r + 1];
    const i2 = t[4 * r + 2];
    const i3 = t[4 * r + 3];
    const a1 = i0 + i2;
    const b1 = i0 - i2;
    const c1 = ((i1 * SIN) >> 16) - (i3 + ((i3 * COS_MINUS_1) >> 16));
    const d1 = i1 + ((i1 * COS_MINUS_1) >> 16) + ((i3 * SIN) >> 16);
    const row = at + r * stride;
    // The residue is a 16-bit value in the reference decoder; Int16 wrap-around matches it on bad input.
    data[row] = clamp255(data[row] + ((((a1 + d1 + 4) >> 3) << 16) >> 16));
    data[row + 1] = clamp255(data[row + 1] + ((((b1 + c1 + 4) >> 3) << 16) >> 16));
    data[row + 2] = clamp255(data[row + 2] + ((((b1 - c1 + 4) >> 3) << 16) >> 16));
    data[row + 3] = clamp255(data[row + 3] + ((((a1 - d1 + 4) >> 3) << 16) >> 16));
  }
}
