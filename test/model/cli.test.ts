// The verify and run commands end to end (each creates its own device, as the CLI does).
import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readSafetensors } from '../../src/checkpoint/safetensors';
import benchModel from '../../src/cli/bench-model';
import run from '../../src/cli/run';
import verify from '../../src/cli/verify';
import { UsageError } from '../../src/errors';
import { writeSafetensors } from '../../src/checkpoint/safetensors-write';
import { stdout } from '../support/console-log';

const tmp = mkdtempSync(join(tmpdir(), 'bt-model-cli-'));

describe('bridgetower verify', () => {
  it('fails a fixture whose expected tensor was altered, naming it, on a default-limits device', async () => {
    const dir = join(tmp, 'tiny-altered');
    cpSync('test/fixtures/tiny', dir, { recursive: true });
    const expectedPath = join(dir, 'expected.safetensors');
    const expected = readSafetensors(new Uint8Array(readFileSync(expectedPath)), expectedPath);
    const tensors = Object.fromEntries(
      [...expected].map(([n, t]) => [
        n,
        { dtype: 'F32' as const, shape: t.shape, data: Float32Array.from(t.data as Float32Array) },
      ]),
    );
    tensors['cross_text.1'].data[5] += 0.01;
    writeFileSync(expectedPath, writeSafetensors(tensors));
    const { code, lines } = await stdout(() => verify([dir, '--from', 'hf', '--limits', 'default']));
    expect(code).toBe(1);
    expect(lines.filter((l) => l.includes('FAIL'))).toEqual([
      expect.stringMatching(/^cross_text\.1 .*FAIL .*1 of 448 out of tolerance, first at 5/),
    ]);
    // A header line, one line per check, the summary.
    expect(lines.at(-1)).toBe(`${lines.length - 3} passed, 1 failed`);
  });

  it('--compute f16: holds the fixture to the f16 bar and exact top-1', async () => {
    const { code, lines } = await stdout(() => verify(['test/fixtures/tiny', '--compute', 'f16']));
    expect(code, lines.join('\n')).toBe(0);
    expect(lines[0]).toMatch(/\(f32, f16 compute\) on .*\|a-b\| <= 0\.02 \+ 0\.02\|b\|/);
    // vqa, itm, snli, mlm: tiny's heads, each with its top-1 check.
    expect(lines.filter((l) => l.startsWith('top1(')).length).toBeGreaterThanOrEqual(4);
  });

  it('refuses bad usage in one line', async () => {
    await expect(verify(['test/fixtures/tiny', '--compute', 'f8'])).rejects.toThrow(/--compute must be f32 or f16/);
    await expect(benchModel(['--compute', 'f32,f8'])).rejects.toThrow(/--compute takes f32, f16 or a comma list/);
    await expect(verify(['test/fixtures/tiny', '--from', 'onnx'])).rejects.toThrow(UsageError);
    await expect(verify(['test/fixtures/tiny', '--from', 'ckpt', '--dtype', 'f16'])).rejects.toThrow(/--from web/);
    await expect(verify([tmp])).rejects.toThrow(/not a fixture directory/);
  });
});

describe('bridgetower run', () => {
  it('writes the requested outputs for padded text rows given on the command line', async () => {
    const out = join(tmp, 'out.safetensors');
    const { code } = await stdout(() =>
      run([
        '--model',
        'test/fixtures/tiny/model.ckpt',
        '--pixels',
        'test/fixtures/tiny/inputs.safetensors',
        '--input-ids',
        '0,5,6,7,2',
        '--input-ids',
        '0,9,2',
        '--outputs',
        'itm_logits,rank_score,text_feats',
        '--out',
        out,
      ]),
    );
    expect(code).toBe(0);
    const written = readSafetensors(new Uint8Array(readFileSync(out)), out);
    expect([...written.keys()].sort()).toEqual(['itm_logits', 'rank_score', 'text_feats']);
    expect(written.get('text_feats')!.shape).toEqual([2, 5, 32]);
    expect(written.get('rank_score')!.shape).toEqual([2]);
    // rank_output shares itm_score.fc row 1 in this fixture, so rank_score = itm_logits[:, 1].
    const itm = written.get('itm_logits')!.data as Float32Array,
      rank = written.get('rank_score')!.data as Float32Array;
    expect(Math.abs(rank[0] - itm[1])).toBeLessThan(1e-6);
    expect(Math.abs(rank[1] - itm[3])).toBeLessThan(1e-6);
  });
});
