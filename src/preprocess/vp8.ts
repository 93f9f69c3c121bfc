// VP8 key-frame decoder (RFC 6386), the lossy half of WebP: the boolean entropy decoder (section 7), the
// frame header (9, 19.2), per-macroblock modes (11), DCT/WHT tokens (13), reconstruction (12, 14; in
// vp8-predict.ts) and the loop filter (15; in vp8-filter.ts). The result is the Y, U and V planes (4:2:0)
// exactly as the RFC specifies them; turning them into RGB is the container's job (webp.ts).
import { ImageError } from '../errors';
import { checkImageSize } from './rgb-image';
import { loopFilter } from './vp8-filter';
import {
  addInverseDct,
  B_PRED,
  DC_PRED,
  H_PRED,
  inverseWht,
  type Plane,
  predictBlock,
  predictSubblock,
  TM_PRED,
  V_PRED,
} from './vp8-predict';
import { AC_QUANT, COEFF_UPDATE_PROBS, DC_QUANT, DEFAULT_COEFF_PROBS, KF_BMODE_PROBS } from './vp8-tables';

/** A decoded frame: planes without padding, chroma (width + 1) >> 1 by (height + 1) >> 1. */
export interface Vp8Frame {
  width: number;
  height: number;
  y: Uint8Array;
  u: Uint8Array;
  v: Uint8Array;
}

/** Bytes the boolean decoder may read past a partition's end in a valid stream (it reads two ahead). */
const OVERRUN_ALLOWED = 2;

/** Boolean entropy decoder of section 7.3; past the end it reads zeros and counts them. */
class BoolDecoder {
  private value: number;
  private range = 255;
  private bitCount = 0;
  private pos: number;
  overrun = 0;
  constructor(
    private readonly bytes: Uint8Array,
    start: number,
    private readonly end: number,
  ) {
    this.pos = start;
    this.value = (this.nextByte() << 8) | this.nextByte();
  }
  private nextByte(): number {
    if (this.pos < this.end) return this.bytes[this.pos++];
    this.overrun++;
    return 0;
  }
  bit(prob: number): number {
    const split = 1 + (((this.range - 1) * prob) >> 8);
    const bigSplit = split << 8;
    let bit = 0;
    if (this.value >= bigSplit) {
      bit = 1;
      this.range -= split;
      this.value -= bigSplit;
    } else this.range = split;
    if (this.range < 128) {
      // Renormalise: shift until range >= 128, taking in the next byte when 8 bits have been shifted out.
      const shift = Math.clz32(this.range) - 24;
      this.value <<= shift;
      this.range <<= shift;
      this.bitCount += shift;
      if (this.bitCount >= 8) {
        this.bitCount -= 8;
        this.value |= this.nextByte() << this.bitCount;
      }
    }
    return bit;
  }
  literal(n: number): number {
    let v = 0;
    while (n--) v = (v << 1) | this.bit(128);
    return v;
  }
  /** A flag, then if set an n-bit magnitude and a sign (the header's optional signed values). */
  maybeSigned(n: number): number {
    if (!this.bit(128)) return 0;
    const v = this.literal(n);
    return this.bit(128) ? -v : v;
  }
  /** Tree decoding (section 8.1): leaves are stored negated, internal nodes index their two children. */
  tree(tree: readonly number[], probs: ArrayLike<number>, offset = 0): number {
    let i = 0;
    while ((i = tree[i + this.bit(probs[offset + (i >> 1)])]) > 0);
    return -i;
  }
}

const KF_YMODE_TREE = [-B_PRED, 2, 4, 6, -DC_PRED, -V_PRED, -H_PRED, -TM_PRED];
const KF_YMODE_PROBS = [145, 156, 163, 128];
const UV_MODE_TREE = [-DC_PRED, 2, -V_PRED, 4, -H_PRED, -TM_PRED];
const KF_UV_MODE_PROBS = [142, 114, 183];
/** Subblock modes B_DC..B_HU are 0..9 (section 11.2). */
const BMODE_TREE = [-0, 2, -1, 4, -2, 6, 8, 12, -3, 10, -5, -6, -4, 14, -7, 16, -8, -9];
const SEGMENT_TREE = [2, 4, -0, -1, -2, -3];
/** The subblock mode a whole-block luma mode stands for in the contexts of later subblocks. */
const IMPLIED_BMODE = [0, 2, 3, 1];

