import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { readSafetensors } from '../../src/checkpoint/safetensors';
import { decodeImage } from '../../src/preprocess/decode';
import { geometry, preprocessImage } from '../../src/preprocess/image';

const fixture = (p: string) => new Uint8Array(readFileSync(new URL(`../fixtures/${p}`, import.meta.url)));

function errors(a: Float32Array, b: Float32Array): { max: number; mean: number } {
  expect(a.length).toBe(b.length);
  let max = 0, sum = 0;
  for (let i = 0; i < a.length; i++) { const d = Math.abs(a[i] - b[i]); max = Math.max(max, d); sum += d; }
  return { max, mean: sum / a.length };
}

describe('hf mode against the golden fixtures (image.png -> png_pixel_values*)', () => {
  it.each([['tiny', 'png_pixel_values', 32], ['tiny', 'png_pixel_values_288', 288], ['small', 'png_pixel_values', 64]] as const)('%s %s (S=%d)', async (name, tensor, size) => {
    const image = await decodeImage(fixture(`${name}/image.png`));
    const ref = readSafetensors(fixture(`${name}/inputs.safetensors`), 'inputs.safetensors').get(tensor)!;
    expect(ref.shape).toEqual([1, 3, size, size]);
    const e = errors(preprocessImage(image, { size, mode: 'hf' }), ref.data as Float32Array);
    expect(e).toEqual({ max: 0, mean: 0 });
  });
});

describe('hf mode against the demo model eval/pixel_values.safetensors', () => {
  const ref = readSafetensors(fixture('demo-model/eval/pixel_values.safetensors'), 'pixel_values.safetensors');
  const meta = JSON.parse(new TextDecoder().decode(fixture('demo-model/eval/images.json'))) as Array<{ image: string; width: number; height: number; resized_hw: [number, number]; crop_top_left: [number, number] }>;

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
