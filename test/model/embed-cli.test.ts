// `bridgetower embed` and `run` on HF's contrastive model, given as a folder the way the hub serves it: weights,
// config.json and the tokenizer files beside them (hf-itc's files plus hf-model's vocab.json / merges.txt).
import { copyFileSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readSafetensors } from '../../src/checkpoint/safetensors';
import embed from '../../src/cli/embed';
import run from '../../src/cli/run';
import { HeadUnavailableError, UsageError } from '../../src/errors';
import { stdout } from '../support/console-log';

const dir = mkdtempSync(join(tmpdir(), 'bt-embed-'));
for (const f of ['config.json', 'model.safetensors', 'inputs.safetensors'])
  copyFileSync(`test/fixtures/hf-itc/${f}`, join(dir, f));
for (const f of ['vocab.json', 'merges.txt']) copyFileSync(`test/fixtures/hf-model/${f}`, join(dir, f));
const IMAGE = 'test/fixtures/hf-model/image.png';

describe('bridgetower embed', () => {
  it('prints text and image embeddings as JSON with the definition, size and logit scale', async () => {
    const { code, lines } = await stdout(() =>
      embed(['--model', dir, '--text', 'the cat sat.', '--text', 'a red box.', '--image', IMAGE, '--json']),
    );
    expect(code).toBe(0);
    const out = JSON.parse(lines[0]) as {
      definition: string;
      dimension: number;
      logitScale: number;
      embeddings: { kind: string; input: string; embedding: number[] }[];
    };
    expect(out.definition).toBe('hf');
    expect(out.logitScale).toBeCloseTo(8.5966, 3);
    expect(out.embeddings.map((e) => [e.kind, e.input])).toEqual([
      ['text', 'the cat sat.'],
      ['text', 'a red box.'],
      ['image', IMAGE],
    ]);
    for (const e of out.embeddings) {
      expect(e.embedding).toHaveLength(out.dimension);
      expect(Math.hypot(...e.embedding)).toBeCloseTo(1, 5);
    }
  });

  it('prints one line per embedding and the text x image similarities; --pair gives cross-modal embeddings', async () => {
    const plain = await stdout(() => embed(['--model', dir, '--text', 'the cat sat.', '--image', IMAGE]));
    expect(plain.lines[0]).toMatch(/^# 16-d embeddings, definitions: Hugging Face .*; HF logit scale 8\.5966/);
    expect(plain.lines[1]).toMatch(/^text\tthe cat sat\.\t(-?[\d.e-]+,){15}-?[\d.e-]+$/);
    expect(plain.lines.at(-1)).toMatch(/^-?\d\.\d{4}\tthe cat sat\.$/);
    const pair = await stdout(() =>
      embed(['--model', dir, '--text', 'the cat sat.', '--image', IMAGE, '--pair', '--json']),
    );
    const e = JSON.parse(pair.lines[0]).embeddings as { kind: string }[];
    expect(e.map((x) => x.kind)).toEqual(['pair']);
  });

  it('refuses what it cannot do, in one line', async () => {
    await expect(embed(['--model', dir])).rejects.toThrow(UsageError);
    await expect(embed(['--model', dir, '--text', 'a', '--pair'])).rejects.toThrow(
      /--pair needs as many --image as --text/,
    );
    await expect(
      embed(['--model', 'test/fixtures/authors-itm-itc/model.ckpt', '--image', IMAGE, '--text', 'a', '--pair']),
    ).rejects.toThrow(HeadUnavailableError);
  });
});

describe('bridgetower run', () => {
  it('writes itc_cross and itc_logits and says which definitions it computed', async () => {
    const out = join(dir, 'out.safetensors');
    const { code, lines } = await stdout(() =>
      run([
        '--model',
        dir,
        '--pixels',
        join(dir, 'inputs.safetensors'),
        '--outputs',
        'itc_cross,itc_logits',
        '--out',
        out,
      ]),
    );
    expect(code).toBe(0);
    expect(lines[0]).toMatch(
      /^definitions: Hugging Face transformers v4\.40\.2 BridgeTower classes; ITC image embedding from the cross-modal image transform/,
    );
    const written = readSafetensors(new Uint8Array(readFileSync(out)), out);
    expect(written.get('itc_cross')!.shape).toEqual([2, 16]);
    expect(written.get('itc_logits')!.shape).toEqual([2, 3, 16]);
  });
});
