// Files the CLI writes: the path is checked, and missing folders created, before any work is done, so a typo
// in --out never costs a forward pass; the final write fails with one line, not a stack trace.
import { constants } from 'node:fs';
import { access, mkdir, stat, writeFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { BridgeTowerError, UsageError } from '../errors';

const reason = (e: unknown): string => (e as NodeJS.ErrnoException).code ?? (e as Error).message;

/** `inputs`: the files the command reads, which the output must not overwrite. */
export async function prepareOutputFile(path: string, inputs: readonly (string | undefined)[] = []): Promise<void> {
  if (path.trim() === '') throw new UsageError(`--out is empty`);
  if (inputs.some((p) => p !== undefined && resolve(p) === resolve(path))) {
    throw new UsageError(`--out ${path} is also an input of this command; give another file`);
  }
  const dir = dirname(resolve(path));
  try {
    await mkdir(dir, { recursive: true });
  } catch (e) {
    throw new UsageError(`--out ${path}: cannot create the folder ${dir} (${reason(e)})`);
  }
  const existing = await stat(path).catch(() => undefined);
  if (existing?.isDirectory()) throw new UsageError(`--out ${path} is a folder; give a file name`);
  try {
    await access(existing ? path : dir, constants.W_OK);
  } catch (e) {
    throw new UsageError(`--out ${path}: not writable (${reason(e)})`);
  }
}

export async function writeOutputFile(path: string, bytes: Uint8Array): Promise<void> {
  try {
    await writeFile(path, bytes);
  } catch (e) {
    throw new BridgeTowerError('io', `${path}: cannot write (${reason(e)})`);
  }
}
