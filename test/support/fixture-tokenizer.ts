// The golden fixtures' random models carry no tokenizer: this hand-made byte-level vocabulary fits their 64 ids.
import type { TokenizerFiles } from '../../src/common/weight-set';

/** <s> <pad> </s> <unk>, the letters a-z and Ġ (space) as single byte symbols, filler, and <mask> = 63 (the fixtures' V-1). */
export function fixtureTokenizer(): TokenizerFiles {
  const vocab: Record<string, number> = { '<s>': 0, '<pad>': 1, '</s>': 2, '<unk>': 3 };
  'abcdefghijklmnopqrstuvwxyz'.split('').forEach((c, i) => {
    vocab[c] = 4 + i;
  });
  vocab['Ġ'] = 30;
  for (let id = 31; id < 63; id++) vocab[`<filler${id}>`] = id;
  vocab['<mask>'] = 63;
  return { vocab, merges: [] };
}
