import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readSafetensors } from '../../src/checkpoint/safetensors';
import preprocess from '../../src/cli/preprocess';
import tokenize from '../../src/cli/tokenize';
import { ImageError, UsageError } from '../../src/errors';
import { writeSafetensors } from '../../src/checkpoint/safetensors-write';
import { stdout } from '../support/console-log';

const fixture = (p: string) => new URL(`../fixtures/${p}`, import.meta.url).pathname;
const tmp = mkdtempSync(join(tmpdir(), 'bt-preprocess-'));

describe('bridgetower preprocess', () => {
  it('writes pixel_values F32 [1,3,S,S] equal to the demo eval tensor', async () => {
    const out = join(tmp, 'pv.safetensors');
    const { code } = await stdout(() =>
      preprocess([
        '--image',
        fixture('demo-model/eval/img-26-96x72.png'),
        '--size',
        '64',
        '--mode',
        'hf',
        '--out',
        out,
      ]),
    );
    expect(code).toBe(0);
    const written = readSafetensors(new Uint8Array(readFileSync(out)), out).get('pixel_values')!;
    const ref = readSafetensors(
      new Uint8Array(readFileSync(fixture('demo-model/eval/pixel_values.safetensors'))),
      'ref',
    ).get('img-26-96x72.png')!;
    expect(written.dtype).toBe('f32');
    expect(written.shape).toEqual([1, 3, 64, 64]);
    expect(written.data).toEqual(ref.data);
  });

  it('fails with one clear line on a truncated JPEG, a missing file and bad usage', async () => {
    const jpeg = readFileSync(fixture('images/baseline420.jpg'));
    const truncated = join(tmp, 'truncated.jpg');
    writeFileSync(truncated, jpeg.subarray(0, 600));
    const out = join(tmp, 'x.safetensors');
    await expect(preprocess(['--image', truncated, '--size', '64', '--mode', 'blip', '--out', out])).rejects.toThrow(
      new RegExp(`${truncated}: truncated JPEG`),
    );
    await expect(
      preprocess(['--image', join(tmp, 'missing.png'), '--size', '64', '--mode', 'blip', '--out', out]),
    ).rejects.toThrow(ImageError);
    await expect(preprocess(['--image', truncated, '--size', '64', '--mode', 'squash', '--out', out])).rejects.toThrow(
      /--mode must be one of hf, blip, clip/,
    );
    await expect(preprocess(['--image', truncated])).rejects.toThrow(UsageError);
  });
});

describe('bridgetower tokenize', () => {
  const files = ['--vocab', fixture('demo-model/vocab.json'), '--merges', fixture('demo-model/merges.txt')];

  it('prints the ids as a JSON array, truncated with --max-length', async () => {
    expect(await stdout(() => tokenize([...files, 'what color is the circle?']))).toEqual({
      code: 0,
      lines: ['[0,329,349,299,264,279,67,2]'],
    });
    expect(await stdout(() => tokenize([...files, '--max-length', '4', 'what color is the circle?']))).toEqual({
      code: 0,
      lines: ['[0,329,349,2]'],
    });
  });

  it('reads a tokenizer.json', async () => {
    const json = join(tmp, 'tokenizer.json');
    const merges = readFileSync(fixture('demo-model/merges.txt'), 'utf8').split('\n').slice(1).filter(Boolean);
    writeFileSync(
      json,
      JSON.stringify({
        model: { type: 'BPE', vocab: JSON.parse(readFileSync(fixture('demo-model/vocab.json'), 'utf8')), merges },
      }),
    );
    expect(await stdout(() => tokenize(['--tokenizer', json, 'what color is the circle?']))).toEqual({
      code: 0,
      lines: ['[0,329,349,299,264,279,67,2]'],
    });
  });

  it('rejects missing text or files', async () => {
    await expect(tokenize(files)).rejects.toThrow(/tokenize takes one text, got 0/);
    await expect(tokenize(['--vocab', fixture('demo-model/vocab.json'), 'x'])).rejects.toThrow(UsageError);
  });
});

describe('writeSafetensors', () => {
  it('round-trips through readSafetensors with an 8-byte aligned header', () => {
    const bytes = writeSafetensors(
      {
        b: { dtype: 'I64', shape: [2], data: new BigInt64Array([1n, -2n]) },
        a: { dtype: 'F32', shape: [1, 3], data: new Float32Array([1.5, -2, 3]) },
      },
      { note: 'x' },
    );
    expect(Number(new DataView(bytes.buffer).getBigUint64(0, true)) % 8).toBe(0);
    const read = readSafetensors(bytes, 'mem');
    expect([...read.keys()]).toEqual(['a', 'b']);
    expect(read.get('a')!.data).toEqual(new Float32Array([1.5, -2, 3]));
    expect(read.get('b')!.data).toEqual(new BigInt64Array([1n, -2n]));
    expect(() => writeSafetensors({ a: { dtype: 'F32', shape: [2, 2], data: new Float32Array(3) } })).toThrow(
      /shape \[2,2\] but 3 elements/,
    );
  });
});
