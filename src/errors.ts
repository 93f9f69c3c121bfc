// Every failure the library reports on purpose is a BridgeTowerError with a stable `code`,
// so the CLI can print one line and the app can show words instead of a stack.
// Each class states its `name` as a string: a minifier renames classes, so `new.target.name` would read "q"
// in the CDN bundle or any production build. The README's "Errors" table lists every class and code.

export class BridgeTowerError extends Error {
  override readonly name: string = 'BridgeTowerError';
  constructor(
    /** Stable and specific: one per class below ('gpu' and 'io' for the base class, 'hub-…' per HubError kind). */
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/** No WebGPU adapter, or none that can run us. */
export class WebGPUUnavailableError extends BridgeTowerError {
  override readonly name = 'WebGPUUnavailableError';
  constructor(message: string) {
    super('webgpu-unavailable', message);
  }
}

/** A device limit or feature we need is not granted (binding size, buffer size, workgroup storage...). */
export class LimitError extends BridgeTowerError {
  override readonly name = 'LimitError';
  constructor(message: string) {
    super('limit', message);
  }
}

/** The GPU device was lost while we were using it. */
export class DeviceLostError extends BridgeTowerError {
  override readonly name = 'DeviceLostError';
  constructor(message: string) {
    super('device-lost', message);
  }
}

/** A tensor of the wrong shape or dtype reached a kernel, the model or a task. */
export class ShapeError extends BridgeTowerError {
  override readonly name = 'ShapeError';
  constructor(message: string) {
    super('shape', message);
  }
}

/** A checkpoint, safetensors file, zip or pickle that cannot be read. `file` names it. */
export class CheckpointError extends BridgeTowerError {
  override readonly name = 'CheckpointError';
  constructor(
    readonly file: string,
    detail: string,
  ) {
    super('checkpoint', `${file}: ${detail}`);
  }
}

/** A tensor the configuration requires is not in the weights. */
export class MissingTensorError extends BridgeTowerError {
  override readonly name = 'MissingTensorError';
  constructor(
    readonly tensor: string,
    where: string,
  ) {
    super('missing-tensor', `${where}: missing tensor ${tensor}`);
  }
}

/** Stored bytes do not match the checksum recorded for them. */
export class ChecksumError extends BridgeTowerError {
  override readonly name = 'ChecksumError';
  constructor(
    readonly file: string,
    detail: string,
  ) {
    super('checksum', `${file}: ${detail}`);
  }
}

/** A configuration that contradicts itself or the weights. */
export class ConfigError extends BridgeTowerError {
  override readonly name = 'ConfigError';
  constructor(message: string) {
    super('config', message);
  }
}

/** An image that cannot be decoded or is unusable (too large, zero-sized). */
export class ImageError extends BridgeTowerError {
  override readonly name = 'ImageError';
  constructor(message: string) {
    super('image', message);
  }
}

/** Tokenizer files that are malformed, or text that cannot be encoded. */
export class TokenizerError extends BridgeTowerError {
  override readonly name = 'TokenizerError';
  constructor(message: string) {
    super('tokenizer', message);
  }
}

/** Text a task cannot use: empty or only whitespace. */
export class TextError extends BridgeTowerError {
  override readonly name = 'TextError';
  constructor(message: string) {
    super('text', message);
  }
}

/** A task needs a head the loaded checkpoint does not have. */
export class HeadUnavailableError extends BridgeTowerError {
  override readonly name = 'HeadUnavailableError';
  constructor(
    readonly head: string,
    message: string,
  ) {
    super('head-unavailable', message);
  }
}

/** Bad command-line usage. */
export class UsageError extends BridgeTowerError {
  override readonly name = 'UsageError';
  constructor(message: string) {
    super('usage', message);
  }
}

/** The caller's AbortSignal fired. */
export class AbortedError extends BridgeTowerError {
  override readonly name = 'AbortedError';
  constructor(message = 'aborted') {
    super('aborted', message);
  }
}

/** A public argument or option of the wrong type or out of range: a string where a list goes, topK 0, an empty list. */
export class ArgumentError extends BridgeTowerError {
  override readonly name = 'ArgumentError';
  constructor(message: string) {
    super('argument', message);
  }
}

/** A call on a model after its dispose(). */
export class DisposedError extends BridgeTowerError {
  override readonly name = 'DisposedError';
  constructor(message: string) {
    super('disposed', message);
  }
}

/** A search index file that is not one, or is damaged (src/search/index-file.ts documents the format). */
export class IndexFileError extends BridgeTowerError {
  override readonly name = 'IndexFileError';
  constructor(
    readonly file: string,
    message: string,
  ) {
    super('index-file', `${file}: ${message}`);
  }
}

/** A search index made by another model (weights, definitions, dtype or preprocessing) than the one given. */
export class IndexMismatchError extends BridgeTowerError {
  override readonly name = 'IndexMismatchError';
  constructor(message: string) {
    super('index-mismatch', message);
  }
}
