// The kernel declaration (src/kernels/program.ts): what it derives, and the mistakes it refuses. No GPU needed.
import { describe, expect, it } from 'vitest';
import { linearKernels } from '../../src/kernels/linear';
import { declareKernel } from '../../src/kernels/program';
import { ShapeError } from '../../src/errors';

const demo = declareKernel({
  name: 'demo',
  params: { dtype: ['f32', 'f16'], bias: [false, true] },
  uniforms: { rows: 'u32', offset: 'i32', eps: 'f32' },
  bindings: { x: true, bias: (p) => p.bias, out: true },
  source: [
    'enable f16;',
    '@group(0) @binding(#) var<storage, read> x: array<f32>;',
    '#if bias',
    '@group(0) @binding(#) var<storage, read> bias: array<f32>;',
    '#endif',
    '@group(0) @binding(#) var<storage, read_write> out: array<f32>;',
    '#if dtype == f16 && !bias',
    'const KIND = 2;',
    '#elif dtype == f16',
    'const KIND = 1;',
    '#else',
    'const KIND = 0;',
    '#endif',
  ].join('\n'),
});

describe('declareKernel', () => {
  it('derives the struct, the uniform binding after the storage bindings and their numbers', () => {
    const code = demo.code({ dtype: 'f16', bias: true });
    expect(code.startsWith('enable f16;\nstruct Params {\n  rows: u32,\n  offset: i32,\n  eps: f32,\n}\n')).toBe(true);
    expect(code).toContain('@group(0) @binding(3) var<uniform> p: Params;');
    expect(code).toContain('@binding(1) var<storage, read> bias');
    expect(code).toContain('@binding(2) var<storage, read_write> out');
    expect(code).toContain('const KIND = 1;');
    expect(code).not.toContain('KIND = 0');
    const plain = demo.code({ dtype: 'f16', bias: false });
    expect(plain).toContain('@binding(1) var<storage, read_write> out');
    expect(plain).toContain('@group(0) @binding(2) var<uniform> p: Params;');
    expect(plain).toContain('const KIND = 2;');
    expect(demo.code({ dtype: 'f32', bias: false })).toContain('const KIND = 0;');
  });

  it('packs uniforms by name in struct order', () => {
    const view = new DataView(demo.pack({ eps: 0.5, rows: 7, offset: -3 }));
    expect([view.getUint32(0, true), view.getInt32(4, true), view.getFloat32(8, true)]).toEqual([7, -3, 0.5]);
  });

  it('names every parameter in the key and refuses values outside the declaration', () => {
    expect(demo.key({ dtype: 'f32', bias: true })).toBe('demo:dtype=f32,bias=true');
    expect(() => demo.key({ dtype: 'q8' as 'f32', bias: true })).toThrow(ShapeError);
    expect(demo.bindingNames({ dtype: 'f32', bias: false })).toEqual(['x', 'out']);
  });

  it('refuses a shader whose bindings differ from the declaration', () => {
    const swapped = declareKernel({
      name: 'swapped',
      params: {},
      uniforms: {},
      bindings: { a: true, b: true },
      source: ['b', 'a'].map((n) => `@group(0) @binding(#) var<storage, read> ${n}: array<f32>;`).join('\n'),
    });
    expect(() => swapped.code({})).toThrow(/binding 0 is b, the declaration says a/);
    const unknown = declareKernel({
      name: 'unknown',
      params: {},
      uniforms: {},
      bindings: {},
      source: '#if mask\n#endif',
    });
    expect(() => unknown.code({})).toThrow(/names mask, which is not a parameter/);
  });

  it('builds every linear-blocked variant the wrapper can choose', () => {
    for (const weight of ['f32', 'f16', 'q8', 'q4'] as const) {
      const reads = [
        [false, false, false],
        [true, false, false],
        [true, true, false],
        [true, false, true],
      ];
      for (const [vec4, subgroups, pairs] of reads) {
        if (pairs && (weight === 'f32' || weight === 'f16')) continue;
        // f16 x and y, and each alone (the fused LayerNorm runs as a pass of its own in front of this kernel).
        for (const [input, output] of [
          ['f32', 'f32'],
          ['f16', 'f16'],
          ['f16', 'f32'],
          ['f32', 'f16'],
        ] as const) {
          const epilogue = { bias: true, residual: true, activation: 'gelu', norm: false, normOut: false } as const;
          const params = { weight, vec4, subgroups, pairs, height: 5 as const, input, output, ...epilogue };
          const code = linearKernels.blocked.code(params);
          expect(code.match(/var<storage, read> w: /g), `${weight} ${vec4} ${subgroups} ${pairs}`).toHaveLength(1);
          expect(code.match(/var<storage, read> x: /g)).toHaveLength(1);
          expect(code.match(/var<storage, read_write> y: array<atomic<u32>>/g) !== null).toBe(output === 'f16');
          expect(code).toContain('return gelu_erf(v);');
        }
      }
    }
  });
});
