// One rollup recipe for every library package: ESM + CJS + bundled .d.ts (and .d.cts),
// optional IIFE builds for a plain <script> tag. A package's rollup.config.mjs stays ~10 lines.
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import esbuild from 'rollup-plugin-esbuild';
import { dts } from 'rollup-plugin-dts';
import { nodeResolve } from '@rollup/plugin-node-resolve';
import commonjs from '@rollup/plugin-commonjs';
import replace from '@rollup/plugin-replace';
import terser from '@rollup/plugin-terser';

export { dropRrwebUnusedPostcss } from './rrweb-replay.mjs';

/**
 * @typedef {object} IifeBuild
 * @property {string} input        entry file
 * @property {string} file         output file under dist/
 * @property {string} [name]       global name (window.X); omit for a classic worker script
 * @property {boolean} [minify]
 * @property {Record<string, string>} [globals] dependencies left out of this build, each read
 *   from a global that another script of the page defines (module id -> global name)
 */

/**
 * @param {object} options
 * @param {Record<string, string>} options.input  entry name -> source file (e.g. { index: 'src/index.ts' })
 * @param {string} [options.cwd]
 * @param {IifeBuild[]} [options.iife]
 * @param {'browser' | 'node'} [options.platform]
 * @param {string[]} [options.external]  extra externals beyond dependencies/peerDependencies
 * @param {import('rollup').Plugin[]} [options.plugins] extra plugins placed before esbuild
 * @param {Record<string,string>} [options.define] compile-time replacements for every build
 * @param {boolean} [options.preserveModules] ESM and CJS as one file per source module, so that an
 *   app's bundler keeps only the modules the app's imports reach (see the player's rollup.config)
 */
export function defineRollupConfig(options) {
  const cwd = options.cwd ?? process.cwd();
  const pkg = JSON.parse(readFileSync(resolve(cwd, 'package.json'), 'utf8'));
  const deps = [
    ...Object.keys(pkg.dependencies ?? {}),
    ...Object.keys(pkg.peerDependencies ?? {}),
    ...(options.external ?? []),
  ];
  // Dependencies stay external for npm consumers: their bundler dedupes them.
  const isExternal = (id) => id.startsWith('node:') || deps.some((dep) => id === dep || id.startsWith(`${dep}/`));
  const target = options.platform === 'node' ? 'node20' : 'es2020';
  const define = {
    __REPRISE_VERSION__: JSON.stringify(pkg.version),
    ...(options.define ?? {}),
  };
  const modules = options.preserveModules ? { preserveModules: true, preserveModulesRoot: resolve(cwd, 'src') } : {};
  // A bundled dependency's modules keep their path, and npm leaves every node_modules folder out of
  // a package: those go under dist/vendor/ instead.
  const fileName = (extension) =>
    options.preserveModules
      ? (chunk) => `${chunk.name.replace(/(^|\/)node_modules\//g, '$1vendor/')}.${extension}`
      : `[name].${extension}`;
  const replacePlugin = () => replace({ preventAssignment: true, values: define });

  /** @type {import('rollup').RollupOptions[]} */
  const configs = [
    {
      input: options.input,
      external: isExternal,
      plugins: [
        ...(options.plugins ?? []),
        replacePlugin(),
        nodeResolve({ exportConditions: ['@reprise/source'] }),
        esbuild({ target, tsconfig: resolve(cwd, 'tsconfig.json') }),
      ],
      output: [
        {
          dir: 'dist',
          format: 'es',
          entryFileNames: fileName('js'),
          chunkFileNames: 'chunks/[name]-[hash].js',
          sourcemap: true,
          ...modules,
        },
        {
          dir: 'dist',
          format: 'cjs',
          entryFileNames: fileName('cjs'),
          chunkFileNames: 'chunks/[name]-[hash].cjs',
          sourcemap: true,
          exports: 'named',
          ...modules,
        },
      ],
    },
    {
      input: options.input,
      external: isExternal,
      plugins: [
        dts({ tsconfig: resolve(cwd, 'tsconfig.json'), compilerOptions: { composite: false, declarationMap: false } }),
      ],
      output: [
        { dir: 'dist', format: 'es', entryFileNames: '[name].d.ts' },
        { dir: 'dist', format: 'es', entryFileNames: '[name].d.cts' },
      ],
    },
  ];

  for (const build of options.iife ?? []) {
    configs.push({
      input: build.input,
      // A script-tag build carries its dependencies inside, except those another script provides.
      external: Object.keys(build.globals ?? {}),
      plugins: [
        ...(options.plugins ?? []),
        replace({
          preventAssignment: true,
          values: { ...define, 'process.env.NODE_ENV': JSON.stringify('production') },
        }),
        nodeResolve({ browser: true, exportConditions: ['@reprise/source'] }),
        commonjs(),
        esbuild({ target: build.target ?? 'es2020', tsconfig: resolve(cwd, 'tsconfig.json') }),
      ],
      output: {
        file: build.file,
        format: 'iife',
        name: build.name,
        globals: build.globals,
        sourcemap: true,
        inlineDynamicImports: true,
        // A script tag's bytes are every page's download: terser takes about 5 % more off these
        // bundles than esbuild's minifier (4 kB gzip of the player's 85), and a third pass another
        // 37 bytes of the player and 10 of the recorder, for no measurable build time.
        // REPRISE_PROFILE_BUILD=1 leaves them unminified, so a CPU profile's line ticks name a
        // statement (test/bench/overhead/profile.ts).
        plugins:
          build.minify === false || process.env.REPRISE_PROFILE_BUILD
            ? []
            : [terser({ ecma: 2020, compress: { passes: 3 } })],
      },
    });
  }
  return configs;
}
