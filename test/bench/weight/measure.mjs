// What an app's page downloads before it records, gzip -9: each app of apps/ built on its own
// (apps.esbuild.mjs), its initial chunk being the entry chunk and every chunk it imports
// statically. Lazy chunks (the rest of the recorder, the delivery engine) are counted apart.
// Shared by the weight bench (run.mjs) and the app budgets that `npm test` checks (budget.mjs).
import { readFileSync, rmSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { build } from 'esbuild';
import { appBuildConfig } from './apps.esbuild.mjs';

const root = fileURLToPath(new URL('../../../', import.meta.url));

export const gz = (bytes) => gzipSync(bytes, { level: 9 }).byteLength;

/**
 * @param {'esm-app' | 'react-app' | 'lazy-app'} app
 * @returns {Promise<{ initial: number, all: number, chunks: string[] }>} gzip bytes
 */
export async function measureApp(app) {
  const config = appBuildConfig(app);
  try {
    const result = await build(config);
    const outputs = result.metafile.outputs;
    const jsFiles = Object.keys(outputs).filter((path) => path.endsWith('.js'));
    const sizeOf = (path) => gz(readFileSync(resolve(root, path)));
    const entry = jsFiles.find((path) => outputs[path].entryPoint?.endsWith(`apps/${app}.js`));
    if (!entry) throw new Error(`[weight] esbuild produced no chunk for ${app}`);
    const seen = new Set();
    const visit = (path) => {
      if (seen.has(path)) return 0;
      seen.add(path);
      return (
        sizeOf(path) +
        outputs[path].imports
          .filter((item) => item.kind === 'import-statement' && !item.external)
          .reduce((sum, item) => sum + visit(item.path), 0)
      );
    };
    const initial = visit(entry);
    const all = jsFiles.reduce((sum, path) => sum + sizeOf(path), 0);
    const chunks = jsFiles.map((path) => path.replace(/.*reprise-weight-[^/]+\//, ''));
    return { initial, all, chunks };
  } finally {
    rmSync(config.outdir, { recursive: true, force: true });
  }
}

/**
 * Budgets in bytes (kB of 1000, as size-limit counts): issue 15's goals for an app with
 * createRecorder and for the React adapter over it; and what `@reprise/core/lazy` was held to
 * before it was measured here (its size-limit entry counted the unminified files).
 */
export const APP_GOALS = { esmInitial: 30_000, reactOverEsm: 2_000, lazyInitial: 3_100 };
