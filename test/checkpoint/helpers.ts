// Shared by the checkpoint tests: fixture files, a safetensors writer, tensor comparison.
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MemorySource } from '../../src/checkpoint/byte-source';
import type { HostTensor } from '../../src/common/tensor';

export const FIXTURES = join(__dirname, '..', 'fixtures');
export const PRESETS = ['tiny', 'tiny-nlvr2', 'small', 'tiny-legacy', 'tiny-half'] as const;

export function fixturePath(preset: string, file: string): string {
  return join(FIXTURES, preset, file);
}

export function fixtureBytes(preset: string, file: string): Uint8Array {
  const b = readFileSync(fixturePath(preset, file));
  return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
}

export function memory(bytes: Uint8Array, name = 'mem'): MemorySource {
  return new MemorySource(bytes, name);
}

export function fixtureJson(preset: string, file: string): Record<string, unknown> {
  return JSON.parse(readFileSync(fixturePath(preset, file), 'utf8')) as Record<string, unknown>;
}

/**
 * The authors' config the fixture's weights were made with (its manifest's `config`): what the HF-named copy
 * (model-hf.safetensors) is opened with, since its config-hf.json cannot describe the authors' model.
 */
export function fixtureConfig(preset: string): Record<string, unknown> {
  return fixtureJson(preset, 'manifest.json').config as Record<string, unknown>;
}

export function tempDir(): string {
  return mkdtempSync(join(tmpdir(), 'bt-ckpt-'));
}

export function rawBytes(t: HostTensor): Uint8Array {
  return new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength);
}

export function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

const ST_DTYPE: Record<string, string> = { f32: 'F32', f16: 'F16', i64: 'I64', bf16: 'BF16' };

/** Write a safetensors file from named tensors (name-sorted, like the reference writer). */
export function writeSafetensors(tensors: Map<string, HostTensor>): Uint8Array {
  const names = [...tensors.keys()].sort();
  const header: Record<string, unknown> = {};
  let offset = 0;
  for (const n of names) {
    const t = tensors.get(n)!;
    header[n] = { dtype: ST_DTYPE[t.dtype], shape: t.shape, data_offsets: [offset, offset + t.data.byteLength] };
    offset += t.data.byteLength;
  }
  let json = JSON.stringify(header);
  while ((8 + json.length) % 8) json += ' ';
  const jsonBytes = new TextEncoder().encode(json);
  const out = new Uint8Array(8 + jsonBytes.length + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(jsonBytes.length), true);
  out.set(jsonBytes, 8);
  let p = 8 + jsonBytes.length;
  for (const n of names) {
    const b = rawBytes(tensors.get(n)!);
    out.set(b, p);
    p += b.length;
  }
  return out;
}
