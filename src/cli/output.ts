// Files the CLI writes: the path is checked, and missing folders created, before any work is done, so a typo
// in --out never costs a forward pass; the final write fails with one line, not a stack trace.
import { constants } from 'node:fs';
import { access, mkdir, stat, writeFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { BridgeTowerError, UsageError } from '../errors';

const reason = (e: unknown): string => (e as NodeJS.ErrnoException).code ?? (e as Error).message;

export async function prepareOutputFile(path: string, what = '--out'): Promise<void> {
  if (path.trim() === '') throw new UsageError(`${what} is empty`);
  const dir = dirname(resolve(path));
  try {
    await mkdir(dir, { recursive: true });
  } catch (e) {
    throw new UsageError(`${what} ${path}: cannot create the folder ${dir} (${reason(e)})`);
  }
  const existing = await stat(path).catch(() => undefined);
  if (existing?.isDirectory()) throw new UsageError(`${what} ${path} is a folder; give a file name`);
  try {
    await access(existing ? path : dir, constants.W_OK);
  } catch (e) {
    throw new UsageError(`${what} ${path}: not writable (${reason(e)})`);
  }
}

export async function writeOutputFile(path: string, bytes: Uint8Array): Promise<void> {
  try {
    await writeFile(path, bytes);
  } catch (e) {
    throw new BridgeTowerError('io', `${path}: cannot write (${reason(e)})`);
  }
}
