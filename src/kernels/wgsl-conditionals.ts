// `#if COND` / `#elif COND` / `#else` / `#endif` lines of a WGSL source, resolved on a kernel's parameters by
// wgsl-preprocessor (toji). The library is a template tag that reads the condition after each `#if` / `#elif`
// from the template value that follows it, so the source is cut after each such keyword and the conditions
// become the values between the pieces. COND is `name`, `!name`, `name == value` or `name != value` over the
// parameters, several joined by `&&` or by `||` (not both). A malformed condition is a bug in this project, so it
// throws a plain Error.
import { wgsl } from 'wgsl-preprocessor/wgsl-preprocessor.js';
import type { ParamValue } from './program';

/** `source` with every conditional block resolved for `params`; `file` names the shader in errors. */
export function resolveConditionals(
  file: string,
  source: string,
  params: Readonly<Record<string, ParamValue>>,
): string {
  const pieces: string[] = [];
  const values: boolean[] = [];
  let last = 0;
  for (const m of source.matchAll(/#(if|elif)[ \t]+([^\n]*)/g)) {
    pieces.push(source.slice(last, m.index) + `#${m[1]} `);
    values.push(condition(file, m[2].trim(), params));
    last = m.index + m[0].length;
  }
  pieces.push(source.slice(last));
  return wgsl(pieces, ...values);
}

function condition(file: string, text: string, params: Readonly<Record<string, ParamValue>>): boolean {
  const or = text.split('||');
  const and = text.split('&&');
  if (or.length > 1 && and.length > 1) throw new Error(`${file}: #if ${text} mixes && and ||`);
  const terms = (or.length > 1 ? or : and).map((t) => {
    const m = /^\s*(!?)(\w+)\s*(?:(==|!=)\s*(\w+))?\s*$/.exec(t);
    if (!m) throw new Error(`${file}: cannot read the condition #if ${text}`);
    const [, not, name, op, value] = m;
    if (!(name in params)) throw new Error(`${file}: #if ${text} names ${name}, which is not a parameter`);
    const v = params[name];
    if (!op) return not ? !v : !!v;
    if (not) throw new Error(`${file}: cannot read the condition #if ${text}`);
    return (String(v) === value) === (op === '==');
  });
  return or.length > 1 ? terms.some(Boolean) : terms.every(Boolean);
}
