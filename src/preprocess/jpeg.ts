// JPEG decoder (ITU T.81): baseline, extended and progressive Huffman-coded 8-bit images, greyscale,
// YCbCr or RGB, any sampling factors, restart intervals. It reproduces what PIL gets from libjpeg(-turbo)
// with its defaults: the integer "islow" IDCT, "fancy" (triangle-filter) chroma upsampling for 2x1, 1x2
// and 2x2 subsampling, and libjpeg's fixed-point YCbCr -> RGB. EXIF orientation is not applied, as
// PIL's Image.open does not apply it. A file that ends before its EOI marker is refused as truncated.
// Not supported (ImageError): arithmetic coding, lossless and 12-bit JPEGs, CMYK/YCCK.
import { ImageError } from '../errors';
import { checkDecodeBytes, checkImageSize, type RgbImage } from './rgb-image';

/** Zig-zag position -> natural (row-major) position in the 8x8 block. */
const ZIGZAG = Int32Array.from([
  0, 1, 8, 16, 9, 2, 3, 10, 17, 24, 32, 25, 18, 11, 4, 5, 12, 19, 26, 33, 40, 48, 41, 34, 27, 20, 13, 6, 7, 14, 21, 28,
  35, 42, 49, 56, 57, 50, 43, 36, 29, 22, 15, 23, 30, 37, 44, 51, 58, 59, 52, 45, 38, 31, 39, 46, 53, 60, 61, 54, 47,
  55, 62, 63,
]);

export function isJpeg(bytes: Uint8Array): boolean {
  return bytes.length >= 3 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff;
}

interface HuffmanTable {
  /** Codes of up to 9 bits: lookup[next 9 bits] = (length << 8) | symbol, 0 when longer or invalid. */
  lookup: Uint16Array;
  /** libjpeg's canonical decoding tables for the longer codes, indexed by code length 1..16. */
  maxCode: Int32Array;
  valOffset: Int32Array;
  symbols: Uint8Array;
}

interface Component {
  id: number;
  h: number;
  v: number;
  tq: number;
  /** Samples of this component that belong to the image: ceil(X * h / hmax) x ceil(Y * v / vmax). */
  width: number;
  height: number;
  /** Blocks actually coded in a non-interleaved scan: ceil(width / 8) x ceil(height / 8). */
  blocksWide: number;
  blocksHigh: number;
  /** Blocks stored per row and per column (whole MCUs). */
  stride: number;
  rows: number;
  /** 16-bit like libjpeg's JCOEF, so corrupt data wraps the same way. */
  coefficients: Int16Array;
  dcTable?: HuffmanTable;
  acTable?: HuffmanTable;
  pred: number;
}

interface Frame {
  width: number;
  height: number;
  progressive: boolean;
  components: Component[];
  hmax: number;
  vmax: number;
  mcusWide: number;
  mcusHigh: number;
}

class Truncated extends Error {}

function buildHuffman(counts: Uint8Array, symbols: Uint8Array): HuffmanTable {
  const lookup = new Uint16Array(512);
  const maxCode = new Int32Array(18).fill(-1);
  const valOffset = new Int32Array(17);
  let code = 0;
  let k = 0;
  for (let len = 1; len <= 16; len++) {
    valOffset[len] = k - code;
    for (let i = 0; i < counts[len - 1]; i++, k++, code++) {
      if (len <= 9) {
        const shift = 9 - len;
        for (let fill = 0; fill < 1 << shift; fill++) lookup[(code << shift) | fill] = (len << 8) | symbols[k];
      }
    }
    maxCode[len] = counts[len - 1] ? code - 1 : -1;
    code <<= 1;
  }
  maxCode[17] = 0x7fffffff;
  return { lookup, maxCode, valOffset, symbols };
}

/** Entropy-coded data: bits MSB first, 0xFF00 unstuffed; a marker or the end of the file reads as zero bits. */
class BitReader {
  private bits = 0;
  private count = 0;
  /** Zero bytes fed in place of data (at a marker) since the last restart. */
  private synthetic = 0;
  /** Set when the decoder needed bytes past the end of the file. */
  hitEnd = false;

  constructor(
    private readonly data: Uint8Array,
    public pos: number,
  ) {}

