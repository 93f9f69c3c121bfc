// Shared by the task commands (vqa, match): the --model / --image-preprocess options and image files.
import { readFile } from 'node:fs/promises';
import { ImageError, UsageError } from '../errors';
import type { ImagePreprocess } from '../model/config';
import { IMAGE_PREPROCESS_MODES } from '../preprocess/image';
import type { BridgeTower } from '../tasks';
import { demoModelPath, loadBridgeTower } from '../tasks/node';
import { flag, option, type ParsedArgs } from './args';

export const MODEL_OPTIONS = ['model', 'image-preprocess'] as const;
export const MODEL_FLAGS = ['no-cache'] as const;
export const MODEL_USAGE = '[--model <web-format dir | .ckpt | .safetensors | hf:ORG/NAME[@REV]>] [--no-cache] [--image-preprocess hf|blip|clip]';

/** The model named by --model (default: the bundled demo model). */
export async function loadTaskModel(args: ParsedArgs): Promise<BridgeTower> {
  const mode = option(args, 'image-preprocess');
  if (mode !== undefined && !IMAGE_PREPROCESS_MODES.includes(mode as ImagePreprocess)) {
    throw new UsageError(`--image-preprocess must be one of ${IMAGE_PREPROCESS_MODES.join(', ')}, got ${JSON.stringify(mode)}`);
  }
  return loadBridgeTower(option(args, 'model') ?? demoModelPath(), { imagePreprocess: mode as ImagePreprocess | undefined, cache: !flag(args, 'no-cache') });
}

export async function readImageFile(path: string): Promise<Uint8Array> {
  try {
    return new Uint8Array(await readFile(path));
  } catch (e) {
    throw new ImageError(`${path}: cannot read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
}
