import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ImageError } from '../../src/errors';
import { decodeImage } from '../../src/preprocess/decode';
import { decodePng } from '../../src/preprocess/png';
import { MAX_IMAGE_PIXELS, rgbaToRgb } from '../../src/preprocess/rgb-image';

const dir = new URL('../fixtures/images/', import.meta.url);
const bytesOf = (name: string) => new Uint8Array(readFileSync(new URL(name, dir)));
// What PIL's Image.open(f).convert('RGB') gives for each file (written by make_images.py).
const expected = JSON.parse(readFileSync(new URL('expected.json', dir), 'utf8')) as Record<
  string,
  { mode: string; width: number; height: number; rgb: string; rgb_msb?: string }
>;
const pil = (name: string) => new Uint8Array(Buffer.from(expected[name].rgb_msb ?? expected[name].rgb, 'base64'));
const pngs = readdirSync(dir).filter((f) => f.endsWith('.png'));

/** Re-chunk a PNG: returns [offset, type] of every chunk. */
function chunks(bytes: Uint8Array): Array<[number, string]> {
  const out: Array<[number, string]> = [];
  const v = new DataView(bytes.buffer, bytes.byteOffset);
  for (let pos = 8; pos < bytes.length; pos += 12 + v.getUint32(pos))
    out.push([pos, String.fromCharCode(...bytes.subarray(pos + 4, pos + 8))]);
  return out;
}

describe('PNG decoding matches PIL convert("RGB")', () => {
  it('has every kind of test image', () => {
    expect(pngs.length).toBeGreaterThanOrEqual(22);
    expect(new Set(pngs.map((f) => expected[f].mode))).toEqual(new Set(['1', 'L', 'I', 'P', 'RGB', 'LA', 'RGBA']));
  });

  it.each(pngs.filter((f) => f !== 'palette8-short.png'))('%s', async (name) => {
    const img = await decodeImage(bytesOf(name), name);
    expect([img.width, img.height]).toEqual([expected[name].width, expected[name].height]);
    expect(img.data).toEqual(pil(name));
  });

  it('16-bit grey keeps the high byte (PIL would clip it to 255 instead)', async () => {
    const img = await decodeImage(bytesOf('grey16.png'));
    const clipped = new Uint8Array(Buffer.from(expected['grey16.png'].rgb, 'base64'));
    expect(img.data).not.toEqual(clipped);
    expect(img.data).toEqual(pil('grey16.png'));
  });

  it('reads palette indices past the PLTE entries as black (Pillow 9.4 used a grey ramp there)', async () => {
    const img = await decodeImage(bytesOf('palette8-short.png'));
    const ref = pil('palette8-short.png');
    let outside = 0;
    for (let i = 0; i < ref.length; i += 3) {
      const greyRamp = ref[i] === ref[i + 1] && ref[i] === ref[i + 2] && ref[i] >= 4 && ref[i] < 8;
      if (greyRamp) {
        outside++;
        expect(Array.from(img.data.subarray(i, i + 3))).toEqual([0, 0, 0]);
      } else expect(Array.from(img.data.subarray(i, i + 3))).toEqual(Array.from(ref.subarray(i, i + 3)));
    }
    expect(outside).toBeGreaterThan(0);
  });

  it('decodes the fixture image (151x100 RGB)', async () => {
    const img = await decodeImage(new Uint8Array(readFileSync(new URL('../fixtures/tiny/image.png', import.meta.url))));
    expect([img.width, img.height, img.data.length]).toEqual([151, 100, 151 * 100 * 3]);
  });
});

describe('PNG errors', () => {
  const good = bytesOf('rgb8-adam7.png');

  it('every truncation is an ImageError', async () => {
    for (let cut = 0; cut < good.length; cut++) {
      await expect(decodeImage(good.subarray(0, cut)), `cut at ${cut}`).rejects.toThrow(ImageError);
    }
  });

  it('a CRC mismatch names the chunk', async () => {
    const bad = good.slice();
    const [pos] = chunks(bad).find(([, t]) => t === 'IDAT')!;
    bad[pos + 10] ^= 0x40;
    await expect(decodePng(bad, 'x.png')).rejects.toThrow(/x\.png: corrupt PNG: CRC mismatch in chunk IDAT/);
  });

  it('a declared size beyond the pixel cap is refused before inflating, naming the size', async () => {
    const bomb = good.slice();
    const v = new DataView(bomb.buffer);
    v.setUint32(16, 100_000);
    v.setUint32(20, 100_000);
    // Fix the IHDR CRC so only the size check can fail.
    const { crc32Of } = await import('./png-helpers');
    v.setUint32(29, crc32Of(bomb.subarray(12, 29)));
    await expect(decodePng(bomb, 'bomb.png')).rejects.toThrow(
      /bomb\.png: image is 100000x100000 \(10000\.0 megapixels\), more than the 64 megapixels/,
    );
    expect(MAX_IMAGE_PIXELS).toBe(64_000_000);
  });

  it('an image that is not PNG, JPEG or WebP is refused, by name where we know the format', async () => {
    await expect(decodeImage(new TextEncoder().encode('GIF89a....'), 'a.gif')).rejects.toThrow(
      /a\.gif: GIF images are not supported here; convert it to PNG, JPEG or WebP/,
    );
    await expect(decodeImage(new Uint8Array(0), 'empty')).rejects.toThrow(/empty file/);
  });
});

describe('RGBA input', () => {
  it('drops alpha without compositing, as PIL convert("RGB") does', () => {
    const img = rgbaToRgb(2, 1, new Uint8ClampedArray([10, 20, 30, 0, 40, 50, 60, 128]));
    expect(Array.from(img.data)).toEqual([10, 20, 30, 40, 50, 60]);
    expect(() => rgbaToRgb(2, 2, new Uint8Array(8))).toThrow(ImageError);
  });
});

describe('PNG image data that does not inflate', () => {
  it('is an ImageError even when the chunk CRCs are right', async () => {
    const { crc32Of } = await import('./png-helpers');
    const good = bytesOf('rgb8.png');
    const out = good.slice();
    const v = new DataView(out.buffer);
    for (const [pos, type] of chunks(out)) {
      if (type !== 'IDAT') continue;
      const len = v.getUint32(pos);
      out.fill(0xff, pos + 10, pos + 8 + len); // keep the zlib header of the first IDAT, garble the rest
      v.setUint32(pos + 8 + len, crc32Of(out.subarray(pos + 4, pos + 8 + len)));
    }
    await expect(decodePng(out, 'garbled.png')).rejects.toThrow(/garbled\.png: (corrupt|truncated) PNG: image data/);
  });
});
