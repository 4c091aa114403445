import { createRequire } from 'node:module';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineConfig, mergeConfig } from 'vitest/config';
import { sharedTestConfig } from '../../vitest.shared.mjs';

// @reprise/vue's own tests, run once more against Vue 3.3, the lowest minor of its peer range (the
// rest of the repository installs Vue 3.5). vue, vue-router 4.5 and @vue/test-utils 2.4 are this
// workspace's own dependencies; every import of them, from the tests and @reprise/vue's sources
// alike, is pointed at these copies. They are loaded by Node from there, so their own imports of
// vue find Vue 3.3 too, and one Vue renders each test.
const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, '../..');
const require = createRequire(resolve(here, 'package.json'));
const packageDir = (name: string) => dirname(require.resolve(`${name}/package.json`));
const vue = packageDir('vue');

export default mergeConfig(
  sharedTestConfig('vue33'),
  defineConfig({
    resolve: {
      alias: [
        { find: /^vue$/, replacement: resolve(vue, 'index.mjs') },
        { find: /^vue\/server-renderer$/, replacement: resolve(vue, 'server-renderer/index.mjs') },
        { find: /^vue-router$/, replacement: resolve(packageDir('vue-router'), 'dist/vue-router.node.mjs') },
        {
          find: /^@vue\/test-utils$/,
          replacement: resolve(packageDir('@vue/test-utils'), 'dist/vue-test-utils.cjs.js'),
        },
      ],
    },
    test: {
      dir: root,
      // Every test of @reprise/vue (dist.test.ts checks the build, not Vue), plus this workspace's
      // check that Vue 3.3 is the one in use.
      include: ['packages/vue/src/**/*.test.ts', 'test/vue33/**/*.test.ts'],
      exclude: ['packages/vue/src/dist.test.ts'],
      environment: 'jsdom',
      // The public API's type tests, against Vue 3.3's types (see tsconfig.typecheck.json).
      typecheck: { enabled: true, include: ['packages/vue/src/**/*.test-d.ts'], tsconfig: './tsconfig.typecheck.json' },
    },
  }),
);
