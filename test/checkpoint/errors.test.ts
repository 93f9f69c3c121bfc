// Every bad input named in the issue gives its own typed error with a message naming the file and the
// tensor or offset; the CLI prints one line and exits non-zero.
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openWeights } from '../../src/checkpoint/open';
import { unpickle } from '../../src/checkpoint/pickle';
import { readSafetensors } from '../../src/checkpoint/safetensors';
import { NodeDirectory, NodeDirSink } from '../../src/checkpoint/source-node';
import { writeWebFormat } from '../../src/checkpoint/web-format-write';
import { ChecksumError, CheckpointError, ConfigError, MissingTensorError } from '../../src/errors';
import { OrderedDict, RawOps, Tensor, torchZip, Tuple } from '../support/torch-writer';
import { fixtureBytes, fixtureConfig, fixturePath, memory, tempDir, writeSafetensors } from './helpers';

const ckpt = (): Uint8Array => fixtureBytes('tiny', 'model.ckpt');

/** Offset of the central directory entry for `name` in a zip. */
function centralEntry(zip: Uint8Array, name: string): number {
  const needle = new TextEncoder().encode(name);
  const v = new DataView(zip.buffer, zip.byteOffset, zip.byteLength);
  for (let i = zip.length - 46; i >= 0; i--) {
    if (
      v.getUint32(i, true) === 0x02014b50 &&
      v.getUint16(i + 28, true) === needle.length &&
      needle.every((b, k) => zip[i + 46 + k] === b)
    )
      return i;
  }
  throw new Error(`no central entry ${name}`);
}

async function rejects<T extends Error>(
  p: Promise<unknown>,
  type: new (...a: any[]) => T,
  ...parts: string[]
): Promise<T> {
  const e = await p.then(
    () => undefined,
    (x: unknown) => x,
  );
  expect(e, `expected ${type.name}`).toBeInstanceOf(type);
  for (const part of parts) expect((e as Error).message).toContain(part);
  expect((e as Error).message).not.toContain('\n');
  return e as T;
}

