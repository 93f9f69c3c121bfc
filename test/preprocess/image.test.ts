import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { readSafetensors } from '../../src/checkpoint/safetensors';
import { decodeImage } from '../../src/preprocess/decode';
import { CLIP_MEAN, CLIP_STD } from '../../src/common/clip-normalize';
import { geometry, pixelValues, preprocessImage } from '../../src/preprocess/image';

const fixture = (p: string) => new Uint8Array(readFileSync(new URL(`../fixtures/${p}`, import.meta.url)));

function errors(a: Float32Array, b: Float32Array): { max: number; mean: number } {
  expect(a.length).toBe(b.length);
  let max = 0,
    sum = 0;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i] - b[i]);
    max = Math.max(max, d);
    sum += d;
  }
  return { max, mean: sum / a.length };
}

describe('hf mode against the golden fixtures (image.png -> png_pixel_values*)', () => {
  it.each([
    ['tiny', 'png_pixel_values', 32],
    ['tiny', 'png_pixel_values_288', 288],
    ['small', 'png_pixel_values', 64],
  ] as const)('%s %s (S=%d)', async (name, tensor, size) => {
    const image = await decodeImage(fixture(`${name}/image.png`));
    const ref = readSafetensors(fixture(`${name}/inputs.safetensors`), 'inputs.safetensors').get(tensor)!;
    expect(ref.shape).toEqual([1, 3, size, size]);
    const e = errors(preprocessImage(image, { size, mode: 'hf' }), ref.data as Float32Array);
    expect(e).toEqual({ max: 0, mean: 0 });
  });
});

describe('hf mode against the demo model eval/pixel_values.safetensors', () => {
  const ref = readSafetensors(fixture('demo-model/eval/pixel_values.safetensors'), 'pixel_values.safetensors');
  const meta = JSON.parse(new TextDecoder().decode(fixture('demo-model/eval/images.json'))) as Array<{
    image: string;
    width: number;
    height: number;
    resized_hw: [number, number];
    crop_top_left: [number, number];
  }>;

  it('covers all 32 images', () => expect(meta.length).toBe(32));

  it.each(meta.map((m) => [m.image, m] as const))('%s', async (_, m) => {
    const image = await decodeImage(fixture(`demo-model/eval/${m.image}`), m.image);
    expect([image.width, image.height]).toEqual([m.width, m.height]);
    const g = geometry(image.width, image.height, { size: 64, mode: 'hf' });
    expect([g.resizedHeight, g.resizedWidth, g.top, g.left]).toEqual([...m.resized_hw, ...m.crop_top_left]);
    const e = errors(preprocessImage(image, { size: 64, mode: 'hf' }), ref.get(m.image)!.data as Float32Array);
    expect(e).toEqual({ max: 0, mean: 0 });
  });
});

describe('blip and clip modes against PIL + torchvision (uint8 windows from make_images.py)', () => {
  const cases = JSON.parse(new TextDecoder().decode(fixture('images/preprocess_expected.json'))) as Array<{
    file: string;
    size: number;
    clip_geometry: number[];
    blip: string;
    clip: string;
  }>;
  /** torchvision ToTensor + Normalize in float32 on a uint8 HWC window, laid out CHW. */
  const normalise = (hwc: Uint8Array, S: number) => {
    const f = Math.fround;
    const out = new Float32Array(3 * S * S);
    for (let c = 0; c < 3; c++)
      for (let i = 0; i < S * S; i++)
        out[c * S * S + i] = f(f(f(hwc[i * 3 + c] / 255) - f(CLIP_MEAN[c])) / f(CLIP_STD[c]));
    return out;
  };

  it.each(cases.map((c) => [c.file, c.size, c] as const))('%s S=%d', async (file, size, c) => {
    const image = await decodeImage(fixture(`images/${file}`), file);
    const g = geometry(image.width, image.height, { size, mode: 'clip' });
    expect([g.resizedHeight, g.resizedWidth, g.top, g.left]).toEqual(c.clip_geometry);
    for (const mode of ['blip', 'clip'] as const) {
      const ref = normalise(new Uint8Array(Buffer.from(c[mode], 'base64')), size);
      expect(errors(preprocessImage(image, { size, mode }), ref), mode).toEqual({ max: 0, mean: 0 });
    }
  });
});

