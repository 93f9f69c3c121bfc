// An HF model folder's preprocessor_config.json (BridgeTowerImageProcessor, transformers v4.40.2) -> the
// parameters of the 'hf' preprocessing mode. Absent fields take the class defaults; a setting the mode
// cannot reproduce is a ConfigError naming the field.
import { ConfigError } from '../errors';
import type { HfImageProcessor } from '../common/config';
import { CLIP_MEAN, CLIP_STD } from '../common/clip-normalize';
import { beyond, LIMITS } from '../common/limits';
import { untrusted } from '../common/untrusted';

/** PIL.Image.BICUBIC, the only resampling the 'hf' mode implements (and BridgeTower's default). */
const PIL_BICUBIC = 3;

export function parsePreprocessorConfig(json: unknown, file: string): HfImageProcessor {
  if (!json || typeof json !== 'object' || Array.isArray(json)) throw new ConfigError(`${file}: not a JSON object`);
  const c = json as Record<string, unknown>;
  const bad = (key: string, what: string): never => {
    throw new ConfigError(`${file}: ${key} = ${untrusted(c[key])} ${what}`);
  };
  const type = c.image_processor_type;
  if (type !== undefined && type !== 'BridgeTowerImageProcessor')
    bad('image_processor_type', 'is not BridgeTowerImageProcessor');
  const bool = (key: string, fallback: boolean): boolean => {
    const v = c[key] ?? fallback;
    return typeof v === 'boolean' ? v : bad(key, 'is not true or false');
  };
  const positive = (key: string, fallback: number): number => {
    const v = c[key] ?? fallback;
    return typeof v === 'number' && Number.isFinite(v) && v > 0 ? v : bad(key, 'is not a positive number');
  };
  const bounded = (key: string, v: number): number => {
    if (v > LIMITS.preprocessSide.value) throw new ConfigError(beyond(file, 'preprocessSide', v, key));
    return v;
  };
  const side = (key: string, fallback: number): number => {
    const v = c[key];
    if (v === undefined || v === null) return fallback;
    if (typeof v === 'number' && Number.isSafeInteger(v) && v > 0) return bounded(key, v);
    const o = v as Record<string, unknown>;
    const whole = (x: unknown): x is number => Number.isSafeInteger(x) && (x as number) > 0;
    if (o && typeof o === 'object' && whole(o.shortest_edge)) return bounded(key, o.shortest_edge);
    if (o && typeof o === 'object' && o.height === o.width && whole(o.height)) return bounded(key, o.height);
    return bad(key, 'is neither a side nor {"shortest_edge": side} (nor a square {"height", "width"})');
  };
  const triple = (key: string, fallback: readonly number[]): [number, number, number] => {
    const v = c[key] ?? fallback;
    if (typeof v === 'number') return [v, v, v];
    if (Array.isArray(v) && v.length === 3 && v.every((x) => typeof x === 'number' && Number.isFinite(x))) {
      return v as [number, number, number];
    }
    return bad(key, 'is not three numbers');
  };
  const resample = c.resample ?? PIL_BICUBIC;
  if (resample !== PIL_BICUBIC) bad('resample', 'is not 3 (bicubic), the only resampling implemented');
  const shortestEdge = side('size', 288);
  const std = triple('image_std', CLIP_STD);
  if (std.some((x) => x === 0)) bad('image_std', 'has a zero');
  // The divisor floors the resized sides to its multiples: a whole number of pixels, at most the side.
  const sizeDivisor = c.size_divisor ?? 32;
  if (!Number.isSafeInteger(sizeDivisor) || (sizeDivisor as number) < 1 || (sizeDivisor as number) > shortestEdge)
    bad('size_divisor', `is not a whole number of pixels between 1 and the size ${shortestEdge}`);
  return {
    shortestEdge,
    sizeDivisor: sizeDivisor as number,
    // HF crops to crop_size, else to size (v4.40.2 skips the crop unless asked at call time; its model then
    // rejects non-square images, so the crop is always applied here).
    cropSize: side('crop_size', shortestEdge),
    doResize: bool('do_resize', true),
    doRescale: bool('do_rescale', true),
    rescaleFactor: positive('rescale_factor', 1 / 255),
    doNormalize: bool('do_normalize', true),
    mean: triple('image_mean', CLIP_MEAN),
    std,
  };
}