  private fill(): void {
    while (this.count <= 24) {
      let byte = 0;
      if (this.pos >= this.data.length) {
        this.hitEnd = true;
      } else if (this.data[this.pos] === 0xff) {
        const next = this.data[this.pos + 1];
        if (next === 0x00) {
          byte = 0xff;
          this.pos += 2;
        } else if (next === undefined) this.hitEnd = true;
        // Otherwise a marker: leave it for the parser and feed zeros (libjpeg does; `overrun` bounds it).
        else this.synthetic++;
      } else {
        byte = this.data[this.pos++];
      }
      this.bits = ((this.bits << 8) | byte) >>> 0;
      this.count += 8;
    }
  }

  peek(n: number): number {
    if (this.count < n) this.fill();
    return (this.bits >>> (this.count - n)) & ((1 << n) - 1);
  }

  skip(n: number): void {
    this.count -= n;
  }

  read(n: number): number {
    if (n === 0) return 0;
    const v = this.peek(n);
    this.count -= n;
    return v;
  }

  decode(t: HuffmanTable): number {
    const entry = t.lookup[this.peek(9)];
    if (entry) {
      this.count -= entry >> 8;
      return entry & 0xff;
    }
    let code = this.read(9) >>> 0;
    let len = 9;
    while (code > t.maxCode[len]) {
      code = (code << 1) | this.read(1);
      if (++len > 16) throw new ImageError('corrupt JPEG: invalid Huffman code');
    }
    return t.symbols[code + t.valOffset[len]];
  }

  /**
   * Bits of fed zeros the decoder has consumed. Zeros are fed ahead of need, so a whole scan consumes none;
   * libjpeg would decode on from zeros to the end of the frame, work the file's bytes do not pay for.
   */
  overrun(): number {
    return this.synthetic * 8 - this.count;
  }

  /** Drop buffered bits and move to the restart marker that must come next. */
  restart(): void {
    this.bits = 0;
    this.count = 0;
    this.synthetic = 0;
    while (
      this.pos + 1 < this.data.length &&
      !(this.data[this.pos] === 0xff && this.data[this.pos + 1] >= 0xd0 && this.data[this.pos + 1] <= 0xd7)
    )
      this.pos++;
    if (this.pos + 1 >= this.data.length) throw new Truncated();
    this.pos += 2;
  }
}

/** The value of an s-bit magnitude category (T.81 F.12 EXTEND). */
function extend(v: number, s: number): number {
  return v < 1 << (s - 1) ? v - (1 << s) + 1 : v;
}

/** Decode a JPEG file to 8-bit RGB (greyscale replicated to the three channels). */
export function decodeJpeg(bytes: Uint8Array, file = 'JPEG'): RgbImage {
  if (!isJpeg(bytes)) throw new ImageError(`${file}: not a JPEG file (no SOI marker)`);
  try {
    return decode(bytes, file);
  } catch (e) {
    if (e instanceof Truncated)
      throw new ImageError(`${file}: truncated JPEG: the file ends before the image data does (${bytes.length} bytes)`);
    if (e instanceof ImageError) throw e.message.startsWith(file) ? e : new ImageError(`${file}: ${e.message}`);
    // Bytes we did not foresee must still give a message, not a crash.
    throw new ImageError(`${file}: corrupt JPEG (${(e as Error).message})`);
  }
}

