// A checkpoint dropped on the page whose config cannot say which text tower it has (an authors' checkpoint with a
// tokenizer of its own, as the demo's "demo-bpe": the authors' code builds BERT for any name without "roberta")
// is converted as RoBERTa only when the user says so: the converter asks in its progress box, and Cancel there
// (or the box's own) stores nothing. A checkpoint whose tokenizer name says BERT is refused by name, unasked.
import type { ConvertibleWeights } from '../checkpoint/web-format-write';
import { openCheckpointFile } from '../checkpoint/web-storage-browser';
import { AbortedError, ConfigError } from '../errors';
import { companionFiles } from './companion-files';
import { h } from './dom';

/**
 * Open `ckpt` for conversion, with the other files picked with it (companion-files.ts). A ConfigError refusal is
 * put to the test by opening the file again as RoBERTa: if that opens, the text tower was the only reason (the
 * option changes nothing else), and `box` asks the user; if not, the first refusal stands. Declining, or `signal`
 * firing, closes the file and throws AbortedError.
 */
export async function openCheckpointAsking(
  ckpt: File,
  picked: File[],
  box: HTMLElement,
  signal: AbortSignal,
): Promise<ConvertibleWeights> {
  const opts = await companionFiles(picked.filter((f) => f !== ckpt));
  try {
    return await openCheckpointFile(ckpt, opts);
  } catch (refusal) {
    if (!(refusal instanceof ConfigError) || opts.textTower) throw refusal;
    const roberta = await openCheckpointFile(ckpt, { ...opts, textTower: 'roberta' }).catch(() => {
      throw refusal;
    });
    if (await askTextTower(ckpt.name, box, signal)) return roberta;
    await roberta.close();
    throw new AbortedError('cancelled');
  }
}

/** The question, in `box` until it is answered: true for RoBERTa, false for Cancel or an abort. */
function askTextTower(file: string, box: HTMLElement, signal: AbortSignal): Promise<boolean> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve(false);
    const answer = (roberta: boolean): void => {
      signal.removeEventListener('abort', decline);
      question.remove();
      box.classList.remove('asking');
      resolve(roberta);
    };
    const decline = (): void => answer(false);
    const question = h(
      'div',
      {
        class: 'choice',
        testid: 'text-tower-question',
        attrs: { role: 'group', 'aria-labelledby': 'text-tower-text' },
      },
      h('p', {
        testid: 'text-tower-text',
        attrs: { id: 'text-tower-text' },
        text:
          `${file} does not say its text tower: its config's tokenizer name says neither RoBERTa nor BERT, and ` +
          "the authors' code would build BERT for it. Convert it as RoBERTa only if you know it is one (the demo " +
          "model's is).",
      }),
      h(
        'div',
        { class: 'progress-row' },
        h('button', {
          class: 'button small',
          testid: 'text-tower-roberta',
          text: 'RoBERTa (convert)',
          attrs: { type: 'button' },
          on: { click: () => answer(true) },
        }),
        h('button', {
          class: 'button small secondary',
          testid: 'text-tower-cancel',
          text: 'Cancel',
          attrs: { type: 'button' },
          on: { click: decline },
        }),
      ),
    );
    signal.addEventListener('abort', decline, { once: true });
    box.classList.add('asking');
    box.append(question);
    question.querySelector('button')?.focus();
  });
}
