import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['**/*.test.ts', '**/*.test.mjs'],
    testTimeout: 120_000,
    hookTimeout: 30_000,
  },
});