function decode(data: Uint8Array, file: string): RgbImage {
  const quant: Array<Int32Array | undefined> = [];
  const dcTables: Array<HuffmanTable | undefined> = [];
  const acTables: Array<HuffmanTable | undefined> = [];
  let frame: Frame | undefined;
  let restartInterval = 0;
  let adobeTransform: number | undefined;
  let jfif = false;
  let pos = 2;
  const u16 = (p: number) => {
    if (p + 2 > data.length) throw new Truncated();
    return (data[p] << 8) | data[p + 1];
  };
  for (;;) {
    if (pos >= data.length) throw new Truncated();
    if (data[pos] !== 0xff) throw new ImageError(`corrupt JPEG: expected a marker at byte ${pos}`);
    const marker = data[pos + 1];
    if (marker === undefined) throw new Truncated();
    if (marker === 0xff) {
      pos++;
      continue;
    }
    if (marker === 0xd9) break;
    if (marker === 0x01 || (marker >= 0xd0 && marker <= 0xd8)) {
      pos += 2;
      continue;
    }
    const length = u16(pos + 2);
    const end = pos + 2 + length;
    if (length < 2) throw new ImageError(`corrupt JPEG: marker segment of length ${length} at byte ${pos}`);
    if (end > data.length) throw new Truncated();
    const seg = data.subarray(pos + 4, end);
    switch (marker) {
      case 0xdb:
        parseQuant(seg, quant);
        break;
      case 0xc4:
        parseHuffman(seg, dcTables, acTables);
        break;
      case 0xdd:
        restartInterval = u16(pos + 4);
        break;
      case 0xe0:
        if (seg.length >= 5 && String.fromCharCode(...seg.subarray(0, 5)) === 'JFIF\0') jfif = true;
        break;
      case 0xee:
        if (seg.length >= 12 && String.fromCharCode(...seg.subarray(0, 5)) === 'Adobe') adobeTransform = seg[11];
        break;
      case 0xc0:
      case 0xc1:
      case 0xc2:
        if (frame) throw new ImageError('corrupt JPEG: more than one frame');
        frame = parseFrame(seg, marker === 0xc2, file, data.length - end);
        break;
      case 0xc3:
      case 0xc5:
      case 0xc6:
      case 0xc7:
      case 0xc9:
      case 0xca:
      case 0xcb:
      case 0xcd:
      case 0xce:
      case 0xcf:
        throw new ImageError(`unsupported JPEG type (SOF${marker - 0xc0}: lossless, hierarchical or arithmetic-coded)`);
      case 0xda: {
        if (!frame) throw new ImageError('corrupt JPEG: scan before the frame header');
        const reader = new BitReader(data, end);
        decodeScan(frame, seg, reader, dcTables, acTables, restartInterval);
        if (reader.hitEnd) throw new Truncated();
        pos = reader.pos;
        // Skip to the next marker (libjpeg skips stray bytes with a warning).
        while (
          pos + 1 < data.length &&
          !(data[pos] === 0xff && data[pos + 1] !== 0 && !(data[pos + 1] >= 0xd0 && data[pos + 1] <= 0xd7))
        )
          pos++;
        continue;
      }
      default:
        break; // APPn, COM, and anything else with a length: skipped.
    }
    pos = end;
  }
  if (!frame) throw new ImageError('corrupt JPEG: no frame header (SOF)');
  for (const c of frame.components)
    if (!quant[c.tq]) throw new ImageError(`corrupt JPEG: component ${c.id} uses undefined quantisation table ${c.tq}`);
  const planes = frame.components.map((c) => {
    const plane = idctComponent(c, quant[c.tq]!);
    c.coefficients = new Int16Array(0);
    return plane;
  });
  return toRgb(frame, planes, colorTransform(frame, jfif, adobeTransform));
}

function parseQuant(seg: Uint8Array, quant: Array<Int32Array | undefined>): void {
  for (let p = 0; p < seg.length;) {
    const precision = seg[p] >> 4,
      id = seg[p] & 15;
    const size = precision ? 128 : 64;
    if (id > 3 || p + 1 + size > seg.length) throw new ImageError('corrupt JPEG: bad DQT segment');
    const table = new Int32Array(64);
    for (let k = 0; k < 64; k++)
      table[ZIGZAG[k]] = precision ? (seg[p + 1 + 2 * k] << 8) | seg[p + 2 + 2 * k] : seg[p + 1 + k];
    quant[id] = table;
    p += 1 + size;
  }
}

function parseHuffman(seg: Uint8Array, dc: Array<HuffmanTable | undefined>, ac: Array<HuffmanTable | undefined>): void {
  for (let p = 0; p < seg.length;) {
    const cls = seg[p] >> 4,
      id = seg[p] & 15;
    if (p + 17 > seg.length || cls > 1 || id > 3) throw new ImageError('corrupt JPEG: bad DHT segment');
    const counts = seg.subarray(p + 1, p + 17);
    const n = counts.reduce((a, b) => a + b, 0);
    if (n > 256 || p + 17 + n > seg.length) throw new ImageError('corrupt JPEG: bad DHT segment');
    (cls ? ac : dc)[id] = buildHuffman(counts, seg.slice(p + 17, p + 17 + n));
    p += 17 + n;
  }
}

