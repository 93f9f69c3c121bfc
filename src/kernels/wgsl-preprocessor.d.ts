// Types for wgsl-preprocessor (toji), which ships none and no package entry point: a template tag resolving
// #if / #elif / #else / #endif on values. It reads only the cooked pieces of its template (never `.raw`), so it
// accepts any array of strings with one value after each piece but the last (see wgsl-conditionals.ts).
declare module 'wgsl-preprocessor/wgsl-preprocessor.js' {
  export function wgsl(pieces: readonly string[], ...values: boolean[]): string;
}
