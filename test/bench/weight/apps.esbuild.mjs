// esbuild as an app's bundler would run it on the two apps in apps/: bundle every dependency,
// minify, split (a dynamic import() becomes its own lazy chunk). Shared by the weight bench and by
// .size-limit.json (whose esbuild plugin takes this file as its `config`).
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = (path) => fileURLToPath(new URL(path, import.meta.url));

const config = {
  entryPoints: { 'esm-app': here('./apps/esm-app.js'), 'react-app': here('./apps/react-app.js') },
  bundle: true,
  minify: true,
  splitting: true,
  format: 'esm',
  platform: 'browser',
  target: 'es2020',
  // The app's own React; the React adapter's weight is what we measure.
  external: ['react', 'react-dom', 'react-dom/client', 'react/jsx-runtime', 'react-router'],
  define: { 'process.env.NODE_ENV': '"production"' },
  // Outside the repository (nothing to lint or commit), one folder per run.
  outdir: mkdtempSync(join(tmpdir(), 'reprise-weight-')),
  chunkNames: 'chunks/[name]-[hash]',
  assetNames: 'assets/[name]-[hash]',
  // Metafile paths relative to the repository root, wherever the build runs from.
  absWorkingDir: here('../../../'),
  metafile: true,
  write: true,
  logLevel: 'error',
};

export default config;

/**
 * One app for size-limit, which counts every file a build writes: its initial chunk only. The
 * core's lazily imported engine chunk is left out (external), as an app loads it only when no
 * worker can start.
 */
export function sizeLimitConfig(app) {
  const lazyEngine = {
    name: 'lazy-engine-external',
    setup(build) {
      build.onResolve({ filter: /engine-[^/]*\.js$/ }, (args) =>
        args.kind === 'dynamic-import' ? { path: args.path, external: true } : undefined,
      );
    },
  };
  return { ...config, entryPoints: { [app]: config.entryPoints[app] }, splitting: false, plugins: [lazyEngine] };
}
