// Lives in worker/ because turbo's build inputs include worker/** (a change here rebuilds the core).
// The delivery worker in the build: src/delivery/worker.ts compiled once into a self-contained
// script, written to dist/reprise.worker.js; and src/delivery/bundled.ts replaced per output by
// the code that reaches that file (see bundled.ts).
import { posix } from 'node:path';
import { rollup } from 'rollup';
import esbuild from 'rollup-plugin-esbuild';
import { nodeResolve } from '@rollup/plugin-node-resolve';
import commonjs from '@rollup/plugin-commonjs';
import replace from '@rollup/plugin-replace';

export const WORKER_INPUT = 'src/delivery/worker.ts';
export const WORKER_FILE = 'reprise.worker.js';
const ENGINE_GLOBAL = '__repriseDeliveryEngine';
const FILE_MARKER = '__REPRISE_WORKER_FILE__';

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
    // No import or export in it: the same file runs as a module worker, a classic worker, and as
    // a plain script on the page (the script tag's fallback).
    const { output } = await bundle.generate({ format: 'iife' });
    await bundle.close();
    return output[0].code;
  })();
  return compiled;
}

const ENGINE_IMPORT = `export function loadEngine() {
  return import('./engine.js').then(({ DeliveryEngine }) => (post) => new DeliveryEngine(post));
}`;

const BUNDLED = {
  // A literal new Worker(new URL(..., import.meta.url)) is what bundlers recognise and emit.
  es: `export function startBundledWorker() {
  return new Worker(new URL('${FILE_MARKER}', import.meta.url), { type: 'module' });
}
${ENGINE_IMPORT}`,
  cjs: `export function startBundledWorker() {
  return undefined;
}
${ENGINE_IMPORT}`,
  // The script tag: the worker beside this script (document.currentScript, read while it runs).
  // Trusted Types: see src/trusted-types.ts.
  iife: `import { trustedScriptUrl } from '../trusted-types.js';
const script = typeof document !== 'undefined' ? document.currentScript : null;
const asset = script && script.src ? new URL('${WORKER_FILE}', script.src).href : undefined;
export function startBundledWorker() {
  if (!asset) return undefined;
  if (new URL(asset).origin === location.origin) return new Worker(trustedScriptUrl(asset));
  // A worker script must be same-origin: from a CDN, a Blob worker imports it. The worker
  // inherits the page's CSP, Trusted Types included, and so has its own policy.
  const source = 'importScripts(self.trustedTypes ? trustedTypes.createPolicy("reprise", { createScriptURL: (url) => url }).createScriptURL(' + JSON.stringify(asset) + ') : ' + JSON.stringify(asset) + ')';
  return new Worker(trustedScriptUrl(URL.createObjectURL(new Blob([source], { type: 'text/javascript' }))));
}
export function loadEngine() {
  return new Promise((resolve, reject) => {
    if (globalThis.${ENGINE_GLOBAL}) return resolve(globalThis.${ENGINE_GLOBAL});
    if (!asset) return reject(new Error('reprise.iife.js was not loaded from a <script src>, so ${WORKER_FILE} cannot be found beside it'));
    const element = document.createElement('script');
    element.src = trustedScriptUrl(asset);
    element.onload = () => (globalThis.${ENGINE_GLOBAL} ? resolve(globalThis.${ENGINE_GLOBAL}) : reject(new Error(asset + ' did not define the delivery engine')));
    element.onerror = () => reject(new Error('could not load ' + asset));
    document.head.appendChild(element);
  });
}`,
};

/**
 * @param {'es' | 'cjs' | 'iife'} format the output this build writes
 */
export function bundledDelivery(format) {
  return {
    name: 'reprise-bundled-delivery',
    load(id) {
      if (!id.replace(/\\/g, '/').endsWith('src/delivery/bundled.ts')) return null;
      return BUNDLED[format];
    },
    renderChunk(code, chunk) {
      if (!code.includes(FILE_MARKER)) return null;
      // Relative to the chunk that holds it (dist/ or dist/chunks/).
      let path = posix.relative(posix.dirname(chunk.fileName), WORKER_FILE);
      if (!path.startsWith('.')) path = `./${path}`;
      return { code: code.replaceAll(FILE_MARKER, path), map: null };
    },
    async generateBundle(output) {
      if (output.format !== 'es') return;
      this.emitFile({ type: 'asset', fileName: WORKER_FILE, source: await compileWorker() });
    },
  };
}
