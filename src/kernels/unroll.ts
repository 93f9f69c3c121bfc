// Unrolls `#for NAME < COUNT` ... `#endfor` blocks of a WGSL source (nesting allowed): the body is repeated
// for NAME = 0 .. COUNT-1 with every `{NAME}` replaced by the number. COUNT names an entry of `counts`, and
// `{COUNT}` anywhere else is replaced by its value (e.g. `const DV: u32 = {DV}u;`).
// Kernels use it where SwiftShader needs straight-line code: a private array indexed in a loop compiles to
// per-lane gathers there, while named values unrolled from a block stay in (SIMD) registers.
// Runs after the #if lines are resolved (program.ts); a malformed block is a bug in this project, so it throws a
// plain Error.

export function unrollWgsl(name: string, source: string, counts: Record<string, number>): string {
  const lines = source.split('\n');
  let at = 0;
  const expand = (closing: boolean): string[] => {
    const out: string[] = [];
    while (at < lines.length) {
      const line = lines[at++];
      const open = /^\s*#for\s+(\w+)\s*<\s*(\w+)\s*$/.exec(line);
      if (open) {
        const [, index, countName] = open;
        const count = counts[countName];
        if (!Number.isInteger(count) || count < 0)
          throw new Error(`${name}.wgsl: #for ${index} < ${countName}: no count given for ${countName}`);
        const body = expand(true);
        for (let i = 0; i < count; i++) out.push(...body.map((l) => l.replaceAll(`{${index}}`, String(i))));
      } else if (/^\s*#endfor\s*$/.test(line)) {
        if (!closing) throw new Error(`${name}.wgsl: #endfor without #for (line ${at})`);
        return out;
      } else {
        out.push(line);
      }
    }
    if (closing) throw new Error(`${name}.wgsl: #for is not closed`);
    return out;
  };
  let text = expand(false).join('\n');
  for (const [countName, count] of Object.entries(counts)) text = text.replaceAll(`{${countName}}`, String(count));
  return text;
}
