// How stored models are named and when the app asks before one goes (issue 19): a name says what a model is
// (width, depth, picture, heads, dtype, source) but never decides a replacement; only the same weights, by
// identity, are offered for replacement, and a complete model is deleted only when the user says so.
import type { StoredModel } from '../checkpoint/web-storage-browser';
import type { BridgeTowerConfig } from '../common/config';
import type { HeadName } from '../tasks/types';
import { formatBytes } from './dom';

export const HEAD_NAMES: HeadName[] = ['vqa', 'itm', 'itc', 'mlm', 'nlvr2', 'snli', 'irtr'];

/**
 * A stored model's name from what it is: width, depth, picture size, heads and dtype from its config, then the
 * checkpoint it came from (two fine-tunings of one architecture differ only there; HF's generic
 * model.safetensors / pytorch_model.bin say nothing and are left out).
 */
export function modelTitle(c: BridgeTowerConfig, dtype: string, source?: string): string {
  const size = c.hiddenSize === 768 ? 'base' : c.hiddenSize === 1024 ? 'large' : `${c.hiddenSize}-wide`;
  const depth =
    c.vision.layers === c.text.layers ? `${c.text.layers}-layer` : `${c.vision.layers}/${c.text.layers}-layer`;
  const heads = HEAD_NAMES.filter((x) => c.heads[x]).map((x) => x.toUpperCase());
  const stem = source?.replace(/\.(ckpt|safetensors|bin|pt|pth)$/i, '');
  const from = stem && !/^(model|pytorch_model)$/.test(stem) ? ` · ${stem}` : '';
  return `BridgeTower ${size} ${depth} ${c.vision.imageSize}px${heads.length ? ` ${heads.join('+')}` : ''} ${dtype}${from}`;
}

/** `title`, or `title (n)` when a stored model has that name. */
export function freeName(title: string, stored: readonly StoredModel[]): string {
  if (!stored.some((m) => m.name === title)) return title;
  let n = 2;
  while (stored.some((m) => m.name === `${title} (${n})`)) n++;
  return `${title} (${n})`;
}

/** The other complete models holding the same weights as the one stored under `key`. */
export function sameWeights(stored: readonly StoredModel[], key: string, identity: string): StoredModel[] {
  return stored.filter((m) => m.complete && m.key !== key && m.identity === identity);
}

export function replaceQuestion(copies: readonly StoredModel[]): string {
  const names = copies.map((m) => `“${m.name}”${m.source ? ` (from ${m.source})` : ''}`).join(', ');
  return (
    `The same weights are already stored in this browser as ${names}.\n\n` +
    `OK: delete the older ${copies.length > 1 ? 'copies' : 'copy'} and keep the new one.\nCancel: keep both.`
  );
}

export function deleteQuestion(m: StoredModel): string {
  const facts = [m.dtype, formatBytes(m.bytes), m.source && `from ${m.source}`].filter(Boolean).join(', ');
  return `Delete “${m.name}” (${facts}) from this browser? It cannot be undone.`;
}
