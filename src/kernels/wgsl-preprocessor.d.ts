// Types for wgsl-preprocessor (toji), which ships none and no package entry point: a template tag resolving
// #if / #elif / #else / #endif on values.
declare module 'wgsl-preprocessor/wgsl-preprocessor.js' {
  export function wgsl(strings: TemplateStringsArray, ...values: unknown[]): string;
}
