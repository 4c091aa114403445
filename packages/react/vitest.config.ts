import { defineConfig, mergeConfig } from 'vitest/config';
import { sharedTestConfig } from '../../vitest.shared.mjs';

export default mergeConfig(
  sharedTestConfig('react'),
  defineConfig({
    test: {
      include: ['src/**/*.test.{ts,tsx}'],
      // jsdom by default; the SSR test opts into node with a `@vitest-environment node` comment.
      environment: 'jsdom',
      setupFiles: ['./src/test-setup.ts'],
      // Without project references, so types resolve to the workspace sources (no core build needed).
      typecheck: { enabled: true, include: ['src/**/*.test-d.ts'], tsconfig: './tsconfig.typecheck.json' },
    },
  }),
);
