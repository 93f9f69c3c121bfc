// Builds a kernel's WGSL from its shaders/*.wgsl file: shared library snippets are prepended, `#if FLAG` /
// `#else` / `#endif` lines (no nesting) keep or drop the lines between them, each `@binding(#)` is numbered
// in order of appearance, and `enable` directives move to the very top. Kernels declare their bindings in the
// order the wrapper binds them, uniforms last, which is where Gpu.dispatch puts the uniform block.
// A malformed kernel source is a bug in this project, so it throws a plain Error (the CLI reports it as internal).

export interface WgslOptions {
  /** Library sources (shaders/lib/*.wgsl) placed before the kernel. */
  libs?: readonly string[];
  /** Values of the flags the kernel's `#if` lines test; a flag the kernel tests must be given. */
  flags?: Record<string, boolean>;
}

export function composeWgsl(name: string, source: string, opts: WgslOptions = {}): string {
  const flags = opts.flags ?? {};
  let slot = 0;
  const lines = resolveFlags(name, source, flags).replace(/@binding\(#\)/g, () => `@binding(${slot++})`).split('\n');
  const libs = (opts.libs ?? []).map((lib) => resolveFlags(`${name} (library)`, lib, flags));
  // `enable` directives must precede every declaration, the libraries' included.
  const isDirective = (l: string): boolean => /^\s*enable\s/.test(l);
  return [...lines.filter(isDirective), ...libs, ...lines.filter((l) => !isDirective(l))].join('\n');
}

/** Keep or drop the lines of `#if FLAG` / `#else` / `#endif` blocks. */
function resolveFlags(name: string, source: string, flags: Record<string, boolean>): string {
  const kept: string[] = [];
  let block: { flag: string; keep: boolean } | null = null;
  for (const line of source.split('\n')) {
    const directive = /^\s*#(if|else|endif)\b\s*(\w*)/.exec(line);
    if (!directive) {
      if (!block || block.keep) kept.push(line);
      continue;
    }
    const [, kind, flag] = directive;
    if (kind === 'if') {
      if (block) throw new Error(`${name}.wgsl: nested #if ${flag} inside #if ${block.flag}`);
      if (!(flag in flags)) throw new Error(`${name}.wgsl: flag ${flag} is not set by its wrapper`);
      block = { flag, keep: flags[flag] };
    } else if (!block) {
      throw new Error(`${name}.wgsl: #${kind} without #if`);
    } else if (kind === 'else') {
      block.keep = !flags[block.flag];
    } else {
      block = null;
    }
  }
  if (block) throw new Error(`${name}.wgsl: #if ${block.flag} is not closed`);
  return kept.join('\n');
}