describe('bad checkpoints', () => {
  it('truncated zip', async () => {
    const b = ckpt();
    await rejects(
      openWeights(memory(b.slice(0, b.length >> 1), 'cut.ckpt')),
      CheckpointError,
      'cut.ckpt',
      'end-of-central-directory',
    );
    // Cut just inside the last storage: the central directory is gone too.
    await rejects(openWeights(memory(b.slice(0, b.length - 30), 'cut2.ckpt')), CheckpointError, 'cut2.ckpt');
  });

  it('corrupted zip: central directory and entry data', async () => {
    const b = ckpt().slice();
    const at = centralEntry(b, 'model/data.pkl');
    b[at] ^= 0xff;
    await rejects(openWeights(memory(b, 'bad.ckpt')), CheckpointError, 'bad.ckpt', `byte ${at}`);
    const c = ckpt().slice();
    c[200] ^= 0x55; // inside data.pkl
    await rejects(openWeights(memory(c, 'crc.ckpt')), CheckpointError, 'crc.ckpt', 'CRC mismatch', 'model/data.pkl');
  });

  it('zip entry claiming an absurd size', async () => {
    const b = ckpt().slice();
    const at = centralEntry(b, 'model/data/0');
    const v = new DataView(b.buffer);
    const local = v.getUint32(at + 42, true);
    v.setUint32(at + 20, 0xfffffff0, true);
    v.setUint32(at + 24, 0xfffffff0, true);
    await rejects(openWeights(memory(b, 'huge.ckpt')), CheckpointError, 'huge.ckpt', 'model/data/0', `byte ${local}`);
    const d = ckpt().slice();
    const dv = new DataView(d.buffer);
    dv.setUint16(at + 10, 8, true); // "deflated", 4 bytes that claim to inflate to 3 GB
    dv.setUint32(at + 24, 3e9, true);
    await rejects(openWeights(memory(d, 'bomb.ckpt')), CheckpointError, 'model/data/0', 'impossible size');
  });

  it('non-checkpoint files', async () => {
    await rejects(
      openWeights(memory(fixtureBytes('tiny', 'image.png'), 'image.png')),
      CheckpointError,
      'image.png',
      'not a checkpoint',
      '89 50 4e 47',
    );
    await rejects(openWeights(memory(new Uint8Array(0), 'empty.ckpt')), CheckpointError, 'empty.ckpt', 'empty file');
    await rejects(openWeights(memory(new TextEncoder().encode('{"a": 1}'), 'x.json')), CheckpointError, 'x.json');
  });

  it('unexpected pickle opcode, named with its byte offset', async () => {
    const bad = await torchZip('model', new Map([['state_dict', new RawOps(Uint8Array.of(0x28, 0xff))]]), new Map());
    await rejects(openWeights(memory(bad, 'op.ckpt')), CheckpointError, 'op.ckpt', 'unexpected opcode 0xff', 'byte 20');
    expect(() => unpickle(Uint8Array.of(0x80, 0x02, 0x4b, 0x01, 0x99), { file: 'p.pkl' })).toThrow(
      /p\.pkl: pickle: unexpected opcode 0x99 \(opcode at byte 4\)/,
    );
  });

  it('unknown globals stay inert and never stop the state_dict read', async () => {
    const w = new Float32Array([1, 2, 3, 4]);
    const storage = { key: '0', type: 'FloatStorage', numel: 4 };
    const evil = new RawOps(new TextEncoder().encode('cos\nsystem\n(X\x06\x00\x00\x00rm -rftR'));
    const top = new Map<any, any>([
      [
        'optimizer_states',
        [new RawOps(Uint8Array.of(0x63, ...new TextEncoder().encode('torch.optim\nAdamW\n'), 0x29, 0x81, 0x7d, 0x62))],
      ],
      ['callbacks', new Map([['x', evil]])],
      [
        'state_dict',
        new OrderedDict([
          ['a.weight', new Tensor(storage, 0, [2, 2])],
          ['a.t', new Tensor(storage, 0, [2, 2], [1, 2])],
          ['junk', new Tuple([1.5, null])],
        ]),
      ],
    ]);
    const bytes = await torchZip('archive', top, new Map([['0', new Uint8Array(w.buffer)]]));
    const { readTorchZip } = await import('../../src/checkpoint/torch');
    const raw = await readTorchZip(memory(bytes, 'inert.ckpt'));
    expect([...raw.tensors.keys()]).toEqual(['a.weight', 'a.t']);
    expect(Array.from((await raw.tensors.get('a.weight')!.read()).data as Float32Array)).toEqual([1, 2, 3, 4]);
    // A transposed (non-contiguous) view comes out row-major.
    expect(Array.from((await raw.tensors.get('a.t')!.read()).data as Float32Array)).toEqual([1, 3, 2, 4]);
  });

  it('missing required tensor', async () => {
    const all = readSafetensors(fixtureBytes('tiny', 'model-hf.safetensors'), 'hf');
    all.delete('bridgetower.cross_modal_text_pooler.dense.weight');
    await rejects(
      openWeights(memory(writeSafetensors(all), 'cut.safetensors'), { config: fixtureConfig('tiny') }),
      MissingTensorError,
      'cut.safetensors',
      'cross_modal_text_pooler.dense.weight',
    );
    const noHead = readSafetensors(fixtureBytes('tiny', 'model-hf.safetensors'), 'hf');
    for (const k of [...noHead.keys()]) if (k.startsWith('vqa_classifier.')) noHead.delete(k);
    await rejects(
      openWeights(memory(writeSafetensors(noHead), 'nohead.safetensors'), {
        config: fixtureConfig('tiny'),
      }),
      MissingTensorError,
      'vqa_classifier.0.weight',
      'vqa head',
    );
  });

  it('shape contradicting the config', async () => {
    const cfg = fixtureConfig('tiny') as any;
    cfg.text_intermediate_size = 65;
    await rejects(
      openWeights(memory(fixtureBytes('tiny', 'model-hf.safetensors'), 'hf.safetensors'), { config: cfg }),
      ConfigError,
      'hf.safetensors',
      'hyper_parameters.config.text_intermediate_size',
      'text_transformer.encoder.layer.0.intermediate.dense.weight [64,32]',
    );
    const all = readSafetensors(fixtureBytes('tiny', 'model-hf.safetensors'), 'hf');
    const t = all.get('itm_score.fc.bias')!;
    all.set('itm_score.fc.bias', { ...t, shape: [1], data: (t.data as Float32Array).slice(0, 1) });
    await rejects(
      openWeights(memory(writeSafetensors(all), 'itm.safetensors'), { config: fixtureConfig('tiny') }),
      ConfigError,
      'itm.safetensors',
      'itm_score.fc.bias',
      '[1]',
      '[2]',
    );
  });

  it('checksum mismatch in a web-format shard', async () => {
    const out = tempDir();
    await writeWebFormat(await openWeights(memory(ckpt(), 'model.ckpt')), new NodeDirSink(out));
    const manifest = JSON.parse(readFileSync(join(out, 'manifest.json'), 'utf8'));
    const victim = manifest.tensors[5];
    const shardPath = join(out, manifest.shards[victim.shard].file);
    const shard = readFileSync(shardPath);
    shard[victim.offset + 3] ^= 1;
    writeFileSync(shardPath, shard);
    const web = await openWeights(new NodeDirectory(out));
    await web.read(manifest.tensors[4].name);
    await rejects(web.read(victim.name), ChecksumError, manifest.shards[victim.shard].file, victim.name);
    await web.close();
  });
});

