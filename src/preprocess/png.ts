// PNG decoder (ISO/IEC 15948): every colour type and bit depth, Adam7 interlace, CRC-checked chunks,
// zlib through the platform's DecompressionStream. The result is what PIL's `.convert('RGB')` gives:
// alpha and tRNS are dropped, low bit depths of grey are scaled to 0..255, 16-bit samples keep their
// high byte, palette indices past the PLTE entries read as black (current Pillow).
import { ImageError } from '../errors';
import { crc32 } from '../common/crc32';
import { checkDecodeBytes, checkImageSize, type RgbImage } from './rgb-image';

const SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
/** Deflate's best case is 258 bytes from a 1-bit code after a few header bits: about 1032 to 1. */
const MAX_INFLATE_RATIO = 1032;

/** Samples per pixel for each colour type: grey, RGB, palette, grey+alpha, RGBA. */
const CHANNELS: Record<number, number> = { 0: 1, 2: 3, 3: 1, 4: 2, 6: 4 };
const ALLOWED_DEPTHS: Record<number, number[]> = {
  0: [1, 2, 4, 8, 16],
  2: [8, 16],
  3: [1, 2, 4, 8],
  4: [8, 16],
  6: [8, 16],
};

/** Adam7 passes: x0, y0, dx, dy. */
const ADAM7 = [
  [0, 0, 8, 8],
  [4, 0, 8, 8],
  [0, 4, 4, 8],
  [2, 0, 4, 4],
  [0, 2, 2, 4],
  [1, 0, 2, 2],
  [0, 1, 1, 2],
];

export function isPng(bytes: Uint8Array): boolean {
  return bytes.length >= 8 && SIGNATURE.every((b, i) => bytes[i] === b);
}

interface Header {
  width: number;
  height: number;
  depth: number;
  colorType: number;
  interlaced: boolean;
}

