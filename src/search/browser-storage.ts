// Search indexes kept in the browser (IndexedDB database `bridgetower-search`), for the page and its indexing
// worker alike: store `indexes` holds each index's saved file (./index-file.ts) as a Blob with a summary for
// the list, keyed by name; store `media` holds, keyed [index name, entry id], what the index shows and re-ranks
// with: each picture's thumbnail (its short side the model's image size) and a video's file.

import { BridgeTowerError } from '../errors';

const DB = 'bridgetower-search';
const INDEXES = 'indexes';
const MEDIA = 'media';

export interface StoredIndex {
  name: string;
  /** The model that made it (its source: a URL or a name). */
  model: string;
  entries: number;
  /** When it was last saved (ms since the epoch). */
  updated: number;
}

interface IndexRecord extends StoredIndex {
  file: Blob;
}

let opened: Promise<IDBDatabase> | undefined;

function storageError(e: DOMException | null, fallback: string): BridgeTowerError {
  return new BridgeTowerError('io', `IndexedDB ${DB}: ${e?.message || fallback}`);
}

function db(): Promise<IDBDatabase> {
  opened ??= new Promise((resolve, reject) => {
    const req = indexedDB.open(DB, 1);
    req.onupgradeneeded = () => {
      req.result.createObjectStore(INDEXES, { keyPath: 'name' });
      req.result.createObjectStore(MEDIA);
    };
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(storageError(req.error, 'cannot open'));
  });
  return opened;
}

async function request<T>(store: string, mode: IDBTransactionMode, fn: (s: IDBObjectStore) => IDBRequest<T>) {
  const tx = (await db()).transaction(store, mode);
  const req = fn(tx.objectStore(store));
  return new Promise<T>((resolve, reject) => {
    tx.oncomplete = () => resolve(req.result);
    tx.onerror = () => reject(storageError(tx.error ?? req.error, 'request failed'));
    tx.onabort = () => reject(storageError(tx.error, 'transaction aborted'));
  });
}

export async function listIndexes(): Promise<StoredIndex[]> {
  const all = await request(INDEXES, 'readonly', (s) => s.getAll() as IDBRequest<IndexRecord[]>);
  return all.map(({ name, model, entries, updated }) => ({ name, model, entries, updated }));
}

export async function saveIndex(summary: Omit<StoredIndex, 'updated'>, bytes: Uint8Array): Promise<void> {
  const record: IndexRecord = { ...summary, updated: Date.now(), file: new Blob([bytes as BlobPart]) };
  await request(INDEXES, 'readwrite', (s) => s.put(record));
}

/** The saved index file, or undefined when there is no index of that name. */
export async function readIndex(name: string): Promise<Uint8Array | undefined> {
  const record = await request(INDEXES, 'readonly', (s) => s.get(name) as IDBRequest<IndexRecord | undefined>);
  return record && new Uint8Array(await record.file.arrayBuffer());
}

export async function deleteIndex(name: string): Promise<void> {
  await request(INDEXES, 'readwrite', (s) => s.delete(name));
  await request(MEDIA, 'readwrite', (s) => s.delete(IDBKeyRange.bound([name, ''], [name, '\uffff'])));
}

export async function putMedia(index: string, id: string, blob: Blob): Promise<void> {
  await request(MEDIA, 'readwrite', (s) => s.put(blob, [index, id]));
}

export async function getMedia(index: string, id: string): Promise<Blob | undefined> {
  return request(MEDIA, 'readonly', (s) => s.get([index, id]) as IDBRequest<Blob | undefined>);
}
