// esbuild as an app's bundler would run it on one of the apps in apps/: bundle every dependency,
// minify, split (a dynamic import() becomes its own lazy chunk). Each app is its own build, as an
// app is: two entries in one build would share chunks that neither app alone has.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = (path) => fileURLToPath(new URL(path, import.meta.url));

export const APPS = {
  'esm-app': here('./apps/esm-app.js'),
  'react-app': here('./apps/react-app.js'),
  'lazy-app': here('./apps/lazy-app.js'),
};

/** @param {keyof typeof APPS} app */
export function appBuildConfig(app) {
  return {
    entryPoints: { [app]: APPS[app] },
    bundle: true,
    minify: true,
    splitting: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2020',
    // The app's own React; the React adapter's weight is what we measure.
    external: ['react', 'react-dom', 'react-dom/client', 'react/jsx-runtime', 'react-router'],
    define: { 'process.env.NODE_ENV': '"production"' },
    // Outside the repository (nothing to lint or commit), one folder per build.
    outdir: mkdtempSync(join(tmpdir(), `reprise-weight-${app}-`)),
    chunkNames: 'chunks/[name]-[hash]',
    assetNames: 'assets/[name]-[hash]',
    // Metafile paths relative to the repository root, wherever the build runs from.
    absWorkingDir: here('../../../'),
    metafile: true,
    write: true,
    logLevel: 'error',
  };
}
