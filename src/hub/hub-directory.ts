// A Hugging Face hub repo at one revision as a Directory, so the checkpoint readers and the folder logic
// (openWeights) read it like a local folder. Files are at `{endpoint}/{repo}/resolve/{revision}/{file}`;
// redirects (large files go to another host) are followed. Each file is opened with a Range request for
// its first block: a 206 answer makes it a random-access source read in ranges as the readers ask, a 200
// answer (a server that ignores Range) is read whole.
import { AbortedError } from '../errors';
import { checkRange, MemorySource, type ByteSource, type Directory } from '../checkpoint/byte-source';
import { hubLabel } from './hub-id';
import { HubError } from './hub-error';

export const DEFAULT_ENDPOINT = 'https://huggingface.co';
/** First block fetched when a file is opened (readers start with headers of a few KiB). */
const HEAD_BYTES = 64 * 1024;
/** Smallest range fetched after that: small reads (zip and pickle records) come from one block. */
const BLOCK_BYTES = 1024 * 1024;

export interface HubRepoOptions {
  endpoint?: string;
  revision?: string;
  accessToken?: string;
  signal?: AbortSignal;
  fetch?: typeof fetch;
  /** Called with the file name before each request for it (tests count weight requests). */
  onRequest?: (file: string) => void;
}

/** What the hub said about a file: its ETag and the commit the revision resolved to. */
export interface FileInfo {
  etag?: string;
  commit?: string;
}

export class HubRepo implements Directory {
  readonly endpoint: string;
  readonly revision: string;
  readonly name: string;
  readonly infos = new Map<string, FileInfo>();
  /** Files that fit in one head block, kept: config.json is read by the loader and again by openWeights. */
  private readonly small = new Map<string, MemorySource>();

  constructor(
    readonly repo: string,
    private readonly opts: HubRepoOptions = {},
  ) {
    this.endpoint = (opts.endpoint ?? DEFAULT_ENDPOINT).replace(/\/+$/, '');
    this.revision = opts.revision ?? 'main';
    this.name = `hf:${hubLabel(repo, this.revision)}`;
  }

  url(file: string): string {
    const path = file.split('/').map(encodeURIComponent).join('/');
    return `${this.endpoint}/${this.repo}/resolve/${encodeURIComponent(this.revision)}/${path}`;
  }

  /** A fetch of the hub with the token, turning failures into HubErrors naming repo and file. */
  async request(file: string, url: string, range?: [number, number]): Promise<Response> {
    const headers: Record<string, string> = {};
    if (range) headers.Range = `bytes=${range[0]}-${range[1] - 1}`;
    // The token goes to the hub only; fetch drops it on a redirect to another origin (the file CDN).
    if (this.opts.accessToken && url.startsWith(this.endpoint))
      headers.Authorization = `Bearer ${this.opts.accessToken}`;
    this.opts.onRequest?.(file);
    const signal = this.opts.signal;
    let res: Response;
    try {
      res = await (this.opts.fetch ?? fetch)(url, { headers, signal, redirect: 'follow' });
    } catch (e) {
      if (signal?.aborted) throw new AbortedError('loading the model was cancelled');
      throw new HubError('network', this.label, file, `cannot reach ${this.endpoint} (${causeOf(e)})`);
    }
    if (res.status === 401 || res.status === 403) {
      await res.body?.cancel();
      const how = this.opts.accessToken
        ? 'the token given has no access to it'
        : 'pass a token: the accessToken option, or HF_TOKEN in Node and the CLI';
      throw new HubError('unauthorized', this.label, file, `HTTP ${res.status}: the repo is gated or private; ${how}`);
    }
    return res;
  }

  get label(): string {
    return hubLabel(this.repo, this.revision);
  }

