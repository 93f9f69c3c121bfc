// A local imitation of the Hugging Face hub on 127.0.0.1: `/{org}/{name}/resolve/{revision}/{file}`,
// weight files answered with a 302 to another path (as the hub sends them to its CDN) carrying
// X-Linked-Etag, ETag and X-Repo-Commit headers, Range requests (206), 404 with X-Error-Code, and 401 for
// gated repos without the right bearer token. Every request is logged.
import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface HubRepoFixture {
  files: Map<string, Uint8Array>;
  /** Requests need `Authorization: Bearer <token>`. */
  token?: string;
}

export interface HubServerOptions {
  /** Ignore Range headers (always 200 with the whole file). */
  noRange?: boolean;
  /** Files (by name) whose bodies stop after this many bytes, the connection then destroyed. */
  dropAfter?: Map<string, number>;
}

export interface LoggedRequest {
  path: string;
  file: string;
  range?: string;
  status: number;
}

export interface HubServer {
  url: string;
  requests: LoggedRequest[];
  /** Requests for weight files (.safetensors / .bin and their shards), at the hub or the CDN path. */
  weightRequests(): LoggedRequest[];
  close(): Promise<void>;
}

const COMMIT = 'c0ffee0000000000000000000000000000000001';
const etag = (bytes: Uint8Array) => `"${createHash('sha256').update(bytes).digest('hex').slice(0, 40)}"`;
const isWeights = (file: string) => /\.(safetensors|bin)$/.test(file);

export async function startHubServer(
  repos: Record<string, HubRepoFixture>,
  opts: HubServerOptions = {},
): Promise<HubServer> {
  const requests: LoggedRequest[] = [];
  const server = createServer((req, res) => {
    // CORS as the hub answers it, so a page on another origin (the app under test) can read ranges and headers.
    res.setHeader('Access-Control-Allow-Origin', '*');
    res.setHeader(
      'Access-Control-Expose-Headers',
      'Content-Range, Content-Length, ETag, X-Linked-Etag, X-Repo-Commit, X-Error-Code',
    );
    if (req.method === 'OPTIONS') {
      res
        .writeHead(204, {
          'Access-Control-Allow-Headers': 'Range, Authorization',
          'Access-Control-Allow-Methods': 'GET, HEAD',
        })
        .end();
      return;
    }
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const log = (file: string, status: number) =>
      requests.push({ path: url.pathname, file, range: req.headers.range, status });
    const hub = /^\/([^/]+\/[^/]+)\/resolve\/([^/]+)\/(.+)$/.exec(url.pathname);
    const cdn = /^\/cdn\/([^/]+\/[^/]+)\/(.+)$/.exec(url.pathname);
    const [repoName, file] = hub
      ? [hub[1], decodeURIComponent(hub[3])]
      : cdn
        ? [cdn[1], decodeURIComponent(cdn[2])]
        : ['', ''];
    const repo = repos[repoName];
    if (!repo) {
      log(file, 404);
      res.writeHead(404, { 'X-Error-Code': 'RepoNotFound' }).end('Repository not found');
      return;
    }
    if (hub && repo.token && req.headers.authorization !== `Bearer ${repo.token}`) {
      log(file, 401);
      res.writeHead(401, { 'X-Error-Code': 'GatedRepo' }).end('Access to this repo is restricted');
      return;
    }
    const bytes = repo.files.get(file);
    if (!bytes) {
      log(file, 404);
      res.writeHead(404, { 'X-Error-Code': 'EntryNotFound' }).end('Entry not found');
      return;
    }
    if (hub && isWeights(file)) {
      log(file, 302);
      res
        .writeHead(302, {
          Location: `/cdn/${repoName}/${encodeURIComponent(file)}?signature=x`,
          'X-Linked-Etag': etag(bytes),
          'X-Repo-Commit': COMMIT,
        })
        .end();
      return;
    }
    serve(req, res, bytes, { ETag: etag(bytes), 'X-Repo-Commit': COMMIT }, opts, file, log);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    weightRequests: () => requests.filter((r) => isWeights(r.file) || r.file.endsWith('.index.json')),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function serve(
  req: IncomingMessage,
  res: ServerResponse,
  bytes: Uint8Array,
  headers: Record<string, string>,
  opts: HubServerOptions,
  file: string,
  log: (file: string, status: number) => void,
): void {
  let start = 0,
    end = bytes.byteLength;
  let status = 200;
  const range = opts.noRange ? undefined : /^bytes=(\d+)-(\d*)$/.exec(req.headers.range ?? '');
  if (range) {
    start = Number(range[1]);
    end = range[2] ? Math.min(Number(range[2]) + 1, bytes.byteLength) : bytes.byteLength;
    if (start >= bytes.byteLength) {
      log(file, 416);
      res.writeHead(416, { 'Content-Range': `bytes */${bytes.byteLength}` }).end();
      return;
    }
    status = 206;
    headers['Content-Range'] = `bytes ${start}-${end - 1}/${bytes.byteLength}`;
  }
  log(file, status);
  res.writeHead(status, {
    ...headers,
    'Accept-Ranges': opts.noRange ? 'none' : 'bytes',
    'Content-Length': String(end - start),
  });
  const drop = opts.dropAfter?.get(file);
  if (drop !== undefined && end - start > drop) {
    res.write(bytes.subarray(start, start + drop), () => res.destroy());
    return;
  }
  res.end(bytes.subarray(start, end));
}
