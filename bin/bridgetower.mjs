#!/usr/bin/env node
// The `bridgetower` command. The TypeScript sources (and the WGSL they import) are bundled into
// dist/cli.mjs by `npm run build`, which `npm install` runs.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const cli = fileURLToPath(new URL('../dist/cli.mjs', import.meta.url));
if (!existsSync(cli)) {
  console.error('bridgetower: dist/cli.mjs is missing; run `npm install` (or `npm run build`) in the project first');
  process.exit(1);
}
await import(cli);
