import type { FromEngine, ToEngine } from './messages.js';

/** A delivery engine running on the page: the CSP fallback, loaded only when no worker starts. */
export interface EngineHandle {
  handle(message: ToEngine): Promise<void>;
}
export type StartEngine = (post: (message: FromEngine) => void) => EngineHandle;

/*
 * How this build reaches its delivery worker and, failing that, the engine for the page. The
 * build (worker/rollup-plugin.mjs) replaces this module per output: the ES build starts
 * `new Worker(new URL('./reprise.worker.js', import.meta.url), { type: 'module' })`, which Vite,
 * webpack 5 and Rollup emit as a file of its own; the script-tag IIFE starts the worker from
 * beside itself and loads the same file as a script for the fallback. Run from source (tests,
 * dev) and in CommonJS there is no bundled worker: `delivery.workerUrl` or the page fallback.
 */
export function startBundledWorker(): Worker | undefined {
  return undefined;
}

export function loadEngine(): Promise<StartEngine> {
  return import('./engine.js').then(
    ({ DeliveryEngine }) =>
      (post) =>
        new DeliveryEngine(post),
  );
}
