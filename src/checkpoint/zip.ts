// ZIP reader over random access (torch.save's format since 1.6; HF pytorch_model.bin). Reads the end of
// central directory, the central directory, and then only the entries asked for. Stored and deflated
// entries, ZIP64. Every size and offset is checked against the file before it is used.
import { CheckpointError } from '../errors';
import type { ByteSource } from './byte-source';
import { crc32 } from '../common/crc32';

const SIG_LOCAL = 0x04034b50;
const SIG_CENTRAL = 0x02014b50;
const SIG_EOCD = 0x06054b50;
const SIG_EOCD64_LOCATOR = 0x07064b50;
const SIG_EOCD64 = 0x06064b50;
const EOCD_SIZE = 22;
const MAX_COMMENT = 0xffff;
/** Deflate cannot expand data by more than ~1032:1; anything claiming more is corrupt. */
const MAX_DEFLATE_RATIO = 1100;
const MAX_CENTRAL_DIRECTORY = 256 * 1024 * 1024;
const INFLATE_CHUNK = 1 << 20;

export interface ZipEntry {
  name: string;
  method: 0 | 8;
  crc: number;
  compressedSize: number;
  size: number;
  /** Offset of the local file header. */
  localOffset: number;
}

function u16(b: Uint8Array, o: number): number {
  return b[o] | (b[o + 1] << 8);
}
function u32(b: Uint8Array, o: number): number {
  return (b[o] | (b[o + 1] << 8) | (b[o + 2] << 16) | (b[o + 3] << 24)) >>> 0;
}
function u64(b: Uint8Array, o: number, file: string, what: string): number {
  const v = u32(b, o) + u32(b, o + 4) * 2 ** 32;
  if (!Number.isSafeInteger(v)) throw new CheckpointError(file, `${what} ${v} at byte ${o} is too large`);
  return v;
}

export function looksLikeZip(head: Uint8Array): boolean {
  return head.length >= 4 && (u32(head, 0) === SIG_LOCAL || u32(head, 0) === SIG_EOCD);
}

export class ZipReader {
  private constructor(
    readonly source: ByteSource,
    readonly entries: Map<string, ZipEntry>,
    private readonly dataStarts = new Map<string, number>(),
  ) {}

