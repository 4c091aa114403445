import { createRequire } from 'node:module';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineConfig, mergeConfig } from 'vitest/config';
import { sharedTestConfig } from '../../vitest.shared.mjs';

// @reprise/angular's own TestBed tests, run once more against Angular 21: its peer range is
// ^20 || ^21, and the package is built and tested against 20. Angular 21 is this workspace's own
// dependency (npm places it in test/node_modules); every `@angular/*` import of the
// tests and of @reprise/angular's sources is pointed at it, and Angular's own packages, loaded
// from there, import each other from there too: one Angular runs each test.
const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, '../..');
const require = createRequire(resolve(here, 'package.json'));

export default mergeConfig(
  sharedTestConfig('angular21'),
  defineConfig({
    resolve: {
      alias: [{ find: /^@angular\/.*$/, replacement: '$&', customResolver: (id: string) => require.resolve(id) }],
    },
    test: {
      dir: root,
      // Every test of @reprise/angular, plus this workspace's check that Angular 21 is the one in use.
      include: ['packages/angular/src/**/*.test.ts', 'test/angular21/**/*.test.ts'],
      environment: 'jsdom',
      setupFiles: [resolve(root, 'packages/angular/src/test-setup.ts')],
    },
  }),
);
