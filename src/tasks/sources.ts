// Where a model's files come from: a URL (a server's folder), a local file or folder (a path or file: URL, in
// Node), the demo model's files wherever a bundler put them; and byte counting for load progress.
import { AbortedError, CheckpointError } from '../errors';
import { fetchSource, UrlDirectory, type ByteSource, type Directory } from '../checkpoint/byte-source';
import { demoModelFiles } from './demo-files';
import { hasScheme, inNodeWithoutNodeEntry, NODE_ENTRY_HINT, platform, resolveUrl } from './platform';
import type { LoadOptions } from './types';

/** A model's files: a weight file with the folder around it (companion files), or a folder. */
export interface ModelFiles {
  source?: ByteSource;
  dir: Directory;
}

/** The files a URL or path names (local ones through the platform, in Node), or the demo model's files. */
export async function modelFiles(
  source: string | URL | undefined,
  signal: AbortSignal | undefined,
): Promise<ModelFiles> {
  const fetchFn: typeof fetch = (input, init) => fetch(input, { ...init, signal });
  if (source === undefined) {
    const files: Record<string, string> = demoModelFiles();
    const manifest = new URL(files['manifest.json']);
    if (manifest.protocol === 'file:') return openLocal(new URL('.', manifest), 'the demo model');
    return { dir: new FileMapDirectory('the demo model', files, fetchFn) };
  }
  if (typeof source === 'string' && !hasScheme(source) && inNodeWithoutNodeEntry())
    throw new CheckpointError(source, `a path: ${NODE_ENTRY_HINT}`);
  const url = resolveUrl(source);
  if (url.protocol === 'file:') return openLocal(url, url.href);
  return { dir: new UrlDirectory(url.href, fetchFn) };
}

async function openLocal(url: URL, name: string): Promise<ModelFiles> {
  const open = platform().openLocal;
  if (!open) {
    const where = inNodeWithoutNodeEntry() ? NODE_ENTRY_HINT : 'a browser cannot read local files; serve the folder';
    throw new CheckpointError(name, `local files: ${where}`);
  }
  return open(url);
}

/** Files at arbitrary URLs (a bundler may rename each one), by name. */
class FileMapDirectory implements Directory {
  constructor(
    readonly name: string,
    private readonly files: Record<string, string>,
    private readonly fetchFn: typeof fetch,
  ) {}
  async open(relative: string): Promise<ByteSource | undefined> {
    const url = this.files[relative];
    return url === undefined ? undefined : fetchSource(url, this.fetchFn);
  }
}

/** Reports bytes read from a directory as 'read' progress (totals from the manifest's shard list once known). */
export class ProgressDirectory implements Directory {
  private loaded = 0;
  constructor(
    private readonly inner: Directory,
    private readonly opts: LoadOptions,
  ) {}
  get name(): string {
    return this.inner.name;
  }
  async open(relative: string) {
    if (this.opts.signal?.aborted) throw new AbortedError('loading the model was cancelled');
    const src = await this.inner.open(relative);
    if (src) {
      this.loaded += src.size;
      this.opts.onProgress?.({ phase: 'read', loadedBytes: this.loaded, totalBytes: 0, tensors: 0, totalTensors: 0 });
    }
    return src;
  }
}