/** Bits a scan must spend per coded block at least: a DC code and an AC end-of-block code (progressive: DC only). */
const MIN_BLOCK_BITS = { sequential: 2, progressive: 1 };

/** Bytes the decoder holds at its peak per coefficient block (int16 coefficients + the plane) and per pixel. */
const BLOCK_BYTES = 64 * 2 + 64;

function parseFrame(seg: Uint8Array, progressive: boolean, file: string, bytesLeft: number): Frame {
  if (seg.length < 6) throw new ImageError('corrupt JPEG: short SOF segment');
  const precision = seg[0];
  const height = (seg[1] << 8) | seg[2],
    width = (seg[3] << 8) | seg[4],
    n = seg[5];
  if (precision !== 8) throw new ImageError(`unsupported JPEG: ${precision}-bit samples`);
  if (height === 0) throw new ImageError('unsupported JPEG: height defined by a DNL marker');
  checkImageSize(width, height, file);
  if (n !== 1 && n !== 3) throw new ImageError(`unsupported JPEG: ${n} colour components${n === 4 ? ' (CMYK)' : ''}`);
  if (seg.length < 6 + 3 * n) throw new ImageError('corrupt JPEG: short SOF segment');
  const raw = Array.from({ length: n }, (_, i) => ({
    id: seg[6 + 3 * i],
    h: seg[7 + 3 * i] >> 4,
    v: seg[7 + 3 * i] & 15,
    tq: seg[8 + 3 * i],
  }));
  for (const c of raw)
    if (c.h < 1 || c.h > 4 || c.v < 1 || c.v > 4 || c.tq > 3)
      throw new ImageError('corrupt JPEG: bad sampling factor or table in SOF');
  const hmax = Math.max(...raw.map((c) => c.h)),
    vmax = Math.max(...raw.map((c) => c.v));
  const mcusWide = Math.ceil(width / (8 * hmax)),
    mcusHigh = Math.ceil(height / (8 * vmax));
  // Every block of every component is coded in some scan: the bytes after the frame header must hold the
  // shortest code of each, or the size is a lie that would allocate and decode from nothing.
  const coded = raw.reduce(
    (n, c) => n + Math.ceil(Math.ceil((width * c.h) / hmax) / 8) * Math.ceil(Math.ceil((height * c.v) / vmax) / 8),
    0,
  );
  const minBits = coded * (progressive ? MIN_BLOCK_BITS.progressive : MIN_BLOCK_BITS.sequential);
  if (minBits > bytesLeft * 8)
    throw new ImageError(
      `corrupt JPEG: a ${width}x${height} frame codes ${coded} blocks, at least ${Math.ceil(minBits / 8)} bytes, ` +
        `but only ${bytesLeft} bytes follow its header`,
    );
  const stored = raw.reduce((n, c) => n + mcusWide * c.h * mcusHigh * c.v, 0);
  const pixels = width * height;
  checkDecodeBytes(Math.max(stored * BLOCK_BYTES, stored * 64 + pixels * (n + 3)), width, height, file);
  const components = raw.map((c): Component => {
    const cw = Math.ceil((width * c.h) / hmax),
      ch = Math.ceil((height * c.v) / vmax);
    const stride = mcusWide * c.h,
      rows = mcusHigh * c.v;
    return {
      ...c,
      width: cw,
      height: ch,
      blocksWide: Math.ceil(cw / 8),
      blocksHigh: Math.ceil(ch / 8),
      stride,
      rows,
      coefficients: new Int16Array(stride * rows * 64),
      pred: 0,
    };
  });
  return { width, height, progressive, components, hmax, vmax, mcusWide, mcusHigh };
}

