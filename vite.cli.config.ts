// Bundles the `bridgetower` CLI (TypeScript + WGSL imported with ?raw) into dist/cli.mjs for Node.
import { builtinModules } from 'node:module';
import { defineConfig } from 'vite';

export default defineConfig({
  build: {
    ssr: true,
    target: 'node20',
    outDir: 'dist',
    emptyOutDir: false,
    sourcemap: true,
    minify: false,
    rollupOptions: {
      input: { cli: 'src/cli/main.ts' },
      external: ['webgpu', ...builtinModules, ...builtinModules.map((m) => `node:${m}`)],
      // One file: the installed package finds its demo model relative to it (dist/lib/demo).
      output: { format: 'es', entryFileNames: '[name].mjs', inlineDynamicImports: true },
    },
  },
});
