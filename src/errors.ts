// Every failure the library reports on purpose is a BridgeTowerError with a stable `code`,
// so the CLI can print one line and the app can show words instead of a stack.

export class BridgeTowerError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = new.target.name;
  }
}

/** No WebGPU adapter, or none that can run us. */
export class WebGPUUnavailableError extends BridgeTowerError {
  constructor(message: string) {
    super('webgpu-unavailable', message);
  }
}

/** A device limit or feature we need is not granted (binding size, buffer size, workgroup storage...). */
export class LimitError extends BridgeTowerError {
  constructor(message: string) {
    super('limit', message);
  }
}

/** The GPU device was lost while we were using it. */
export class DeviceLostError extends BridgeTowerError {
  constructor(message: string) {
    super('device-lost', message);
  }
}

/** A tensor of the wrong shape or dtype reached a kernel, the model or a task. */
export class ShapeError extends BridgeTowerError {
  constructor(message: string) {
    super('shape', message);
  }
}

/** A checkpoint, safetensors file, zip or pickle that cannot be read. `file` names it. */
export class CheckpointError extends BridgeTowerError {
  constructor(
    readonly file: string,
    detail: string,
  ) {
    super('checkpoint', `${file}: ${detail}`);
  }
}

/** A tensor the configuration requires is not in the weights. */
export class MissingTensorError extends BridgeTowerError {
  constructor(
    readonly tensor: string,
    where: string,
  ) {
    super('missing-tensor', `${where}: missing tensor ${tensor}`);
  }
}

/** Stored bytes do not match the checksum recorded for them. */
export class ChecksumError extends BridgeTowerError {
  constructor(
    readonly file: string,
    detail: string,
  ) {
    super('checksum', `${file}: ${detail}`);
  }
}

/** A configuration that contradicts itself or the weights. */
export class ConfigError extends BridgeTowerError {
  constructor(message: string) {
    super('config', message);
  }
}

/** An image that cannot be decoded or is unusable (too large, zero-sized). */
export class ImageError extends BridgeTowerError {
  constructor(message: string) {
    super('image', message);
  }
}

/** Tokenizer files that are malformed, or text that cannot be encoded. */
export class TokenizerError extends BridgeTowerError {
  constructor(message: string) {
    super('tokenizer', message);
  }
}

/** Text a task cannot use: empty or only whitespace. */
export class TextError extends BridgeTowerError {
  constructor(message: string) {
    super('text', message);
  }
}

/** A task needs a head the loaded checkpoint does not have. */
export class HeadUnavailableError extends BridgeTowerError {
  constructor(
    readonly head: string,
    message: string,
  ) {
    super('head-unavailable', message);
  }
}

/** Bad command-line usage. */
export class UsageError extends BridgeTowerError {
  constructor(message: string) {
    super('usage', message);
  }
}

/** The caller's AbortSignal fired. */
export class AbortedError extends BridgeTowerError {
  constructor(message = 'aborted') {
    super('aborted', message);
  }
}

/** A search index file that is not one, or is damaged (src/search/index-file.ts documents the format). */
export class IndexFileError extends BridgeTowerError {
  constructor(
    readonly file: string,
    message: string,
  ) {
    super('index-file', `${file}: ${message}`);
  }
}

/** A search index made by another model (weights, definitions, dtype or preprocessing) than the one given. */
export class IndexMismatchError extends BridgeTowerError {
  constructor(message: string) {
    super('index-mismatch', message);
  }
}
