// Random access to the bytes of a file, wherever it lives: a Node file handle (source-node.ts), a browser
// Blob/File, or memory. Readers never assume they can hold the whole file.
import { CheckpointError } from '../errors';
import { LIMITS, overLimit } from '../common/limits';

export interface ByteSource {
  readonly size: number;
  /** For messages: a path, a URL or a file name. */
  readonly name: string;
  /** Exactly `length` bytes from `offset`; a range past the end is a CheckpointError. */
  read(offset: number, length: number): Promise<Uint8Array>;
  close(): Promise<void>;
}

export function checkRange(source: { size: number; name: string }, offset: number, length: number): void {
  if (
    !Number.isSafeInteger(offset) ||
    !Number.isSafeInteger(length) ||
    offset < 0 ||
    length < 0 ||
    offset + length > source.size
  ) {
    throw new CheckpointError(
      source.name,
      `truncated: wanted bytes [${offset}, ${offset + length}) of a ${source.size}-byte file`,
    );
  }
}

export class MemorySource implements ByteSource {
  readonly size: number;
  readonly bytes: Uint8Array;
  constructor(
    bytes: Uint8Array,
    readonly name: string,
  ) {
    this.bytes = new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.size = bytes.byteLength;
  }
  async read(offset: number, length: number): Promise<Uint8Array> {
    checkRange(this, offset, length);
    return this.bytes.subarray(offset, offset + length);
  }
  async close(): Promise<void> {}
}

/** A Blob or File (browser, or Node's global Blob). */
export class BlobSource implements ByteSource {
  readonly size: number;
  constructor(
    readonly blob: Blob,
    readonly name: string,
  ) {
    this.size = blob.size;
  }
  async read(offset: number, length: number): Promise<Uint8Array> {
    checkRange(this, offset, length);
    try {
      return new Uint8Array(await this.blob.slice(offset, offset + length).arrayBuffer());
    } catch (e) {
      // e.g. NotReadableError when the user's file changed or vanished after it was picked.
      throw new CheckpointError(
        this.name,
        `cannot read bytes [${offset}, ${offset + length}) (${(e as Error).message})`,
      );
    }
  }
  async close(): Promise<void> {}
}

/** A window [start, start + size) of another source, named as a member of it. */
export class SliceSource implements ByteSource {
  constructor(
    readonly parent: ByteSource,
    readonly start: number,
    readonly size: number,
    readonly name: string,
  ) {}
  read(offset: number, length: number): Promise<Uint8Array> {
    checkRange(this, offset, length);
    return this.parent.read(this.start + offset, length);
  }
  async close(): Promise<void> {}
}

/**
 * Files next to the one being read: shards of a sharded safetensors, a web-format directory, config.json.
 * Node: a directory on disk (source-node.ts). Browser: a URL base (UrlDirectory) or a stored model.
 */
export interface Directory {
  readonly name: string;
  /** undefined when the file does not exist. */
  open(relative: string): Promise<ByteSource | undefined>;
}

export async function readAll(source: ByteSource): Promise<Uint8Array> {
  return source.read(0, source.size);
}

/** A whole text file (JSON, merges.txt), at most LIMITS.jsonBytes. */
export async function readText(source: ByteSource): Promise<string> {
  if (source.size > LIMITS.jsonBytes.value)
    throw new CheckpointError(source.name, overLimit('jsonBytes', source.size, 'text file size'));
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(await readAll(source));
  } catch (e) {
    if (e instanceof CheckpointError) throw e;
    throw new CheckpointError(source.name, 'not UTF-8 text');
  }
}

export async function readJson(source: ByteSource): Promise<unknown> {
  const text = await readText(source);
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new CheckpointError(source.name, `not valid JSON (${(e as Error).message})`);
  }
}

/** A directory served over HTTP(S): `base` + relative path, fetched whole (web-format files are <= 64 MiB). */
export class UrlDirectory implements Directory {
  readonly name: string;
  constructor(
    readonly base: string,
    readonly fetchFn: typeof fetch = fetch,
  ) {
    this.name = base;
  }
  async open(relative: string): Promise<ByteSource | undefined> {
    return fetchSource(
      new URL(relative, this.base.endsWith('/') ? this.base : `${this.base}/`).toString(),
      this.fetchFn,
    );
  }
}

/** A whole file fetched over HTTP(S); undefined on 404. */
export async function fetchSource(url: string, fetchFn: typeof fetch = fetch): Promise<ByteSource | undefined> {
  let res: Response;
  try {
    res = await fetchFn(url);
  } catch (e) {
    throw new CheckpointError(url, `fetch failed (${(e as Error).message})`);
  }
  if (res.status === 404) return undefined;
  if (!res.ok) throw new CheckpointError(url, `HTTP ${res.status} ${res.statusText}`);
  return new MemorySource(new Uint8Array(await res.arrayBuffer()), url);
}