  static async open(source: ByteSource): Promise<ZipReader> {
    const file = source.name;
    if (source.size < EOCD_SIZE)
      throw new CheckpointError(
        file,
        `not a zip file: ${source.size} bytes is shorter than an end-of-central-directory record`,
      );
    const tailLen = Math.min(source.size, EOCD_SIZE + MAX_COMMENT + 20);
    const tailStart = source.size - tailLen;
    const tail = await source.read(tailStart, tailLen);
    let eocd = -1;
    for (let i = tailLen - EOCD_SIZE; i >= 0; i--) {
      if (u32(tail, i) === SIG_EOCD && i + EOCD_SIZE + u16(tail, i + 20) <= tailLen) {
        eocd = i;
        break;
      }
    }
    if (eocd < 0) throw new CheckpointError(file, 'not a zip file or truncated: no end-of-central-directory record');
    let count = u16(tail, eocd + 10);
    let cdSize = u32(tail, eocd + 12);
    let cdOffset = u32(tail, eocd + 16);
    const eocdAbs = tailStart + eocd;
    let cdLimit = eocdAbs;
    if (count === 0xffff || cdSize === 0xffffffff || cdOffset === 0xffffffff) {
      const loc = eocd - 20;
      if (loc < 0 || u32(tail, loc) !== SIG_EOCD64_LOCATOR)
        throw new CheckpointError(file, `zip64 end-of-central-directory locator missing before byte ${eocdAbs}`);
      const rec = u64(tail, loc + 8, file, 'zip64 record offset');
      if (rec + 56 > eocdAbs - 20)
        throw new CheckpointError(file, `zip64 end-of-central-directory record offset ${rec} is outside the file`);
      const r = await source.read(rec, 56);
      if (u32(r, 0) !== SIG_EOCD64)
        throw new CheckpointError(file, `no zip64 end-of-central-directory record at byte ${rec}`);
      count = u64(r, 32, file, 'zip64 entry count');
      cdSize = u64(r, 40, file, 'zip64 central directory size');
      cdOffset = u64(r, 48, file, 'zip64 central directory offset');
      cdLimit = rec;
    }
    if (cdOffset + cdSize > cdLimit || cdSize > MAX_CENTRAL_DIRECTORY || count * 46 > cdSize) {
      throw new CheckpointError(
        file,
        `corrupt zip: central directory of ${count} entries, ${cdSize} bytes at offset ${cdOffset} does not fit before byte ${cdLimit}`,
      );
    }
    const cd = await source.read(cdOffset, cdSize);
    const entries = new Map<string, ZipEntry>();
    let p = 0;
    for (let k = 0; k < count; k++) {
      const at = cdOffset + p;
      if (p + 46 > cdSize || u32(cd, p) !== SIG_CENTRAL)
        throw new CheckpointError(file, `corrupt zip: no central directory header at byte ${at}`);
      const method = u16(cd, p + 10);
      const crc = u32(cd, p + 16);
      let compressedSize = u32(cd, p + 20);
      let size = u32(cd, p + 24);
      const nameLen = u16(cd, p + 28),
        extraLen = u16(cd, p + 30),
        commentLen = u16(cd, p + 32);
      let localOffset = u32(cd, p + 42);
      const end = p + 46 + nameLen + extraLen + commentLen;
      if (end > cdSize)
        throw new CheckpointError(file, `corrupt zip: central directory header at byte ${at} runs past the directory`);
      const name = new TextDecoder().decode(cd.subarray(p + 46, p + 46 + nameLen));
      // ZIP64 extra field: the 64-bit values of the 32-bit fields that are 0xffffffff, in this order.
      let x = p + 46 + nameLen;
      const xEnd = x + extraLen;
      while (x + 4 <= xEnd) {
        const id = u16(cd, x),
          len = u16(cd, x + 2);
        if (x + 4 + len > xEnd)
          throw new CheckpointError(
            file,
            `corrupt zip: extra field of ${name} at byte ${cdOffset + x} runs past its header`,
          );
        if (id === 0x0001) {
          let q = x + 4;
          const take = (what: string): number => {
            if (q + 8 > x + 4 + len)
              throw new CheckpointError(
                file,
                `corrupt zip: zip64 field of ${name} at byte ${cdOffset + q} lacks its ${what}`,
              );
            const v = u64(cd, q, file, `${name} ${what}`);
            q += 8;
            return v;
          };
          if (size === 0xffffffff) size = take('size');
          if (compressedSize === 0xffffffff) compressedSize = take('compressed size');
          if (localOffset === 0xffffffff) localOffset = take('local header offset');
        }
        x += 4 + len;
      }
      if (method !== 0 && method !== 8)
        throw new CheckpointError(
          file,
          `zip entry ${name} at byte ${localOffset} uses compression method ${method}; only stored and deflated are supported`,
        );
      if (localOffset + 30 + compressedSize > cdOffset) {
        throw new CheckpointError(
          file,
          `zip entry ${name} at byte ${localOffset} claims ${compressedSize} bytes, past the central directory at byte ${cdOffset}`,
        );
      }
      if (method === 0 ? size !== compressedSize : size > compressedSize * MAX_DEFLATE_RATIO + 1024) {
        throw new CheckpointError(
          file,
          `zip entry ${name} at byte ${localOffset} claims an impossible size of ${size} bytes (${compressedSize} stored)`,
        );
      }
      entries.set(name, { name, method, crc, compressedSize, size, localOffset });
      p = end;
    }
    return new ZipReader(source, entries);
  }

  get name(): string {
    return this.source.name;
  }

