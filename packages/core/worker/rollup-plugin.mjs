// Lives in worker/ because turbo's build inputs include worker/** (a change here rebuilds the core).
// The delivery worker in the build: compiled once as a classic-script IIFE, then (1) inlined as a
// string into every bundle that imports src/delivery/worker-source.ts (started from a Blob URL)
// and (2) written to dist/reprise.worker.js for self-hosting under a CSP without `worker-src blob:`.
import { rollup } from 'rollup';
import esbuild from 'rollup-plugin-esbuild';
import { nodeResolve } from '@rollup/plugin-node-resolve';
import commonjs from '@rollup/plugin-commonjs';
import replace from '@rollup/plugin-replace';

export const WORKER_INPUT = 'src/delivery/worker.ts';
export const WORKER_FILE = 'dist/reprise.worker.js';

/**
 * @reprise/protocol's sources, reached through the @reprise/source condition, which loses the
 * package's `sideEffects: false`: declared again for the worker so zod (only the collector
 * validates) stays out of it. rollup.config.mjs does the same for the other bundles.
 */
const PROTOCOL_SOURCE = /[\\/]packages[\\/]protocol[\\/]src[\\/]/;

let compiled;
function compileWorker() {
  compiled ??= (async () => {
    const bundle = await rollup({
      input: WORKER_INPUT,
      treeshake: { moduleSideEffects: (id) => !PROTOCOL_SOURCE.test(id) },
      plugins: [
        replace({ preventAssignment: true, values: { 'process.env.NODE_ENV': JSON.stringify('production') } }),
        nodeResolve({ browser: true, exportConditions: ['@reprise/source'] }),
        commonjs(),
        esbuild({ target: 'es2020', minify: true }),
      ],
    });
    const { output } = await bundle.generate({ format: 'iife' });
    await bundle.close();
    return output[0].code;
  })();
  return compiled;
}

/**
 * Replaces worker-source.ts with `export const INLINE_WORKER_SOURCE = "<compiled worker>"`, and
 * writes the same code beside the bundle as reprise.worker.js (delivery.workerUrl).
 */
export function inlineWorker() {
  return {
    name: 'reprise-inline-worker',
    async load(id) {
      if (!id.replace(/\\/g, '/').endsWith('src/delivery/worker-source.ts')) return null;
      return `export const INLINE_WORKER_SOURCE = ${JSON.stringify(await compileWorker())};`;
    },
    async generateBundle(output) {
      if (output.format !== 'es') return;
      this.emitFile({ type: 'asset', fileName: WORKER_FILE.replace(/^dist\//, ''), source: await compileWorker() });
    },
  };
}
