// The model description is built from facts: flat BridgeTowerConfig field paths, each with its value and where
// it comes from. The declared facts come from the authors' config (facts-authors.ts), an HF config.json
// (facts-hf.ts) or one of our BridgeTowerConfigs (here); the shape facts from the tensors (facts-shapes.ts).
// resolve-config.ts merges them: every declared value that a shape also determines is checked against it, and
// a contradiction is a ConfigError naming the tensor. Nothing is guessed: a value neither declared nor visible
// in a shape is an error, except the documented defaults (heads = width / 64 as in CLIP and RoBERTa, RoBERTa's
// special token ids, max_text_len = positions - 2).
import type { BridgeTowerConfig } from '../common/config';
import { TASK_HEADS } from '../common/parameters';

export type Value = number | boolean | string;
export interface Fact {
  value: Value;
  from: string;
}
/** Flat field paths of BridgeTowerConfig ("vision.width", "heads.vqa.hidden", ...) -> value and its origin. */
export type Facts = Map<string, Fact>;

/** A finite number at `key`, or undefined. */
export function num(h: Record<string, unknown>, key: string): number | undefined {
  const v = h[key];
  return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
}

/** `x` when it is a plain object, else an empty one. */
export const obj = (x: unknown): Record<string, unknown> =>
  x && typeof x === 'object' && !Array.isArray(x) ? (x as Record<string, unknown>) : {};

/** Facts of a complete BridgeTowerConfig (a web-format manifest, or --config with our own format). */
export function configFacts(config: BridgeTowerConfig, origin: string): Facts {
  const facts: Facts = new Map();
  const walk = (x: unknown, path: string): void => {
    if (x && typeof x === 'object') {
      for (const [k, v] of Object.entries(x)) walk(v, path ? `${path}.${k}` : k);
      if (path.startsWith('heads.')) facts.set(path, { value: true, from: `${origin} ${path}` });
    } else if (typeof x === 'number' || typeof x === 'boolean' || typeof x === 'string') {
      facts.set(path, { value: x, from: `${origin} ${path}` });
    }
  };
  walk(config, '');
  if (!facts.has('definition'))
    facts.set('definition', { value: 'authors', from: `${origin} (no definition: the authors')` });
  for (const head of ['mlm', 'itm', 'itc', 'irtr', ...TASK_HEADS])
    if (!facts.has(`heads.${head}`)) facts.set(`heads.${head}`, { value: false, from: `${origin} heads` });
  return facts;
}

/** True when `x` is one of our BridgeTowerConfig objects rather than an original or HF config. */
export function isBridgeTowerConfig(x: unknown): x is BridgeTowerConfig {
  return !!x && typeof x === 'object' && 'vision' in x && 'text' in x && 'heads' in x && 'hiddenSize' in x;
}
