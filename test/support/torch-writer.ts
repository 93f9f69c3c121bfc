// A minimal torch.save writer for tests and tools/make-big-ckpt.ts: a protocol-2 pickle emitter for the
// objects Lightning checkpoints hold, and a streaming zip writer (stored entries, ZIP64 when needed or
// forced, 64-byte aligned data like torch). Not used by the library.
import { crc32 } from '../../src/common/crc32';

/** Pickle values: tuples are wrapped so they can be told from lists. */
export class Tuple {
  constructor(readonly items: PickleValue[]) {}
}
export class Tensor {
  constructor(
    readonly storage: { key: string; type: string; numel: number },
    readonly offset: number,
    readonly shape: number[],
    readonly stride?: number[],
  ) {}
}
export class OrderedDict {
  constructor(readonly entries: Array<[PickleValue, PickleValue]>) {}
}
/** Raw opcodes spliced into the stream (to build bad pickles). */
export class RawOps {
  constructor(readonly bytes: Uint8Array) {}
}
export type PickleValue =
  | null
  | boolean
  | number
  | bigint
  | string
  | PickleValue[]
  | Tuple
  | Tensor
  | OrderedDict
  | RawOps
  | Map<PickleValue, PickleValue>;

export function contiguousStride(shape: number[]): number[] {
  const s = new Array<number>(shape.length);
  let acc = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    s[i] = acc;
    acc *= shape[i];
  }
  return s;
}

export function pickle(value: PickleValue): Uint8Array {
  const out: number[] = [0x80, 0x02];
  const bytes = (b: Uint8Array | number[]): void => {
    for (const x of b) out.push(x);
  };
  const text = (s: string): void => bytes(new TextEncoder().encode(s));
  const u32 = (n: number): void => bytes([n & 0xff, (n >>> 8) & 0xff, (n >>> 16) & 0xff, (n >>> 24) & 0xff]);
  const global = (module: string, name: string): void => {
    out.push(0x63);
    text(`${module}\n${name}\n`);
  };
  const emit = (v: PickleValue): void => {
    if (v === null) out.push(0x4e);
    else if (v === true) out.push(0x88);
    else if (v === false) out.push(0x89);
    else if (typeof v === 'number' && Number.isInteger(v) && v >= -(2 ** 31) && v < 2 ** 31) {
      out.push(0x4a);
      u32(v >>> 0);
    } else if (typeof v === 'number' && Number.isInteger(v)) emit(BigInt(v));
    else if (typeof v === 'bigint') {
      const b: number[] = [];
      let x = v;
      do {
        b.push(Number(x & 0xffn));
        x >>= 8n;
      } while (x !== 0n && x !== -1n);
      if ((b[b.length - 1] & 0x80) !== (v < 0n ? 0x80 : 0)) b.push(v < 0n ? 0xff : 0);
      out.push(0x8a, b.length);
      bytes(b);
    } else if (typeof v === 'number') {
      const dv = new DataView(new ArrayBuffer(8));
      dv.setFloat64(0, v, false);
      out.push(0x47);
      bytes(new Uint8Array(dv.buffer));
    } else if (typeof v === 'string') {
      const b = new TextEncoder().encode(v);
      out.push(0x58);
      u32(b.length);
      bytes(b);
    } else if (Array.isArray(v)) {
      out.push(0x5d, 0x28);
      v.forEach(emit);
      out.push(0x65);
    } else if (v instanceof Tuple) {
      out.push(0x28);
      v.items.forEach(emit);
      out.push(0x74);
    } else if (v instanceof RawOps) {
      bytes(v.bytes);
    } else if (v instanceof Map) {
      out.push(0x7d, 0x28);
      for (const [k, x] of v) {
        emit(k);
        emit(x);
      }
      out.push(0x75);
    } else if (v instanceof OrderedDict) {
      global('collections', 'OrderedDict');
      out.push(0x29, 0x52);
      if (v.entries.length) {
        out.push(0x28);
        for (const [k, x] of v.entries) {
          emit(k);
          emit(x);
        }
        out.push(0x75);
      }
    } else if (v instanceof Tensor) {
      global('torch._utils', '_rebuild_tensor_v2');
      out.push(0x28);
      out.push(0x28);
      emit('storage');
      global('torch', v.storage.type);
      emit(v.storage.key);
      emit('cpu');
      emit(v.storage.numel);
      out.push(0x74, 0x51);
      emit(v.offset);
      emit(new Tuple(v.shape));
      emit(new Tuple(v.stride ?? contiguousStride(v.shape)));
      emit(false);
      global('collections', 'OrderedDict');
      out.push(0x29, 0x52);
      out.push(0x74, 0x52);
    }
  };
  emit(value);
  out.push(0x2e);
  return Uint8Array.from(out);
}

