// Failures talking to the Hugging Face hub: one line naming the repo and the file.
import { BridgeTowerError } from '../errors';

export type HubErrorKind = 'not-found' | 'unauthorized' | 'no-weights' | 'network' | 'http';

export class HubError extends BridgeTowerError {
  override readonly name = 'HubError';
  constructor(
    readonly kind: HubErrorKind,
    readonly repo: string,
    readonly file: string | undefined,
    /** The message after the repo and the file. */
    readonly detail: string,
  ) {
    super(`hub-${kind}`, `${repo}${file ? `/${file}` : ''}: ${detail}`);
  }
}
