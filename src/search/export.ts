// An index's vectors and entries in the forms vector databases import: NumPy's .npy (format 1.0: magic, a
// Python-literal header padded with spaces to a multiple of 64 bytes and ended by '\n', then the little-endian
// float32 rows) and JSON Lines (one entry per line: id, kind, text, meta, and the vector where asked).
import type { IndexEntry } from './index-file';

/** A float32 [rows, cols] matrix as .npy bytes. */
export function toNpy(data: Float32Array, rows: number, cols: number): Uint8Array {
  const dict = `{'descr': '<f4', 'fortran_order': False, 'shape': (${rows}, ${cols}), }`;
  const unpadded = 10 + dict.length + 1;
  const header = dict + ' '.repeat(Math.ceil(unpadded / 64) * 64 - unpadded) + '\n';
  const out = new Uint8Array(10 + header.length + data.byteLength);
  out.set([0x93, ...new TextEncoder().encode('NUMPY'), 1, 0]);
  new DataView(out.buffer).setUint16(8, header.length, true);
  out.set(new TextEncoder().encode(header), 10);
  out.set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength), 10 + header.length);
  return out;
}

/** One JSON object per entry and line; with `vectors` ([entries, dim]), each line carries its `vector`. */
export function toJsonLines(entries: readonly IndexEntry[], vectors?: Float32Array): string {
  const dim = vectors ? vectors.length / Math.max(1, entries.length) : 0;
  return entries
    .map((e, i) => JSON.stringify(vectors ? { ...e, vector: Array.from(vectors.subarray(i * dim, (i + 1) * dim)) } : e))
    .map((line) => `${line}\n`)
    .join('');
}
