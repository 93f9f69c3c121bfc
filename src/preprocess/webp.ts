// WebP container (RFC 9649, "WebP Container Specification": RIFF chunks): simple lossy (VP8), simple lossless
// (VP8L) and extended (VP8X) files, to 8-bit RGB as PIL's `.convert('RGB')` gives it, like the PNG and JPEG
// decoders.
// - Lossy frames (vp8.ts) are converted from BT.601 limited-range Y'CbCr with bilinear ("fancy") chroma
//   upsampling, as libwebp and browsers do; our rounding differs from libwebp's fixed point by a level or two.
// - Alpha is dropped, not composited: a VP8L frame's alpha channel and a VP8X file's ALPH chunk do not
//   change RGB. The ALPH chunk's header is checked; its plane is not decoded.
// - Animated WebP is refused by name: its first frame is a sub-rectangle composited onto a canvas, which
//   is not the picture a user meant to send to an image model.
// Sizes are checked before allocating: chunk and partition sizes against the bytes present, a VP8 frame's
// macroblock count against its first partition; a VP8L image, which can rightly code millions of pixels in
// a few bytes, against the pixel limit of rgb-image.ts.
import { ImageError } from '../errors';
import { checkImageSize, type RgbImage } from './rgb-image';
import { decodeVp8, isVp8, vp8Size, type Vp8Frame } from './vp8';
import { decodeVp8l, isVp8l, vp8lSize } from './vp8l';

const ascii = (bytes: Uint8Array, at: number) => String.fromCharCode(...bytes.subarray(at, at + 4));
const u32 = (b: Uint8Array, at: number) => (b[at] | (b[at + 1] << 8) | (b[at + 2] << 16) | (b[at + 3] << 24)) >>> 0;
const u24 = (b: Uint8Array, at: number) => b[at] | (b[at + 1] << 8) | (b[at + 2] << 16);

export function isWebp(bytes: Uint8Array): boolean {
  return bytes.length >= 12 && ascii(bytes, 0) === 'RIFF' && ascii(bytes, 8) === 'WEBP';
}

interface Chunk {
  fourcc: string;
  /** Offset of the chunk header in the file. */
  at: number;
  payload: Uint8Array;
}

/** The chunks of a RIFF WEBP file, each checked to lie inside the RIFF size and the bytes present. */
function readChunks(bytes: Uint8Array, fail: (message: string) => never): Chunk[] {
  const riffEnd = 8 + u32(bytes, 4);
  if (riffEnd < 12 + 8) fail(`RIFF size ${riffEnd - 8} leaves no room for a chunk`);
  if (riffEnd > bytes.length)
    fail(`truncated: the RIFF header declares ${riffEnd} bytes, the file has ${bytes.length}`);
  const chunks: Chunk[] = [];
  for (let at = 12; at + 8 <= riffEnd;) {
    const size = u32(bytes, at + 4);
    const end = at + 8 + size;
    if (end > riffEnd)
      fail(
        `chunk ${JSON.stringify(ascii(bytes, at))} at byte ${at} declares ${size} bytes, only ${riffEnd - at - 8} left`,
      );
    chunks.push({ fourcc: ascii(bytes, at), at, payload: bytes.subarray(at + 8, end) });
    at = end + (size & 1);
  }
  return chunks;
}

/** Decode a WebP file to 8-bit RGB. `file` names it in error messages. */
export function decodeWebp(bytes: Uint8Array, file = 'WebP'): RgbImage {
  const fail = (message: string): never => {
    throw new ImageError(`${file}: invalid WebP file: ${message}`);
  };
  if (!isWebp(bytes)) fail('no RIFF....WEBP signature');
  const chunks = readChunks(bytes, fail);
  const first = chunks[0];
  let image = first;
  let canvas: [number, number] | undefined;
  if (first.fourcc === 'VP8X') {
    const p = first.payload;
    if (p.length < 10) fail(`VP8X chunk of ${p.length} bytes (needs 10)`);
    if (p[0] & 0x02 || chunks.some((c) => c.fourcc === 'ANIM' || c.fourcc === 'ANMF'))
      throw new ImageError(
        `${file}: animated WebP is not supported; save the frame you want as a still image (PNG, JPEG or WebP)`,
      );
    canvas = [u24(p, 4) + 1, u24(p, 7) + 1];
    checkImageSize(canvas[0], canvas[1], file);
    image =
      chunks.find((c) => c.fourcc === 'VP8 ' || c.fourcc === 'VP8L') ??
      fail('extended (VP8X) file without a VP8 or VP8L image chunk');
    const alpha = chunks.find((c) => c.fourcc === 'ALPH');
    if (alpha && image.fourcc === 'VP8 ') checkAlphaHeader(alpha, fail);
  }
  let rgb: RgbImage;
  if (image.fourcc === 'VP8 ') {
    if (!isVp8(image.payload)) fail('VP8 chunk without a key-frame header');
    sameSize(vp8Size(image.payload), canvas, fail);
    rgb = yuvToRgb(decodeVp8(image.payload, file));
  } else if (image.fourcc === 'VP8L') {
    if (!isVp8l(image.payload)) fail('VP8L chunk without the 0x2f signature');
    sameSize(vp8lSize(image.payload), canvas, fail);
    rgb = argbToRgb(decodeVp8l(image.payload, file));
  } else return fail(`first chunk is ${JSON.stringify(first.fourcc)}, not VP8, VP8L or VP8X`);
  return rgb;
}

