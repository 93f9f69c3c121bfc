// The readers the fuzzer drives, each with its seed files, its mutators (byte-level and structure-aware) and
// the call that reads a mutant the way the library would: open, then read everything there is to read.
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { MemorySource, readJson, readText, type ByteSource, type Directory } from '../../src/checkpoint/byte-source';
import { crc32 } from '../../src/common/crc32';
import { openWeights } from '../../src/checkpoint/open';
import { parsePreprocessorConfig } from '../../src/checkpoint/preprocessor-config';
import { NodeDirSink } from '../../src/checkpoint/source-node';
import { parseMergesTxt } from '../../src/checkpoint/tokenizer-files';
import { LEGACY_MAGIC, readTorchLegacy, readTorchZip } from '../../src/checkpoint/torch';
import { writeWebFormat } from '../../src/checkpoint/web-format-write';
import { decodeImage } from '../../src/preprocess/decode';
import { preprocessImage } from '../../src/preprocess/image';
import { RobertaTokenizer } from '../../src/preprocess/tokenizer';
import { OrderedDict, pickle, RawOps, Tensor, torchZip, Tuple, type PickleValue } from '../support/torch-writer';
import {
  below,
  concat,
  mutateBytes,
  mutateBytesRepeatedly,
  mutateJsonText,
  mutateJsonValue,
  pick,
  stringify,
  type Rand,
} from './mutate';

const FIXTURES = fileURLToPath(new URL('../fixtures/', import.meta.url));
const fixtures = new Map<string, Uint8Array>();
/** A fixture file, read once per process (mutators copy before they change anything). */
const fixture = (path: string): Uint8Array => {
  let b = fixtures.get(path);
  if (!b) fixtures.set(path, (b = new Uint8Array(readFileSync(join(FIXTURES, path)))));
  return b;
};
const text = (path: string): string => new TextDecoder().decode(fixture(path));
const utf8 = (s: string): Uint8Array => new TextEncoder().encode(s);

export interface Mutant {
  bytes: Uint8Array;
  /** Which mutator made it (the report counts mutants per mutator). */
  tag: string;
}

export interface Target {
  name: string;
  /** File extension of its regression files under test/fixtures/fuzz/. */
  ext: string;
  mutate(rand: Rand): Promise<Mutant>;
  /** Read the bytes as the library would; resolves when accepted, rejects with what the library threw. */
  run(bytes: Uint8Array): Promise<void>;
}

/** A directory held in memory: the files a mutant replaces, and the rest as they are. */
function memoryDirectory(name: string, files: Map<string, Uint8Array>): Directory {
  return {
    name,
    open: async (f: string): Promise<ByteSource | undefined> => {
      const b = files.get(f);
      return b && new MemorySource(b, `${name}/${f}`);
    },
  };
}

async function readAllTensors(open: Promise<Awaited<ReturnType<typeof openWeights>>>): Promise<void> {
  const w = await open;
  try {
    for (const n of w.names()) await w.read(n);
  } finally {
    await w.close();
  }
}

async function readRaw(open: Promise<Awaited<ReturnType<typeof readTorchZip>>>): Promise<void> {
  const raw = await open;
  try {
    for (const r of raw.tensors.values()) await r.read();
  } finally {
    await raw.close();
  }
}

function once<T>(make: () => Promise<T>): () => Promise<T> {
  let p: Promise<T> | undefined;
  return () => (p ??= make());
}

// ---- pickles: a small checkpoint described as values, so mutants change shapes, storages and calls ----

/** Stack-neutral pickle snippets (each leaves nothing behind) that a hostile checkpoint might carry. */
const CALLS: Array<[string, string]> = [
  ['os', 'system'],
  ['builtins', 'eval'],
  ['builtins', 'exec'],
  ['subprocess', 'Popen'],
  ['posix', 'system'],
  ['builtins', '__import__'],
];

