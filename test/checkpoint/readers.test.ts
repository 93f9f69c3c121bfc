// The file readers on hand-built inputs: ZIP64, deflated entries and views into them, the pickle opcodes
// of protocols 2-5, HF pytorch_model.bin.
import { describe, expect, it } from 'vitest';
import { openWeights } from '../../src/checkpoint/open';
import { PyGlobal, PyObject, unpickle } from '../../src/checkpoint/pickle';
import { readSafetensors } from '../../src/checkpoint/safetensors';
import { readTorchZip } from '../../src/checkpoint/torch';
import { ZipReader } from '../../src/checkpoint/zip';
import { OrderedDict, Tensor, torchZip } from '../support/torch-writer';
import { fixtureBytes, fixtureConfig, memory, rawBytes, sameBytes } from './helpers';

function smallCheckpoint(): { top: Map<any, any>; storages: Map<string, Uint8Array>; values: Float32Array } {
  const values = Float32Array.from({ length: 24 }, (_, i) => i * 0.5 - 3);
  const storage = { key: '7', type: 'FloatStorage', numel: 24 };
  const half = Uint16Array.of(0x3c00, 0xc000, 0x7bff);
  const top = new Map<any, any>([
    [
      'state_dict',
      new OrderedDict([
        ['w', new Tensor(storage, 0, [4, 6])],
        ['tail', new Tensor(storage, 18, [6])],
        ['cols', new Tensor(storage, 1, [4, 2], [6, 2])],
        ['h', new Tensor({ key: 'h', type: 'HalfStorage', numel: 3 }, 0, [3])],
      ]),
    ],
    [
      'hyper_parameters',
      new Map([
        [
          'config',
          new Map<any, any>([
            ['hidden_size', 8],
            ['loss_names', new Map([['vqa', 1]])],
          ]),
        ],
      ]),
    ],
  ]);
  return {
    top,
    storages: new Map([
      ['7', new Uint8Array(values.buffer)],
      ['h', new Uint8Array(half.buffer)],
    ]),
    values,
  };
}

describe('zip and torch readers', () => {
  it.each([{}, { forceZip64: true }, { deflate: true }, { deflate: true, forceZip64: true }])(
    'reads views from %o',
    async (opts) => {
      const { top, storages, values } = smallCheckpoint();
      const raw = await readTorchZip(memory(await torchZip('arch', top, storages, opts), 'x.ckpt'));
      expect(raw.hyper).toEqual({ hidden_size: 8, loss_names: { vqa: 1 } });
      expect(Array.from((await raw.tensors.get('w')!.read()).data as Float32Array)).toEqual(Array.from(values));
      expect(Array.from((await raw.tensors.get('tail')!.read()).data as Float32Array)).toEqual(
        Array.from(values.subarray(18)),
      );
      const cols = [];
      for (let r = 0; r < 4; r++) for (let c = 0; c < 2; c++) cols.push(values[1 + r * 6 + c * 2]);
      expect(Array.from((await raw.tensors.get('cols')!.read()).data as Float32Array)).toEqual(cols);
      const h = await raw.tensors.get('h')!.read();
      expect(h.dtype).toBe('f16');
      expect(Array.from(h.data as Uint16Array)).toEqual([0x3c00, 0xc000, 0x7bff]);
    },
  );

  it('finds ZIP64 records and rejects views that leave their storage', async () => {
    const { top, storages } = smallCheckpoint();
    const zip = await ZipReader.open(memory(await torchZip('arch', top, storages, { forceZip64: true }), 'z.ckpt'));
    expect([...zip.entries.keys()]).toEqual(['arch/data.pkl', 'arch/data/7', 'arch/data/h', 'arch/version']);
    expect(zip.entry('arch/data/7')!.size).toBe(96);
    const bad = new Map<any, any>([
      ['state_dict', new OrderedDict([['w', new Tensor({ key: '7', type: 'FloatStorage', numel: 24 }, 20, [6])]])],
    ]);
    await expect(readTorchZip(memory(await torchZip('a', bad, storages), 'v.ckpt'))).rejects.toThrow(
      /v\.ckpt: .*reaches element 26 of a 24-element storage/,
    );
  });

  it('reads an HF pytorch_model.bin (bare state dict under HF names) like the safetensors', async () => {
    const hf = readSafetensors(fixtureBytes('tiny', 'model-hf.safetensors'), 'hf');
    const storages = new Map<string, Uint8Array>();
    const entries: Array<[string, Tensor]> = [];
    for (const [name, t] of hf) {
      if (t.dtype !== 'f32') continue;
      const key = String(storages.size);
      storages.set(key, rawBytes(t).slice());
      entries.push([name, new Tensor({ key, type: 'FloatStorage', numel: t.data.length }, 0, t.shape)]);
    }
    const bin = await torchZip('pytorch_model', new OrderedDict(entries), storages);
    const config = fixtureConfig('tiny');
    const a = await openWeights(memory(bin, 'pytorch_model.bin'), { config });
    const b = await openWeights(memory(fixtureBytes('tiny', 'model-hf.safetensors'), 'model.safetensors'), { config });
    expect(a.format).toBe('torch-zip');
    expect(a.config).toEqual(b.config);
    for (const n of b.names()) expect(sameBytes(rawBytes(await a.read(n)), rawBytes(await b.read(n))), n).toBe(true);
  });
});