describe('convert CLI', () => {
  const cli = (...args: string[]) =>
    spawnSync(process.execPath, ['--import', 'tsx', join(__dirname, '../../src/cli/main.ts'), ...args], {
      encoding: 'utf8',
    });

  it('prints one line and exits non-zero on bad input', () => {
    const r = cli('convert', fixturePath('tiny', 'image.png'), '--out', tempDir());
    expect(r.status).toBe(1);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toContain('not a checkpoint');
    const u = cli('convert', fixturePath('tiny', 'model.ckpt'), '--out', tempDir(), '--dtype', 'f8');
    expect(u.status).toBe(2);
    expect(u.stderr.trim().split('\n')).toHaveLength(1);
  });

  it('converts with a one-line summary', () => {
    const out = tempDir();
    const r = cli('convert', fixturePath('tiny', 'model.ckpt'), '--out', out, '--dtype', 'f16');
    // The fixture has neither tokenizer files nor answer labels: both are said, once each.
    expect(r.stderr).toMatch(/^warning: no tokenizer files .*\nwarning: no VQA answer labels .*\n$/);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(
      /^converted .*model\.ckpt \(torch-zip\) -> .*: 271 tensors kept, 7 skipped, [\d.]+ MiB f16 in 1 shard, [\d.]+ s, no tokenizer\n$/,
    );
    expect(JSON.parse(readFileSync(join(out, 'manifest.json'), 'utf8')).dtype).toBe('f16');
  });

  it('converts to q4, and names the dtypes it knows when given another', () => {
    const out = tempDir();
    const r = cli('convert', fixturePath('tiny', 'model.ckpt'), '--out', out, '--dtype', 'q4');
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/ MiB q4 in 1 shard/);
    expect(JSON.parse(readFileSync(join(out, 'manifest.json'), 'utf8'))).toMatchObject({ dtype: 'q4', version: 2 });
    const u = cli('convert', fixturePath('tiny', 'model.ckpt'), '--out', tempDir(), '--dtype', 'q2');
    expect(u.stderr).toContain('--dtype must be f32, f16, q8, q4, got "q2"');
  });
});