function callPayload(rand: Rand): RawOps {
  const [module, name] = pick(rand, CALLS);
  const arg = utf8(`S'touch /tmp/bridgetower-fuzz-pwned'\n`);
  const forms = [
    // GLOBAL, MARK, STRING, TUPLE, REDUCE, POP
    () => concat([utf8(`c${module}\n${name}\n(`), arg, Uint8Array.of(0x74, 0x52, 0x30)]),
    // STACK_GLOBAL, TUPLE1, REDUCE, BUILD, POP
    () =>
      concat([
        Uint8Array.of(0x8c, module.length),
        utf8(module),
        Uint8Array.of(0x8c, name.length),
        utf8(name),
        Uint8Array.of(0x93),
        arg,
        Uint8Array.of(0x85, 0x52, 0x7d, 0x62, 0x30),
      ]),
    // MARK, INST, POP
    () => concat([Uint8Array.of(0x28), arg, utf8(`i${module}\n${name}\n`), Uint8Array.of(0x30)]),
    // NEWOBJ, POP
    () => concat([utf8(`c${module}\n${name}\n`), arg, Uint8Array.of(0x85, 0x81, 0x30)]),
  ];
  return new RawOps(pick(rand, forms)());
}

const op = (...b: number[]): Uint8Array => Uint8Array.of(...b);
const u32le = (n: number): Uint8Array => {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setUint32(0, n, true);
  return b;
};

/** Nested lists `depth` deep, left on the stack. */
const deepList = (depth: number): Uint8Array =>
  concat([new Uint8Array(depth).fill(0x5d), new Uint8Array(depth - 1).fill(0x61)]);

/** Hostile values (each pushes exactly one value): huge integers, deep nests, cycles, shared subtrees. */
function hostileValue(rand: Rand): RawOps {
  const forms = [
    () => {
      const n = pick(rand, [1000, 100_000, 300_000]);
      return concat([op(0x8b), u32le(n), new Uint8Array(n).fill(0x41 + below(rand, 0x80))]);
    },
    () => deepList(pick(rand, [100, 10_000, 100_000])),
    // A list that contains itself: EMPTY_LIST, BINPUT 9, BINGET 9, APPEND.
    () => op(0x5d, 0x71, 9, 0x68, 9, 0x61),
    // l(k+1) = (l(k), l(k)), 40 times: 2^40 paths through 40 objects.
    () => {
      const parts = [op(0x5d, 0x71, 7)];
      for (let i = 0; i < 40; i++) parts.push(op(0x68, 7, 0x68, 7, 0x86, 0x71, 7, 0x30));
      parts.push(op(0x68, 7));
      return concat(parts);
    },
    () => op(0x8a, 9, 1, 2, 3, 4, 5, 6, 7, 8, 0x7f),
    () => concat([op(0x58), u32le(70_000), new Uint8Array(70_000).fill(0x61)]),
  ];
  return new RawOps(pick(rand, forms)());
}

interface PickleCheckpoint {
  top: PickleValue;
  storages: Map<string, Uint8Array>;
}

