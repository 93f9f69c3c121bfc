// The limits every reader of untrusted files enforces before it allocates or loops, in one table (the README's
// "Limits" table is this list; test/fuzz/limits.test.ts keeps the two equal). A file past one gets a typed error
// from `beyond`, naming the limit, the value and the file.

export interface Limit {
  /** What is limited, as the README table and the messages name it. */
  readonly what: string;
  readonly value: number;
  readonly unit: string;
}

export const LIMITS = {
  imagePixels: { what: 'decoded image size', value: 64_000_000, unit: 'pixels' },
  imageDecodeBytes: { what: 'memory one image decode may hold', value: 512 * 2 ** 20, unit: 'bytes' },
  preprocessSide: { what: 'preprocessing side (size, crop_size, shortest_edge)', value: 4096, unit: 'pixels' },
  resizedPixels: { what: 'image size after the resize, before the crop', value: 64_000_000, unit: 'pixels' },
  pickleBytes: { what: 'pickle of a torch checkpoint', value: 2 ** 30, unit: 'bytes' },
  jsonBytes: {
    what: 'JSON file (config, manifest, tokenizer, preprocessor config)',
    value: 64 * 2 ** 20,
    unit: 'bytes',
  },
  vocabEntries: { what: 'tokenizer vocabulary entries and token ids', value: 1_000_000, unit: 'entries' },
  merges: { what: 'tokenizer merges', value: 1_000_000, unit: 'merges' },
  addedTokens: { what: 'tokenizer added tokens', value: 10_000, unit: 'tokens' },
  addedTokenChars: { what: 'length of one added token', value: 256, unit: 'characters' },
  layers: { what: 'layers of one tower', value: 96, unit: 'layers' },
  width: { what: 'hidden width, intermediate width, vocabulary and position rows', value: 1 << 20, unit: 'elements' },
} as const satisfies Record<string, Limit>;

export type LimitName = keyof typeof LIMITS;

/** "<detail>: <value> is over the limit of <limit> <unit> (<what>)": the detail of a typed error. */
export function overLimit(name: LimitName, value: number | string, detail: string): string {
  const l = LIMITS[name];
  return `${detail}: ${value} is over the limit of ${l.value} ${l.unit} (${l.what})`;
}

/** overLimit with the file in front, for the error classes whose message does not name a file. */
export function beyond(file: string, name: LimitName, value: number | string, detail: string): string {
  return `${file}: ${overLimit(name, value, detail)}`;
}