  /** Offset of the entry's data, read from its local header (torch pads the local extra field to align data). */
  private async dataStart(e: ZipEntry): Promise<number> {
    const known = this.dataStarts.get(e.name);
    if (known !== undefined) return known;
    const h = await this.source.read(e.localOffset, 30);
    if (u32(h, 0) !== SIG_LOCAL)
      throw new CheckpointError(this.name, `corrupt zip: no local header for ${e.name} at byte ${e.localOffset}`);
    const start = e.localOffset + 30 + u16(h, 26) + u16(h, 28);
    if (start + e.compressedSize > this.source.size) {
      throw new CheckpointError(
        this.name,
        `truncated zip: entry ${e.name} at byte ${e.localOffset} ends past the end of the file`,
      );
    }
    this.dataStarts.set(e.name, start);
    return start;
  }

  entry(name: string): ZipEntry | undefined {
    return this.entries.get(name);
  }

  /** `length` bytes of the entry's uncompressed data from `offset` (default: all of it). Whole reads check the CRC. */
  async read(e: ZipEntry, offset = 0, length = e.size - offset): Promise<Uint8Array> {
    if (offset < 0 || length < 0 || offset + length > e.size) {
      throw new CheckpointError(
        this.name,
        `zip entry ${e.name}: bytes [${offset}, ${offset + length}) are outside its ${e.size} bytes`,
      );
    }
    const start = await this.dataStart(e);
    const whole = offset === 0 && length === e.size;
    let out: Uint8Array;
    if (e.method === 0) out = await this.source.read(start + offset, length);
    else out = (await this.inflate(e, start, offset + length)).subarray(offset);
    if (whole && crc32(out) !== e.crc)
      throw new CheckpointError(this.name, `corrupt zip: CRC mismatch in entry ${e.name} at byte ${e.localOffset}`);
    return out;
  }

  /** The first `want` bytes of a deflated entry. */
  private async inflate(e: ZipEntry, start: number, want: number): Promise<Uint8Array> {
    const out = new Uint8Array(want);
    if (want === 0 && e.size === 0) return out;
    const ds = new DecompressionStream('deflate-raw');
    const writer = ds.writable.getWriter();
    const reader = ds.readable.getReader();
    const source = this.source;
    let stop = false;
    let pumpError: unknown;
    const pump = (async () => {
      try {
        for (let p = 0; p < e.compressedSize && !stop; p += INFLATE_CHUNK) {
          await writer.write(
            (await source.read(start + p, Math.min(INFLATE_CHUNK, e.compressedSize - p))) as Uint8Array<ArrayBuffer>,
          );
        }
        if (!stop) await writer.close();
      } catch (err) {
        if (!stop) pumpError = err;
        writer.abort(err).catch(() => {});
      }
    })();
    let total = 0;
    try {
      while (total < want) {
        const { done, value } = await reader.read();
        if (done) break;
        if (total + value.length > e.size)
          throw new CheckpointError(
            this.name,
            `corrupt zip: entry ${e.name} at byte ${e.localOffset} inflates past its declared ${e.size} bytes`,
          );
        out.set(value.subarray(0, Math.min(value.length, want - total)), total);
        total += value.length;
      }
    } catch (err) {
      if (pumpError instanceof CheckpointError) throw pumpError;
      if (err instanceof CheckpointError) throw err;
      throw new CheckpointError(
        this.name,
        `corrupt zip: entry ${e.name} at byte ${e.localOffset} does not inflate (${(err as Error).message})`,
      );
    } finally {
      stop = true;
      reader.cancel().catch(() => {});
    }
    await pump;
    if (pumpError instanceof CheckpointError) throw pumpError;
    if (total < want)
      throw new CheckpointError(
        this.name,
        `corrupt zip: entry ${e.name} at byte ${e.localOffset} inflates to ${total} bytes, fewer than its declared ${e.size}`,
      );
    return out;
  }
}