function smallCheckpoint(rand: Rand): PickleCheckpoint {
  const storages = new Map<string, Uint8Array>([
    ['0', new Uint8Array(24)],
    ['1', new Uint8Array(8)],
  ]);
  const shapes: Array<[number[], number[] | undefined, number]> = [
    [[2, 3], undefined, 0],
    [[3], [1], 1],
  ];
  const value = (): PickleValue => {
    const r = rand();
    if (r < 0.5) return hostileValue(rand);
    if (r < 0.7) return pick(rand, [-1, 2 ** 40, 1e9, 0, 1.5]) as number;
    if (r < 0.8) return BigInt(2) ** BigInt(pick(rand, [63, 64, 200]));
    return 'x'.repeat(pick(rand, [1, 1000]));
  };
  const tensors: Array<[PickleValue, PickleValue]> = shapes.map(([shape, stride, offset], i) => {
    const key = String(i);
    const storage = { key, type: i === 0 ? 'FloatStorage' : 'HalfStorage', numel: i === 0 ? 6 : 4 };
    return [`layer.${i}.weight`, new Tensor(storage, offset, shape, stride)];
  });
  const mutation = below(rand, 6);
  if (mutation === 0) {
    // A tensor whose shape, stride or offset is hostile: built by hand around the value.
    const v = value();
    const storage = new Tuple(['storage', new RawOps(utf8('ctorch\nFloatStorage\n')), '0', 'cpu', 6]);
    const args: PickleValue[] = [
      new RawOps(concat([op(0x28), pickle(storage).subarray(2, -1), op(0x51)])),
      rand() < 0.3 ? v : 0,
      rand() < 0.7 ? v : new Tuple([2, 3]),
      rand() < 0.5 ? v : new Tuple([3, 1]),
    ];
    tensors.push([
      'hostile.weight',
      new RawOps(
        concat([utf8('ctorch._utils\n_rebuild_tensor_v2\n'), pickle(new Tuple(args)).subarray(2, -1), op(0x52)]),
      ),
    ]);
  } else if (mutation === 1) {
    // A persistent id that is hostile: BINPERSID on a hostile value.
    tensors.push(['pid.weight', new RawOps(concat([hostileValue(rand).bytes, op(0x51)]))]);
  } else if (mutation === 2) tensors.push(['call', callPayload(rand)]);
  else if (mutation === 3) {
    const t = tensors[below(rand, tensors.length)][1] as Tensor;
    const storage = { ...t.storage };
    if (rand() < 0.5) storage.numel = pick(rand, [0, 1, 2 ** 40, 4e15]);
    else storage.type = pick(rand, ['DoubleStorage', 'BoolStorage', 'Storage', 'os.system']);
    tensors.push(['changed.weight', new Tensor(storage, t.offset, t.shape, t.stride)]);
  } else if (mutation === 4) storages.set('1', new Uint8Array(below(rand, 8)));
  const config = new Map<PickleValue, PickleValue>([
    ['hidden_size', 32],
    ['layers', [1, 2, 3]],
  ]);
  if (mutation === 5) config.set('deep', hostileValue(rand));
  const top = new Map<PickleValue, PickleValue>([
    ['state_dict', new OrderedDict(tensors)],
    ['hyper_parameters', new Map<PickleValue, PickleValue>([['config', config]])],
  ]);
  if (rand() < 0.3) top.set('payload', callPayload(rand));
  return { top, storages };
}

/** A legacy torch.save stream: magic, protocol, sys_info, the objects, the storage keys, then the storages. */
function legacyBytes(
  pkl: Uint8Array,
  storages: Map<string, Uint8Array>,
  elementBytes: Map<string, number>,
): Uint8Array {
  const parts = [concat([LEGACY_MAGIC, op(0x2e)]), pickle(1001), pickle(new Map([['little_endian', true]])), pkl];
  parts.push(pickle([...storages.keys()]));
  for (const [key, data] of storages) {
    const count = new Uint8Array(8);
    new DataView(count.buffer).setBigInt64(0, BigInt(Math.floor(data.length / elementBytes.get(key)!)), true);
    parts.push(count, data);
  }
  return concat(parts);
}

/** The pickle bytes of a small checkpoint, mutated by value and sometimes by byte. */
function pickleMutant(rand: Rand): { pkl: Uint8Array; storages: Map<string, Uint8Array>; tag: string } {
  const { top, storages } = smallCheckpoint(rand);
  let pkl = pickle(top);
  let tag = 'pickle-values';
  if (rand() < 0.25) {
    pkl = mutateBytesRepeatedly(pkl, rand);
    tag = 'pickle-bytes';
  }
  return { pkl, storages, tag };
}

