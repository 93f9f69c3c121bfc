// Mutated fixture bytes through the zip, pickle (zip and legacy) and safetensors readers: seeded and bounded.
// Every case must end in success or one of our typed errors, within a time limit.
import { describe, expect, it } from 'vitest';
import { crc32 } from '../../src/common/crc32';
import { openWeights } from '../../src/checkpoint/open';
import { BridgeTowerError } from '../../src/errors';
import { fixtureBytes, fixtureConfig, memory } from './helpers';
import { mulberry32 } from '../../src/common/random';

const ITERATIONS = 300;
const CASE_TIMEOUT_MS = 2000;

const INTERESTING = [0, 1, 0x7f, 0x80, 0xff];
const INTERESTING32 = [0, 0xffffffff, 0x7fffffff, 0x80000000, 0xfffffff0, 1];

/** One mutation inside [lo, hi) of a copy of `bytes`. */
function mutate(bytes: Uint8Array, lo: number, hi: number, rand: () => number): Uint8Array {
  const at = lo + Math.floor(rand() * (hi - lo));
  const kind = Math.floor(rand() * 6);
  if (kind === 0) return bytes.slice(0, at);
  if (kind === 1) {
    const chunk = bytes.slice(at, at + 1 + Math.floor(rand() * 64));
    const out = new Uint8Array(bytes.length + chunk.length);
    out.set(bytes.subarray(0, at));
    out.set(chunk, at);
    out.set(bytes.subarray(at), at + chunk.length);
    return out;
  }
  const out = bytes.slice();
  if (kind === 2)
    for (let k = 0; k < 1 + rand() * 4; k++) {
      const p = lo + Math.floor(rand() * (hi - lo));
      out[p] ^= 1 << Math.floor(rand() * 8);
    }
  else if (kind === 3) out[at] = INTERESTING[Math.floor(rand() * INTERESTING.length)];
  else if (kind === 4 && at + 4 <= out.length)
    new DataView(out.buffer).setUint32(at, INTERESTING32[Math.floor(rand() * INTERESTING32.length)], true);
  else out[at] = Math.floor(rand() * 256);
  return out;
}

async function survive(run: () => Promise<void>, label: string): Promise<void> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${label}: no answer within ${CASE_TIMEOUT_MS} ms`)), CASE_TIMEOUT_MS);
  });
  try {
    await Promise.race([run(), timeout]);
  } catch (e) {
    if (!(e instanceof BridgeTowerError))
      throw new Error(`${label}: ${e instanceof Error ? `${e.name}: ${e.message}` : String(e)}`, { cause: e });
    expect(e.message.length, label).toBeGreaterThan(0);
  } finally {
    clearTimeout(timer);
  }
}

async function readEverything(bytes: Uint8Array, config?: unknown): Promise<void> {
  const w = await openWeights(memory(bytes, 'fuzz'), { config });
  try {
    for (const n of w.names()) await w.read(n);
  } finally {
    await w.close();
  }
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
  throw new Error('no EOCD');
}

describe('fuzzing the readers with mutated fixtures', () => {
  it('zip structure (torch .ckpt)', async () => {
    const base = fixtureBytes('tiny', 'model.ckpt');
    const { central } = dataPkl(base);
    const rand = mulberry32(1);
    for (let i = 0; i < ITERATIONS; i++) {
      // Mostly the central directory and local headers; sometimes anywhere.
      const [lo, hi] = rand() < 0.7 ? [central, base.length] : [0, base.length];
      await survive(() => readEverything(mutate(base, lo, hi, rand)), `zip case ${i}`);
    }
  }, 60_000);

  it('pickle inside a torch zip (CRC kept valid so the pickle reader sees the damage)', async () => {
    const base = fixtureBytes('tiny', 'model.ckpt');
    const { start, size, central } = dataPkl(base);
    const rand = mulberry32(2);
    for (let i = 0; i < ITERATIONS; i++) {
      const bytes = base.slice();
      const pkl = mutate(base.subarray(start, start + size), 0, size, rand);
      // Keep the entry's length: a shorter pickle is padded with STOP opcodes, a longer one cut.
      const fixed = new Uint8Array(size).fill(0x2e);
      fixed.set(pkl.subarray(0, size));
      bytes.set(fixed, start);
      const crc = crc32(fixed);
      new DataView(bytes.buffer).setUint32(14, crc, true);
      new DataView(bytes.buffer).setUint32(central + 16, crc, true);
      await survive(() => readEverything(bytes), `pickle case ${i}`);
    }
  }, 60_000);

  it('legacy torch.save stream', async () => {
    const base = fixtureBytes('tiny-legacy', 'model.ckpt');
    const rand = mulberry32(3);
    for (let i = 0; i < ITERATIONS; i++) {
      const [lo, hi] = rand() < 0.8 ? [0, 60_000] : [0, base.length];
      await survive(() => readEverything(mutate(base, lo, hi, rand)), `legacy case ${i}`);
    }
  }, 60_000);

  it('safetensors', async () => {
    const base = fixtureBytes('tiny', 'model-hf.safetensors');
    const headerEnd = 8 + Number(new DataView(base.buffer, base.byteOffset).getBigUint64(0, true));
    const config = fixtureConfig('tiny');
    const rand = mulberry32(4);
    for (let i = 0; i < ITERATIONS; i++) {
      const [lo, hi] = rand() < 0.8 ? [0, headerEnd] : [0, base.length];
      await survive(() => readEverything(mutate(base, lo, hi, rand), config), `safetensors case ${i}`);
    }
  }, 60_000);
});