describe('geometry by hand', () => {
  it('clip: short side S, long side truncated, crop offsets rounded half to even', () => {
    // 151x100, S=50: long = int(50*151/100) = 75, left = round(12.5) = 12.
    expect(geometry(151, 100, { size: 50, mode: 'clip' })).toEqual({
      resizedWidth: 75,
      resizedHeight: 50,
      top: 0,
      left: 12,
    });
    // 100x150, S=47: long = int(70.5) = 70, top = round(11.5) = 12.
    expect(geometry(100, 150, { size: 47, mode: 'clip' })).toEqual({
      resizedWidth: 47,
      resizedHeight: 70,
      top: 12,
      left: 0,
    });
    // 13x7, S=5: long = int(9.28) = 9, left = round(2) = 2.
    expect(geometry(13, 7, { size: 5, mode: 'clip' })).toEqual({ resizedWidth: 9, resizedHeight: 5, top: 0, left: 2 });
    // 99x100, S=10: long = int(10*100/99) = 10.
    expect(geometry(99, 100, { size: 10, mode: 'clip' })).toEqual({
      resizedWidth: 10,
      resizedHeight: 10,
      top: 0,
      left: 0,
    });
  });

  it('blip: squash to S x S', () => {
    expect(geometry(151, 100, { size: 37, mode: 'blip' })).toEqual({
      resizedWidth: 37,
      resizedHeight: 37,
      top: 0,
      left: 0,
    });
  });

  it('hf: shortest edge, cap at int(1333/800*S), round, floor to 32, centre crop', () => {
    expect(geometry(151, 100, { size: 64, mode: 'hf' })).toEqual({
      resizedWidth: 96,
      resizedHeight: 64,
      top: 0,
      left: 16,
    });
    // 300x100 at S=64: 192x64 capped at 106 -> 106x35.3 -> 106x35 -> 96x32, padded 16 rows above.
    expect(geometry(300, 100, { size: 64, mode: 'hf' })).toEqual({
      resizedWidth: 96,
      resizedHeight: 32,
      top: -16,
      left: 16,
    });
    // 400x100: 106x26.5 -> 106x27 -> 96x0: nothing left to resize to.
    expect(() => geometry(400, 100, { size: 64, mode: 'hf' })).toThrow(/400x100 .* resizes to 96x0/);
    // S not a multiple of 32: the short side floors below S and HF pads with zeros, ceil((S - side)/2) before.
    expect(geometry(151, 100, { size: 100, mode: 'hf' })).toEqual({
      resizedWidth: 128,
      resizedHeight: 96,
      top: -2,
      left: 14,
    });
    expect(geometry(64, 64, { size: 33, mode: 'hf' })).toEqual({
      resizedWidth: 32,
      resizedHeight: 32,
      top: -1,
      left: -1,
    });
    expect(() => geometry(64, 64, { size: 16, mode: 'hf' })).toThrow(/at least 32/);
    expect(() => geometry(64, 64, { size: 64, mode: 'x' as never })).toThrow(/unknown mode "x"/);
  });

  it('hf pads with zero pixels, normalised to -mean/std', () => {
    const image = { width: 64, height: 64, data: new Uint8Array(64 * 64 * 3).fill(255) };
    const out = preprocessImage(image, { size: 33, mode: 'hf' });
    const f = Math.fround;
    for (let c = 0; c < 3; c++) {
      const pad = f(f(0 - f(CLIP_MEAN[c])) / f(CLIP_STD[c]));
      const white = f(f(f(255 * (1 / 255)) - f(CLIP_MEAN[c])) / f(CLIP_STD[c]));
      const plane = out.subarray(c * 33 * 33, (c + 1) * 33 * 33);
      expect(plane[0]).toBe(pad); // row 0 and column 0 are padding
      expect(plane[33 * 5]).toBe(pad);
      expect(plane[33 * 5 + 5]).toBe(white);
      expect(plane[33 * 32 + 32]).toBe(white);
    }
  });

  it('pixelValues stacks a batch as [B, 3, S, S]', async () => {
    const a = await decodeImage(fixture('demo-model/eval/img-00.png'));
    const b = await decodeImage(fixture('demo-model/eval/img-24-150x100.png'));
    const batch = pixelValues([a, b], { size: 64, mode: 'hf' });
    expect(batch.shape).toEqual([2, 3, 64, 64]);
    expect(batch.data.subarray(3 * 64 * 64)).toEqual(preprocessImage(b, { size: 64, mode: 'hf' }));
    expect(batch.data.subarray(0, 3 * 64 * 64)).toEqual(preprocessImage(a, { size: 64, mode: 'hf' }));
  });

  it('rejects an RGB buffer of the wrong length', () => {
    expect(() => preprocessImage({ width: 4, height: 4, data: new Uint8Array(10) }, { size: 4, mode: 'blip' })).toThrow(
      /needs 48 bytes, got 10/,
    );
  });
});