/** Where the stored data.pkl of a torch zip lies (local header at offset 0, as torch writes it). */
function dataPkl(zip: Uint8Array): { start: number; size: number; central: number } {
  const v = new DataView(zip.buffer, zip.byteOffset, zip.byteLength);
  const start = 30 + v.getUint16(26, true) + v.getUint16(28, true);
  for (let i = zip.length - 22; i >= 0; i--)
    if (v.getUint32(i, true) === 0x06054b50) {
      const central = v.getUint32(i + 16, true);
      return { start, size: v.getUint32(central + 24, true), central };
    }
  throw new Error('fixture without an end-of-central-directory record');
}

const ckptZip: Target = {
  name: 'ckpt-zip',
  ext: 'ckpt',
  async mutate(rand) {
    const r = rand();
    if (r < 0.5) {
      const { pkl, storages } = pickleMutant(rand);
      return { bytes: await torchZip('archive', new RawOps(pkl), storages), tag: 'zip-of-pickle' };
    }
    const base = fixture('tiny/model.ckpt');
    const { start, size, central } = dataPkl(base);
    if (r < 0.75) return { bytes: mutateBytesRepeatedly(base, rand, central, base.length), tag: 'central-directory' };
    if (r < 0.85) return { bytes: mutateBytesRepeatedly(base, rand), tag: 'anywhere' };
    // The fixture's pickle, damaged with its length kept and the CRCs made right again.
    const bytes = base.slice();
    const fixed = new Uint8Array(size).fill(0x2e);
    fixed.set(mutateBytesRepeatedly(base.subarray(start, start + size), rand).subarray(0, size));
    bytes.set(fixed, start);
    const crc = crc32(fixed);
    new DataView(bytes.buffer).setUint32(14, crc, true);
    new DataView(bytes.buffer).setUint32(central + 16, crc, true);
    return { bytes, tag: 'fixture-pickle' };
  },
  async run(bytes) {
    await readRaw(readTorchZip(new MemorySource(bytes, 'fuzz.ckpt')));
    await readAllTensors(openWeights(new MemorySource(bytes, 'fuzz.ckpt')));
  },
};

const torchLegacy: Target = {
  name: 'torch-legacy',
  ext: 'pt',
  async mutate(rand) {
    if (rand() < 0.5) {
      const { pkl, storages, tag } = pickleMutant(rand);
      const sizes = new Map([
        ['0', 4],
        ['1', 2],
      ]);
      return { bytes: legacyBytes(pkl, storages, sizes), tag: `legacy-${tag}` };
    }
    const base = fixture('tiny-legacy/model.ckpt');
    const [lo, hi] = rand() < 0.8 ? [0, 60_000] : [0, base.length];
    return { bytes: mutateBytesRepeatedly(base, rand, lo, hi), tag: 'fixture-bytes' };
  },
  async run(bytes) {
    await readRaw(readTorchLegacy(new MemorySource(bytes, 'fuzz.pt')));
    await readAllTensors(openWeights(new MemorySource(bytes, 'fuzz.pt')));
  },
};

// ---- safetensors and config.json ----

function safetensorsParts(bytes: Uint8Array): { header: string; data: Uint8Array } {
  const n = Number(new DataView(bytes.buffer, bytes.byteOffset).getBigUint64(0, true));
  return { header: new TextDecoder().decode(bytes.subarray(8, 8 + n)), data: bytes.subarray(8 + n) };
}

const safetensors: Target = {
  name: 'safetensors',
  ext: 'safetensors',
  async mutate(rand) {
    const base = fixture('tiny/model-hf.safetensors');
    const r = rand();
    if (r < 0.6) {
      // The header JSON mutated by value, its length field kept true (or, sometimes, not).
      const { header, data } = safetensorsParts(base);
      const json = mutateJsonText(header, rand);
      const length = new Uint8Array(8);
      new DataView(length.buffer).setBigUint64(0, BigInt(json.length + (rand() < 0.1 ? below(rand, 64) : 0)), true);
      return { bytes: concat([length, json, data]), tag: 'header-json' };
    }
    const headerEnd = 8 + Number(new DataView(base.buffer, base.byteOffset).getBigUint64(0, true));
    const [lo, hi] = r < 0.9 ? [0, headerEnd] : [0, base.length];
    return { bytes: mutateBytesRepeatedly(base, rand, lo, hi), tag: 'bytes' };
  },
  async run(bytes) {
    const config = JSON.parse(text('tiny/config-hf.json')) as unknown;
    await readAllTensors(openWeights(new MemorySource(bytes, 'fuzz.safetensors'), { config }));
  },
};

