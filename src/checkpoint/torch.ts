// torch.save checkpoints: the zip format (torch >= 1.6: <root>/data.pkl + <root>/data/<key>) and the legacy
// stream format (magic number, protocol, sys_info and object pickles, the storage key list, then every
// storage's bytes after an 8-byte element count). Lightning wraps the weights in a dict with `state_dict`
// and `hyper_parameters`; HF pytorch_model.bin is a bare state dict. Nothing but the tensors we are asked
// for is ever read, and no pickle global is ever called.
import { CheckpointError } from '../errors';
import type { ByteSource } from './byte-source';
import { NeedMoreBytes, PyGlobal, PyObject, unpickle } from './pickle';
import { checkView, viewRecord, type RawCheckpoint, type StridedView, type TensorRecord } from './records';
import { DTYPE_BYTES, type DType } from '../common/tensor';
import { ZipReader } from './zip';
import { untrusted } from '../common/untrusted';
import { LIMITS, overLimit } from '../common/limits';

const STORAGE_DTYPES: Record<string, DType> = {
  FloatStorage: 'f32',
  HalfStorage: 'f16',
  BFloat16Storage: 'bf16',
  DoubleStorage: 'f64',
  LongStorage: 'i64',
  IntStorage: 'i32',
  ShortStorage: 'i16',
  CharStorage: 'i8',
  ByteStorage: 'u8',
  BoolStorage: 'bool',
};

/** The pickled magic number that opens a legacy torch.save file: PROTO 2, LONG1 0x1950a86a20f9469cfc6c. */
export const LEGACY_MAGIC = Uint8Array.of(
  0x80,
  0x02,
  0x8a,
  0x0a,
  0x6c,
  0xfc,
  0x9c,
  0x46,
  0xf9,
  0x20,
  0x6a,
  0xa8,
  0x50,
  0x19,
);
const LEGACY_PROTOCOL = 1001;

interface StorageRef {
  key: string;
  dtype: DType;
  numel: number;
}

class TensorRef {
  constructor(
    readonly storage: StorageRef,
    readonly view: StridedView,
  ) {}
}

function intList(x: unknown): number[] | undefined {
  return Array.isArray(x) && x.every((d) => typeof d === 'number' && Number.isSafeInteger(d))
    ? (x as number[])
    : undefined;
}

/** Pickle callables that rebuild tensors; everything else stays an inert PyObject. */
function tensorCalls(file: string): Record<string, (args: unknown[]) => unknown> {
  const rebuild = (args: unknown[]): TensorRef => {
    const [storage, offset, size, stride] = args;
    const shape = intList(size),
      strides = intList(stride);
    if (
      !(storage instanceof Object && 'key' in storage) ||
      typeof offset !== 'number' ||
      !shape ||
      !strides ||
      shape.length !== strides.length
    ) {
      throw new CheckpointError(
        file,
        `pickle: _rebuild_tensor called with unexpected arguments (storage offset ${untrusted(offset)}, size ${untrusted(size)}, stride ${untrusted(stride)})`,
      );
    }
    const s = storage as StorageRef;
    const view = { offset, shape: shape.slice(), stride: strides.slice() };
    checkView(file, `tensor in storage ${s.key}`, view, s.numel);
    return new TensorRef(s, view);
  };
  const parameter = (args: unknown[]): unknown => args[0];
  return {
    'torch._utils._rebuild_tensor_v2': rebuild,
    'torch._utils._rebuild_tensor': rebuild,
    'torch._utils._rebuild_parameter': parameter,
    'torch._utils._rebuild_parameter_with_state': parameter,
    // Parameter subclasses in torch 2: _rebuild_from_type_v2(func, type, args, state) -> func(*args).
    'torch._tensor._rebuild_from_type_v2': (args) => {
      const [fn, , inner] = args;
      if (fn instanceof PyGlobal && Array.isArray(inner)) {
        const handler = tensorCalls(file)[fn.qualified];
        if (handler) return handler(inner);
      }
      return new PyObject(fn, inner);
    },
  };
}