/** Decode a PNG file to 8-bit RGB. `file` names it in error messages. */
export async function decodePng(bytes: Uint8Array, file = 'PNG'): Promise<RgbImage> {
  if (!isPng(bytes)) throw new ImageError(`${file}: not a PNG file (bad signature)`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let header: Header | undefined;
  let palette: Uint8Array | undefined;
  const idat: Uint8Array[] = [];
  let sawEnd = false;
  for (let pos = 8; !sawEnd;) {
    if (pos + 8 > bytes.length)
      throw new ImageError(
        `${file}: truncated PNG: chunk header at byte ${pos} runs past the end (${bytes.length} bytes)${header ? '' : ' before IHDR'}`,
      );
    const length = view.getUint32(pos);
    const type = String.fromCharCode(...bytes.subarray(pos + 4, pos + 8));
    const end = pos + 12 + length;
    if (end > bytes.length)
      throw new ImageError(
        `${file}: truncated PNG: chunk ${type} at byte ${pos} needs ${length + 12} bytes, only ${bytes.length - pos} left`,
      );
    const data = bytes.subarray(pos + 8, pos + 8 + length);
    if (crc32(bytes.subarray(pos + 4, pos + 8 + length)) !== view.getUint32(pos + 8 + length)) {
      throw new ImageError(`${file}: corrupt PNG: CRC mismatch in chunk ${type} at byte ${pos}`);
    }
    if (!header && type !== 'IHDR') throw new ImageError(`${file}: corrupt PNG: first chunk is ${type}, expected IHDR`);
    switch (type) {
      case 'IHDR':
        header = parseHeader(data, file);
        break;
      case 'PLTE':
        if (length % 3 !== 0 || length === 0 || length > 768)
          throw new ImageError(`${file}: corrupt PNG: PLTE has ${length} bytes`);
        palette = data;
        break;
      case 'IDAT':
        idat.push(data);
        break;
      case 'IEND':
        sawEnd = true;
        break;
      default:
        // Unknown critical chunks (upper-case first letter) change how the image must be read.
        if (type.charCodeAt(0) < 0x61) throw new ImageError(`${file}: unsupported critical PNG chunk ${type}`);
    }
    pos = end;
  }
  if (!header) throw new ImageError(`${file}: corrupt PNG: no IHDR`);
  if (idat.length === 0) throw new ImageError(`${file}: corrupt PNG: no IDAT chunk`);
  if (header.colorType === 3 && !palette) throw new ImageError(`${file}: corrupt PNG: palette image without PLTE`);
  // Check what the header claims against the bytes present and the memory bound before allocating.
  const expected = rawSize(header);
  const compressed = idat.reduce((n, d) => n + d.length, 0);
  if (expected > compressed * MAX_INFLATE_RATIO + 1024)
    throw new ImageError(
      `${file}: corrupt PNG: a ${header.width}x${header.height} image needs ${expected} bytes of image data, ` +
        `more than its ${compressed} compressed bytes can inflate to`,
    );
  checkDecodeBytes(expected + header.width * header.height * 3, header.width, header.height, file);
  const raw = await inflate(idat, expected, file);
  return toRgb(header, raw, palette, file);
}

function parseHeader(data: Uint8Array, file: string): Header {
  if (data.length !== 13) throw new ImageError(`${file}: corrupt PNG: IHDR has ${data.length} bytes, expected 13`);
  const v = new DataView(data.buffer, data.byteOffset, 13);
  const [width, height, depth, colorType] = [v.getUint32(0), v.getUint32(4), data[8], data[9]];
  if (!ALLOWED_DEPTHS[colorType]) throw new ImageError(`${file}: corrupt PNG: colour type ${colorType}`);
  if (!ALLOWED_DEPTHS[colorType].includes(depth))
    throw new ImageError(`${file}: corrupt PNG: bit depth ${depth} with colour type ${colorType}`);
  if (data[10] !== 0 || data[11] !== 0)
    throw new ImageError(`${file}: corrupt PNG: compression ${data[10]} / filter method ${data[11]}`);
  if (data[12] > 1) throw new ImageError(`${file}: corrupt PNG: interlace method ${data[12]}`);
  checkImageSize(width, height, file);
  return { width, height, depth, colorType, interlaced: data[12] === 1 };
}

function rowBytes(h: Header, width: number): number {
  return Math.ceil((width * CHANNELS[h.colorType] * h.depth) / 8);
}

/** The passes of the image as (x0, y0, dx, dy, width, height), empty passes left out. */
function passes(h: Header): number[][] {
  if (!h.interlaced) return [[0, 0, 1, 1, h.width, h.height]];
  return ADAM7.map(([x0, y0, dx, dy]) => [
    x0,
    y0,
    dx,
    dy,
    Math.ceil((h.width - x0) / dx),
    Math.ceil((h.height - y0) / dy),
  ]).filter(([, , , , w, hh]) => w > 0 && hh > 0);
}

/** Filtered bytes the image needs: one filter byte plus the row, for every row of every pass. */
function rawSize(h: Header): number {
  return passes(h).reduce((n, [, , , , w, hh]) => n + hh * (1 + rowBytes(h, w)), 0);
}

/** Inflate the concatenated IDAT data, stopping as soon as `expected` bytes have come out. */
async function inflate(chunks: Uint8Array[], expected: number, file: string): Promise<Uint8Array> {
  const out = new Uint8Array(expected);
  let filled = 0;
  const stream = new Blob(chunks as BlobPart[]).stream().pipeThrough(new DecompressionStream('deflate'));
  const reader = stream.getReader();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      const take = Math.min(value.length, expected - filled);
      out.set(value.subarray(0, take), filled);
      filled += take;
      if (filled === expected) break;
    }
  } catch (e) {
    // A stream that ends early or has junk after the image data still counts if every byte arrived.
    if (filled < expected)
      throw new ImageError(`${file}: corrupt PNG: image data does not inflate (${(e as Error).message})`);
  } finally {
    reader.cancel().catch(() => undefined);
  }
  if (filled < expected)
    throw new ImageError(`${file}: truncated PNG: image data inflates to ${filled} bytes, the image needs ${expected}`);
  return out;
}

