import { defineConfig, mergeConfig } from 'vitest/config';
import { sharedTestConfig } from '../vitest.shared.mjs';

// Process-level tests (kill -9, S3 outage) spawn the built collector; `npm test` builds first.
export default mergeConfig(
  sharedTestConfig('collector'),
  defineConfig({
    test: {
      include: ['src/**/*.test.ts', 'test/**/*.test.ts', 'admin/src/**/*.test.ts'],
      testTimeout: 60_000,
      hookTimeout: 60_000,
      // Files run one at a time: the machine has two cores shared with the collector processes under test.
      fileParallelism: false,
      // Builds dist/ for the process tests (collector), and one PostgreSQL 15 on 127.0.0.1 for the
      // index / access / playback tests (issue 5).
      globalSetup: ['test/support/build-dist.global.ts', 'test/support/postgres.global.ts'],
      setupFiles: ['test/support/password-cost.setup.ts'],
    },
  }),
);
