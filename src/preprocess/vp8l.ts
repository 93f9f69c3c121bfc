// WebP lossless (VP8L) decoder, after RFC 9649 ("Specification for WebP Lossless Bitstream"):
// the four transforms (predictor, colour, subtract-green, colour indexing with pixel bundling), canonical
// prefix codes with meta prefix codes (entropy image), LZ77 backward references and the colour cache.
// Exact: the result is the ARGB the encoder was given. Pixels are 0xAARRGGBB in a Uint32Array.
import { ImageError } from '../errors';
import { checkImageSize } from './rgb-image';

/** Order in which the code-length code's lengths are stored ("Decoding the Code Lengths"). */
const CODE_LENGTH_ORDER = [17, 18, 0, 1, 2, 3, 4, 5, 16, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15];
/** Distance codes 1..120: (xi, yi) pairs, the nearby pixel xi columns left and yi rows up ("Distance Mapping"). */
const DISTANCE_MAP = [
  0, 1, 1, 0, 1, 1, -1, 1, 0, 2, 2, 0, 1, 2, -1, 2, 2, 1, -2, 1, 2, 2, -2, 2, 0, 3, 3, 0, 1, 3, -1, 3, 3, 1, -3, 1, 2,
  3, -2, 3, 3, 2, -3, 2, 0, 4, 4, 0, 1, 4, -1, 4, 4, 1, -4, 1, 3, 3, -3, 3, 2, 4, -2, 4, 4, 2, -4, 2, 0, 5, 3, 4, -3, 4,
  4, 3, -4, 3, 5, 0, 1, 5, -1, 5, 5, 1, -5, 1, 2, 5, -2, 5, 5, 2, -5, 2, 4, 4, -4, 4, 3, 5, -3, 5, 5, 3, -5, 3, 0, 6, 6,
  0, 1, 6, -1, 6, 6, 1, -6, 1, 2, 6, -2, 6, 6, 2, -6, 2, 4, 5, -4, 5, 5, 4, -5, 4, 3, 6, -3, 6, 6, 3, -6, 3, 0, 7, 7, 0,
  1, 7, -1, 7, 5, 5, -5, 5, 7, 1, -7, 1, 4, 6, -4, 6, 6, 4, -6, 4, 2, 7, -2, 7, 7, 2, -7, 2, 3, 7, -3, 7, 7, 3, -7, 3,
  5, 6, -5, 6, 6, 5, -6, 5, 8, 0, 4, 7, -4, 7, 7, 4, -7, 4, 8, 1, 8, 2, 6, 6, -6, 6, 8, 3, 5, 7, -5, 7, 7, 5, -7, 5, 8,
  4, 6, 7, -6, 7, 7, 6, -7, 6, 8, 5, 7, 7, -7, 7, 8, 6, 8, 7,
];
const NUM_LENGTH_CODES = 24;
const NUM_DISTANCE_CODES = 40;
const MAX_CODE_LENGTH = 15;
/** Codes up to this many bits resolve in one table look-up; longer ones walk the canonical code. */
const TABLE_BITS = 8;

/** LSB-first bit reader. Reading past the end yields zeros; `check` turns that into an ImageError. */
class BitReader {
  private pos = 0;
  private buf = 0;
  private nbits = 0;
  constructor(
    private readonly bytes: Uint8Array,
    private readonly file: string,
  ) {}

  private fill(): void {
    while (this.nbits <= 24) {
      const b = this.pos < this.bytes.length ? this.bytes[this.pos] : 0;
      this.pos++;
      this.buf |= b << this.nbits;
      this.nbits += 8;
    }
  }
  /** The next n (<= 24) bits without consuming them. */
  peek(n: number): number {
    if (this.nbits < n) this.fill();
    return (this.buf & ((1 << n) - 1)) >>> 0;
  }
  skip(n: number): void {
    this.buf >>>= n;
    this.nbits -= n;
  }
  read(n: number): number {
    const v = this.peek(n);
    this.skip(n);
    return v;
  }
  /** Throw if more bits were consumed than the stream holds. */
  check(what: string): void {
    if (this.pos * 8 - this.nbits > this.bytes.length * 8)
      throw new ImageError(`${this.file}: truncated WebP lossless data (ran out while reading ${what})`);
  }
  fail(message: string): never {
    throw new ImageError(`${this.file}: invalid WebP lossless data: ${message}`);
  }
}

