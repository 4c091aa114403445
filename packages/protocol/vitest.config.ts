import { defineConfig, mergeConfig } from 'vitest/config';
import { sharedTestConfig } from '../../vitest.shared.mjs';

export default mergeConfig(
  sharedTestConfig('protocol'),
  defineConfig({
    test: { include: ['src/**/*.test.ts'] },
  }),
);
