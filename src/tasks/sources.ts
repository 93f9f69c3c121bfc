// Where a model's files come from, as Directories for openWeights: a URL (a server's folder, or file: in Node),
// the demo model's files wherever a bundler put them, and byte counting for load progress.
import { AbortedError, CheckpointError } from '../errors';
import { fetchSource, UrlDirectory, type ByteSource, type Directory } from '../checkpoint/byte-source';
import { demoModelFiles } from './demo-files';
import { platform, resolveUrl } from './platform';
import type { LoadOptions } from './types';

/** The directory a URL names (file: URLs through the platform, in Node), or the demo model's files. */
export function modelDirectory(source: string | URL | undefined, signal: AbortSignal | undefined): Directory {
  const fetchFn: typeof fetch = (input, init) => fetch(input, { ...init, signal });
  const fileDirectory = platform().fileDirectory;
  if (source === undefined) {
    const files: Record<string, string> = demoModelFiles();
    const manifest = new URL(files['manifest.json']);
    if (manifest.protocol === 'file:' && fileDirectory) return fileDirectory(new URL('.', manifest));
    return new FileMapDirectory('the demo model', files, fetchFn);
  }
  const url = resolveUrl(source);
  if (url.protocol === 'file:') {
    if (!fileDirectory)
      throw new CheckpointError(
        url.href,
        "local files need Node: import { loadBridgeTower } from 'bridgetower-webgpu/node'",
      );
    return fileDirectory(url);
  }
  return new UrlDirectory(url.href, fetchFn);
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