/** A canonical prefix code: one-step table for short codes, canonical walk for the rest. */
class PrefixCode {
  /** symbol | length << 16 for codes of at most `tableBits` bits, indexed by the next bits; -1 otherwise. */
  private readonly table: Int32Array;
  private readonly tableBits: number;
  private readonly counts = new Uint16Array(MAX_CODE_LENGTH + 1);
  private readonly sorted: Uint16Array;
  /** The symbol of a one-symbol code, which takes no bits; -1 otherwise. */
  private readonly single: number;

  constructor(lengths: Uint8Array, br: BitReader) {
    let used = 0;
    let maxLen = 0;
    for (const len of lengths) {
      this.counts[len]++;
      if (len) used++;
      if (len > maxLen) maxLen = len;
    }
    this.counts[0] = 0;
    const offsets = new Uint16Array(MAX_CODE_LENGTH + 2);
    for (let len = 1; len <= MAX_CODE_LENGTH; len++) offsets[len + 1] = offsets[len] + this.counts[len];
    this.sorted = new Uint16Array(used);
    for (let s = 0; s < lengths.length; s++) if (lengths[s]) this.sorted[offsets[lengths[s]]++] = s;
    this.single = used === 1 ? this.sorted[0] : -1;
    this.tableBits = Math.min(maxLen, TABLE_BITS);
    this.table = new Int32Array(used > 1 ? 1 << this.tableBits : 0).fill(-1);
    if (used === 0) br.fail('a prefix code has no symbols');
    if (used === 1) return;
    // Kraft sum must be exactly one: no over-subscribed or incomplete codes.
    let left = 1;
    for (let len = 1; len <= MAX_CODE_LENGTH; len++) {
      left = left * 2 - this.counts[len];
      if (left < 0) br.fail('over-subscribed prefix code');
    }
    if (left !== 0) br.fail('incomplete prefix code');
    let code = 0;
    let index = 0;
    for (let len = 1; len <= this.tableBits; len++) {
      for (let k = 0; k < this.counts[len]; k++, code++, index++) {
        let rev = 0;
        for (let b = 0; b < len; b++) rev |= ((code >> b) & 1) << (len - 1 - b);
        for (let t = rev; t < this.table.length; t += 1 << len) this.table[t] = this.sorted[index] | (len << 16);
      }
      code <<= 1;
    }
  }

  read(br: BitReader): number {
    if (this.single >= 0) return this.single;
    const entry = this.table[br.peek(this.tableBits)];
    if (entry >= 0) {
      br.skip(entry >>> 16);
      return entry & 0xffff;
    }
    let code = 0;
    let first = 0;
    let index = 0;
    for (let len = 1; len <= MAX_CODE_LENGTH; len++) {
      code |= br.read(1);
      const count = this.counts[len];
      if (code - first < count) return this.sorted[index + code - first];
      index += count;
      first = (first + count) << 1;
      code <<= 1;
    }
    return br.fail('bad prefix code');
  }
}

function readCodeLengths(br: BitReader, alphabetSize: number): Uint8Array {
  const lengths = new Uint8Array(alphabetSize);
  if (br.read(1)) {
    // Simple code: one or two symbols of length 1.
    const numSymbols = br.read(1) + 1;
    for (let i = 0; i < numSymbols; i++) {
      const symbol = br.read(i === 0 ? (br.read(1) ? 8 : 1) : 8);
      if (symbol >= alphabetSize) br.fail(`symbol ${symbol} outside an alphabet of ${alphabetSize}`);
      lengths[symbol] = 1;
    }
    return lengths;
  }
  const codeLengthLengths = new Uint8Array(19);
  const numCodes = br.read(4) + 4;
  for (let i = 0; i < numCodes; i++) codeLengthLengths[CODE_LENGTH_ORDER[i]] = br.read(3);
  const codeLengthCode = new PrefixCode(codeLengthLengths, br);
  let maxSymbol = alphabetSize;
  if (br.read(1)) {
    maxSymbol = 2 + br.read(2 + 2 * br.read(3));
    if (maxSymbol > alphabetSize) br.fail(`${maxSymbol} code lengths for an alphabet of ${alphabetSize}`);
  }
  let previous = 8;
  for (let symbol = 0; symbol < alphabetSize && maxSymbol-- > 0;) {
    const cl = codeLengthCode.read(br);
    if (cl < 16) {
      lengths[symbol++] = cl;
      if (cl) previous = cl;
      continue;
    }
    const repeat = cl === 16 ? 3 + br.read(2) : cl === 17 ? 3 + br.read(3) : 11 + br.read(7);
    if (symbol + repeat > alphabetSize) br.fail('code lengths run past the alphabet');
    lengths.fill(cl === 16 ? previous : 0, symbol, symbol + repeat);
    symbol += repeat;
  }
  br.check('prefix code lengths');
  return lengths;
}

