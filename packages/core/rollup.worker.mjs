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

/** @reprise/protocol's sources, reached through the @reprise/source condition. */
const PROTOCOL_SOURCE = /[\\/]packages[\\/]protocol[\\/]src[\\/]/;

/**
 * @reprise/protocol declares sideEffects: false, but its sources are reached through the
 * @reprise/source condition and .js -> .ts specifiers that lose that flag; without it the
 * validator's top-level zod schemas (~40 KB gzip) ride along into every browser bundle even
 * though only the collector validates.
 */
export function protocolSideEffectFree() {
  return {
    name: 'reprise-protocol-side-effect-free',
    transform(code, id) {
      return PROTOCOL_SOURCE.test(id) ? { code, map: null, moduleSideEffects: false } : null;
    },
  };
}

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
