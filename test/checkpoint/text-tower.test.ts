// Which text tower an authors' checkpoint has (issue #18 item 8). The authors' code builds RoBERTa only for a
// tokenizer name containing "roberta" and BERT otherwise: a name that says BERT is refused, and a name that says
// neither (a tokenizer of one's own, as the demo's "demo-bpe") needs the user's word, --text-tower roberta.
// The CLI's option: text-tower-cli.test.ts.
import { describe, expect, it } from 'vitest';
import { openWeights } from '../../src/checkpoint/open';
import { NodeFileSource } from '../../src/checkpoint/source-node';
import { ConfigError } from '../../src/errors';
import { fixtureConfig, fixturePath } from './helpers';

/** The tiny fixture's HF-named weights with its authors' config, the tokenizer renamed. */
async function openTiny(tokenizer: string, textTower?: 'roberta') {
  return openWeights(await NodeFileSource.open(fixturePath('tiny', 'model-hf.safetensors')), {
    config: { ...fixtureConfig('tiny'), tokenizer },
    textTower,
  });
}

async function refusal(p: Promise<{ close(): Promise<void> }>): Promise<Error | undefined> {
  return p.then(
    async (w) => {
      await w.close();
      return undefined;
    },
    (e: Error) => e,
  );
}

describe('the text tower of an authors checkpoint', () => {
  it('is RoBERTa when the tokenizer name says so, whatever the option', async () => {
    const a = await openTiny('roberta-base');
    const b = await openTiny('roberta-base', 'roberta');
    expect(b.config).toEqual(a.config);
    await Promise.all([a.close(), b.close()]);
  });

  it('needs --text-tower for a tokenizer name that does not say, and takes it', async () => {
    const e = await refusal(openTiny('demo-bpe'));
    expect(e).toBeInstanceOf(ConfigError);
    expect(e?.message).toContain('hyper_parameters.config.tokenizer "demo-bpe" does not say which text tower');
    expect(e?.message).toContain('--text-tower roberta');
    const w = await openTiny('demo-bpe', 'roberta');
    const reference = await openTiny('roberta-base');
    expect(w.config).toEqual(reference.config);
    await Promise.all([w.close(), reference.close()]);
  });

  it('refuses a BERT tokenizer name, with the option or without', async () => {
    for (const name of ['bert-base-uncased', 'bert-large-cased', 'prajjwal1/bert-tiny']) {
      const e = await refusal(openTiny(name));
      expect(e, name).toBeInstanceOf(ConfigError);
      expect(e?.message).toBe(
        `hyper_parameters.config.tokenizer ${JSON.stringify(name)}: the authors build a BERT text tower for it; ` +
          'only RoBERTa text towers are supported',
      );
      const forced = await refusal(openTiny(name, 'roberta'));
      expect(forced).toBeInstanceOf(ConfigError);
      expect(forced?.message).toContain('which --text-tower roberta cannot override');
    }
    const bert = await refusal(
      openWeights(await NodeFileSource.open(fixturePath('authors-bert', 'model.ckpt')), { textTower: 'roberta' }),
    );
    expect(bert?.message).toMatch(/tokenizer "bert-base-uncased".*BERT text tower.*cannot override/);
  });
});