function decodeScan(
  frame: Frame,
  seg: Uint8Array,
  reader: BitReader,
  dcTables: Array<HuffmanTable | undefined>,
  acTables: Array<HuffmanTable | undefined>,
  restartInterval: number,
): void {
  const n = seg[0];
  if (!n || seg.length < 1 + 2 * n + 3) throw new ImageError('corrupt JPEG: bad SOS segment');
  const comps: Component[] = [];
  for (let i = 0; i < n; i++) {
    const c = frame.components.find((x) => x.id === seg[1 + 2 * i]);
    if (!c) throw new ImageError(`corrupt JPEG: scan uses unknown component ${seg[1 + 2 * i]}`);
    c.dcTable = dcTables[seg[2 + 2 * i] >> 4];
    c.acTable = acTables[seg[2 + 2 * i] & 15];
    comps.push(c);
  }
  const ss = seg[1 + 2 * n],
    se = seg[2 + 2 * n],
    ah = seg[3 + 2 * n] >> 4,
    al = seg[3 + 2 * n] & 15;
  if (!frame.progressive && (ss !== 0 || se !== 63 || ah !== 0 || al !== 0))
    throw new ImageError('corrupt JPEG: bad spectral selection in a sequential scan');
  if (ss > se || se > 63 || (ss === 0 && se !== 0 && frame.progressive) || (ss > 0 && n !== 1))
    throw new ImageError('corrupt JPEG: bad progressive scan parameters');
  const needDc = ss === 0 && ah === 0,
    needAc = se > 0;
  for (const c of comps) {
    if (needDc && !c.dcTable)
      throw new ImageError(`corrupt JPEG: component ${c.id} uses an undefined DC Huffman table`);
    if (needAc && !c.acTable)
      throw new ImageError(`corrupt JPEG: component ${c.id} uses an undefined AC Huffman table`);
    c.pred = 0;
  }
  let eobrun = 0;

  const decodeBlock = (c: Component, offset: number): void => {
    const z = c.coefficients;
    if (!frame.progressive) {
      const s = reader.decode(c.dcTable!);
      c.pred += s ? extend(reader.read(s), s) : 0;
      z[offset] = c.pred;
      for (let k = 1; k < 64; k++) {
        const rs = reader.decode(c.acTable!);
        const r = rs >> 4,
          s2 = rs & 15;
        if (s2) {
          k += r;
          if (k > 63) throw new ImageError('corrupt JPEG: AC coefficient index past 63');
          z[offset + ZIGZAG[k]] = extend(reader.read(s2), s2);
        } else if (r === 15) k += 15;
        else break;
      }
      return;
    }
    if (ss === 0) {
      if (ah === 0) {
        const s = reader.decode(c.dcTable!);
        c.pred += s ? extend(reader.read(s), s) : 0;
        z[offset] = c.pred * (1 << al);
      } else if (reader.read(1)) {
        z[offset] |= 1 << al;
      }
      return;
    }
    if (ah === 0) {
      if (eobrun > 0) {
        eobrun--;
        return;
      }
      for (let k = ss; k <= se; k++) {
        const rs = reader.decode(c.acTable!);
        const r = rs >> 4,
          s = rs & 15;
        if (s) {
          k += r;
          if (k > 63) throw new ImageError('corrupt JPEG: AC coefficient index past 63');
          z[offset + ZIGZAG[k]] = extend(reader.read(s), s) * (1 << al);
        } else if (r < 15) {
          eobrun = (1 << r) - 1 + reader.read(r);
          break;
        } else k += 15;
      }
      return;
    }
    // AC refinement (libjpeg's decode_mcu_AC_refine).
    const p1 = 1 << al,
      m1 = -1 << al;
    let k = ss;
    const refine = (idx: number) => {
      const coef = z[idx];
      if (reader.read(1) && (coef & p1) === 0) z[idx] = coef >= 0 ? coef + p1 : coef + m1;
    };
    if (eobrun === 0) {
      for (; k <= se; k++) {
        const rs = reader.decode(c.acTable!);
        let r = rs >> 4;
        let s = rs & 15;
        if (s) {
          if (s !== 1) throw new ImageError('corrupt JPEG: bad refinement coefficient size');
          s = reader.read(1) ? p1 : m1;
        } else if (r !== 15) {
          eobrun = 1 << r;
          if (r) eobrun += reader.read(r);
          break;
        }
        do {
          const idx = offset + ZIGZAG[k];
          if (z[idx] !== 0) refine(idx);
          else if (--r < 0) break;
          k++;
        } while (k <= se);
        if (s) {
          if (k > 63) throw new ImageError('corrupt JPEG: AC coefficient index past 63');
          z[offset + ZIGZAG[k]] = s;
        }
      }
    }
    if (eobrun > 0) {
      for (; k <= se; k++) {
        const idx = offset + ZIGZAG[k];
        if (z[idx] !== 0) refine(idx);
      }
      eobrun--;
    }
  };

  const single = comps.length === 1;
  const c0 = comps[0];
  const units = single ? c0.blocksWide * c0.blocksHigh : frame.mcusWide * frame.mcusHigh;
  for (let u = 0; u < units; u++) {
    if (restartInterval && u > 0 && u % restartInterval === 0) {
      reader.restart();
      eobrun = 0;
      for (const c of comps) c.pred = 0;
    }
    if (single) {
      const row = Math.floor(u / c0.blocksWide),
        col = u % c0.blocksWide;
      decodeBlock(c0, (row * c0.stride + col) * 64);
    } else {
      const mRow = Math.floor(u / frame.mcusWide),
        mCol = u % frame.mcusWide;
      for (const c of comps) {
        for (let v = 0; v < c.v; v++) {
          for (let h = 0; h < c.h; h++) decodeBlock(c, ((mRow * c.v + v) * c.stride + mCol * c.h + h) * 64);
        }
      }
    }
    if (reader.hitEnd) throw new Truncated();
    if (reader.overrun() > 0)
      throw new ImageError(`corrupt JPEG: the scan's data ends at byte ${reader.pos}, before its last block`);
  }
}