/** persistent_load for ('storage', <dtype>Storage, key, location, numel[, view_metadata]). */
function storageLoader(file: string, storages: Map<string, StorageRef>): (pid: unknown) => StorageRef {
  return (pid) => {
    if (!Array.isArray(pid) || pid[0] !== 'storage' || pid.length < 5) {
      throw new CheckpointError(file, `pickle: unsupported persistent id ${untrusted(pid)}`);
    }
    const [, type, key, , count] = pid;
    const dtype = type instanceof PyGlobal ? STORAGE_DTYPES[type.name] : undefined;
    if (!dtype)
      throw new CheckpointError(
        file,
        `pickle: unsupported storage type ${type instanceof PyGlobal ? untrusted(type.qualified) : untrusted(type)}`,
      );
    if (typeof key !== 'string' || typeof count !== 'number' || !Number.isSafeInteger(count) || count < 0) {
      throw new CheckpointError(
        file,
        `pickle: bad storage persistent id (key ${untrusted(key)}, numel ${untrusted(count)})`,
      );
    }
    if (pid[5] != null)
      throw new CheckpointError(file, `storage ${untrusted(key)}: legacy storage views are not supported`);
    const known = storages.get(key);
    if (known) {
      if (known.dtype !== dtype)
        throw new CheckpointError(file, `storage ${untrusted(key)} is referenced as ${known.dtype} and as ${dtype}`);
      return known;
    }
    const ref = { key, dtype, numel: count };
    storages.set(key, ref);
    return ref;
  };
}

/** Values a config copy may hold: the memo lets a pickle share one list 32 deep, 2^32 paths, in a few bytes. */
const MAX_CONFIG_VALUES = 100_000;

/** JSON-like copy of pickled config data (dicts -> objects), depth- and size-limited, cycles cut. */
function plain(x: unknown, budget = { left: MAX_CONFIG_VALUES }, depth = 0): unknown {
  if (depth > 32 || --budget.left < 0) return null;
  if (x instanceof Map) {
    const o: Record<string, unknown> = {};
    for (const [k, v] of x) {
      if (budget.left < 0) break;
      if (typeof k === 'string' || typeof k === 'number') o[String(k)] = plain(v, budget, depth + 1);
    }
    return o;
  }
  if (Array.isArray(x)) return x.slice(0, Math.max(0, budget.left)).map((v) => plain(v, budget, depth + 1));
  if (typeof x === 'bigint') return Number(x);
  if (x === null || typeof x === 'string' || typeof x === 'number' || typeof x === 'boolean') return x;
  return null;
}

/** Find the state dict (Lightning: top['state_dict']; HF/bare: the top dict itself) and the config. */
function interpret(file: string, top: unknown): { stateDict: Map<unknown, unknown>; hyper?: Record<string, unknown> } {
  if (!(top instanceof Map))
    throw new CheckpointError(file, 'the checkpoint does not hold a dict (no state_dict found)');
  let stateDict: unknown = top;
  for (const key of ['state_dict', 'model', 'module']) {
    const v = top.get(key);
    if (v instanceof Map) {
      stateDict = v;
      break;
    }
  }
  const sd = stateDict as Map<unknown, unknown>;
  if (![...sd.values()].some((v) => v instanceof TensorRef))
    throw new CheckpointError(file, "no tensors found in the checkpoint's state_dict");
  const hp = top.get('hyper_parameters');
  const config = hp instanceof Map ? hp.get('config') : undefined;
  const hyper = config instanceof Map ? (plain(config) as Record<string, unknown>) : undefined;
  return { stateDict: sd, hyper };
}

function collectTensors(
  file: string,
  stateDict: Map<unknown, unknown>,
  record: (t: TensorRef) => TensorRecord,
): Map<string, TensorRecord> {
  const tensors = new Map<string, TensorRecord>();
  for (const [k, v] of stateDict) {
    if (typeof k === 'string' && v instanceof TensorRef) tensors.set(k, record(v));
  }
  if (!tensors.size) throw new CheckpointError(file, 'state_dict holds no named tensors');
  return tensors;
}

export async function readTorchZip(source: ByteSource): Promise<RawCheckpoint> {
  const file = source.name;
  const zip = await ZipReader.open(source);
  const pkl = [...zip.entries.values()].find((e) => /^[^/]+\/data\.pkl$/.test(e.name)) ?? zip.entry('data.pkl');
  if (!pkl) throw new CheckpointError(file, 'zip archive without data.pkl: not a torch.save checkpoint');
  if (pkl.size > LIMITS.pickleBytes.value)
    throw new CheckpointError(file, overLimit('pickleBytes', pkl.size, `zip entry ${untrusted(pkl.name)}`));
  const root = pkl.name.slice(0, pkl.name.length - 'data.pkl'.length);
  const byteorder = zip.entry(`${root}byteorder`);
  if (byteorder) {
    const order = new TextDecoder().decode(await zip.read(byteorder)).trim();
    if (order !== 'little')
      throw new CheckpointError(file, `byte order ${untrusted(order)} is not supported (only little-endian)`);
  }
  const storages = new Map<string, StorageRef>();
  const { value } = unpickle(await zip.read(pkl), {
    file: `${file}:${pkl.name}`,
    persistentLoad: storageLoader(file, storages),
    calls: tensorCalls(file),
  });
  const { stateDict, hyper } = interpret(file, value);
  const tensors = collectTensors(file, stateDict, (t) => {
    const name = `${root}data/${t.storage.key}`;
    const entry = zip.entry(name);
    if (!entry)
      throw new CheckpointError(file, `storage ${untrusted(t.storage.key)}: zip entry ${untrusted(name)} is missing`);
    const need = t.storage.numel * DTYPE_BYTES[t.storage.dtype];
    if (entry.size < need)
      throw new CheckpointError(
        file,
        `zip entry ${untrusted(name)} at byte ${entry.localOffset} holds ${entry.size} bytes; its ${t.storage.dtype} storage needs ${need}`,
      );
    return viewRecord(t.storage.dtype, t.view, (offset, length) => zip.read(entry, offset, length));
  });
  return { file, format: 'torch-zip', tensors, hyper, close: () => source.close() };
}

