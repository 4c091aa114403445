import { defineConfig, mergeConfig } from 'vitest/config';
import { sharedTestConfig } from '../../vitest.shared.mjs';

export default mergeConfig(
  sharedTestConfig('vue'),
  defineConfig({
    test: {
      include: ['src/**/*.test.ts'],
      // jsdom by default; the SSR and dist tests opt into node with a `@vitest-environment node` comment.
      environment: 'jsdom',
      // Without project references, so types resolve to the workspace sources (no core build needed).
      typecheck: { enabled: true, include: ['src/**/*.test-d.ts'], tsconfig: './tsconfig.typecheck.json' },
    },
  }),
);