// libjpeg's jidctint.c constants: FIX(x) = round(x * 2^13).
const CONST_BITS = 13,
  PASS1_BITS = 2;
const F0_298 = 2446,
  F0_390 = 3196,
  F0_541 = 4433,
  F0_765 = 6270,
  F0_899 = 7373,
  F1_175 = 9633,
  F1_501 = 12299;
const F1_847 = 15137,
  F1_961 = 16069,
  F2_053 = 16819,
  F2_562 = 20995,
  F3_072 = 25172;

/** libjpeg's post-IDCT range limit: centre on 128, clamp, and wrap wild values the way its table does. */
function rangeLimit(x: number): number {
  const v = ((x + 512) & 1023) - 512 + 128;
  return v < 0 ? 0 : v > 255 ? 255 : v;
}

/**
 * One 1-D pass of libjpeg's islow IDCT on io[o + k*step], k = 0..7, in place, before descaling. All
 * intermediate values are exact integers (doubles, as corrupt data can exceed 32 bits).
 */
function idct1d(io: Float64Array, o: number, step: number): void {
  const i0 = io[o],
    i1 = io[o + step],
    i2 = io[o + 2 * step],
    i3 = io[o + 3 * step];
  const i4 = io[o + 4 * step],
    i5 = io[o + 5 * step],
    i6 = io[o + 6 * step],
    i7 = io[o + 7 * step];
  let z1 = (i2 + i6) * F0_541;
  const t2 = z1 - i6 * F1_847;
  const t3 = z1 + i2 * F0_765;
  const t0 = (i0 + i4) * 8192;
  const t1 = (i0 - i4) * 8192;
  const t10 = t0 + t3,
    t13 = t0 - t3,
    t11 = t1 + t2,
    t12 = t1 - t2;
  z1 = i7 + i1;
  let z2 = i5 + i3,
    z3 = i7 + i3,
    z4 = i5 + i1;
  const z5 = (z3 + z4) * F1_175;
  z1 *= -F0_899;
  z2 *= -F2_562;
  z3 = z3 * -F1_961 + z5;
  z4 = z4 * -F0_390 + z5;
  const o0 = i7 * F0_298 + z1 + z3,
    o1 = i5 * F2_053 + z2 + z4,
    o2 = i3 * F3_072 + z2 + z3,
    o3 = i1 * F1_501 + z1 + z4;
  io[o] = t10 + o3;
  io[o + 7 * step] = t10 - o3;
  io[o + step] = t11 + o2;
  io[o + 6 * step] = t11 - o2;
  io[o + 2 * step] = t12 + o1;
  io[o + 5 * step] = t12 - o1;
  io[o + 3 * step] = t13 + o0;
  io[o + 4 * step] = t13 - o0;
}

