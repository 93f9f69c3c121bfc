// An HF model's preprocessor_config.json drives the hf preprocessing mode: HF's defaults for absent fields,
// refusals by field name, and image.png of hf-model against BridgeTowerImageProcessor's own pixel values
// (size_divisor 16, mean = std = 0.5) within the fixtures' bar for a bicubic resampler that is not PIL's.
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { parsePreprocessorConfig } from '../../src/checkpoint/preprocessor-config';
import { readSafetensorsFile } from '../../src/verify/load-model';
import preprocess from '../../src/cli/preprocess';
import { ConfigError, UsageError } from '../../src/errors';
import { CLIP_MEAN, CLIP_STD } from '../../src/common/clip-normalize';

const DIR = 'test/fixtures/hf-model';

describe('preprocessor_config.json', () => {
  it("takes BridgeTowerImageProcessor's defaults for absent fields", () => {
    expect(parsePreprocessorConfig({}, 'p.json')).toEqual({
      shortestEdge: 288,
      sizeDivisor: 32,
      cropSize: 288,
      doResize: true,
      doRescale: true,
      rescaleFactor: 1 / 255,
      doNormalize: true,
      mean: [...CLIP_MEAN],
      std: [...CLIP_STD],
    });
    expect(parsePreprocessorConfig({ size: 384, crop_size: { height: 384, width: 384 } }, 'p.json')).toMatchObject({
      shortestEdge: 384,
      cropSize: 384,
    });
  });

  it('refuses what the hf mode cannot reproduce, naming the field', () => {
    expect(() => parsePreprocessorConfig({ resample: 2 }, 'p.json')).toThrow(
      /p\.json: resample = 2 is not 3 \(bicubic\)/,
    );
    expect(() => parsePreprocessorConfig({ image_processor_type: 'CLIPImageProcessor' }, 'p.json')).toThrow(
      ConfigError,
    );
    expect(() => parsePreprocessorConfig({ image_std: [0.5, 0, 0.5] }, 'p.json')).toThrow(/image_std.*zero/);
    expect(() => parsePreprocessorConfig({ size: { width: 3 } }, 'p.json')).toThrow(/size/);
  });

  it("makes `preprocess --mode hf --preprocessor-config` give HF's pixel values for image.png", async () => {
    const out = join(mkdtempSync(join(tmpdir(), 'bt-pp-')), 'px.safetensors');
    const log = vi.spyOn(console, 'log').mockImplementation(() => undefined);
    try {
      await preprocess([
        '--image',
        `${DIR}/image.png`,
        '--size',
        '32',
        '--mode',
        'hf',
        '--preprocessor-config',
        `${DIR}/preprocessor_config.json`,
        '--out',
        out,
      ]);
    } finally {
      log.mockRestore();
    }
    const got = (await readSafetensorsFile(out)).get('pixel_values')!.data as Float32Array;
    const want = (await readSafetensorsFile(`${DIR}/inputs.safetensors`)).get('png_pixel_values')!.data as Float32Array;
    expect(got.length).toBe(want.length);
    let max = 0,
      sum = 0;
    for (let i = 0; i < want.length; i++) {
      const d = Math.abs(got[i] - want[i]);
      max = Math.max(max, d);
      sum += d;
    }
    expect(sum / want.length).toBeLessThan(0.01);
    expect(max).toBeLessThan(0.1);
    await expect(
      preprocess([
        '--image',
        `${DIR}/image.png`,
        '--size',
        '32',
        '--mode',
        'blip',
        '--preprocessor-config',
        `${DIR}/preprocessor_config.json`,
        '--out',
        out,
      ]),
    ).rejects.toThrow(UsageError);
    expect(readFileSync(out).length).toBeGreaterThan(0);
  });
});
