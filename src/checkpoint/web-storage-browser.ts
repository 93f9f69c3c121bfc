// Models converted in the browser, stored where the app finds them again without converting: the Origin
// Private File System (one directory per model under `bridgetower-models/`), or IndexedDB (one Blob per
// file, keyed [model, file]) where OPFS or its writable streams are missing. Either way a model is a
// web-format directory (web-format.ts) under a key of its own, made fresh for each conversion, so that no
// conversion ever writes into another model. `entry.json` (the name shown, the source file, when) is
// written first and the manifest last: an entry without a manifest is an unfinished conversion (cancelled,
// failed, or cut short by a reload), listed as such so it can be deleted; a finished one is never touched
// by a later conversion, which replaces it only by deleting it after the new one is complete.
import { AbortedError, CheckpointError } from '../errors';
import type { ImagePreprocess } from '../common/config';
import { BlobSource, type ByteSource, type Directory } from './byte-source';
import { openWeights } from './open';
import { MANIFEST, WebFormatWeights, type Manifest, type WebDType } from './web-format';
import {
  writeWebFormat,
  type ConvertibleWeights,
  type ConvertProgress,
  type ConvertSummary,
  type FileSink,
  type WebFormatSink,
} from './web-format-write';
import type { TokenizerFiles } from '../common/weight-set';
import type { TextTower } from './facts-authors';

const ROOT = 'bridgetower-models';
const DB = 'bridgetower-models';
const STORE = 'files';

export interface StoredModel {
  /** Storage key (a directory name); unique per conversion. */
  key: string;
  /** The name shown: from the model's config, chosen at conversion. */
  name: string;
  /** False for an unfinished conversion: nothing to load, only bytes to delete. */
  complete: boolean;
  /** When the conversion started (ms since the epoch), if known. */
  created?: number;
  /** Bytes stored (all files; for a finished model, all shards). */
  bytes: number;
  /** The checkpoint file it was converted from. */
  source?: string;
  dtype?: WebDType;
  /**
   * What the model is, by content: a SHA-256 of its manifest's tensors (names, dtypes, shapes, CRC-32s), so two
   * models of the same name are told apart and one is replaced only by the same weights.
   */
  identity?: string;
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
  /** The text tower of an authors' checkpoint whose config's tokenizer name does not say (the user's word). */
  textTower?: TextTower;
}

const ENTRY = 'entry.json';
interface Entry {
  name: string;
  source?: string;
  created: number;
}

/** Keys become directory names: keep them to a safe alphabet. */
function checkKey(key: string): string {
  if (!/^[\w][\w.+-]{0,127}$/.test(key)) {
    throw new CheckpointError(key, 'not a stored model key (letters, digits, . + - _)');
  }
  return key;
}

function newKey(): string {
  const random = Array.from(crypto.getRandomValues(new Uint8Array(6)), (b) => b.toString(16).padStart(2, '0')).join('');
  return `m-${Date.now().toString(36)}-${random}`;
}

async function opfsRoot(): Promise<FileSystemDirectoryHandle | undefined> {
  if (typeof navigator === 'undefined' || !navigator.storage?.getDirectory) return undefined;
  if (typeof FileSystemFileHandle === 'undefined' || !('createWritable' in FileSystemFileHandle.prototype))
    return undefined;
  try {
    return await (await navigator.storage.getDirectory()).getDirectoryHandle(ROOT, { create: true });
  } catch {
    return undefined;
  }
}

// ---- OPFS ----