// DESCALE(x, n) = (x + 2^(n-1)) >> n of the two passes: n = CONST_BITS - PASS1_BITS, then CONST_BITS + PASS1_BITS + 3.
const PASS1_ROUND = 2 ** (CONST_BITS - PASS1_BITS - 1),
  PASS1_SCALE = 2 ** -(CONST_BITS - PASS1_BITS);
const PASS2_ROUND = 2 ** (CONST_BITS + PASS1_BITS + 2),
  PASS2_SCALE = 2 ** -(CONST_BITS + PASS1_BITS + 3);

/** Dequantise and inverse-DCT every stored block of a component into a sample plane (stride*8 wide). */
function idctComponent(c: Component, q: Int32Array): Uint8Array {
  const planeWidth = c.stride * 8;
  const plane = new Uint8Array(planeWidth * c.rows * 8);
  const ws = new Float64Array(64);
  const z = c.coefficients;
  for (let by = 0; by < c.rows; by++) {
    for (let bx = 0; bx < c.stride; bx++) {
      const off = (by * c.stride + bx) * 64;
      for (let col = 0; col < 8; col++) {
        let ac = 0;
        for (let k = 1; k < 8; k++) ac |= z[off + k * 8 + col];
        if (ac === 0) {
          // Only the DC term: the full pass would give exactly DC << PASS1_BITS in every row.
          const dc = z[off + col] * q[col] * 4;
          for (let r = 0; r < 8; r++) ws[r * 8 + col] = dc;
          continue;
        }
        for (let k = 0; k < 8; k++) ws[k * 8 + col] = z[off + k * 8 + col] * q[k * 8 + col];
        idct1d(ws, col, 8);
        for (let r = 0; r < 8; r++) ws[r * 8 + col] = Math.floor((ws[r * 8 + col] + PASS1_ROUND) * PASS1_SCALE);
      }
      for (let r = 0; r < 8; r++) {
        const w = r * 8;
        idct1d(ws, w, 1);
        const o = (by * 8 + r) * planeWidth + bx * 8;
        for (let x = 0; x < 8; x++) plane[o + x] = rangeLimit(Math.floor((ws[w + x] + PASS2_ROUND) * PASS2_SCALE));
      }
    }
  }
  return plane;
}

/**
 * A component's samples brought to full resolution (width x height of the image), as libjpeg's
 * upsampler does: "fancy" triangle filters for 2x1, 1x2 and 2x2, replication otherwise. Context rows
 * and columns past the component's own size repeat its edge.
 */
function upsample(frame: Frame, c: Component, plane: Uint8Array): Uint8Array {
  const { width, height } = frame;
  const fx = frame.hmax / c.h,
    fy = frame.vmax / c.v;
  const pw = c.stride * 8;
  const out = new Uint8Array(width * height);
  const dw = c.width,
    dh = c.height;
  if (!Number.isInteger(fx) || !Number.isInteger(fy))
    throw new ImageError('unsupported JPEG: non-integral sampling ratio');
  if (fx === 1 && fy === 1) {
    for (let y = 0; y < height; y++) out.set(plane.subarray(y * pw, y * pw + width), y * width);
    return out;
  }
  const horizontalFancy = fx === 2 && dw > 2;
  if (fx === 2 && fy === 1 && horizontalFancy) {
    for (let y = 0; y < height; y++) {
      const row = y * pw;
      for (let x = 0; x < width; x++) {
        const i = x >> 1;
        const cur = plane[row + i];
        if (x & 1) out[y * width + x] = i === dw - 1 ? cur : (cur * 3 + plane[row + i + 1] + 2) >> 2;
        else out[y * width + x] = i === 0 ? cur : (cur * 3 + plane[row + i - 1] + 1) >> 2;
      }
    }
    return out;
  }
  if (fx === 1 && fy === 2) {
    for (let y = 0; y < height; y++) {
      const i = y >> 1;
      const far = y & 1 ? Math.min(i + 1, dh - 1) : Math.max(i - 1, 0);
      const bias = y & 1 ? 2 : 1;
      for (let x = 0; x < width; x++) out[y * width + x] = (plane[i * pw + x] * 3 + plane[far * pw + x] + bias) >> 2;
    }
    return out;
  }
  if (fx === 2 && fy === 2 && horizontalFancy) {
    // Vertical triangle first (3 * nearer row + farther row), then horizontal, with libjpeg's 8/7 biases.
    const sums = new Int32Array(dw);
    for (let y = 0; y < height; y++) {
      const near = (y >> 1) * pw;
      const far = (y & 1 ? Math.min((y >> 1) + 1, dh - 1) : Math.max((y >> 1) - 1, 0)) * pw;
      for (let x = 0; x < dw; x++) sums[x] = plane[near + x] * 3 + plane[far + x];
      const o = y * width;
      const put = (x: number, v: number) => {
        if (x < width) out[o + x] = v;
      };
      put(0, (sums[0] * 4 + 8) >> 4);
      put(1, (sums[0] * 3 + sums[1] + 7) >> 4);
      for (let j = 1; j < dw - 1; j++) {
        const cur = sums[j] * 3;
        put(2 * j, (cur + sums[j - 1] + 8) >> 4);
        put(2 * j + 1, (cur + sums[j + 1] + 7) >> 4);
      }
      put(2 * dw - 2, (sums[dw - 1] * 3 + sums[dw - 2] + 8) >> 4);
      put(2 * dw - 1, (sums[dw - 1] * 4 + 7) >> 4);
    }
    return out;
  }
  for (let y = 0; y < height; y++) {
    const sy = Math.floor(y / fy);
    for (let x = 0; x < width; x++) out[y * width + x] = plane[sy * pw + Math.floor(x / fx)];
  }
  return out;
}

