import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ImageError } from '../../src/errors';
import { decodeImage } from '../../src/preprocess/decode';

const dir = new URL('../fixtures/images/', import.meta.url);
const bytesOf = (name: string) => new Uint8Array(readFileSync(new URL(name, dir)));
// What PIL's Image.open(f).convert('RGB') gives for each file (written by make_images.py; PIL uses libjpeg-turbo).
const expected = JSON.parse(readFileSync(new URL('expected.json', dir), 'utf8')) as Record<
  string,
  { width: number; height: number; rgb: string }
>;
const pil = (name: string) => new Uint8Array(Buffer.from(expected[name].rgb, 'base64'));
const jpegs = readdirSync(dir).filter((f) => f.endsWith('.jpg') && f !== 'arithmetic.jpg');

describe('JPEG decoding matches PIL (libjpeg-turbo islow IDCT, fancy upsampling)', () => {
  it('has baseline, progressive, greyscale, 4:2:0, 4:2:2, 4:4:0, RGB, restart and 16-bit-table files', () => {
    expect(jpegs.length).toBeGreaterThanOrEqual(12);
  });

  it.each(jpegs)('%s', async (name) => {
    const img = await decodeImage(bytesOf(name), name);
    expect([img.width, img.height]).toEqual([expected[name].width, expected[name].height]);
    const ref = pil(name);
    let max = 0;
    for (let i = 0; i < ref.length; i++) max = Math.max(max, Math.abs(img.data[i] - ref[i]));
    expect(max, `max abs difference in uint8 levels`).toBe(0);
  });
});

describe('JPEG errors', () => {
  it('every truncation is an ImageError, never a hang or a crash', async () => {
    for (const name of ['baseline420.jpg', 'progressive.jpg', 'restart.jpg']) {
      const good = bytesOf(name);
      for (let cut = 0; cut < good.length - 1; cut++) {
        await expect(decodeImage(good.subarray(0, cut), name), `${name} cut at ${cut}`).rejects.toThrow(ImageError);
      }
    }
  });

  it('corrupted bytes give an image or an ImageError, never another exception', async () => {
    const good = bytesOf('progressive.jpg');
    let seed = 7;
    const rand = () => ((seed = (seed * 1103515245 + 12345) >>> 0) >>> 8) / 2 ** 24;
    for (let trial = 0; trial < 300; trial++) {
      const bad = good.slice();
      for (let k = 0; k < 4; k++) bad[Math.floor(rand() * bad.length)] = Math.floor(rand() * 256);
      try {
        const img = await decodeImage(bad, 'bad.jpg');
        expect(img.data.length).toBe(img.width * img.height * 3);
      } catch (e) {
        expect(e, String(e)).toBeInstanceOf(ImageError);
      }
    }
  });

  it('names what is unsupported', async () => {
    await expect(decodeImage(bytesOf('arithmetic.jpg'), 'a.jpg')).rejects.toThrow(
      /a\.jpg: unsupported JPEG type \(SOF9/,
    );
  });

  it('a frame size beyond the pixel cap is refused before decoding, naming the size', async () => {
    const bomb = bytesOf('baseline420.jpg').slice();
    let pos = 2;
    while (bomb[pos + 1] !== 0xc0) pos += 2 + ((bomb[pos + 2] << 8) | bomb[pos + 3]);
    bomb.set([0xff, 0xff, 0xff, 0xff], pos + 5);
    await expect(decodeImage(bomb, 'big.jpg')).rejects.toThrow(/big\.jpg: image is 65535x65535/);
  });
});