/** The five codes of a prefix code group: green+length+cache, red, blue, alpha, distance. */
type CodeGroup = [PrefixCode, PrefixCode, PrefixCode, PrefixCode, PrefixCode];

function readGroup(br: BitReader, cacheSize: number): CodeGroup {
  const sizes = [256 + NUM_LENGTH_CODES + cacheSize, 256, 256, 256, NUM_DISTANCE_CODES];
  return sizes.map((size) => new PrefixCode(readCodeLengths(br, size), br)) as CodeGroup;
}

/** Length or distance from its prefix symbol and extra bits ("LZ77 Backward Reference"). */
function prefixValue(br: BitReader, symbol: number): number {
  if (symbol < 4) return symbol + 1;
  const extraBits = (symbol - 2) >> 1;
  return ((2 + (symbol & 1)) << extraBits) + br.read(extraBits) + 1;
}

const divRoundUp = (n: number, bits: number) => (n + (1 << bits) - 1) >> bits;

/**
 * One entropy-coded image of xsize x ysize: colour cache info, meta prefix codes (the main image only),
 * prefix code groups, then literals, backward references and cache hits.
 */
function decodeImageData(br: BitReader, xsize: number, ysize: number, isMain: boolean): Uint32Array {
  let cacheBits = 0;
  if (br.read(1)) {
    cacheBits = br.read(4);
    if (cacheBits < 1 || cacheBits > 11) br.fail(`colour cache of ${cacheBits} bits (allowed 1..11)`);
  }
  let prefixBits = 0;
  let entropy: Uint32Array | undefined;
  let numGroups = 1;
  if (isMain && br.read(1)) {
    prefixBits = br.read(3) + 2;
    entropy = decodeImageData(br, divRoundUp(xsize, prefixBits), divRoundUp(ysize, prefixBits), false);
    for (let i = 0; i < entropy.length; i++) {
      entropy[i] = (entropy[i] >> 8) & 0xffff;
      if (entropy[i] >= numGroups) numGroups = entropy[i] + 1;
    }
  }
  const cacheSize = cacheBits ? 1 << cacheBits : 0;
  const groups: CodeGroup[] = [];
  for (let g = 0; g < numGroups; g++) {
    groups.push(readGroup(br, cacheSize));
    br.check('prefix codes');
  }
  const cache = new Uint32Array(cacheSize);
  const cacheShift = 32 - cacheBits;
  const prefixXsize = divRoundUp(xsize, prefixBits);
  const pixels = new Uint32Array(xsize * ysize);
  const groupAt = (i: number) => {
    if (!entropy) return groups[0];
    const x = i % xsize;
    const y = (i - x) / xsize;
    return groups[entropy[(y >> prefixBits) * prefixXsize + (x >> prefixBits)]];
  };
  let lastCached = 0;
  const total = pixels.length;
  let i = 0;
  let nextCheck = 4096;
  while (i < total) {
    const [green, red, blue, alpha, distance] = groupAt(i);
    const s = green.read(br);
    if (s < 256) {
      const r = red.read(br);
      const b = blue.read(br);
      pixels[i++] = ((alpha.read(br) << 24) | (r << 16) | (s << 8) | b) >>> 0;
    } else if (s < 256 + NUM_LENGTH_CODES) {
      const length = prefixValue(br, s - 256);
      const code = prefixValue(br, distance.read(br));
      let dist = code - 120;
      if (code <= 120) {
        dist = Math.max(1, DISTANCE_MAP[2 * code - 2] + DISTANCE_MAP[2 * code - 1] * xsize);
      }
      if (dist > i) br.fail(`backward reference ${dist} pixels before pixel ${i}`);
      if (length > total - i) br.fail(`backward reference of ${length} pixels runs past the image`);
      for (const end = i + length; i < end; i++) pixels[i] = pixels[i - dist];
    } else {
      if (s - 256 - NUM_LENGTH_CODES >= cacheSize) br.fail('colour cache index without a colour cache');
      pixels[i++] = cache[s - 256 - NUM_LENGTH_CODES];
    }
    if (cacheSize)
      for (; lastCached < i; lastCached++)
        cache[Math.imul(0x1e35a7bd, pixels[lastCached]) >>> cacheShift] = pixels[lastCached];
    if (i >= nextCheck) {
      br.check('pixels');
      nextCheck = i + 4096;
    }
  }
  br.check('pixels');
  return pixels;
}

