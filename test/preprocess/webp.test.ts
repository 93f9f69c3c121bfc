// WebP decoding against libwebp's dwebp (1.2.4, `-nodither`), whose outputs sit beside each fixture in
// test/fixtures/images/webp/: NAME.png (RGB(A)) and, for lossy files, NAME.yuv (the raw Y, U, V planes).
// Lossless must match exactly. Lossy: the VP8 planes must match exactly (the RFC fixes every bit); RGB may
// differ by one level per channel (our BT.601 rounding and chroma upsampling versus libwebp's fixed point).
import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ImageError } from '../../src/errors';
import { decodeImage } from '../../src/preprocess/decode';
import { loadBrowserImage } from '../../src/preprocess/image-browser';
import { decodeVp8 } from '../../src/preprocess/vp8';
import { decodeVp8l } from '../../src/preprocess/vp8l';
import { decodeWebp } from '../../src/preprocess/webp';
import { maxDiff } from '../support/max-diff';

const dir = new URL('../fixtures/images/webp/', import.meta.url);
const read = (name: string) => new Uint8Array(readFileSync(new URL(name, dir)));
const stills = readdirSync(dir).filter((f) => f.endsWith('.webp') && f !== 'animated.webp');
const lossy = stills.filter((f) => f.startsWith('lossy'));
const lossless = stills.filter((f) => f.startsWith('lossless'));

const u32 = (b: Uint8Array, at: number) => (b[at] | (b[at + 1] << 8) | (b[at + 2] << 16) | (b[at + 3] << 24)) >>> 0;
/** The payload of the first chunk named `fourcc`. */
function chunk(bytes: Uint8Array, fourcc: string): Uint8Array {
  for (let at = 12; at + 8 <= bytes.length; at += 8 + u32(bytes, at + 4) + (u32(bytes, at + 4) & 1))
    if (String.fromCharCode(...bytes.subarray(at, at + 4)) === fourcc)
      return bytes.subarray(at + 8, at + 8 + u32(bytes, at + 4));
  throw new Error(`no ${fourcc} chunk`);
}
/** A RIFF WEBP file of the given chunks. */
function riff(...chunks: Array<[string, Uint8Array]>): Uint8Array {
  const parts = chunks.flatMap(([fourcc, payload]) => {
    const head = new Uint8Array(8);
    head.set(new TextEncoder().encode(fourcc));
    new DataView(head.buffer).setUint32(4, payload.length, true);
    return [head, payload, new Uint8Array(payload.length & 1)];
  });
  const body = Buffer.concat([new TextEncoder().encode('WEBP'), ...parts]);
  const head = Buffer.alloc(8);
  head.write('RIFF');
  head.writeUInt32LE(body.length, 4);
  return new Uint8Array(Buffer.concat([head, body]));
}
const withRiffSize = (bytes: Uint8Array) => {
  const out = bytes.slice();
  new DataView(out.buffer).setUint32(4, out.length - 8, true);
  return out;
};

describe('WebP lossless (VP8L) is exact', () => {
  it('covers every transform, pixel bundling, alpha, and the simple and extended containers', () => {
    expect(lossless.length).toBeGreaterThanOrEqual(8);
  });

  it.each(lossless)('%s', async (name) => {
    const ref = await decodeImage(read(name.replace('.webp', '.png')));
    const img = decodeWebp(read(name), name);
    expect([img.width, img.height]).toEqual([ref.width, ref.height]);
    expect(img.data).toEqual(ref.data);
  });

  it('keeps alpha in the ARGB it decodes (the RGB result drops it, as PIL convert("RGB") does)', () => {
    const { argb } = decodeVp8l(chunk(read('lossless-alpha-33x21.webp'), 'VP8L'));
    const alphas = new Set(Array.from(argb, (p) => p >>> 24));
    expect(alphas.has(0) && alphas.has(255) && alphas.size > 10).toBe(true);
  });
});

describe('WebP lossy (VP8)', () => {
  it.each(lossy)('%s: Y, U, V exact; RGB within one level of dwebp', async (name) => {
    const bytes = read(name);
    const frame = decodeVp8(chunk(bytes, 'VP8 '), name);
    const planes = Buffer.concat([frame.y, frame.u, frame.v]);
    // For files with alpha, dwebp appends the alpha plane: compare what precedes it.
    expect(planes).toEqual(Buffer.from(read(name.replace('.webp', '.yuv')).subarray(0, planes.length)));
    const ref = await decodeImage(read(name.replace('.webp', '.png')));
    const img = await decodeImage(bytes, name);
    expect([img.width, img.height]).toEqual([ref.width, ref.height]);
    expect(maxDiff(img.data, ref.data)).toBeLessThanOrEqual(1);
  });

  it('reads odd sizes, both loop filters, no filter, segments and an ALPH chunk', () => {
    expect(lossy).toEqual(
      expect.arrayContaining([
        'lossy-q10-17x13.webp',
        'lossy-simple-64x48.webp',
        'lossy-strong-64x48.webp',
        'lossy-nofilter-33x21.webp',
        'lossy-alpha-filtered-33x21.webp',
      ]),
    );
  });
});