/** Positioned writes, so local headers can be completed after streaming their data. */
export interface PositionedSink {
  write(bytes: Uint8Array, position: number): Promise<void> | void;
}

export class MemorySink implements PositionedSink {
  private buf = new Uint8Array(1 << 16);
  length = 0;
  write(bytes: Uint8Array, position: number): void {
    const end = position + bytes.length;
    if (end > this.buf.length) {
      const grown = new Uint8Array(Math.max(end, this.buf.length * 2));
      grown.set(this.buf.subarray(0, this.length));
      this.buf = grown;
    }
    this.buf.set(bytes, position);
    this.length = Math.max(this.length, end);
  }
  bytes(): Uint8Array {
    return this.buf.slice(0, this.length);
  }
}

interface Written {
  name: Uint8Array;
  crc: number;
  size: number;
  compressedSize: number;
  method: number;
  offset: number;
}

export class ZipWriter {
  private pos = 0;
  private readonly entries: Written[] = [];
  constructor(
    private readonly sink: PositionedSink,
    private readonly forceZip64 = false,
  ) {}

  private async put(bytes: Uint8Array): Promise<void> {
    await this.sink.write(bytes, this.pos);
    this.pos += bytes.length;
  }

  /** A deflated entry (torch never writes one; other zip tools do). */
  async addDeflated(name: string, data: Uint8Array): Promise<void> {
    const stream = new Blob([data as Uint8Array<ArrayBuffer>])
      .stream()
      .pipeThrough(new CompressionStream('deflate-raw'));
    const compressed = new Uint8Array(await new Response(stream).arrayBuffer());
    await this.add(name, compressed.length, [compressed], { size: data.length, crc: crc32(data) });
  }

  /**
   * A stored entry from chunks; `size` must be known up front (the CRC is filled in afterwards).
   * `deflated` marks the chunks as a deflate stream of `deflated.size` bytes with CRC `deflated.crc`.
   */
  async add(
    name: string,
    compressedSize: number,
    chunks: Iterable<Uint8Array> | AsyncIterable<Uint8Array>,
    deflated?: { size: number; crc: number },
  ): Promise<void> {
    const size = deflated?.size ?? compressedSize;
    const nameBytes = new TextEncoder().encode(name);
    const offset = this.pos;
    const zip64 = this.forceZip64 || size >= 0xffffffff || offset >= 0xffffffff;
    const extraLen = zip64 ? 20 : 0;
    // Pad the local extra field so the data starts on a 64-byte boundary, as torch does.
    const base = offset + 30 + nameBytes.length + extraLen;
    const pad = ((64 - ((base + 4) % 64)) % 64) + 4;
    const header = new Uint8Array(30 + nameBytes.length + extraLen + pad);
    const hv = new DataView(header.buffer);
    hv.setUint32(0, 0x04034b50, true);
    hv.setUint16(4, zip64 ? 45 : 20, true);
    hv.setUint16(8, deflated ? 8 : 0, true);
    hv.setUint32(18, zip64 ? 0xffffffff : compressedSize, true);
    hv.setUint32(22, zip64 ? 0xffffffff : size, true);
    hv.setUint16(26, nameBytes.length, true);
    hv.setUint16(28, extraLen + pad, true);
    header.set(nameBytes, 30);
    let x = 30 + nameBytes.length;
    if (zip64) {
      hv.setUint16(x, 1, true);
      hv.setUint16(x + 2, 16, true);
      hv.setBigUint64(x + 4, BigInt(size), true);
      hv.setBigUint64(x + 12, BigInt(compressedSize), true);
      x += 20;
    }
    hv.setUint16(x, 0x4654, true);
    hv.setUint16(x + 2, pad - 4, true);
    await this.put(header);
    let crc = 0,
      got = 0;
    for await (const chunk of chunks) {
      crc = crc32(chunk, crc);
      got += chunk.length;
      await this.put(chunk);
    }
    if (got !== compressedSize) throw new Error(`zip entry ${name}: wrote ${got} bytes, declared ${compressedSize}`);
    if (deflated) crc = deflated.crc;
    const c = new Uint8Array(4);
    new DataView(c.buffer).setUint32(0, crc, true);
    await this.sink.write(c, offset + 14);
    this.entries.push({ name: nameBytes, crc, size, compressedSize, method: deflated ? 8 : 0, offset });
  }

