// The hub cache in Node: `$BRIDGETOWER_CACHE`, else `$XDG_CACHE_HOME/bridgetower`, else `~/.cache/bridgetower`;
// one web-format directory per entry under `hub/`, written under a temporary name and renamed when complete.
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readdir, rename, rm } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { NodeDirectory, NodeDirSink } from '../checkpoint/source-node';
import { WebFormatWeights, MANIFEST } from '../checkpoint/web-format';
import { writeWebFormat, type ConvertOptions, type ConvertibleWeights } from '../checkpoint/web-format-write';
import { CheckpointError } from '../errors';
import { isKeyOf, type ModelCache } from './cache';

export function defaultCacheDir(env: Record<string, string | undefined> = process.env): string {
  if (env.BRIDGETOWER_CACHE) return env.BRIDGETOWER_CACHE;
  return join(env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'bridgetower');
}

export class NodeModelCache implements ModelCache {
  readonly where: string;
  constructor(root: string = defaultCacheDir()) {
    this.where = join(root, 'hub');
  }

  async open(key: string): Promise<ConvertibleWeights | undefined> {
    const dir = join(this.where, key);
    if (!existsSync(join(dir, MANIFEST))) return undefined;
    return WebFormatWeights.open(new NodeDirectory(dir));
  }

  async copiesOf(repo: string): Promise<string[]> {
    const keys = await readdir(this.where).catch(() => []);
    return keys
      .filter((k) => isKeyOf(k, repo) && existsSync(join(this.where, k, MANIFEST)))
      .map((k) => join(this.where, k));
  }

  async store(key: string, weights: ConvertibleWeights, opts: ConvertOptions): Promise<ConvertibleWeights> {
    const dir = join(this.where, key);
    const partial = join(this.where, `.${key}.partial-${process.pid}-${randomBytes(4).toString('hex')}`);
    try {
      await mkdir(this.where, { recursive: true });
      await writeWebFormat(weights, new NodeDirSink(partial), opts);
      if (existsSync(dir)) await rm(partial, { recursive: true, force: true });
      else await rename(partial, dir);
    } catch (e) {
      await rm(partial, { recursive: true, force: true });
      const errno = e as NodeJS.ErrnoException;
      if (typeof errno.errno === 'number') throw new CheckpointError(dir, `cannot write the cache (${errno.code})`);
      throw e;
    }
    return WebFormatWeights.open(new NodeDirectory(dir));
  }
}