describe('WebP in the browser loader', () => {
  it('decodes a WebP Blob with our decoder, as in Node', async () => {
    const bytes = read('lossy-strong-64x48.webp');
    expect(await loadBrowserImage(new Blob([bytes]))).toEqual(await decodeImage(bytes));
  });
});

describe('formats we refuse are named', () => {
  const cases: Array<[string, number[] | string, RegExp]> = [
    ['a.gif', 'GIF89a\x01\x00\x01\x00', /a\.gif: GIF images are not supported here; convert it to PNG, JPEG or WebP/],
    ['a.bmp', [0x42, 0x4d, 0x3a, 0, 0, 0, 0, 0, 0, 0, 0x36, 0, 0, 0, 40, 0, 0, 0], /BMP images are not supported/],
    ['a.tif', 'II*\x00\x08\x00\x00\x00', /TIFF images are not supported/],
    ['b.tif', 'MM\x00*\x00\x00\x00\x08', /TIFF images are not supported/],
    ['a.avif', '\x00\x00\x00\x1cftypavif\x00\x00\x00\x00avifmif1', /AVIF images are not supported/],
    ['a.heic', '\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic', /HEIC\/HEIF images are not supported/],
    ['a.avi', 'RIFF\x04\x00\x00\x00AVI LIST', /RIFF "AVI " \(not WebP\) images are not supported/],
  ];
  it.each(cases)('%s', async (name, head, message) => {
    const bytes = typeof head === 'string' ? Uint8Array.from(head, (c) => c.charCodeAt(0)) : Uint8Array.from(head);
    await expect(decodeImage(bytes, name)).rejects.toThrow(message);
    await expect(decodeImage(bytes, name)).rejects.toBeInstanceOf(ImageError);
  });

  it('animated WebP is refused by name', async () => {
    await expect(decodeImage(read('animated.webp'), 'anim.webp')).rejects.toThrow(
      /anim\.webp: animated WebP is not supported; save the frame you want as a still image/,
    );
  });
});

describe('malformed WebP gives a one-line ImageError, never a hang or a TypeError', () => {
  const expectImageErrorOrImage = (bytes: Uint8Array) => {
    try {
      const img = decodeWebp(bytes, 'bad.webp');
      expect(img.data.length).toBe(img.width * img.height * 3);
    } catch (e) {
      expect(e).toBeInstanceOf(ImageError);
      expect((e as Error).message).toMatch(/^bad\.webp: [^\n]+$/);
    }
  };

  it('a file cut short is refused by its RIFF size', () => {
    const bytes = read('lossless-pal11.webp');
    for (let n = 0; n < bytes.length; n++) {
      expect(() => decodeWebp(bytes.subarray(0, n), 'cut.webp')).toThrow(ImageError);
    }
  });

  it.each(['lossy-q50-17x13.webp', 'lossless-z0-17x13.webp', 'lossy-alpha-33x21.webp'])(
    '%s cut short with a consistent RIFF size, and with random bytes changed',
    (name) => {
      const bytes = read(name);
      for (let n = 12; n < bytes.length; n += 3) expectImageErrorOrImage(withRiffSize(bytes.slice(0, n)));
      let seed = 7;
      const rand = (k: number) => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) >>> 8) % k;
      for (let trial = 0; trial < 300; trial++) {
        const bad = bytes.slice();
        for (let k = 1 + rand(4); k > 0; k--) bad[12 + rand(bad.length - 12)] = rand(256);
        expectImageErrorOrImage(bad);
      }
    },
  );

  it('truncated entropy-coded data is reported, not decoded from invented bytes', () => {
    const vp8l = chunk(read('lossless-z9-64x48.webp'), 'VP8L');
    expect(() => decodeVp8l(vp8l.subarray(0, vp8l.length >> 1), 'half.webp')).toThrow(/truncated WebP lossless/);
    const vp8 = chunk(read('lossy-q30-97x61.webp'), 'VP8 ');
    expect(() => decodeVp8(vp8.subarray(0, vp8.length >> 1), 'half.webp')).toThrow(/ends inside macroblock row/);
  });

  it('a declared size beyond the pixel limit is refused before allocating', () => {
    const header = Uint8Array.of(0x2f, 0xff, 0xff, 0xff, 0x0f); // 16384 x 16384 lossless
    expect(() => decodeWebp(riff(['VP8L', header]), 'huge.webp')).toThrow(/megapixels/);
  });

  it('a VP8X canvas that does not match the image is refused', () => {
    const vp8l = chunk(read('lossless-pal4.webp'), 'VP8L');
    const vp8x = Uint8Array.of(0, 0, 0, 0, 9, 0, 0, 9, 0, 0);
    expect(() => decodeWebp(riff(['VP8X', vp8x], ['VP8L', vp8l]), 'x.webp')).toThrow(/VP8X canvas is 10x10/);
  });
});