  async finish(): Promise<void> {
    const cdStart = this.pos;
    for (const e of this.entries) {
      const zip64 = this.forceZip64 || e.size >= 0xffffffff || e.offset >= 0xffffffff;
      const extraLen = zip64 ? 28 : 0;
      const h = new Uint8Array(46 + e.name.length + extraLen);
      const v = new DataView(h.buffer);
      v.setUint32(0, 0x02014b50, true);
      v.setUint16(4, 45, true);
      v.setUint16(6, zip64 ? 45 : 20, true);
      v.setUint16(10, e.method, true);
      v.setUint32(16, e.crc, true);
      v.setUint32(20, zip64 ? 0xffffffff : e.compressedSize, true);
      v.setUint32(24, zip64 ? 0xffffffff : e.size, true);
      v.setUint16(28, e.name.length, true);
      v.setUint16(30, extraLen, true);
      v.setUint32(42, zip64 ? 0xffffffff : e.offset, true);
      h.set(e.name, 46);
      if (zip64) {
        const x = 46 + e.name.length;
        v.setUint16(x, 1, true);
        v.setUint16(x + 2, 24, true);
        v.setBigUint64(x + 4, BigInt(e.size), true);
        v.setBigUint64(x + 12, BigInt(e.compressedSize), true);
        v.setBigUint64(x + 20, BigInt(e.offset), true);
      }
      await this.put(h);
    }
    const cdSize = this.pos - cdStart;
    const zip64 = this.forceZip64 || cdStart >= 0xffffffff || this.entries.length >= 0xffff;
    if (zip64) {
      const rec = this.pos;
      const r = new Uint8Array(56 + 20);
      const v = new DataView(r.buffer);
      v.setUint32(0, 0x06064b50, true);
      v.setBigUint64(4, 44n, true);
      v.setUint16(12, 45, true);
      v.setUint16(14, 45, true);
      v.setBigUint64(24, BigInt(this.entries.length), true);
      v.setBigUint64(32, BigInt(this.entries.length), true);
      v.setBigUint64(40, BigInt(cdSize), true);
      v.setBigUint64(48, BigInt(cdStart), true);
      v.setUint32(56, 0x07064b50, true);
      v.setBigUint64(64, BigInt(rec), true);
      v.setUint32(72, 1, true);
      await this.put(r);
    }
    const end = new Uint8Array(22);
    const v = new DataView(end.buffer);
    v.setUint32(0, 0x06054b50, true);
    v.setUint16(8, zip64 ? 0xffff : this.entries.length, true);
    v.setUint16(10, zip64 ? 0xffff : this.entries.length, true);
    v.setUint32(12, zip64 ? 0xffffffff : cdSize, true);
    v.setUint32(16, zip64 ? 0xffffffff : cdStart, true);
    await this.put(end);
  }
}

/** A torch.save zip checkpoint in memory: `storages` maps key -> raw bytes. */
export async function torchZip(
  root: string,
  top: PickleValue,
  storages: Map<string, Uint8Array>,
  opts: { forceZip64?: boolean; deflate?: boolean } = {},
): Promise<Uint8Array> {
  const sink = new MemorySink();
  const zip = new ZipWriter(sink, opts.forceZip64);
  const add = (name: string, data: Uint8Array) =>
    opts.deflate ? zip.addDeflated(name, data) : zip.add(name, data.length, [data]);
  await add(`${root}/data.pkl`, pickle(top));
  for (const [key, data] of storages) await add(`${root}/data/${key}`, data);
  const version = new TextEncoder().encode('3\n');
  await zip.add(`${root}/version`, version.length, [version]);
  await zip.finish();
  return sink.bytes();
}
