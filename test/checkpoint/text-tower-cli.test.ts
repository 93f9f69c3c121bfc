// `bridgetower convert --text-tower` (issue #18 item 8; the rule itself: text-tower.test.ts).
import { spawnSync } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { fixtureConfig, fixturePath, tempDir } from './helpers';

describe('bridgetower convert --text-tower', () => {
  const cli = (...args: string[]) =>
    spawnSync(process.execPath, ['--import', 'tsx', join(__dirname, '../../src/cli/main.ts'), 'convert', ...args], {
      encoding: 'utf8',
    });
  const config = join(tempDir(), 'config.json');
  writeFileSync(config, JSON.stringify({ ...fixtureConfig('tiny'), tokenizer: 'my-bpe' }));
  const weights = fixturePath('tiny', 'model-hf.safetensors');

  it('converts a checkpoint whose tokenizer name does not say once told, and refuses it untold', () => {
    const untold = cli(weights, '--config', config, '--out', tempDir());
    expect(untold.status).toBe(1);
    expect(untold.stderr.trim().split('\n')).toHaveLength(1);
    expect(untold.stderr).toContain('--text-tower roberta');
    const out = tempDir();
    const told = cli(weights, '--config', config, '--out', out, '--text-tower', 'roberta');
    expect(told.stderr).not.toContain('error');
    expect(told.status).toBe(0);
    expect(existsSync(join(out, 'manifest.json'))).toBe(true);
  });

  it('names the towers it knows when given another', () => {
    const r = cli(weights, '--config', config, '--out', tempDir(), '--text-tower', 'bert');
    expect(r.status).toBe(2);
    expect(r.stderr.trim()).toMatch(/--text-tower must be roberta, got "bert"$/);
  });
});