/** Per-channel sum modulo 256 of two ARGB pixels. */
const addPixels = (a: number, b: number) =>
  ((((a & 0xff00ff00) + (b & 0xff00ff00)) & 0xff00ff00) | (((a & 0x00ff00ff) + (b & 0x00ff00ff)) & 0x00ff00ff)) >>> 0;
/** Per-channel floor average. */
const average2 = (a: number, b: number) => ((((a ^ b) & 0xfefefefe) >>> 1) + (a & b)) >>> 0;
const clamp255 = (v: number) => (v < 0 ? 0 : v > 255 ? 255 : v);

function select(l: number, t: number, tl: number): number {
  let pl = 0;
  let pt = 0;
  for (let s = 0; s < 32; s += 8) {
    pl += Math.abs(((t >>> s) & 0xff) - ((tl >>> s) & 0xff));
    pt += Math.abs(((l >>> s) & 0xff) - ((tl >>> s) & 0xff));
  }
  return pl < pt ? l : t;
}

function clampedPerChannel(a: number, b: number, c: number, half: boolean): number {
  let out = 0;
  for (let s = 0; s < 32; s += 8) {
    const x = (a >>> s) & 0xff;
    const y = (b >>> s) & 0xff;
    const v = half ? x + Math.trunc((x - y) / 2) : x + y - ((c >>> s) & 0xff);
    out |= clamp255(v) << s;
  }
  return out >>> 0;
}

type Predictor = (l: number, t: number, tl: number, tr: number) => number;
/** The 14 predictors ("Predictor Transform"), by mode; modes 14 and 15 do not exist and predict black like mode 0. */
const PREDICTORS: Predictor[] = [
  () => 0xff000000,
  (l) => l,
  (_l, t) => t,
  (_l, _t, _tl, tr) => tr,
  (_l, _t, tl) => tl,
  (l, t, _tl, tr) => average2(average2(l, tr), t),
  (l, _t, tl) => average2(l, tl),
  (l, t) => average2(l, t),
  (_l, t, tl) => average2(tl, t),
  (_l, t, _tl, tr) => average2(t, tr),
  (l, t, tl, tr) => average2(average2(l, tl), average2(t, tr)),
  (l, t, tl) => select(l, t, tl),
  (l, t, tl) => clampedPerChannel(l, t, tl, false),
  (l, t, tl) => clampedPerChannel(average2(l, t), tl, 0, true),
  () => 0xff000000,
  () => 0xff000000,
];

interface Transform {
  type: number;
  xsize: number;
  bits: number;
  data?: Uint32Array;
}

function inversePredictor(p: Uint32Array, t: Transform, ysize: number): void {
  const { xsize, bits, data } = t;
  const blocksPerRow = divRoundUp(xsize, bits);
  p[0] = addPixels(p[0], 0xff000000);
  for (let x = 1; x < xsize; x++) p[x] = addPixels(p[x], p[x - 1]);
  for (let y = 1; y < ysize; y++) {
    const row = y * xsize;
    p[row] = addPixels(p[row], p[row - xsize]);
    const modes = (y >> bits) * blocksPerRow;
    for (let x = 1; x < xsize; x++) {
      const i = row + x;
      const predictor = PREDICTORS[(data![modes + (x >> bits)] >> 8) & 15];
      p[i] = addPixels(p[i], predictor(p[i - 1], p[i - xsize], p[i - xsize - 1], p[i - xsize + 1]));
    }
  }
}

/** (t * c) >> 5 on signed 8-bit values. */
const colorDelta = (t: number, c: number) => (((t << 24) >> 24) * ((c << 24) >> 24)) >> 5;

