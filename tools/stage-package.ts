// Run by `npm run build:package`: lays out the package as it is published, in dist/package, with the manifest a
// user installs: package.json without the contributors' `scripts` and `devDependencies` (npm warns about
// `prepare` on every install of a tarball that keeps it) and without `private`, which keeps the project root
// itself from being published by mistake. Copies what `files` names (built by `npm run build` and
// `npm run build:lib`) and the README. Publish with `npm publish ./dist/package`.
//
//   npx tsx tools/stage-package.ts
import { cpSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

const OUT = 'dist/package';
const manifest = JSON.parse(readFileSync('package.json', 'utf8')) as Record<string, unknown> & { files: string[] };

rmSync(OUT, { recursive: true, force: true });
for (const entry of [...manifest.files, 'README.md']) {
  if (!existsSync(entry)) throw new Error(`${entry} is missing: run \`npm run build\` and \`npm run build:lib\` first`);
  mkdirSync(join(OUT, dirname(entry)), { recursive: true });
  cpSync(entry, join(OUT, entry), { recursive: true });
}
const { scripts: _scripts, devDependencies: _devDependencies, private: _private, ...published } = manifest;
writeFileSync(join(OUT, 'package.json'), `${JSON.stringify(published, null, 2)}\n`);
console.log(`${OUT}: the package as published (npm pack ./${OUT}, npm publish ./${OUT})`);
