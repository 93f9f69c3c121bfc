// Lint: ESLint's and typescript-eslint's recommended rules over the sources, the tests and the tools, and over
// src/ also typescript-eslint's type-checked rules (no-floating-promises, no-misused-promises, await-thenable,
// no-unsafe-call, ...; they read the types through tsconfig.json, so `npm run lint` takes a while).
// Formatting is Prettier's (.prettierrc.json). `npm run lint` checks both; .ci/run runs it.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', 'test-results/', 'tools/gpu/out/', 'weights/', 'test/fixtures/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  {
    files: ['src/**/*.ts'],
    extends: [tseslint.configs.recommendedTypeCheckedOnly],
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      // An async function reports a bad argument by rejecting, never by throwing: dropping `async` where nothing
      // is awaited would change that for the caller.
      '@typescript-eslint/require-await': 'off',
      // The `any`s it reports (12) are JSON and pickle values (safetensors headers, torch pickles, tokenizer and index
      // files) that the readers check field by field after the assignment; silencing each with a cast would add
      // nothing until those readers get typed parsers.
      '@typescript-eslint/no-unsafe-assignment': 'off',
    },
  },
  {
    // Tests read untyped JSON (manifests, configs) and build pickle structures of any shape.
    files: ['test/**/*.ts'],
    rules: { '@typescript-eslint/no-explicit-any': 'off' },
  },
  {
    // Plain Node scripts (the bin launcher, tool configs).
    files: ['**/*.{js,mjs,cjs}'],
    languageOptions: { globals: { process: 'readonly', console: 'readonly', URL: 'readonly', module: 'writable' } },
  },
);