describe('pickle opcodes', () => {
  const enc = (s: string) => Array.from(new TextEncoder().encode(s));
  it('protocol 4: FRAME, MEMOIZE, STACK_GLOBAL, short strings, sets, floats, big ints', () => {
    const ops = [
      0x80,
      0x04,
      0x95,
      60,
      0,
      0,
      0,
      0,
      0,
      0,
      0,
      0x7d,
      0x94,
      0x28, // {} memo0, MARK
      0x8c,
      1,
      ...enc('a'),
      0x94,
      0x47,
      0x3f,
      0xf8,
      0,
      0,
      0,
      0,
      0,
      0, // 'a': 1.5
      0x8c,
      1,
      ...enc('b'),
      0x8a,
      1,
      0xfe, // 'b': -2 (LONG1)
      0x8c,
      1,
      ...enc('c'),
      0x8f,
      0x28,
      0x4b,
      3,
      0x4d,
      0x00,
      0x01,
      0x90, // 'c': {3, 256}
      0x8c,
      1,
      ...enc('d'),
      0x8c,
      1,
      ...enc('m'),
      0x8c,
      1,
      ...enc('K'),
      0x93,
      0x29,
      0x81,
      0x7d,
      0x62, // 'd': m.K() with state {}
      0x8c,
      1,
      ...enc('e'),
      0x68,
      0, // 'e': memo[0] (the dict itself)
      0x8c,
      1,
      ...enc('f'),
      0x8a,
      9,
      0,
      0,
      0,
      0,
      0,
      0,
      0,
      0,
      1, // 2^64
      0x75,
      0x2e,
    ];
    const { value } = unpickle(Uint8Array.from(ops), { file: 'p' });
    const m = value as Map<string, unknown>;
    expect(m.get('a')).toBe(1.5);
    expect(m.get('b')).toBe(-2);
    expect(m.get('c')).toEqual(new Set([3, 256]));
    const d = m.get('d') as PyObject;
    expect(d).toBeInstanceOf(PyObject);
    expect((d.type as PyGlobal).qualified).toBe('m.K');
    expect(d.state).toEqual(new Map());
    expect(m.get('e')).toBe(m);
    expect(m.get('f')).toBe(2n ** 64n);
  });

  it('protocol 0/1 text opcodes and errors', () => {
    const { value } = unpickle(Uint8Array.from([...enc("(I12\nL-5L\nF0.25\nS'x'\ntp0\n0g0\n.")]), { file: 'p' });
    expect(value).toEqual([12, -5, 0.25, 'x']);
    expect(() => unpickle(Uint8Array.from([0x80, 0x02, 0x68, 5, 0x2e]), { file: 'q' })).toThrow(
      /q: pickle: memo key 5 was never stored \(opcode at byte 2\)/,
    );
    expect(() => unpickle(Uint8Array.from([0x80, 0x02, 0x58, 0xff, 0xff, 0xff, 0x0f]), { file: 'r' })).toThrow(
      /r: pickle: truncated/,
    );
    expect(() => unpickle(Uint8Array.from([0x30, 0x2e]), { file: 's' })).toThrow(/s: pickle: stack underflow/);
  });
});