  async open(file: string): Promise<ByteSource | undefined> {
    const kept = this.small.get(file);
    if (kept) return kept;
    const url = this.url(file);
    const res = await this.request(file, url, [0, HEAD_BYTES]);
    if (res.status === 404) {
      await res.body?.cancel();
      if (res.headers.get('x-error-code') === 'RepoNotFound')
        throw new HubError('not-found', this.label, undefined, 'no such repo or revision on the hub (HTTP 404)');
      return undefined;
    }
    if (res.status === 416) {
      // An empty file cannot satisfy bytes=0-...: ask again without a range.
      await res.body?.cancel();
      return this.whole(file, await this.request(file, url));
    }
    this.infos.set(file, {
      etag: res.headers.get('x-linked-etag') ?? res.headers.get('etag') ?? undefined,
      commit: res.headers.get('x-repo-commit') ?? undefined,
    });
    if (res.status === 206) {
      const total = /\/(\d+)\s*$/.exec(res.headers.get('content-range') ?? '');
      if (total) {
        const head = await this.body(file, res);
        const size = Number(total[1]);
        if (head.byteLength !== Math.min(HEAD_BYTES, size))
          throw this.short(file, head.byteLength, Math.min(HEAD_BYTES, size));
        if (size <= HEAD_BYTES) return this.keep(file, new MemorySource(head, `${this.name}/${file}`));
        return new HubRangeSource(this, file, res.url || url, size, head);
      }
    }
    return this.whole(file, res);
  }

  private async whole(file: string, res: Response): Promise<ByteSource> {
    if (!res.ok) {
      await res.body?.cancel();
      throw new HubError('http', this.label, file, `HTTP ${res.status} ${res.statusText}`.trim());
    }
    const bytes = await this.body(file, res);
    const declared = Number(res.headers.get('content-length') ?? NaN);
    if (Number.isFinite(declared) && !res.headers.get('content-encoding') && declared !== bytes.byteLength)
      throw this.short(file, bytes.byteLength, declared);
    const source = new MemorySource(bytes, `${this.name}/${file}`);
    return bytes.byteLength <= HEAD_BYTES ? this.keep(file, source) : source;
  }

  private keep(file: string, source: MemorySource): MemorySource {
    this.small.set(file, source);
    return source;
  }

  /** A response body, with a dropped connection said as such. */
  async body(file: string, res: Response): Promise<Uint8Array> {
    try {
      return new Uint8Array(await res.arrayBuffer());
    } catch (e) {
      if (this.opts.signal?.aborted) throw new AbortedError('loading the model was cancelled');
      throw new HubError('network', this.label, file, `the connection dropped while downloading (${causeOf(e)})`);
    }
  }

  short(file: string, got: number, wanted: number): HubError {
    return new HubError(
      'network',
      this.label,
      file,
      `the server sent ${got} bytes where ${wanted} were due (connection dropped?)`,
    );
  }
}

/** A hub file read in ranges; keeps its first block and the last block fetched. */
class HubRangeSource implements ByteSource {
  readonly name: string;
  private block?: { start: number; bytes: Uint8Array };

  constructor(
    private readonly repo: HubRepo,
    private readonly file: string,
    private readonly url: string,
    readonly size: number,
    private readonly head: Uint8Array,
  ) {
    this.name = `${repo.name}/${file}`;
  }

  async read(offset: number, length: number): Promise<Uint8Array> {
    checkRange(this, offset, length);
    const end = offset + length;
    if (end <= this.head.byteLength) return this.head.subarray(offset, end);
    const b = this.block;
    if (b && offset >= b.start && end <= b.start + b.bytes.byteLength)
      return b.bytes.subarray(offset - b.start, end - b.start);
    const fetchEnd = Math.min(this.size, Math.max(end, offset + BLOCK_BYTES));
    const res = await this.repo.request(this.file, this.url, [offset, fetchEnd]);
    if (res.status !== 206 && res.status !== 200) {
      await res.body?.cancel();
      throw new HubError(
        'http',
        this.repo.label,
        this.file,
        `HTTP ${res.status} ${res.statusText} for bytes ${offset}-${fetchEnd - 1}`.trim(),
      );
    }
    let bytes = await this.repo.body(this.file, res);
    // A 200 is the whole file: a server that stopped honouring Range.
    if (res.status === 200) bytes = bytes.subarray(offset, fetchEnd);
    if (bytes.byteLength !== fetchEnd - offset) throw this.repo.short(this.file, bytes.byteLength, fetchEnd - offset);
    this.block = { start: offset, bytes };
    return bytes.subarray(0, length);
  }

  async close(): Promise<void> {
    this.block = undefined;
  }
}

function causeOf(e: unknown): string {
  const err = e as Error & { cause?: { code?: string; message?: string } };
  return err.cause?.code ?? err.cause?.message ?? err.message;
}
