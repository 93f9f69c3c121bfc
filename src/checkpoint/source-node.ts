// Node file access for the checkpoint readers: the only module here that imports node:fs, so everything
// else bundles for the browser.
import { mkdir, open, rename, rm, stat, writeFile, type FileHandle } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { CheckpointError } from '../errors';
import { checkRange, type ByteSource, type Directory } from './byte-source';
import { openWeights, type OpenOptions } from './open';
import type { ConvertibleWeights, FileSink, WebFormatSink } from './web-format-write';

export class NodeFileSource implements ByteSource {
  private constructor(
    private readonly handle: FileHandle,
    readonly size: number,
    readonly name: string,
  ) {}

  static async open(path: string): Promise<NodeFileSource> {
    let handle: FileHandle;
    try {
      handle = await open(path, 'r');
    } catch (e) {
      throw new CheckpointError(path, `cannot open (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
    }
    const { size } = await handle.stat();
    return new NodeFileSource(handle, size, path);
  }

  async read(offset: number, length: number): Promise<Uint8Array> {
    checkRange(this, offset, length);
    const out = new Uint8Array(length);
    let done = 0;
    while (done < length) {
      let bytesRead: number;
      try {
        ({ bytesRead } = await this.handle.read(out, done, length - done, offset + done));
      } catch (e) {
        throw new CheckpointError(
          this.name,
          `cannot read at byte ${offset + done} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`,
        );
      }
      if (bytesRead === 0)
        throw new CheckpointError(
          this.name,
          `truncated: the file ended at byte ${offset + done} while reading [${offset}, ${offset + length})`,
        );
      done += bytesRead;
    }
    return out;
  }

  private closed = false;

  /** Idempotent: a reader's error path and its caller may both close. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.handle.close();
  }
}

export class NodeDirectory implements Directory {
  constructor(readonly name: string) {}
  /** undefined when the file does not exist; a directory that does not exist is an error of its own. */
  async open(relative: string): Promise<ByteSource | undefined> {
    const path = join(this.name, relative);
    try {
      if (!(await stat(path)).isFile()) return undefined;
    } catch {
      const dir = await stat(this.name).catch(() => undefined);
      if (!dir?.isDirectory()) throw new CheckpointError(this.name, 'not found (no such directory)');
      return undefined;
    }
    return NodeFileSource.open(path);
  }
}

/** A file, or a directory (web format, HF snapshot), as a source plus the directory around it. */
export async function openPath(path: string): Promise<{ source?: ByteSource; dir: Directory }> {
  let isDir: boolean;
  try {
    isDir = (await stat(path)).isDirectory();
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new CheckpointError(path, 'not found (no such file or directory)');
    throw new CheckpointError(path, `cannot open (${code ?? (e as Error).message})`);
  }
  if (isDir) return { dir: new NodeDirectory(path) };
  return { source: await NodeFileSource.open(path), dir: new NodeDirectory(dirname(resolve(path))) };
}

/** The weights at a local path: a weight file (its folder supplies companion files) or a directory. */
export async function openPathWeights(path: string, opts: OpenOptions = {}): Promise<ConvertibleWeights> {
  const { source, dir } = await openPath(path);
  return openWeights(source ?? dir, { dir, ...opts });
}

/** Run a file-system write, turning Node's errors into a one-line CheckpointError naming the path. */
async function writing<T>(path: string, f: () => Promise<T>): Promise<T> {
  try {
    return await f();
  } catch (e) {
    throw new CheckpointError(path, `cannot write (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
}

/** Writes a web-format directory. Files are written under a temporary name and renamed when complete. */
export class NodeDirSink implements WebFormatSink {
  constructor(readonly name: string) {}

  async begin(): Promise<void> {
    await writing(this.name, () => mkdir(this.name, { recursive: true }));
  }

  async create(file: string): Promise<FileSink> {
    const path = join(this.name, file);
    const partial = `${path}.partial`;
    const handle = await writing(partial, () => open(partial, 'w'));
    return {
      write: (bytes) =>
        writing(partial, async () => {
          let done = 0;
          while (done < bytes.byteLength)
            done += (await handle.write(bytes, done, bytes.byteLength - done)).bytesWritten;
        }),
      close: () =>
        writing(path, async () => {
          await handle.close();
          await rename(partial, path);
        }),
      abort: async () => {
        await handle.close().catch(() => {});
        await rm(partial, { force: true });
      },
    };
  }

  async writeFile(file: string, bytes: Uint8Array): Promise<void> {
    const path = join(this.name, file);
    await writing(path, () => writeFile(path, bytes));
  }

  async remove(file: string): Promise<void> {
    const path = join(this.name, file);
    await writing(path, () => rm(path, { force: true }));
  }
}
