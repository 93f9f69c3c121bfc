// Models converted in the browser, stored where the app finds them again without converting: the Origin
// Private File System (one directory per model under `bridgetower-models/`), or IndexedDB (one Blob per
// file, keyed [model, file]) where OPFS or its writable streams are missing. Either way a model is a
// web-format directory (web-format.ts), written manifest-last so a cancelled conversion never lists.
import { AbortedError, CheckpointError } from '../errors';
import type { ImagePreprocess } from '../model/config';
import { BlobSource, type ByteSource, type Directory } from './byte-source';
import { openWeights } from './open';
import { MANIFEST, WebFormatWeights, writeWebFormat, type ConvertProgress, type ConvertSummary, type FileSink, type Manifest, type WebDType, type WebFormatSink } from './web-format';
import type { TokenizerFiles } from './weight-set';

const ROOT = 'bridgetower-models';
const DB = 'bridgetower-models';
const STORE = 'files';

export interface StoredModel {
  name: string;
  /** Bytes of weights (all shards). */
  bytes: number;
  /** The checkpoint file it was converted from. */
  source?: string;
  dtype: WebDType;
  storage: 'opfs' | 'indexeddb';
}

export interface BrowserConvertOptions {
  dtype?: WebDType;
  tokenizer?: TokenizerFiles;
  labels?: string[];
  imageSize?: number;
  imagePreprocess?: ImagePreprocess;
  /** HF config.json or original config, parsed. */
  config?: unknown;
}

/** Model names become directory names: keep them to a safe alphabet. */
function checkName(name: string): string {
  if (!/^[\w][\w .+-]{0,127}$/.test(name)) throw new CheckpointError(name, 'a stored model name may use letters, digits, space, . + - _ (up to 128 characters)');
  return name;
}

async function opfsRoot(): Promise<FileSystemDirectoryHandle | undefined> {
  if (typeof navigator === 'undefined' || !navigator.storage?.getDirectory) return undefined;
  if (typeof FileSystemFileHandle === 'undefined' || !('createWritable' in FileSystemFileHandle.prototype)) return undefined;
  try {
    return await (await navigator.storage.getDirectory()).getDirectoryHandle(ROOT, { create: true });
  } catch {
    return undefined;
  }
}

// ---- OPFS ----

class OpfsDirectory implements Directory {
  constructor(readonly name: string, private readonly handle: FileSystemDirectoryHandle) {}
  async open(relative: string): Promise<ByteSource | undefined> {
    try {
      const file = await (await this.handle.getFileHandle(relative)).getFile();
      return new BlobSource(file, `${this.name}/${relative}`);
    } catch {
      return undefined;
    }
  }
}

class OpfsSink implements WebFormatSink {
  private dir?: FileSystemDirectoryHandle;
  constructor(readonly name: string, private readonly root: FileSystemDirectoryHandle) {}
  private get handle(): FileSystemDirectoryHandle {
    if (!this.dir) throw new CheckpointError(this.name, 'sink used before begin()');
    return this.dir;
  }
  async begin(): Promise<void> {
    this.dir = await this.root.getDirectoryHandle(this.name, { create: true });
  }
  async create(file: string): Promise<FileSink> {
    const writable = await (await this.handle.getFileHandle(file, { create: true })).createWritable();
    return {
      write: (bytes) => writable.write(bytes as Uint8Array<ArrayBuffer>),
      close: () => writable.close(),
      abort: () => writable.abort(),
    };
  }
  async writeFile(file: string, bytes: Uint8Array): Promise<void> {
    const w = await this.create(file);
    await w.write(bytes);
    await w.close();
  }
  async remove(file: string): Promise<void> {
    await this.handle.removeEntry(file).catch(() => {});
  }
}

// ---- IndexedDB ----

function request<T>(r: IDBRequest<T>): Promise<T> {
  return new Promise((resolve, reject) => {
    r.onsuccess = () => resolve(r.result);
    r.onerror = () => reject(new CheckpointError(DB, `IndexedDB: ${r.error?.message ?? 'request failed'}`));
  });
}

let dbPromise: Promise<IDBDatabase> | undefined;
function db(): Promise<IDBDatabase> {
  if (typeof indexedDB === 'undefined') return Promise.reject(new CheckpointError(DB, 'this browser has neither the Origin Private File System nor IndexedDB: converted models cannot be stored'));
  dbPromise ??= new Promise((resolve, reject) => {
    const open = indexedDB.open(DB, 1);
    open.onupgradeneeded = () => open.result.createObjectStore(STORE);
    open.onsuccess = () => resolve(open.result);
    open.onerror = () => reject(new CheckpointError(DB, `IndexedDB: ${open.error?.message ?? 'cannot open'}`));
  });
  return dbPromise;
}

async function idb<T>(mode: IDBTransactionMode, f: (s: IDBObjectStore) => IDBRequest<T>): Promise<T> {
  return request(f((await db()).transaction(STORE, mode).objectStore(STORE)));
}

