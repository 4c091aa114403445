/**
 * Entry of the delivery worker, built by worker/rollup-plugin.mjs into `dist/reprise.worker.js`:
 * one self-contained script without imports, so it runs as a module worker (bundlers), a classic
 * worker (script tag, `delivery.workerUrl`), and, loaded as a plain script on the page, as the
 * main-thread fallback of the script-tag build, which then finds the engine on `ENGINE_GLOBAL`.
 */
import { DeliveryEngine } from './engine.js';
import type { StartEngine } from './bundled.js';
import type { ToWorker } from './messages.js';

export const ENGINE_GLOBAL = '__repriseDeliveryEngine';

interface Scope {
  WorkerGlobalScope?: abstract new () => unknown;
  postMessage(message: unknown): void;
  onmessage: ((event: MessageEvent<ToWorker>) => void) | null;
  [ENGINE_GLOBAL]?: StartEngine;
}

const scope = globalThis as unknown as Scope;
if (typeof scope.WorkerGlobalScope === 'function' && scope instanceof scope.WorkerGlobalScope) {
  const engine = new DeliveryEngine((message) => scope.postMessage(message));
  scope.onmessage = ({ data }) =>
    void engine.handle(data.type === 'eventsJson' ? { type: 'events', events: JSON.parse(data.json) } : data);
} else {
  scope[ENGINE_GLOBAL] = (post) => new DeliveryEngine(post);
}
