// A kernel's interface, declared once: its parameters (what changes the shader source) with their allowed values,
// its uniforms by name and type, its storage bindings by name. From the declaration come the pipeline key, the
// WGSL `struct Params` and its uniform binding, the binding numbers, the uniform bytes and the bind group, so a
// dispatch names every binding and uniform and a swapped field cannot happen (after onnxruntime-web's
// `ProgramInfo` with `programUniforms`).
// The shader (shaders/*.wgsl) declares its storage bindings as `@group(0) @binding(#) var<...> name: ...`; each
// `#` becomes the slot of `name` among the bindings the parameters switch on, and a shader whose declarations
// differ from that list is refused. `#if` / `#elif` / `#else` / `#endif` lines are resolved by wgsl-preprocessor
// on conditions over the parameters (wgsl-conditionals.ts), `#for` blocks are unrolled (unroll.ts), libraries
// (shaders/lib/*.wgsl) go in front and directives (`enable`, `diagnostic`) to the very top.
// A malformed declaration or shader is a bug in this project, so those throw a plain Error.
import { ShapeError } from '../errors';
import type { Binding, Gpu } from '../gpu/runtime';
import { foldGrid } from './grid';
import { unrollWgsl } from './unroll';
import { resolveConditionals } from './wgsl-conditionals';

export type ParamValue = string | number | boolean;
export type UniformType = 'u32' | 'i32' | 'f32';

export interface KernelDeclaration<P extends Record<string, ParamValue>, U extends string, B extends string> {
  /** The shader's file name without .wgsl; it also prefixes pipeline keys. */
  name: string;
  /** Every parameter and the values it may take. */
  params: { readonly [K in keyof P]: readonly P[K][] };
  /** The fields of `struct Params`, in order: 4 bytes each. */
  uniforms: Readonly<Record<U, UniformType>>;
  /** Storage bindings in slot order; a function makes one present only for some parameters. */
  bindings: Readonly<Record<B, true | ((p: NoInfer<P>) => boolean)>>;
  /** The WGSL source (shaders/<name>.wgsl). */
  source: string;
  /** Library sources placed before the kernel (shaders/lib/*.wgsl). */
  libs?: (p: NoInfer<P>) => readonly string[];
  /** Counts of the shader's `#for NAME < COUNT` blocks. */
  counts?: (p: NoInfer<P>) => Record<string, number>;
}

/**
 * How many workgroups a dispatch runs: `groups`, a 1-D count that `dispatch` folds into x·y (the shader reads its
 * linear index as `wid.x + wid.y * nwg.x` and returns past the count it was given), or `grid`, x·y workgroups the
 * shader indexes in two dimensions, each within the device's per-dimension limit.
 */
export type Workgroups = { groups: number } | { grid: readonly [number, number] };

export type KernelDispatch<U extends string, B extends string> = Workgroups & {
  bindings: Partial<Record<B, Binding>>;
  uniforms: Record<U, number>;
  label: string;
  /** For profiles: arithmetic (multiply-add = 2) and weight bytes read. */
  flops?: number;
  weightBytes?: number;
};

export interface Kernel<P extends Record<string, ParamValue>, U extends string, B extends string> {
  readonly name: string;
  /** Names every parameter, so it names everything that changes the shader. */
  key(params: P): string;
  /** The complete WGSL for these parameters. */
  code(params: P): string;
  /** The uniform block's bytes, in `struct Params` order. */
  pack(uniforms: Record<U, number>): ArrayBuffer;
  /** The storage bindings present for these parameters, in slot order. */
  bindingNames(params: P): B[];
  dispatch(gpu: Gpu, params: P, args: KernelDispatch<U, B>): void;
}