const ZIGZAG = [0, 1, 4, 8, 5, 2, 3, 6, 9, 12, 13, 10, 7, 11, 14, 15];
const COEFF_BANDS = [0, 1, 2, 3, 6, 4, 5, 6, 6, 6, 6, 6, 6, 6, 6, 7, 0];
/** Extra-bit probabilities and base values of the token categories DCT_CAT3..6 (section 13.2). */
const CAT_PROBS = [[173, 148, 140], [176, 155, 140, 135], [180, 157, 141, 134, 130], [254, 254, 243, 230, 196, 177, 153, 140, 133, 130, 129]]; // prettier-ignore
const CAT_BASE = [11, 19, 35, 67];
/** Token probability block types (section 13.3). */
const TYPE_Y_AFTER_Y2 = 0, TYPE_Y2 = 1, TYPE_UV = 2, TYPE_Y_WITH_DC = 3; // prettier-ignore

/**
 * Read one block's tokens into out[off..off+16] (dequantised, natural order) and return the position of
 * the end-of-block token (16 if none): more than `first` means the block had tokens.
 */
function readCoefficients(
  bd: BoolDecoder,
  probs: Uint8Array,
  type: number,
  ctx: number,
  first: number,
  dc: number,
  ac: number,
  out: Int16Array,
  off: number,
): number {
  let c = first;
  let p = (type * 8 + COEFF_BANDS[c]) * 33 + ctx * 11;
  while (c < 16) {
    if (!bd.bit(probs[p])) return c;
    while (!bd.bit(probs[p + 1])) {
      if (++c === 16) return 16;
      p = (type * 8 + COEFF_BANDS[c]) * 33;
    }
    let v: number;
    let next = 2;
    if (!bd.bit(probs[p + 2])) {
      v = 1;
      next = 1;
    } else if (!bd.bit(probs[p + 3])) {
      v = !bd.bit(probs[p + 4]) ? 2 : 3 + bd.bit(probs[p + 5]);
    } else if (!bd.bit(probs[p + 6])) {
      v = !bd.bit(probs[p + 7]) ? 5 + bd.bit(159) : 7 + 2 * bd.bit(165) + bd.bit(145);
    } else {
      const high = bd.bit(probs[p + 8]);
      const cat = 2 * high + bd.bit(probs[p + 9 + high]);
      let extra = 0;
      for (const prob of CAT_PROBS[cat]) extra = 2 * extra + bd.bit(prob);
      v = CAT_BASE[cat] + extra;
    }
    if (bd.bit(128)) v = -v;
    out[off + ZIGZAG[c]] = v * (c > 0 ? ac : dc);
    c++;
    p = (type * 8 + COEFF_BANDS[c]) * 33 + next * 11;
  }
  return 16;
}

const clampQ = (q: number) => (q < 0 ? 0 : q > 127 ? 127 : q);

function makePlane(width: number, height: number, rightPad: number): Plane {
  const stride = width + 1 + rightPad;
  const data = new Uint8Array(stride * (height + 1));
  for (let y = 1; y <= height; y++) data[y * stride] = 129;
  data.fill(127, 0, stride);
  return { data, stride };
}

function crop(p: Plane, width: number, height: number): Uint8Array {
  const out = new Uint8Array(width * height);
  for (let y = 0; y < height; y++)
    out.set(p.data.subarray((y + 1) * p.stride + 1, (y + 1) * p.stride + 1 + width), y * width);
  return out;
}

export function isVp8(bytes: Uint8Array): boolean {
  return bytes.length >= 10 && bytes[3] === 0x9d && bytes[4] === 0x01 && bytes[5] === 0x2a;
}

/** Width and height from a key frame's uncompressed header. */
export function vp8Size(bytes: Uint8Array): [number, number] {
  return [(bytes[6] | (bytes[7] << 8)) & 0x3fff, (bytes[8] | (bytes[9] << 8)) & 0x3fff];
}