/** libjpeg's rule for the colour space of a 3-component file. */
function colorTransform(frame: Frame, jfif: boolean, adobe: number | undefined): 'ycc' | 'rgb' | 'grey' {
  if (frame.components.length === 1) return 'grey';
  if (jfif) return 'ycc';
  if (adobe !== undefined) return adobe === 0 ? 'rgb' : 'ycc';
  const ids = frame.components.map((c) => c.id).join(',');
  return ids === '82,71,66' ? 'rgb' : 'ycc';
}

// libjpeg's jdcolor.c tables, 16-bit fixed point: FIX(x) = floor(x * 2^16 + 0.5).
const SCALE = 2 ** 16;
const FIX = (x: number) => Math.floor(x * SCALE + 0.5);
const CR_R = new Int32Array(256),
  CB_B = new Int32Array(256),
  CR_G = new Int32Array(256),
  CB_G = new Int32Array(256);
for (let i = 0; i < 256; i++) {
  const x = i - 128;
  CR_R[i] = Math.floor((FIX(1.402) * x + SCALE / 2) / SCALE);
  CB_B[i] = Math.floor((FIX(1.772) * x + SCALE / 2) / SCALE);
  CR_G[i] = -FIX(0.71414) * x;
  CB_G[i] = -FIX(0.34414) * x + SCALE / 2;
}
const clamp8 = (v: number) => (v < 0 ? 0 : v > 255 ? 255 : v);

function toRgb(frame: Frame, planes: Uint8Array[], transform: 'ycc' | 'rgb' | 'grey'): RgbImage {
  const { width, height } = frame;
  const full = frame.components.map((c, i) => upsample(frame, c, planes[i]));
  const out = new Uint8Array(width * height * 3);
  const n = width * height;
  if (transform === 'grey') {
    for (let i = 0; i < n; i++) out[3 * i] = out[3 * i + 1] = out[3 * i + 2] = full[0][i];
  } else if (transform === 'rgb') {
    for (let i = 0; i < n; i++) {
      out[3 * i] = full[0][i];
      out[3 * i + 1] = full[1][i];
      out[3 * i + 2] = full[2][i];
    }
  } else {
    const [Y, Cb, Cr] = full;
    for (let i = 0; i < n; i++) {
      const y = Y[i],
        cb = Cb[i],
        cr = Cr[i];
      out[3 * i] = clamp8(y + CR_R[cr]);
      out[3 * i + 1] = clamp8(y + ((CB_G[cb] + CR_G[cr]) >> 16));
      out[3 * i + 2] = clamp8(y + CB_B[cb]);
    }
  }
  return { width, height, data: out };
}
