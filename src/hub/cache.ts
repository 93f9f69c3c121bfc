// The cache of models converted from the hub: each entry is a web-format directory, keyed by repo, revision,
// the commit and ETags the hub reported, and the dtype. An entry becomes visible only once complete (Node:
// a directory renamed into place; browser: a manifest written last), so a failed or cancelled download
// leaves nothing a later load would trust.
import { crc32 } from '../common/crc32';
import type { ConvertOptions, ConvertibleWeights } from '../checkpoint/web-format-write';

export interface ModelCache {
  /** For messages: a directory, or the browser storage used. */
  readonly where: string;
  /** A complete entry, or undefined. */
  open(key: string): Promise<ConvertibleWeights | undefined>;
  /** Convert `weights` into a new entry and open it; on failure nothing stays behind. */
  store(key: string, weights: ConvertibleWeights, opts: ConvertOptions): Promise<ConvertibleWeights>;
  /** The complete entries of a repo (any revision and dtype), as a user would load them: paths, storage keys. */
  copiesOf(repo: string): Promise<string[]>;
}

export interface CacheKeyParts {
  endpoint: string;
  repo: string;
  revision: string;
  /** The commit the revision resolved to (X-Repo-Commit), when the server says. */
  commit?: string;
  /** ETags of the files read before the weights (config.json), by file. */
  etags: Record<string, string | undefined>;
  dtype: string;
}

/** A name safe as a directory name and a browser storage name (letters, digits, . + - _), at most 100 chars. */
export function cacheKey(p: CacheKeyParts): string {
  const identity = JSON.stringify([
    p.endpoint,
    p.repo,
    p.revision,
    p.commit ?? null,
    Object.entries(p.etags).sort(),
    p.dtype,
  ]);
  const hash = crc32(new TextEncoder().encode(identity)).toString(16).padStart(8, '0');
  return `${readable(`${p.repo}+${p.revision}`)}+${p.dtype}+${hash}`;
}

/** Whether a cache key is one of this repo's entries (keys start with the repo's readable name). */
export function isKeyOf(key: string, repo: string): boolean {
  return key.startsWith(readable(`${repo}+`));
}

function readable(name: string): string {
  return name
    .replace('/', '+')
    .replace(/[^\w.+-]/g, '_')
    .slice(0, 80);
}