/** Unpickle one pickle starting at `offset`, reading more of the file as the pickle needs it. */
async function pickleAt(
  source: ByteSource,
  offset: number,
  opts: Omit<Parameters<typeof unpickle>[1], 'file' | 'base' | 'complete'>,
): Promise<{ value: unknown; end: number }> {
  let length = Math.min(1 << 16, source.size - offset);
  for (;;) {
    const complete = offset + length >= source.size || length >= LIMITS.pickleBytes.value;
    const bytes = await source.read(offset, length);
    try {
      const r = unpickle(bytes, { ...opts, file: source.name, base: offset, complete });
      return { value: r.value, end: offset + r.end };
    } catch (e) {
      if (!(e instanceof NeedMoreBytes)) throw e;
      length = Math.min(length * 4, source.size - offset, LIMITS.pickleBytes.value);
    }
  }
}

export async function readTorchLegacy(source: ByteSource): Promise<RawCheckpoint> {
  const file = source.name;
  let pos = 0;
  const magic = await pickleAt(source, pos, {});
  if (magic.value !== 0x1950a86a20f9469cfc6cn)
    throw new CheckpointError(file, 'not a legacy torch.save file (bad magic number)');
  const protocol = await pickleAt(source, magic.end, {});
  if (protocol.value !== LEGACY_PROTOCOL)
    throw new CheckpointError(file, `legacy torch.save protocol ${untrusted(protocol.value)} is not supported`);
  const sysInfo = await pickleAt(source, protocol.end, {});
  if (sysInfo.value instanceof Map && sysInfo.value.get('little_endian') === false) {
    throw new CheckpointError(file, 'big-endian legacy checkpoints are not supported');
  }
  const storages = new Map<string, StorageRef>();
  const main = await pickleAt(source, sysInfo.end, {
    persistentLoad: storageLoader(file, storages),
    calls: tensorCalls(file),
  });
  const keys = await pickleAt(source, main.end, {});
  if (!Array.isArray(keys.value) || !keys.value.every((k) => typeof k === 'string')) {
    throw new CheckpointError(file, `legacy torch.save: no storage key list at byte ${main.end}`);
  }
  // Storages follow in key-list order, each as <int64 numel><numel * element bytes>.
  const dataAt = new Map<string, number>();
  pos = keys.end;
  for (const key of keys.value) {
    const ref = storages.get(key);
    if (!ref)
      throw new CheckpointError(
        file,
        `legacy torch.save: storage ${untrusted(key)} in the key list is never referenced`,
      );
    const header = await source.read(pos, 8);
    const count = new DataView(header.buffer, header.byteOffset, 8).getBigInt64(0, true);
    if (count !== BigInt(ref.numel))
      throw new CheckpointError(
        file,
        `legacy torch.save: storage ${untrusted(key)} at byte ${pos} holds ${count} elements, the pickle says ${ref.numel}`,
      );
    dataAt.set(key, pos + 8);
    pos += 8 + ref.numel * DTYPE_BYTES[ref.dtype];
    if (pos > source.size)
      throw new CheckpointError(
        file,
        `truncated: storage ${untrusted(key)} ends at byte ${pos}, past the end of the file (${source.size} bytes)`,
      );
  }
  const { stateDict, hyper } = interpret(file, main.value);
  const tensors = collectTensors(file, stateDict, (t) => {
    const start = dataAt.get(t.storage.key);
    if (start === undefined)
      throw new CheckpointError(file, `legacy torch.save: storage ${untrusted(t.storage.key)} is not in the key list`);
    return viewRecord(t.storage.dtype, t.view, (offset, length) => source.read(start + offset, length));
  });
  return { file, format: 'torch-legacy', tensors, hyper, close: () => source.close() };
}
