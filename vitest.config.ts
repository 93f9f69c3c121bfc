import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    // SwiftShader is CPU-bound and the machine has 2 cores: GPU suites run one file at a time.
    fileParallelism: false,
  },
});
