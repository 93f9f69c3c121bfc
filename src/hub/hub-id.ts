// Hugging Face model ids as users write them: `org/name`, `hf:org/name`, `hf:org/name@revision`.
import { UsageError } from '../errors';

export interface HubId {
  /** `org/name` */
  repo: string;
  revision?: string;
}

const REPO = /^[A-Za-z0-9][\w.-]*\/[A-Za-z0-9][\w.-]*$/;

/**
 * A hub id, or undefined when `source` is a URL or path. `hf:` always means the hub; a bare `org/name`
 * does too (a relative URL of a folder is written `./org/name` or `org/name/`).
 */
export function parseHubId(source: string): HubId | undefined {
  const explicit = source.startsWith('hf:');
  const body = explicit ? source.slice(3) : source;
  const at = body.indexOf('@');
  const repo = at < 0 ? body : body.slice(0, at);
  const revision = at < 0 ? undefined : body.slice(at + 1);
  if (REPO.test(repo) && !repo.includes('..') && (revision === undefined || /^[^\s/\\][^\s\\]*$/.test(revision))) {
    if (explicit || revision === undefined) return { repo, revision };
  }
  if (explicit)
    throw new UsageError(
      `${JSON.stringify(source)} is not a Hugging Face model id: write hf:ORG/NAME or hf:ORG/NAME@REVISION`,
    );
  return undefined;
}

/** `org/name@revision`, for messages. */
export function hubLabel(repo: string, revision: string): string {
  return `${repo}@${revision}`;
}