class IdbDirectory implements Directory {
  constructor(readonly name: string) {}
  async open(relative: string): Promise<ByteSource | undefined> {
    const blob = await idb('readonly', (s) => s.get([this.name, relative]) as IDBRequest<Blob | undefined>);
    return blob && new BlobSource(blob, `${this.name}/${relative}`);
  }
}

class IdbSink implements WebFormatSink {
  constructor(readonly name: string) {}
  async begin(): Promise<void> {
    await db();
  }
  async create(file: string): Promise<FileSink> {
    // A shard is at most 64 MiB: gather it, then store it as one Blob.
    let parts: Uint8Array[] = [];
    return {
      write: async (bytes) => { parts.push(bytes.slice()); },
      close: async () => { await this.writeBlob(file, new Blob(parts as Uint8Array<ArrayBuffer>[])); parts = []; },
      abort: async () => { parts = []; },
    };
  }
  private async writeBlob(file: string, blob: Blob): Promise<void> {
    await idb('readwrite', (s) => s.put(blob, [this.name, file]));
  }
  async writeFile(file: string, bytes: Uint8Array): Promise<void> {
    await this.writeBlob(file, new Blob([bytes.slice()]));
  }
  async remove(file: string): Promise<void> {
    await idb('readwrite', (s) => s.delete([this.name, file]));
  }
}

async function idbModelFiles(name: string): Promise<IDBValidKey[]> {
  return idb('readonly', (s) => s.getAllKeys(IDBKeyRange.bound([name, ''], [name, '\uffff'])));
}

// ---- public API ----

async function readManifest(dir: Directory): Promise<Manifest | undefined> {
  const src = await dir.open(MANIFEST);
  if (!src) return undefined;
  try {
    return JSON.parse(new TextDecoder().decode(await src.read(0, src.size))) as Manifest;
  } catch {
    return undefined;
  }
}

/** Convert a checkpoint File (dropped on the page) into browser storage under `name`. */
export async function convertToBrowserStorage(
  file: File, name: string, opts: BrowserConvertOptions = {}, onProgress?: (p: ConvertProgress) => void, signal?: AbortSignal,
): Promise<ConvertSummary> {
  checkName(name);
  if (signal?.aborted) throw new AbortedError('conversion aborted');
  const weights = await openWeights(new BlobSource(file, file.name), {
    config: opts.config, imageSize: opts.imageSize, imagePreprocess: opts.imagePreprocess, tokenizer: opts.tokenizer, labels: opts.labels,
  });
  await navigator.storage?.persist?.().catch(() => false);
  const root = await opfsRoot();
  const sink = root ? new OpfsSink(name, root) : new IdbSink(name);
  try {
    return await writeWebFormat(weights, sink, { dtype: opts.dtype, onProgress, signal });
  } catch (e) {
    await deleteStoredModel(name).catch(() => {});
    throw e;
  } finally {
    await weights.close();
  }
}

/** Models stored in this browser that finished converting. */
export async function listStoredModels(): Promise<StoredModel[]> {
  const out: StoredModel[] = [];
  const describe = (name: string, m: Manifest, storage: StoredModel['storage']): StoredModel => ({
    name, storage, dtype: m.dtype, source: m.source?.file, bytes: m.shards.reduce((a, s) => a + s.length, 0),
  });
  const root = await opfsRoot();
  if (root) {
    for await (const [name, handle] of (root as unknown as { entries(): AsyncIterable<[string, FileSystemHandle]> }).entries()) {
      if (handle.kind !== 'directory') continue;
      const m = await readManifest(new OpfsDirectory(name, handle as FileSystemDirectoryHandle));
      if (m) out.push(describe(name, m, 'opfs'));
    }
  }
  if (typeof indexedDB !== 'undefined') {
    const keys = (await idb('readonly', (s) => s.getAllKeys())) as unknown as Array<[string, string]>;
    for (const [name, file] of keys) {
      if (file !== MANIFEST || out.some((m) => m.name === name)) continue;
      const m = await readManifest(new IdbDirectory(name));
      if (m) out.push(describe(name, m, 'indexeddb'));
    }
  }
  return out.sort((a, b) => a.name.localeCompare(b.name));
}

/** A stored model as a WeightSet (checksums are verified as tensors are read). */
export async function openStoredModel(name: string): Promise<WebFormatWeights> {
  checkName(name);
  const root = await opfsRoot();
  if (root) {
    const handle = await root.getDirectoryHandle(name).catch(() => undefined);
    if (handle) return WebFormatWeights.open(new OpfsDirectory(name, handle));
  }
  if (typeof indexedDB !== 'undefined' && (await idbModelFiles(name)).length) return WebFormatWeights.open(new IdbDirectory(name));
  throw new CheckpointError(name, 'no model of this name is stored in this browser');
}

export async function deleteStoredModel(name: string): Promise<void> {
  checkName(name);
  const root = await opfsRoot();
  if (root) await root.removeEntry(name, { recursive: true }).catch(() => {});
  if (typeof indexedDB !== 'undefined') {
    for (const key of await idbModelFiles(name)) await idb('readwrite', (s) => s.delete(key));
  }
}