/** Decode a VP8 key frame (the payload of a WebP VP8 chunk) to its Y, U and V planes. */
export function decodeVp8(bytes: Uint8Array, file = 'WebP'): Vp8Frame {
  const fail = (message: string): never => {
    throw new ImageError(`${file}: invalid WebP lossy (VP8) data: ${message}`);
  };
  if (bytes.length < 10) fail(`${bytes.length} bytes, too short for a frame header`);
  const tag = bytes[0] | (bytes[1] << 8) | (bytes[2] << 16);
  if (tag & 1) fail('not a key frame');
  if (((tag >> 1) & 7) > 3) fail(`unknown version ${(tag >> 1) & 7}`);
  const firstSize = tag >>> 5;
  if (!isVp8(bytes)) fail('missing the key-frame start code 9d 01 2a');
  const [width, height] = vp8Size(bytes);
  checkImageSize(width, height, file);
  if (10 + firstSize > bytes.length)
    fail(`first partition of ${firstSize} bytes runs past the end (${bytes.length - 10} left)`);
  // Every macroblock's modes take well over one bit of the first partition (at least about two at the
  // fixed key-frame probabilities), so a small partition cannot describe a large frame.
  const macroblocks = ((width + 15) >> 4) * ((height + 15) >> 4);
  if (macroblocks > 8 * (firstSize + 2))
    fail(
      `${width}x${height} needs ${macroblocks} macroblocks; a first partition of ${firstSize} bytes cannot hold them`,
    );
  const bd = new BoolDecoder(bytes, 10, 10 + firstSize);
  bd.literal(2); // colour space and clamping type: neither changes decoding (we always clamp)

  const segmentation = bd.bit(128) === 1;
  let updateMap = false;
  let absoluteSegments = false;
  const segmentQ = [0, 0, 0, 0];
  const segmentLevel = [0, 0, 0, 0];
  const segmentProbs = [255, 255, 255];
  if (segmentation) {
    updateMap = bd.bit(128) === 1;
    if (bd.bit(128)) {
      absoluteSegments = bd.bit(128) === 1;
      for (let i = 0; i < 4; i++) segmentQ[i] = bd.maybeSigned(7);
      for (let i = 0; i < 4; i++) segmentLevel[i] = bd.maybeSigned(6);
    }
    if (updateMap) for (let i = 0; i < 3; i++) segmentProbs[i] = bd.bit(128) ? bd.literal(8) : 255;
  }
  const filterType = bd.bit(128);
  const frameLevel = bd.literal(6);
  const sharpness = bd.literal(3);
  const refDelta = [0, 0, 0, 0];
  const modeDelta = [0, 0, 0, 0];
  const deltas = bd.bit(128) === 1;
  if (deltas && bd.bit(128)) {
    for (let i = 0; i < 4; i++) refDelta[i] = bd.maybeSigned(6);
    for (let i = 0; i < 4; i++) modeDelta[i] = bd.maybeSigned(6);
  }

  const numPartitions = 1 << bd.literal(2);
  const partitions: BoolDecoder[] = [];
  let pos = 10 + firstSize + 3 * (numPartitions - 1);
  if (pos > bytes.length) fail('partition sizes run past the end');
  for (let i = 0; i < numPartitions; i++) {
    const sizeAt = 10 + firstSize + 3 * i;
    const size =
      i < numPartitions - 1 ? bytes[sizeAt] | (bytes[sizeAt + 1] << 8) | (bytes[sizeAt + 2] << 16) : bytes.length - pos;
    if (pos + size > bytes.length) fail(`token partition ${i} of ${size} bytes runs past the end`);
    partitions.push(new BoolDecoder(bytes, pos, pos + size));
    pos += size;
  }

  const baseQ = bd.literal(7);
  const [yDcDelta, y2DcDelta, y2AcDelta, uvDcDelta, uvAcDelta] = [0, 0, 0, 0, 0].map(() => bd.maybeSigned(4));
  /** Per segment: Y DC, Y AC, Y2 DC, Y2 AC, UV DC, UV AC (section 14.1 and the reference decoder). */
  const dequant = [0, 1, 2, 3].map((s) => {
    const q = segmentation ? (absoluteSegments ? segmentQ[s] : baseQ + segmentQ[s]) : baseQ;
    return [
      DC_QUANT[clampQ(q + yDcDelta)],
      AC_QUANT[clampQ(q)],
      DC_QUANT[clampQ(q + y2DcDelta)] * 2,
      Math.max(8, Math.floor((AC_QUANT[clampQ(q + y2AcDelta)] * 155) / 100)),
      Math.min(132, DC_QUANT[clampQ(q + uvDcDelta)]),
      AC_QUANT[clampQ(q + uvAcDelta)],
    ];
  });
  bd.bit(128); // refresh_entropy_probs: there is no next frame
  const probs = DEFAULT_COEFF_PROBS.slice();
  for (let i = 0; i < probs.length; i++) if (bd.bit(COEFF_UPDATE_PROBS[i])) probs[i] = bd.literal(8);
  const skipProb = bd.bit(128) ? bd.literal(8) : -1;
  if (bd.overrun > OVERRUN_ALLOWED) fail('first partition ends inside the frame header');

  const mbWidth = (width + 15) >> 4;
  const mbHeight = (height + 15) >> 4;
  const planes: [Plane, Plane, Plane] = [
    makePlane(mbWidth * 16, mbHeight * 16, 4),
    makePlane(mbWidth * 8, mbHeight * 8, 0),
    makePlane(mbWidth * 8, mbHeight * 8, 0),
  ];
  const [yPlane, uPlane, vPlane] = planes;
  const levels = new Uint8Array(mbWidth * mbHeight);
  const inner = new Uint8Array(mbWidth * mbHeight);
  const aboveModes = new Uint8Array(mbWidth * 4);
  const leftModes = new Uint8Array(4);
  // Non-zero contexts per macroblock column: 4 Y, 2 U, 2 V, 1 Y2; likewise to the left.
  const aboveNz = new Uint8Array(mbWidth * 9);
  const leftNz = new Uint8Array(9);
  const coeffs = new Int16Array(25 * 16);
  const bmodes = new Uint8Array(16);
  const dcs = new Int16Array(16);
  const ys = yPlane.stride;

  for (let mby = 0; mby < mbHeight; mby++) {
    const tokens = partitions[mby % numPartitions];
    leftModes.fill(0);
    leftNz.fill(0);
    if (mby > 0) {
      // Above-right pixels of the last macroblock in a row repeat the last pixel above it (section 12.3).
      const row = mby * 16 * ys;
      yPlane.data.fill(yPlane.data[row + mbWidth * 16], row + mbWidth * 16 + 1, row + mbWidth * 16 + 5);
    }
    for (let mbx = 0; mbx < mbWidth; mbx++) {
      const mb = mby * mbWidth + mbx;
      const segment = updateMap ? bd.tree(SEGMENT_TREE, segmentProbs) : 0;
      const skip = skipProb >= 0 ? bd.bit(skipProb) : 0;
      const ymode = bd.tree(KF_YMODE_TREE, KF_YMODE_PROBS);
      if (ymode === B_PRED) {
        for (let i = 0; i < 16; i++) {
          const above = i < 4 ? aboveModes[mbx * 4 + i] : bmodes[i - 4];
          const left = i & 3 ? bmodes[i - 1] : leftModes[i >> 2];
          bmodes[i] = bd.tree(BMODE_TREE, KF_BMODE_PROBS, (above * 10 + left) * 9);
        }
      } else bmodes.fill(IMPLIED_BMODE[ymode]);
      for (let i = 0; i < 4; i++) {
        aboveModes[mbx * 4 + i] = bmodes[12 + i];
        leftModes[i] = bmodes[i * 4 + 3];
      }
      const uvmode = bd.tree(UV_MODE_TREE, KF_UV_MODE_PROBS);

      const [yDc, yAc, y2Dc, y2Ac, uvDc, uvAc] = dequant[segment];
      const nz = aboveNz.subarray(mbx * 9, mbx * 9 + 9);
      const hasY2 = ymode !== B_PRED;
      let anyTokens = false;
      coeffs.fill(0);
      if (!skip) {
        let yType = TYPE_Y_WITH_DC;
        if (hasY2) {
          const y2 = coeffs.subarray(384, 400);
          const end = readCoefficients(tokens, probs, TYPE_Y2, nz[8] + leftNz[8], 0, y2Dc, y2Ac, y2, 0);
          nz[8] = leftNz[8] = end > 0 ? 1 : 0;
          anyTokens = end > 0;
          inverseWht(y2, dcs);
          for (let i = 0; i < 16; i++) coeffs[i * 16] = dcs[i];
          yType = TYPE_Y_AFTER_Y2;
        }
        const first = hasY2 ? 1 : 0;
        for (let i = 0; i < 16; i++) {
          const x = i & 3;
          const y = i >> 2;
          const end = readCoefficients(tokens, probs, yType, nz[x] + leftNz[y], first, yDc, yAc, coeffs, i * 16);
          nz[x] = leftNz[y] = end > first ? 1 : 0;
          anyTokens ||= end > first;
        }
        for (let i = 0; i < 8; i++) {
          const x = 4 + (i >> 2) * 2 + (i & 1);
          const y = 4 + (i >> 2) * 2 + ((i >> 1) & 1);
          const end = readCoefficients(tokens, probs, TYPE_UV, nz[x] + leftNz[y], 0, uvDc, uvAc, coeffs, 256 + i * 16);
          nz[x] = leftNz[y] = end > 0 ? 1 : 0;
          anyTokens ||= end > 0;
        }
      } else {
        nz.fill(0, 0, 8);
        leftNz.fill(0, 0, 8);
        if (hasY2) nz[8] = leftNz[8] = 0;
      }
      if (bd.overrun > OVERRUN_ALLOWED) fail('first partition ends before the last macroblock');
      if (tokens.overrun > OVERRUN_ALLOWED) fail(`token partition ends inside macroblock row ${mby}`);

      // Reconstruction: prediction plus residue, luma then chroma.
      const yAt = (mby * 16 + 1) * ys + mbx * 16 + 1;
      if (ymode === B_PRED) {
        for (let i = 0; i < 16; i++) {
          const at = yAt + (i >> 2) * 4 * ys + (i & 3) * 4;
          predictSubblock(yPlane, at, bmodes[i], yPlane.data, (i & 3) === 3 ? yAt - ys + 16 : at - ys + 4);
          if (!skip) addInverseDct(coeffs, i * 16, yPlane, at);
        }
      } else {
        predictBlock(yPlane, yAt, 16, ymode, mby > 0, mbx > 0);
        if (!skip)
          for (let i = 0; i < 16; i++) addInverseDct(coeffs, i * 16, yPlane, yAt + (i >> 2) * 4 * ys + (i & 3) * 4);
      }
      for (let k = 0; k < 2; k++) {
        const p = k === 0 ? uPlane : vPlane;
        const at = (mby * 8 + 1) * p.stride + mbx * 8 + 1;
        predictBlock(p, at, 8, uvmode, mby > 0, mbx > 0);
        if (!skip)
          for (let i = 0; i < 4; i++)
            addInverseDct(coeffs, 256 + (k * 4 + i) * 16, p, at + (i >> 1) * 4 * p.stride + (i & 1) * 4);
      }

      let level = frameLevel;
      if (segmentation) level = absoluteSegments ? segmentLevel[segment] : level + segmentLevel[segment];
      level = Math.max(0, Math.min(63, level));
      if (deltas) level = Math.max(0, Math.min(63, level + refDelta[0] + (ymode === B_PRED ? modeDelta[0] : 0)));
      levels[mb] = frameLevel === 0 ? 0 : level;
      inner[mb] = ymode === B_PRED || anyTokens ? 1 : 0;
    }
  }
  loopFilter(planes, { type: filterType, sharpness, levels, inner, mbWidth, mbHeight });
  const cw = (width + 1) >> 1;
  const ch = (height + 1) >> 1;
  return { width, height, y: crop(yPlane, width, height), u: crop(uPlane, cw, ch), v: crop(vPlane, cw, ch) };
}
