// Shared by the task commands (vqa, match): the --model / --image-preprocess options and image files.
import { readFile } from 'node:fs/promises';
import { ImageError, UsageError } from '../errors';
import type { ImagePreprocess } from '../common/config';
import { decodeImage } from '../preprocess/decode';
import { IMAGE_PREPROCESS_MODES } from '../preprocess/image';
import type { RgbImage } from '../preprocess/rgb-image';
import type { BridgeTower } from '../tasks';
import { demoModelPath, loadBridgeTower } from '../tasks/node';
import { flag, option, type ParsedArgs } from './args';

export const MODEL_OPTIONS = ['model', 'image-preprocess'] as const;
export const MODEL_FLAGS = ['no-cache'] as const;
export const MODEL_USAGE =
  '[--model <web-format dir | .ckpt | .safetensors | hf:ORG/NAME[@REV]>] [--no-cache] [--image-preprocess hf|blip|clip]';

/** The model named by --model (default: the bundled demo model). */
export async function loadTaskModel(args: ParsedArgs): Promise<BridgeTower> {
  const mode = option(args, 'image-preprocess');
  if (mode !== undefined && !IMAGE_PREPROCESS_MODES.includes(mode as ImagePreprocess)) {
    throw new UsageError(
      `--image-preprocess must be one of ${IMAGE_PREPROCESS_MODES.join(', ')}, got ${JSON.stringify(mode)}`,
    );
  }
  return loadBridgeTower(option(args, 'model') ?? demoModelPath(), {
    imagePreprocess: mode as ImagePreprocess | undefined,
    cache: !flag(args, 'no-cache'),
  });
}

/** An image file, decoded before any model is loaded so that a bad file is named at once. */
export async function readImageFile(path: string): Promise<RgbImage> {
  let bytes: Uint8Array;
  try {
    bytes = new Uint8Array(await readFile(path));
  } catch (e) {
    throw new ImageError(`${path}: cannot read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  return decodeImage(bytes, path);
}

/** The stderr line saying that a text was cut to what the model reads. */
export function truncationNote(model: BridgeTower, what: string, text: string, truncatedTo: number): string {
  const tokens = model.tokenizer.encode(text).length;
  return `note: ${what} is ${tokens} tokens long (with <s> and </s>); the model reads ${truncatedTo}, so the rest was cut off`;
}