export function declareKernel<P extends Record<string, ParamValue>, U extends string, B extends string>(
  decl: KernelDeclaration<P, U, B>,
): Kernel<P, U, B> {
  const paramNames = Object.keys(decl.params) as (keyof P & string)[];
  const uniformNames = Object.keys(decl.uniforms) as U[];
  const check = (p: P): void => {
    for (const k of paramNames) {
      if (!decl.params[k].includes(p[k])) {
        const allowed = decl.params[k].join(', ');
        throw new ShapeError(`${decl.name}: parameter ${k} = ${JSON.stringify(p[k])} is not one of ${allowed}`);
      }
    }
  };
  const bindingNames = (p: P): B[] =>
    (Object.keys(decl.bindings) as B[]).filter((b) => {
      const on = decl.bindings[b];
      return on === true || on(p);
    });
  const struct = `struct Params {\n${uniformNames.map((u) => `  ${u}: ${decl.uniforms[u]},\n`).join('')}}\n`;
  const kernel: Kernel<P, U, B> = {
    name: decl.name,
    key(p) {
      check(p);
      return `${decl.name}:${paramNames.map((k) => `${k}=${p[k]}`).join(',')}`;
    },
    code(p) {
      check(p);
      const file = `${decl.name}.wgsl`;
      const counts = decl.counts?.(p) ?? {};
      const body = unrollWgsl(decl.name, resolveConditionals(file, decl.source, p), counts);
      const names = bindingNames(p);
      let declared = 0;
      const numbered = body.replace(/@binding\(#\)(\s*var<[^>]*>\s*)(\w+)/g, (_m, space: string, name: string) => {
        if (names[declared] !== name) {
          throw new Error(`${file}: binding ${declared} is ${name}, the declaration says ${names[declared] ?? 'none'}`);
        }
        return `@binding(${declared++})${space}${name}`;
      });
      if (declared !== names.length) {
        throw new Error(`${file}: declares ${declared} bindings, the declaration ${names.length}`);
      }
      const uniform = uniformNames.length
        ? `${struct}@group(0) @binding(${names.length}) var<uniform> p: Params;\n`
        : '';
      const libs = (decl.libs?.(p) ?? []).map((lib) => resolveConditionals(`${file} (library)`, lib, p));
      const lines = numbered.split('\n');
      // Directives (`enable`, `diagnostic`) must precede every declaration, the libraries' and Params included.
      const isDirective = (l: string): boolean => /^\s*(enable|diagnostic|requires)\b/.test(l);
      return [...lines.filter(isDirective), uniform, ...libs, ...lines.filter((l) => !isDirective(l))].join('\n');
    },
    pack(u) {
      const bytes = new ArrayBuffer(4 * uniformNames.length);
      const view = new DataView(bytes);
      uniformNames.forEach((name, i) => {
        const v = u[name];
        if (typeof v !== 'number') throw new Error(`${decl.name}: uniform ${name} is not given`);
        const type = decl.uniforms[name];
        if (type === 'f32') view.setFloat32(4 * i, v, true);
        else if (type === 'i32') view.setInt32(4 * i, v, true);
        else view.setUint32(4 * i, v, true);
      });
      return bytes;
    },
    bindingNames,
    dispatch(gpu, p, args) {
      const names = bindingNames(p);
      const given = Object.keys(args.bindings).filter((b) => args.bindings[b as B] !== undefined);
      const extra = given.find((b) => !names.includes(b as B));
      if (extra !== undefined) throw new Error(`${decl.name}: binding ${extra} is not used with ${kernel.key(p)}`);
      const bindings = names.map((b) => {
        const t = args.bindings[b];
        if (!t) throw new Error(`${decl.name}: binding ${b} is not given`);
        return t;
      });
      gpu.dispatch({
        pipeline: { key: kernel.key(p), code: () => kernel.code(p) },
        bindings,
        uniforms: uniformNames.length ? kernel.pack(args.uniforms) : undefined,
        workgroups: 'groups' in args ? foldGrid(gpu, args.groups, args.label) : args.grid,
        label: args.label,
        flops: args.flops,
        weightBytes: args.weightBytes,
      });
    },
  };
  return kernel;
}

/** The integers lo..hi, for a count parameter's allowed values. */
export function range(lo: number, hi: number): number[] {
  return Array.from({ length: hi - lo + 1 }, (_, i) => lo + i);
}