class OpfsDirectory implements Directory {
  constructor(
    readonly name: string,
    private readonly handle: FileSystemDirectoryHandle,
  ) {}
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
  constructor(
    readonly name: string,
    private readonly root: FileSystemDirectoryHandle,
  ) {}
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
  if (typeof indexedDB === 'undefined')
    return Promise.reject(
      new CheckpointError(
        DB,
        'this browser has neither the Origin Private File System nor IndexedDB: converted models cannot be stored',
      ),
    );
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

/** `name` is what messages call it; `key` finds its files. */
class IdbDirectory implements Directory {
  constructor(
    readonly name: string,
    private readonly key = name,
  ) {}
  async open(relative: string): Promise<ByteSource | undefined> {
    const blob = await idb('readonly', (s) => s.get([this.key, relative]) as IDBRequest<Blob | undefined>);
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
      write: async (bytes) => {
        parts.push(bytes.slice());
      },
      close: async () => {
        await this.writeBlob(file, new Blob(parts as Uint8Array<ArrayBuffer>[]));
        parts = [];
      },
      abort: async () => {
        parts = [];
      },
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

async function readJson<T>(dir: Directory, file: string): Promise<T | undefined> {
  const src = await dir.open(file);
  if (!src) return undefined;
  try {
    return JSON.parse(new TextDecoder().decode(await src.read(0, src.size))) as T;
  } catch {
    return undefined;
  }
}

/** Ask the browser not to evict stored models under storage pressure; true when granted. */
export async function requestPersistentStorage(): Promise<boolean> {
  try {
    return (await navigator.storage?.persist?.()) ?? false;
  } catch {
    return false;
  }
}

/** Open a checkpoint File (dropped on the page) for conversion; the caller closes it. */
export async function openCheckpointFile(file: File, opts: BrowserConvertOptions = {}): Promise<ConvertibleWeights> {
  return openWeights(new BlobSource(file, file.name), {
    config: opts.config,
    imageSize: opts.imageSize,
    imagePreprocess: opts.imagePreprocess,
    tokenizer: opts.tokenizer,
    labels: opts.labels,
    textTower: opts.textTower,
  });
}

export interface StoreOptions {
  /** The name shown in the list. */
  name: string;
  dtype?: WebDType;
  /** The checkpoint file it came from. */
  source?: string;
  /** A fixed key (the hub cache's, derived from what was downloaded) instead of a new one; any old entry under it is deleted first. */
  key?: string;
  onProgress?: (p: ConvertProgress) => void;
  signal?: AbortSignal;
}

/**
 * Write opened weights into browser storage under a new key. A failure or cancel deletes only the new key's
 * files; nothing stored before is touched (the caller decides, by identity, what the new model replaces).
 */
export async function storeWeights(
  weights: ConvertibleWeights,
  opts: StoreOptions,
): Promise<{ key: string; summary: ConvertSummary; identity: string }> {
  if (opts.signal?.aborted) throw new AbortedError('conversion aborted');
  const key = opts.key === undefined ? newKey() : checkKey(opts.key);
  if (opts.key !== undefined) await deleteStoredModel(key);
  const root = await opfsRoot();
  const sink = root ? new OpfsSink(key, root) : new IdbSink(key);
  let summary: ConvertSummary;
  try {
    await sink.begin();
    const entry: Entry = { name: opts.name, source: opts.source, created: Date.now() };
    await sink.writeFile(ENTRY, new TextEncoder().encode(JSON.stringify(entry)));
    const { dtype, onProgress, signal } = opts;
    summary = await writeWebFormat(weights, sink, { dtype, onProgress, signal });
  } catch (e) {
    await deleteStoredModel(key).catch(() => {});
    throw e;
  }
  const manifest = await readJson<Manifest>(await storedDirectory(key), MANIFEST);
  return { key, summary, identity: await manifestIdentity(manifest) };
}

/** Rename a stored model (its entry.json); the weights are not touched. */
export async function renameStoredModel(key: string, name: string): Promise<void> {
  const dir = await storedDirectory(key);
  const entry = await readJson<Entry>(dir, ENTRY);
  const root = await opfsRoot();
  const sink =
    root && (await root.getDirectoryHandle(key).catch(() => undefined)) ? new OpfsSink(key, root) : new IdbSink(key);
  await sink.begin();
  await sink.writeFile(ENTRY, new TextEncoder().encode(JSON.stringify({ ...entry, name })));
}

/** A SHA-256 of what makes the weights what they are: every tensor's name, dtype, shape and CRC-32. */
async function manifestIdentity(m: Manifest | undefined): Promise<string> {
  const tensors = Array.isArray(m?.tensors) ? m.tensors : [];
  const text = JSON.stringify([m?.dtype, tensors.map((t) => [t?.name, t?.dtype, t?.shape, t?.crc32])]);
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(text)));
  return Array.from(digest.subarray(0, 16), (b) => b.toString(16).padStart(2, '0')).join('');
}

/** One stored model's listing: a finished model, or an unfinished conversion (complete: false). */
async function storedModelEntry(
  key: string,
  dir: Directory,
  storage: StoredModel['storage'],
  bytesOnDisk: () => Promise<number>,
): Promise<StoredModel> {
  const entry = await readJson<Entry>(dir, ENTRY);
  const m = await readJson<Manifest>(dir, MANIFEST);
  const known = { key, name: entry?.name ?? key, created: entry?.created, storage };
  if (!m) return { ...known, complete: false, source: entry?.source, bytes: await bytesOnDisk() };
  const bytes = Array.isArray(m.shards) ? m.shards.reduce((a, s) => a + (Number(s?.length) || 0), 0) : 0;
  const identity = await manifestIdentity(m);
  return { ...known, complete: true, dtype: m.dtype, source: entry?.source ?? m.source?.file, bytes, identity };
}

type Entries = { entries(): AsyncIterable<[string, FileSystemHandle]> };

/** Every stored entry: finished models, and unfinished conversions (complete: false), by name. */
export async function listStoredModels(): Promise<StoredModel[]> {
  const out: StoredModel[] = [];
  const root = await opfsRoot();
  if (root) {
    for await (const [key, handle] of (root as unknown as Entries).entries()) {
      if (handle.kind !== 'directory') continue;
      const dir = handle as FileSystemDirectoryHandle;
      out.push(await storedModelEntry(key, new OpfsDirectory(key, dir), 'opfs', () => opfsBytes(dir)));
    }
  }
  if (typeof indexedDB !== 'undefined') {
    const keys = (await idb('readonly', (s) => s.getAllKeys())) as unknown as Array<[string, string]>;
    for (const key of new Set(keys.map(([k]) => k))) {
      if (out.some((m) => m.key === key)) continue;
      out.push(await storedModelEntry(key, new IdbDirectory(key), 'indexeddb', () => idbBytes(key)));
    }
  }
  return out.sort(
    (a, b) =>
      Number(b.complete) - Number(a.complete) || a.name.localeCompare(b.name) || (a.created ?? 0) - (b.created ?? 0),
  );
}

async function opfsBytes(dir: FileSystemDirectoryHandle): Promise<number> {
  let n = 0;
  for await (const [, h] of (dir as unknown as Entries).entries()) {
    if (h.kind === 'file') n += (await (h as FileSystemFileHandle).getFile()).size;
  }
  return n;
}

async function idbBytes(key: string): Promise<number> {
  const range = IDBKeyRange.bound([key, ''], [key, '\uffff']);
  const blobs = await idb('readonly', (s) => s.getAll(range) as IDBRequest<Blob[]>);
  return blobs.reduce((a, b) => a + b.size, 0);
}

/** A stored model's files, named as the list names it. */
async function storedDirectory(key: string): Promise<Directory> {
  checkKey(key);
  const named = async (dir: Directory) => (await readJson<Entry>(dir, ENTRY))?.name ?? key;
  const root = await opfsRoot();
  if (root) {
    const handle = await root.getDirectoryHandle(key).catch(() => undefined);
    if (handle) return new OpfsDirectory(await named(new OpfsDirectory(key, handle)), handle);
  }
  if (typeof indexedDB !== 'undefined' && (await idbModelFiles(key)).length)
    return new IdbDirectory(await named(new IdbDirectory(key)), key);
  throw new CheckpointError(key, 'this model is no longer stored in this browser (deleted in another tab?)');
}

/** A stored model as a WeightSet named as the list names it (checksums are verified as tensors are read). */
export async function openStoredModel(key: string): Promise<WebFormatWeights> {
  return WebFormatWeights.open(await storedDirectory(key));
}

export async function deleteStoredModel(key: string): Promise<void> {
  checkKey(key);
  const root = await opfsRoot();
  if (root) await root.removeEntry(key, { recursive: true }).catch(() => {});
  if (typeof indexedDB !== 'undefined') {
    for (const k of await idbModelFiles(key)) await idb('readwrite', (s) => s.delete(k));
  }
}
