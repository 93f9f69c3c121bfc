// The formatter of untrusted values never throws and stays short; the hostile pickles of issue 19 give typed
// one-line errors (deep, circular and BigInt sizes and persistent ids; a LONG4 of a megabyte read in one pass).
import { describe, expect, it } from 'vitest';
import { MemorySource } from '../../src/checkpoint/byte-source';
import { unpickle } from '../../src/checkpoint/pickle';
import { readTorchZip } from '../../src/checkpoint/torch';
import { untrusted } from '../../src/common/untrusted';
import { CheckpointError } from '../../src/errors';
import { OrderedDict, RawOps, torchZip } from '../support/torch-writer';

describe('untrusted()', () => {
  it('prints plain values as JSON would', () => {
    expect(untrusted({ a: [1, 'x', null, true] })).toBe('{"a": [1, "x", null, true]}');
    expect(untrusted(undefined)).toBe('undefined');
  });

  it('survives cycles, BigInts, Maps, typed arrays, throwing getters and Proxies', () => {
    const cycle: unknown[] = [1];
    cycle.push(cycle);
    expect(untrusted(cycle)).toBe('[1, <cycle>]');
    expect(untrusted(12n)).toBe('12');
    expect(untrusted(-(2n ** 400n))).toMatch(/^-0x1000000000…\(404 bits\)$/);
    expect(untrusted(new Map([['k', 1n]]))).toBe('{"k": 1}');
    expect(untrusted(new Float32Array(5))).toBe('<Float32Array of 5>');
    const getter = Object.defineProperty({}, 'x', {
      enumerable: true,
      get: () => {
        throw new Error('no');
      },
    });
    expect(untrusted(getter)).toBe('<unprintable>');
    const proxy = new Proxy(
      {},
      {
        ownKeys: () => {
          throw new Error('no');
        },
      },
    );
    expect(untrusted(proxy)).toBe('<unprintable>');
  });

  it('bounds depth, items and length', () => {
    let deep: unknown = 1;
    for (let i = 0; i < 100_000; i++) deep = [deep];
    expect(untrusted(deep)).toBe('[[[[…]]]]');
    expect(untrusted(Array.from({ length: 1000 }, (_, i) => i))).toBe('[0, 1, 2, 3, 4, 5, 6, 7, … (1000 items)]');
    expect(untrusted('x'.repeat(10_000)).length).toBeLessThanOrEqual(120);
    expect(untrusted({ k: 'y'.repeat(500) }, 30)).toHaveLength(30);
  });
});

const op = (...b: number[]) => Uint8Array.of(...b);
const deepList = (n: number) =>
  new RawOps(new Uint8Array([...new Array(n).fill(0x5d), ...new Array(n - 1).fill(0x61)]));

async function zipWith(value: RawOps): Promise<Error> {
  const top = new Map([['state_dict', new OrderedDict([['w', value]])]]);
  const bytes = await torchZip('archive', top, new Map());
  return readTorchZip(new MemorySource(bytes, 'hostile.ckpt')).then(
    () => new Error('accepted'),
    (e: Error) => e,
  );
}

const rebuild = (size: Uint8Array) =>
  new RawOps(
    new Uint8Array([
      ...new TextEncoder().encode('ctorch._utils\n_rebuild_tensor_v2\n('),
      0x4e, // storage: None
      0x4b,
      0, // offset 0
      ...size,
      0x29, // stride ()
      0x74,
      0x52,
    ]),
  );

describe('hostile pickles give one typed line', () => {
  it('a tensor size nested 20k deep, circular or a BigInt', async () => {
    for (const size of [
      deepList(20_000).bytes,
      op(0x5d, 0x71, 9, 0x68, 9, 0x61),
      op(0x8a, 9, 1, 2, 3, 4, 5, 6, 7, 8, 0x7f),
    ]) {
      const e = await zipWith(rebuild(size));
      expect(e).toBeInstanceOf(CheckpointError);
      expect(e.message).toMatch(
        /_rebuild_tensor called with unexpected arguments \(storage offset 0, size .{1,130}, stride \[\]\)/,
      );
    }
  });

  it('a persistent id nested 20k deep or circular', async () => {
    for (const pid of [deepList(20_000).bytes, op(0x5d, 0x71, 9, 0x68, 9, 0x61)]) {
      const e = await zipWith(new RawOps(new Uint8Array([...pid, 0x51])));
      expect(e).toBeInstanceOf(CheckpointError);
      expect(e.message).toMatch(/unsupported persistent id \[/);
      expect(e.message.length).toBeLessThan(300);
    }
  });

  it('reads a LONG4 of a megabyte as one BigInt', () => {
    const n = 1 << 20;
    const bytes = new Uint8Array(6 + n);
    bytes.set([0x8b, 0, 0, 0x10, 0]);
    bytes.fill(0xff, 5, 5 + n);
    bytes[5 + n - 1] = 0x01;
    bytes[5 + n] = 0x2e;
    const { value } = unpickle(bytes, { file: 'long4.pkl' });
    expect(typeof value).toBe('bigint');
    expect((value as bigint) >> BigInt(8 * n - 8) === 1n).toBe(true);
  });

  it('keeps globals inert: os.system is data, never called', () => {
    const bytes = new Uint8Array([...new TextEncoder().encode("cos\nsystem\n(S'touch /tmp/pwned'\ntR.")]);
    const { value } = unpickle(bytes, { file: 'call.pkl' });
    expect(value).toMatchObject({ type: { module: 'os', name: 'system' }, args: ['touch /tmp/pwned'] });
  });
});