function sameSize(frame: [number, number], canvas: [number, number] | undefined, fail: (m: string) => never): void {
  if (canvas && (frame[0] !== canvas[0] || frame[1] !== canvas[1]))
    fail(`image is ${frame[0]}x${frame[1]} but the VP8X canvas is ${canvas[0]}x${canvas[1]}`);
}

/** ALPH header byte: reserved (2 bits), pre-processing (2), filtering (2), compression (2, 0 raw or 1 VP8L). */
function checkAlphaHeader(alpha: Chunk, fail: (m: string) => never): void {
  if (alpha.payload.length < 1) fail('empty ALPH chunk');
  const h = alpha.payload[0];
  if (h >> 6 || ((h >> 4) & 3) > 1 || (h & 3) > 1) fail(`ALPH chunk header 0x${h.toString(16)} is not valid`);
}

function argbToRgb({ width, height, argb }: { width: number; height: number; argb: Uint32Array }): RgbImage {
  const data = new Uint8Array(width * height * 3);
  for (let i = 0, j = 0; i < argb.length; i++, j += 3) {
    data[j] = argb[i] >>> 16;
    data[j + 1] = argb[i] >>> 8;
    data[j + 2] = argb[i];
  }
  return { width, height, data };
}

// BT.601 limited range (what VP8 carries): R = 1.164 (Y - 16) + 1.596 (V - 128), and so on; terms in 16.16
// fixed point, rounded to nearest at the end.
const fixed = (k: number, offset: number) =>
  Int32Array.from({ length: 256 }, (_, x) => Math.round(k * (x - offset) * 65536));
const Y_TERM = fixed(1.164383, 16);
const V_TO_R = fixed(1.596027, 128);
const U_TO_G = fixed(-0.391762, 128);
const V_TO_G = fixed(-0.812968, 128);
const U_TO_B = fixed(2.017232, 128);
const toByte = (x: number) => (x <= -32768 ? 0 : x >= 255 * 65536 - 32768 ? 255 : (x + 32768) >> 16);

/**
 * Y'CbCr 4:2:0 to RGB. Each chroma sample sits between its 2x2 luma pixels, so a luma pixel's chroma is
 * (9 nearest + 3 horizontal + 3 vertical + 1 diagonal neighbour) / 16, edges repeated.
 */
export function yuvToRgb(f: Vp8Frame): RgbImage {
  const { width, height } = f;
  const cw = (width + 1) >> 1;
  const ch = (height + 1) >> 1;
  const data = new Uint8Array(width * height * 3);
  const uRow = new Uint16Array(width);
  const vRow = new Uint16Array(width);
  for (let y = 0; y < height; y++) {
    const near = y >> 1;
    const far = y & 1 ? Math.min(near + 1, ch - 1) : Math.max(near - 1, 0);
    for (let x = 0; x < width; x++) {
      const n = x >> 1;
      const fx = x & 1 ? Math.min(n + 1, cw - 1) : Math.max(n - 1, 0);
      const a = near * cw + n;
      const b = near * cw + fx;
      const c = far * cw + n;
      const d = far * cw + fx;
      uRow[x] = (9 * f.u[a] + 3 * f.u[b] + 3 * f.u[c] + f.u[d] + 8) >> 4;
      vRow[x] = (9 * f.v[a] + 3 * f.v[b] + 3 * f.v[c] + f.v[d] + 8) >> 4;
    }
    for (let x = 0, i = y * width, j = i * 3; x < width; x++, i++, j += 3) {
      const yy = Y_TERM[f.y[i]];
      data[j] = toByte(yy + V_TO_R[vRow[x]]);
      data[j + 1] = toByte(yy + U_TO_G[uRow[x]] + V_TO_G[vRow[x]]);
      data[j + 2] = toByte(yy + U_TO_B[uRow[x]]);
    }
  }
  return { width, height, data };
}