function inverseColor(p: Uint32Array, t: Transform, ysize: number): void {
  const { xsize, bits, data } = t;
  const blocksPerRow = divRoundUp(xsize, bits);
  for (let y = 0, i = 0; y < ysize; y++) {
    for (let x = 0; x < xsize; x++, i++) {
      const e = data![(y >> bits) * blocksPerRow + (x >> bits)];
      const argb = p[i];
      const green = (argb >> 8) & 0xff;
      const red = ((argb >> 16) + colorDelta(e, green)) & 0xff;
      const blue = (argb + colorDelta(e >> 8, green) + colorDelta(e >> 16, red)) & 0xff;
      p[i] = ((argb & 0xff00ff00) | (red << 16) | blue) >>> 0;
    }
  }
}

function inverseSubtractGreen(p: Uint32Array): void {
  for (let i = 0; i < p.length; i++) {
    const green = (p[i] >> 8) & 0xff;
    p[i] = addPixels(p[i], (green << 16) | green);
  }
}

function inverseColorIndexing(p: Uint32Array, t: Transform, ysize: number): Uint32Array {
  const palette = t.data!;
  const width = t.xsize;
  const packedWidth = divRoundUp(width, t.bits);
  const out = new Uint32Array(width * ysize);
  const perPixel = 8 >> t.bits;
  const mask = (1 << perPixel) - 1;
  const sub = (1 << t.bits) - 1;
  for (let y = 0, o = 0; y < ysize; y++) {
    for (let x = 0; x < width; x++, o++) {
      const index = ((p[y * packedWidth + (x >> t.bits)] >> 8) >> ((x & sub) * perPixel)) & mask;
      out[o] = index < palette.length ? palette[index] : 0;
    }
  }
  return out;
}

export function isVp8l(bytes: Uint8Array): boolean {
  return bytes.length >= 5 && bytes[0] === 0x2f;
}

/** Width and height from a VP8L header (signature 0x2f, then 14 + 14 bits). */
export function vp8lSize(bytes: Uint8Array): [number, number] {
  const bits = bytes[1] | (bytes[2] << 8) | (bytes[3] << 16) | (bytes[4] << 24);
  return [(bits & 0x3fff) + 1, ((bits >>> 14) & 0x3fff) + 1];
}

/** Decode a VP8L bitstream (the payload of a VP8L chunk) to ARGB pixels. */
export function decodeVp8l(bytes: Uint8Array, file = 'WebP'): { width: number; height: number; argb: Uint32Array } {
  if (!isVp8l(bytes)) throw new ImageError(`${file}: invalid WebP lossless data: bad signature or too short`);
  const br = new BitReader(bytes, file);
  br.read(8);
  const width = br.read(14) + 1;
  const height = br.read(14) + 1;
  br.read(1); // alpha_is_used: a hint only
  if (br.read(3) !== 0) br.fail('unknown version (must be 0)');
  checkImageSize(width, height, file);
  const transforms: Transform[] = [];
  let xsize = width;
  while (br.read(1)) {
    const type = br.read(2);
    if (transforms.some((t) => t.type === type)) br.fail(`transform ${type} appears twice`);
    const t: Transform = { type, xsize, bits: 0 };
    if (type === 0 || type === 1) {
      t.bits = br.read(3) + 2;
      t.data = decodeImageData(br, divRoundUp(xsize, t.bits), divRoundUp(height, t.bits), false);
    } else if (type === 3) {
      const size = br.read(8) + 1;
      t.bits = size > 16 ? 0 : size > 4 ? 1 : size > 2 ? 2 : 3;
      const palette = decodeImageData(br, size, 1, false);
      for (let i = 1; i < size; i++) palette[i] = addPixels(palette[i], palette[i - 1]);
      t.data = palette;
      xsize = divRoundUp(xsize, t.bits);
    }
    transforms.push(t);
  }
  let pixels = decodeImageData(br, xsize, height, true);
  for (let k = transforms.length - 1; k >= 0; k--) {
    const t = transforms[k];
    if (t.type === 0) inversePredictor(pixels, t, height);
    else if (t.type === 1) inverseColor(pixels, t, height);
    else if (t.type === 2) inverseSubtractGreen(pixels);
    else pixels = inverseColorIndexing(pixels, t, height);
  }
  return { width, height, argb: pixels };
}
