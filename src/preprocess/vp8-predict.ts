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

/** The RFC's edge array E: L[3], L[2], L[1], L[0], P, A[0..7]; and the 4x4 prediction B, row-major. */
const E = new Int32Array(13);
const B = new Int32Array(16);
/** avg3 centred on E[k], avg2 of E[k] and E[k + 1]. */
const a3 = (k: number) => avg3(E[k - 1], E[k], E[k + 1]);
const a2 = (k: number) => avg2(E[k], E[k + 1]);
/** B[r0][c0] = B[r1][c1] = v (positions as row * 4 + column; -1 for none). */
function put(v: number, i: number, j = -1): void {
  B[i] = v;
  if (j >= 0) B[j] = v;
}

/**
 * Predict a 4x4 subblock at `at` (section 12.3). `aboveRight` holds the four pixels above and to the right,
 * which for the right column of a macroblock come from the macroblock row above.
 */
export function predictSubblock(p: Plane, at: number, mode: number, aboveRight: Uint8Array, arAt: number): void {
  const { data, stride } = p;
  for (let i = 0; i < 4; i++) {
    E[3 - i] = data[at + i * stride - 1];
    E[5 + i] = data[at - stride + i];
    E[9 + i] = aboveRight[arAt + i];
  }
  E[4] = data[at - stride - 1];
  switch (mode) {
    case B_DC: {
      let v = 4;
      for (let i = 0; i < 4; i++) v += E[5 + i] + E[3 - i];
      B.fill(v >> 3);
      break;
    }
    case B_TM:
      for (let r = 0; r < 4; r++) for (let c = 0; c < 4; c++) B[r * 4 + c] = clamp255(E[3 - r] + E[5 + c] - E[4]);
      break;
    case B_VE:
      for (let r = 0; r < 4; r++) for (let c = 0; c < 4; c++) B[r * 4 + c] = a3(5 + c);
      break;
    case B_HE:
      for (let r = 0; r < 4; r++) B.fill(r < 3 ? a3(3 - r) : avg3(E[1], E[0], E[0]), r * 4, r * 4 + 4);
      break;
    case B_LD:
      for (let r = 0; r < 4; r++)
        for (let c = 0; c < 4; c++) B[r * 4 + c] = r + c < 6 ? a3(6 + r + c) : avg3(E[11], E[12], E[12]);
      break;
    case B_RD:
      for (let r = 0; r < 4; r++) for (let c = 0; c < 4; c++) B[r * 4 + c] = a3(4 + c - r);
      break;
    case B_VR:
      put(a3(2), 12);
      put(a3(3), 8);
      put(a3(4), 13, 4);
      put(a2(4), 9, 0);
      put(a3(5), 14, 5);
      put(a2(5), 10, 1);
      put(a3(6), 15, 6);
      put(a2(6), 11, 2);
      put(a3(7), 7);
      put(a2(7), 3);
      break;
    case B_VL:
      put(a2(5), 0);
      put(a3(6), 4);
      put(a2(6), 8, 1);
      put(a3(7), 5, 12);
      put(a2(7), 9, 2);
      put(a3(8), 13, 6);
      put(a2(8), 10, 3);
      put(a3(9), 14, 7);
      put(a3(10), 11);
      put(a3(11), 15);
      break;
    case B_HD:
      put(a2(0), 12);
      put(a3(1), 13);
      put(a2(1), 8, 14);
      put(a3(2), 9, 15);
      put(a2(2), 10, 4);
      put(a3(3), 11, 5);
      put(a2(3), 6, 0);
      put(a3(4), 7, 1);
      put(a3(5), 2);
      put(a3(6), 3);
      break;
    default:
      // B_HU, on the left column L[0..3] = E[3], E[2], E[1], E[0].
      B.fill(E[0]);
      put(avg2(E[3], E[2]), 0);
      put(avg3(E[3], E[2], E[1]), 1);
      put(avg2(E[2], E[1]), 2, 4);
      put(avg3(E[2], E[1], E[0]), 3, 5);
      put(avg2(E[1], E[0]), 6, 8);
      put(avg3(E[1], E[0], E[0]), 7, 9);
  }
  for (let r = 0, o = at; r < 4; r++, o += stride) {
    data[o] = B[r * 4];
    data[o + 1] = B[r * 4 + 1];
    data[o + 2] = B[r * 4 + 2];
    data[o + 3] = B[r * 4 + 3];
  }
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
