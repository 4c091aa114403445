import { createRequire } from 'node:module';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineConfig, mergeConfig } from 'vitest/config';
import { sharedTestConfig } from '../../vitest.shared.mjs';

// @reprise/react's own tests, run once more against React 18: its peer range is ^18 || ^19 and
// the rest of the repository installs React 19. react / react-dom 18 are this workspace's own
// dependencies; every import of them, from the tests, @reprise/react's sources, React Router and
// Testing Library alike, is pointed at these copies, so one React renders each test.
const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, '../..');
const require = createRequire(resolve(here, 'package.json'));
const packageDir = (name: string) => dirname(require.resolve(`${name}/package.json`));
const react = packageDir('react');
const reactDom = packageDir('react-dom');

export default mergeConfig(
  sharedTestConfig('react18'),
  defineConfig({
    resolve: {
      alias: [
        { find: /^react$/, replacement: resolve(react, 'index.js') },
        { find: /^react\/(.*)$/, replacement: `${react}/$1` },
        { find: /^react-dom$/, replacement: resolve(reactDom, 'index.js') },
        { find: /^react-dom\/(.*)$/, replacement: `${reactDom}/$1` },
        // Their ES module builds: Vite would pick the CommonJS ones here (no exports map; the
        // `node` condition), whose require() calls pass the aliases by.
        {
          find: /^@testing-library\/react$/,
          replacement: resolve(packageDir('@testing-library/react'), 'dist/@testing-library/react.esm.js'),
        },
        { find: /^react-router$/, replacement: resolve(packageDir('react-router'), 'dist/development/index.mjs') },
      ],
    },
    test: {
      dir: root,
      // Every component test of @reprise/react (dist.test.ts checks the build, not React), plus
      // this workspace's checks that React 18 is the one in use.
      include: ['packages/react/src/**/*.test.tsx', 'test/react18/**/*.test.tsx'],
      environment: 'jsdom',
      setupFiles: [resolve(root, 'packages/react/src/test-setup.ts')],
      // The public API's type tests, against @types/react 18 (see tsconfig.typecheck.json).
      typecheck: {
        enabled: true,
        include: ['packages/react/src/**/*.test-d.ts', 'test/react18/**/*.test-d.ts'],
        tsconfig: './tsconfig.typecheck.json',
      },
      // Dependencies are normally loaded by Node, past the aliases above: these two import React
      // themselves, so they are bundled by Vite and get React 18 too.
      server: { deps: { inline: ['@testing-library/react', 'react-router'] } },
    },
  }),
);
