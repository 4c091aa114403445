import { defineConfig, mergeConfig } from 'vitest/config';
import { sharedTestConfig } from '../../vitest.shared.mjs';

export default mergeConfig(
  sharedTestConfig('angular'),
  defineConfig({
    test: {
      include: ['src/**/*.test.ts'],
      // jsdom by default; the server-rendering test opts into node with a `@vitest-environment node` comment.
      environment: 'jsdom',
      // TestBed compiles the test components just in time (@angular/compiler), from the sources.
      setupFiles: ['./src/test-setup.ts'],
    },
  }),
);