const configJson: Target = {
  name: 'config-json',
  ext: 'json',
  async mutate(rand) {
    // HF's config.json, or the authors' config (the one Lightning checkpoints carry) in its place.
    const hf = rand() < 0.7;
    const seed = hf
      ? text('tiny/config-hf.json')
      : JSON.stringify((JSON.parse(text('tiny/manifest.json')) as { config: unknown }).config);
    return { bytes: mutateJsonText(seed, rand), tag: hf ? 'hf-config' : 'authors-config' };
  },
  async run(bytes) {
    const files = new Map([
      ['config.json', bytes],
      ['model.safetensors', fixture('tiny/model-hf.safetensors')],
    ]);
    await readAllTensors(openWeights(memoryDirectory('fuzz', files)));
  },
};

// ---- the web format: the tiny fixture converted once per process, then its manifest and shards mutated ----

export const webFiles = once(async () => {
  const dir = mkdtempSync(join(tmpdir(), 'bt-fuzz-web-'));
  try {
    const source = await openWeights(new MemorySource(fixture('tiny/model.ckpt'), 'tiny.ckpt'));
    await writeWebFormat(source, new NodeDirSink(dir), { dtype: 'f16', maxShardBytes: 64 * 1024 });
    await source.close();
    return new Map(readdirSync(dir).map((f) => [f, new Uint8Array(readFileSync(join(dir, f)))] as const));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

/** A web-format mutant as one file: the name of the file it replaces (a NUL after it), then its new bytes. */
export function packFile(name: string, bytes: Uint8Array): Uint8Array {
  return concat([utf8(name), op(0), bytes]);
}
async function unpackFiles(bytes: Uint8Array): Promise<Map<string, Uint8Array>> {
  const files = new Map<string, Uint8Array>(await webFiles());
  const nul = bytes.indexOf(0);
  files.set(new TextDecoder().decode(bytes.subarray(0, nul)), bytes.subarray(nul + 1));
  return files;
}

const WEB_CONFIG_FIELDS: Array<[Array<string | number>, unknown[]]> = [
  [['config'], [[], {}, null, 7]],
  [
    ['config', 'vision'],
    [undefined, null, []],
  ],
  [
    ['config', 'text'],
    [undefined, null],
  ],
  [
    ['config', 'heads'],
    [undefined, null, 'vqa'],
  ],
  [
    ['config', 'vision', 'layers'],
    [1e9, 1e6, -1, 0, 1.5],
  ],
  [
    ['config', 'text', 'layers'],
    [1e6, 1e9, 0],
  ],
  [
    ['config', 'vision', 'width'],
    [1e9, 0, 33],
  ],
  [
    ['config', 'text', 'vocabSize'],
    [1e12, 0],
  ],
  [['tokenizer'], [null, {}, { vocab: 'vocab.json', merges: 'merges.txt' }, 'x']],
  [
    ['shards', 0, 'length'],
    [4e15, 0, -1],
  ],
  [
    ['tensors', 0, 'length'],
    [4e15, 2 ** 31, 0],
  ],
  [
    ['tensors', 0, 'shape'],
    [[1e9, 1e9], [], [-1]],
  ],
  [
    ['tensors', 0, 'offset'],
    [4e15, -1],
  ],
  [
    ['tensors', 0, 'shard'],
    [1e9, -1, 1],
  ],
  [['tensors'], [[], {}, null]],
  [['shards'], [[], null]],
];

function setPath(doc: unknown, path: Array<string | number>, value: unknown): void {
  let o = doc as Record<string | number, unknown>;
  for (const p of path.slice(0, -1)) {
    if (!o || typeof o !== 'object') return;
    o = o[p] as Record<string | number, unknown>;
  }
  if (!o || typeof o !== 'object') return;
  if (value === undefined) delete o[path[path.length - 1]];
  else o[path[path.length - 1]] = value;
}

const webFormat: Target = {
  name: 'web-format',
  ext: 'web',
  async mutate(rand) {
    const files = await webFiles();
    const manifest = JSON.parse(new TextDecoder().decode(files.get('manifest.json'))) as unknown;
    const r = rand();
    if (r < 0.35) {
      const [path, values] = pick(rand, WEB_CONFIG_FIELDS);
      const shaped = path.map((p) => (p === 0 ? below(rand, 4) : p));
      setPath(manifest, shaped, pick(rand, values));
      return { bytes: packFile('manifest.json', utf8(JSON.stringify(manifest))), tag: 'manifest-field' };
    }
    if (r < 0.8)
      return {
        bytes: packFile('manifest.json', utf8(stringify(mutateJsonValue(manifest, rand)))),
        tag: 'manifest-json',
      };
    const s = pick(
      rand,
      [...files.keys()].filter((f) => f !== 'manifest.json'),
    );
    const shard = files.get(s)!;
    const bytes = rand() < 0.5 ? shard.subarray(0, below(rand, shard.length)) : mutateBytes(shard, rand);
    return { bytes: packFile(s, bytes), tag: 'shard-bytes' };
  },
  async run(bytes) {
    await readAllTensors(openWeights(memoryDirectory('fuzz-web', await unpackFiles(bytes))));
  },
};

// ---- tokenizer files ----

function tokenizerJson(): string {
  const vocab = JSON.parse(text('demo-model/vocab.json')) as Record<string, number>;
  const merges = parseMergesTxt(text('demo-model/merges.txt'), 'merges.txt');
  const added = ['<s>', '<pad>', '</s>', '<unk>', '<mask>']
    .filter((t) => vocab[t] !== undefined)
    .map((content) => ({ id: vocab[content], content, lstrip: content === '<mask>', rstrip: false, special: true }));
  return JSON.stringify({
    version: '1.0',
    added_tokens: added,
    pre_tokenizer: { type: 'ByteLevel', add_prefix_space: false },
    model: { type: 'BPE', vocab, merges },
  });
}

const TEXTS = ['a photo of a <mask> on the grass', '  Hello, world! 123 <s></s>', 'ünïcödé 🐈 text'];

const tokenizer: Target = {
  name: 'tokenizer',
  ext: 'tokenizer.json',
  async mutate(rand) {
    const r = rand();
    if (r < 0.8) return { bytes: mutateJsonText(tokenizerJson(), rand), tag: 'tokenizer.json' };
    // vocab.json beside the demo merges.txt.
    return { bytes: mutateJsonText(text('demo-model/vocab.json'), rand), tag: 'vocab.json' };
  },
  async run(bytes) {
    const src = new MemorySource(bytes, 'fuzz-tokenizer.json');
    const doc = await readJson(src);
    const json = await readText(src);
    const tok =
      doc && typeof doc === 'object' && 'model' in doc
        ? RobertaTokenizer.fromTokenizerJson(json, src.name)
        : RobertaTokenizer.fromVocabMerges(json, text('demo-model/merges.txt'), src.name);
    tok.encodeBatch(TEXTS, 64);
  },
};

// ---- preprocessor_config.json ----

const IMAGE_40x30 = { width: 40, height: 30, data: new Uint8Array(40 * 30 * 3).map((_, i) => (i * 37) & 255) };

const preprocessorConfig: Target = {
  name: 'preprocessor-config',
  ext: 'json',
  async mutate(rand) {
    const seed = text('hf-model/preprocessor_config.json');
    if (rand() < 0.3) {
      const doc = JSON.parse(seed) as Record<string, unknown>;
      const key = pick(rand, ['size', 'crop_size', 'size_divisor', 'rescale_factor', 'image_std', 'image_mean']);
      doc[key] = pick(rand, [
        5e-324,
        1e9,
        2097152,
        32000,
        4097,
        { shortest_edge: 32000 },
        { height: 1e9, width: 1e9 },
        0,
      ]);
      return { bytes: utf8(JSON.stringify(doc)), tag: 'sizes' };
    }
    return { bytes: mutateJsonText(seed, rand), tag: 'json' };
  },
  async run(bytes) {
    const src = new MemorySource(bytes, 'preprocessor_config.json');
    const processor = parsePreprocessorConfig(await readJson(src), src.name);
    preprocessImage(IMAGE_40x30, { size: processor.cropSize, mode: 'hf', processor });
  },
};

// ---- images ----

const imageFiles = (ext: string): Uint8Array[] =>
  readdirSync(join(FIXTURES, 'images'))
    .filter((f) => f.endsWith(ext))
    .sort()
    .map((f) => fixture(`images/${f}`));

/** Make every PNG chunk's CRC right again, so a mutation reaches the decoder behind the CRC check. */
function fixPngCrcs(bytes: Uint8Array): Uint8Array {
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (let pos = 8; pos + 12 <= bytes.length;) {
    const length = v.getUint32(pos);
    if (pos + 12 + length > bytes.length) break;
    v.setUint32(pos + 8 + length, crc32(bytes.subarray(pos + 4, pos + 8 + length)));
    pos += 12 + length;
  }
  return bytes;
}

const png: Target = {
  name: 'png',
  ext: 'png',
  async mutate(rand) {
    const base = pick(rand, imageFiles('.png'));
    const r = rand();
    if (r < 0.3) {
      // IHDR width and height (bytes 16..24) set to sizes the data cannot hold.
      const out = base.slice();
      const v = new DataView(out.buffer);
      const size = pick(rand, [8000, 32767, 65535, 100_000, 2 ** 31 - 1, 1, 0]);
      if (rand() < 0.7) v.setUint32(16, size);
      if (rand() < 0.7) v.setUint32(20, pick(rand, [size, 8000, 1]));
      return { bytes: fixPngCrcs(out), tag: 'ihdr-size' };
    }
    const bytes = mutateBytesRepeatedly(base, rand, 8, base.length);
    return r < 0.85 ? { bytes: fixPngCrcs(bytes), tag: 'bytes-crc-fixed' } : { bytes, tag: 'bytes' };
  },
  async run(bytes) {
    preprocessImage(await decodeImage(bytes, 'fuzz.png'), { size: 32, mode: 'clip' });
  },
};

/** Offsets of the segments of a JPEG up to its first scan: [marker, position of the marker]. */
function jpegSegments(bytes: Uint8Array): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  for (let pos = 2; pos + 4 <= bytes.length && bytes[pos] === 0xff;) {
    const marker = bytes[pos + 1];
    out.push([marker, pos]);
    if (marker === 0xda) break;
    pos += 2 + ((bytes[pos + 2] << 8) | bytes[pos + 3]);
  }
  return out;
}

const jpeg: Target = {
  name: 'jpeg',
  ext: 'jpg',
  async mutate(rand) {
    const base = pick(rand, imageFiles('.jpg'));
    const r = rand();
    const segments = jpegSegments(base);
    const sof = segments.find(([m]) => m >= 0xc0 && m <= 0xc2);
    if (r < 0.3 && sof) {
      const out = base.slice();
      const v = new DataView(out.buffer);
      const size = pick(rand, [8000, 32767, 65535, 4096, 1]);
      if (rand() < 0.7) v.setUint16(sof[1] + 5, size);
      if (rand() < 0.7) v.setUint16(sof[1] + 7, pick(rand, [size, 8000, 1]));
      return { bytes: out, tag: 'sof-size' };
    }
    if (r < 0.6 && segments.length) {
      // A byte inside a header segment (tables, frame, scan), where the parser's checks are.
      const [, at] = pick(rand, segments);
      const end = Math.min(base.length, at + 4 + ((base[at + 2] << 8) | base[at + 3]));
      return { bytes: mutateBytesRepeatedly(base, rand, at + 2, end), tag: 'segment' };
    }
    return { bytes: mutateBytesRepeatedly(base, rand), tag: 'bytes' };
  },
  async run(bytes) {
    preprocessImage(await decodeImage(bytes, 'fuzz.jpg'), { size: 32, mode: 'clip' });
  },
};

/** Chunks of a WebP file after the RIFF header: [fourcc, position of the chunk header]. */
function webpChunks(bytes: Uint8Array): Array<[string, number]> {
  const out: Array<[string, number]> = [];
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (let pos = 12; pos + 8 <= bytes.length;) {
    out.push([String.fromCharCode(...bytes.subarray(pos, pos + 4)), pos]);
    pos += 8 + v.getUint32(pos + 4, true) + (v.getUint32(pos + 4, true) & 1);
  }
  return out;
}

const webp: Target = {
  name: 'webp',
  ext: 'webp',
  async mutate(rand) {
    const files = readdirSync(join(FIXTURES, 'images/webp'))
      .filter((f) => f.endsWith('.webp'))
      .sort();
    const base = fixture(`images/webp/${pick(rand, files)}`);
    const r = rand();
    const chunks = webpChunks(base);
    const out = base.slice();
    const v = new DataView(out.buffer);
    const image = chunks.find(([c]) => c === 'VP8 ' || c === 'VP8L');
    if (r < 0.3 && image) {
      // The frame's declared width and height (14 bits each) set to sizes the data cannot hold.
      const [kind, at] = image;
      const w = pick(rand, [16383, 8000, 4096, 1]);
      const h = pick(rand, [16383, 8000, w, 1]);
      if (kind === 'VP8 ') {
        v.setUint16(at + 14, w, true);
        v.setUint16(at + 16, h, true);
      } else {
        v.setUint32(at + 9, (w - 1) | ((h - 1) << 14) | ((out[at + 12] & 0xf0) << 24), true);
      }
      return { bytes: out, tag: 'frame-size' };
    }
    if (r < 0.5 && chunks.length) {
      // A chunk's (or the RIFF's) declared length.
      const at = rand() < 0.3 ? 0 : pick(rand, chunks)[1];
      v.setUint32(at + 4, pick(rand, [0, 1, 0xffffffff, 0x7ffffff0, v.getUint32(at + 4, true) + 2]), true);
      return { bytes: out, tag: 'chunk-size' };
    }
    if (r < 0.75 && image) {
      // Bytes inside the first few hundred bytes of the bitstream, where headers and prefix codes are.
      const at = image[1] + 8;
      return { bytes: mutateBytesRepeatedly(base, rand, at, Math.min(base.length, at + 256)), tag: 'bitstream-head' };
    }
    return { bytes: mutateBytesRepeatedly(base, rand), tag: 'bytes' };
  },
  async run(bytes) {
    preprocessImage(await decodeImage(bytes, 'fuzz.webp'), { size: 32, mode: 'clip' });
  },
};

export const TARGETS: readonly Target[] = [
  ckptZip,
  torchLegacy,
  safetensors,
  webFormat,
  configJson,
  tokenizer,
  preprocessorConfig,
  png,
  jpeg,
  webp,
];

export function target(name: string): Target {
  const t = TARGETS.find((x) => x.name === name);
  if (!t) throw new Error(`no fuzz target ${name} (targets: ${TARGETS.map((x) => x.name).join(', ')})`);
  return t;
}