/** Undo the scanline filters in place; `bpp` is the filter's byte distance (at least 1). */
function unfilter(raw: Uint8Array, start: number, rows: number, stride: number, bpp: number, file: string): void {
  let prev = -1;
  for (let y = 0; y < rows; y++) {
    const f = raw[start + y * (stride + 1)];
    const line = start + y * (stride + 1) + 1;
    switch (f) {
      case 0:
        break;
      case 1:
        for (let i = bpp; i < stride; i++) raw[line + i] = (raw[line + i] + raw[line + i - bpp]) & 0xff;
        break;
      case 2:
        if (prev >= 0) for (let i = 0; i < stride; i++) raw[line + i] = (raw[line + i] + raw[prev + i]) & 0xff;
        break;
      case 3:
        for (let i = 0; i < stride; i++) {
          const a = i >= bpp ? raw[line + i - bpp] : 0;
          const b = prev >= 0 ? raw[prev + i] : 0;
          raw[line + i] = (raw[line + i] + ((a + b) >> 1)) & 0xff;
        }
        break;
      case 4:
        for (let i = 0; i < stride; i++) {
          const a = i >= bpp ? raw[line + i - bpp] : 0;
          const b = prev >= 0 ? raw[prev + i] : 0;
          const c = i >= bpp && prev >= 0 ? raw[prev + i - bpp] : 0;
          const p = a + b - c;
          const pa = Math.abs(p - a),
            pb = Math.abs(p - b),
            pc = Math.abs(p - c);
          raw[line + i] = (raw[line + i] + (pa <= pb && pa <= pc ? a : pb <= pc ? b : c)) & 0xff;
        }
        break;
      default:
        throw new ImageError(`${file}: corrupt PNG: unknown filter type ${f} on a scanline`);
    }
    prev = line;
  }
}

function toRgb(h: Header, raw: Uint8Array, palette: Uint8Array | undefined, file: string): RgbImage {
  const channels = CHANNELS[h.colorType];
  const bpp = Math.max(1, (channels * h.depth) >> 3);
  const out = new Uint8Array(h.width * h.height * 3);
  const maxSample = (1 << h.depth) - 1;
  // Sample k of a row: 16-bit keeps the high byte; sub-byte depths are packed from the high bit.
  const sample = (line: number, k: number): number => {
    if (h.depth === 8) return raw[line + k];
    if (h.depth === 16) return raw[line + 2 * k];
    const bit = k * h.depth;
    return (raw[line + (bit >> 3)] >> (8 - h.depth - (bit & 7))) & maxSample;
  };
  const greyScale = h.depth < 8 ? 255 / maxSample : 1;
  const paletteRgb = new Uint8Array(256 * 3);
  if (palette) paletteRgb.set(palette);
  let offset = 0;
  for (const [x0, y0, dx, dy, pw, ph] of passes(h)) {
    const stride = rowBytes(h, pw);
    unfilter(raw, offset, ph, stride, bpp, file);
    for (let py = 0; py < ph; py++) {
      const line = offset + py * (stride + 1) + 1;
      let o = ((y0 + py * dy) * h.width + x0) * 3;
      for (let px = 0; px < pw; px++, o += dx * 3) {
        const k = px * channels;
        if (h.colorType === 3) {
          const p = sample(line, k) * 3;
          out[o] = paletteRgb[p];
          out[o + 1] = paletteRgb[p + 1];
          out[o + 2] = paletteRgb[p + 2];
        } else if (channels <= 2) {
          out[o] = out[o + 1] = out[o + 2] = sample(line, k) * greyScale;
        } else {
          out[o] = sample(line, k);
          out[o + 1] = sample(line, k + 1);
          out[o + 2] = sample(line, k + 2);
        }
      }
    }
    offset += ph * (stride + 1);
  }
  return { width: h.width, height: h.height, data: out };
}
