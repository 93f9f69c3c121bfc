// Every file under test/fixtures/fuzz/ is a mutant that once broke a reader (found by the fuzzer or listed in
// issue 19), named <target>-<what>.<ext>. Each must now end in one of our typed errors, naming the problem.
import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { BridgeTowerError } from '../../src/errors';
import { TARGETS } from './targets';

const DIR = new URL('../fixtures/fuzz/', import.meta.url);

/** What the message must say, for the hand-made files; fuzz-found ones need only be typed. */
const MESSAGES: Record<string, RegExp> = {
  'tokenizer-empty-added-token.tokenizer.json': /added_tokens\[0\] has content "", not a non-empty string/,
  'tokenizer-added-tokens-not-a-list.tokenizer.json': /added_tokens is \{"<s>": 0\}, not a list/,
  'tokenizer-added-token-without-content.tokenizer.json': /added_tokens\[0\] has content undefined/,
  'tokenizer-added-token-without-id.tokenizer.json': /added_tokens\[0\] has id "0", not an integer/,
  'preprocessor-config-tiny-size-divisor.json': /size_divisor = 5e-324 is not a whole number of pixels/,
  'preprocessor-config-size-1e9.json': /size: 1000000000 is over the limit of 4096 pixels/,
  'preprocessor-config-size-2097152.json': /size: 2097152 is over the limit of 4096 pixels/,
  'preprocessor-config-size-32000.json': /size: 32000 is over the limit of 4096 pixels/,
  'jpeg-8000x8000-header-on-1.6kB.jpg': /8000x8000 frame codes 3000000 blocks.*only \d+ bytes follow/,
  'jpeg-32767-rows-on-1.1kB.jpg': /700x32767 frame codes \d+ blocks/,
  'jpeg-rows-past-the-data-from-zero-bits.jpg': /scan's data ends at byte \d+, before its last block/,
  'web-format-config-is-a-list.web': /config\.\(the whole config\) is \[\], not an object/,
  'web-format-config-without-vision.web': /config\.vision is undefined, not an object/,
  'web-format-config-without-text.web': /config\.text is undefined, not an object/,
  'web-format-config-without-heads.web': /config\.heads is undefined, not an object/,
  'web-format-vision-layers-1e9.web': /config\.vision\.layers: 1000000000 is over the limit of 96 layers/,
  'web-format-text-layers-1e6.web': /config\.text\.layers: 1000000 is over the limit of 96 layers/,
  'web-format-tensor-4e15-bytes-over-shards.web': /runs past the last shard/,
  'web-format-tokenizer-outside-directory.web': /tokenizer is \{"vocab": "\.\.\/\.\.\/etc\/passwd"/,
};

/** `tokenizer: null` is read as "no tokenizer": the model opens. */
const ACCEPTED = new Set(['web-format-tokenizer-null.web']);

const files = readdirSync(DIR).sort();
const targetOf = (file: string) =>
  [...TARGETS].sort((a, b) => b.name.length - a.name.length).find((t) => file.startsWith(`${t.name}-`));

describe('fuzz regression files', () => {
  it('are all named after a fuzz target, and every hand-made one is here', () => {
    expect(files.filter((f) => !targetOf(f))).toEqual([]);
    for (const f of [...Object.keys(MESSAGES), ...ACCEPTED]) expect(files).toContain(f);
  });

  for (const file of files) {
    it(
      file,
      async () => {
        const bytes = new Uint8Array(readFileSync(new URL(file, DIR)));
        const run = targetOf(file)!.run(bytes);
        if (ACCEPTED.has(file)) return await run;
        const error = await run.then(
          () => undefined,
          (e: unknown) => e,
        );
        if (error === undefined && !MESSAGES[file]) return;
        expect(error).toBeInstanceOf(BridgeTowerError);
        if (MESSAGES[file]) expect((error as Error).message).toMatch(MESSAGES[file]);
      },
      20_000,
    );
  }
});
