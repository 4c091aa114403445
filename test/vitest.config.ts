import { defineConfig, mergeConfig } from 'vitest/config';
import { sharedTestConfig } from '../vitest.shared.mjs';

export default mergeConfig(
  sharedTestConfig('e2e'),
  defineConfig({
    test: {
      include: ['e2e/**/*.test.ts', 'harness/**/*.test.ts'],
      testTimeout: 60_000,
      hookTimeout: 60_000,
      // Chromium instances are heavy on a 2-core machine: one test file at a time.
      fileParallelism: false,
    },
  }),
);
