// The browser app. `npm start` serves it (index.html, kernels.html, and weights/ as plain files from the
// project root); `npx vite build` writes a static site to dist/app/ with the demo model copied beside it, so
// any static file server can host it (relative base: it also works from a subdirectory).
import { cpSync, existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { defineConfig, type Plugin } from 'vite';

const root = import.meta.dirname;
const OUT_DIR = 'dist/app';
/** Web-format model folders the built app serves (the app opens weights/demo/ by default). */
const BUNDLED_WEIGHTS = ['weights/demo'];

function copyWeights(): Plugin {
  return {
    name: 'bridgetower-copy-weights',
    apply: 'build',
    writeBundle() {
      for (const dir of BUNDLED_WEIGHTS) {
        const from = resolve(root, dir);
        if (!existsSync(from)) this.error(`${dir} is missing: the app's build ships it (convert the demo model first)`);
        cpSync(from, resolve(root, OUT_DIR, dir), { recursive: true });
      }
    },
  };
}

export default defineConfig({
  base: './',
  // Two pages, and a missing file must be a 404 (not index.html) so that a wrong model URL says so.
  appType: 'mpa',
  plugins: [copyWeights()],
  build: {
    outDir: OUT_DIR,
    emptyOutDir: true,
    target: 'es2022',
    rollupOptions: {
      input: { main: resolve(root, 'index.html'), kernels: resolve(root, 'kernels.html') },
    },
  },
});
