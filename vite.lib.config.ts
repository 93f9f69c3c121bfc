// Builds the npm package's library (`npm run build:lib`, run by `npm run build:package`):
//   dist/lib/index.js, node.js, advanced.js (+ chunks)   ESM for bundlers and Node; WGSL inlined as strings
//   dist/lib/bridgetower-webgpu.js                       one self-contained browser ESM file for CDNs (--mode cdn)
//   dist/lib/demo/                                       the demo model, found beside the bundle
//   dist/lib/types/, bridgetower-webgpu.d.ts             .d.ts (tsc -p tsconfig.lib.json, then tools/declarations.ts)
// The demo's URLs are written into the output as `new URL('./demo/<file>', import.meta.url)` after Vite's
// own transforms, so this build leaves them alone and the user's bundler (Vite, webpack 5) copies the files.
import { cpSync, readdirSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { resolve } from 'node:path';
import { defineConfig, type Plugin } from 'vite';

const root = import.meta.dirname;
const DEMO = resolve(root, 'weights/demo');
const PLACEHOLDER = '__BRIDGETOWER_DEMO_FILES__';
const OUT_DIR = 'dist/lib';

function demoModel(): Plugin {
  return {
    name: 'bridgetower-demo-model',
    load(id) {
      if (id.endsWith('/src/tasks/demo-files.ts')) {
        const files = readdirSync(DEMO).filter((f) => !f.startsWith('.'));
        return `export const DEMO_FILES = ${JSON.stringify(files)};\nexport function demoModelFiles() { return ${PLACEHOLDER}; }\n`;
      }
    },
    renderChunk(code) {
      if (!code.includes(PLACEHOLDER)) return null;
      const files = readdirSync(DEMO).filter((f) => !f.startsWith('.'));
      const urls = files.map(
        (f) => `${JSON.stringify(f)}: new URL(${JSON.stringify(`./demo/${f}`)}, import.meta.url).href`,
      );
      return { code: code.replace(PLACEHOLDER, `{ ${urls.join(', ')} }`), map: null };
    },
    writeBundle(options) {
      cpSync(DEMO, resolve(options.dir ?? resolve(root, OUT_DIR), 'demo'), { recursive: true });
    },
  };
}

export default defineConfig(({ mode }) => {
  const cdn = mode === 'cdn';
  return {
    publicDir: false,
    plugins: [demoModel()],
    build: {
      outDir: OUT_DIR,
      // The first build (`npm run build:lib` runs it before the CDN one) starts from an empty dist/lib.
      emptyOutDir: !cdn,
      target: 'es2022',
      minify: cdn,
      sourcemap: false,
      copyPublicDir: false,
      lib: {
        entry: cdn
          ? ({ 'bridgetower-webgpu': resolve(root, 'src/tasks/index.ts') } as Record<string, string>)
          : {
              index: resolve(root, 'src/tasks/index.ts'),
              node: resolve(root, 'src/tasks/node.ts'),
              advanced: resolve(root, 'src/tasks/advanced.ts'),
            },
        formats: ['es'],
        fileName: (_f, name) => `${name}.js`,
      },
      rollupOptions: {
        external: cdn ? [] : ['webgpu', ...builtinModules, ...builtinModules.map((m) => `node:${m}`)],
        output: cdn ? { inlineDynamicImports: true } : { chunkFileNames: 'lib-[name]-[hash].js' },
      },
    },
  };
});
