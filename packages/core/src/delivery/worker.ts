/**
 * Entry of the batching worker. Built as a classic-script IIFE: inlined into the main bundle as
 * a string (started from a Blob URL) and shipped as `dist/reprise.worker.js` for sites whose CSP
 * has no `worker-src blob:` (`delivery.workerUrl`).
 */
import { DeliveryEngine } from './engine.js';
import type { ToEngine } from './messages.js';

interface WorkerScope {
  postMessage(message: unknown): void;
  onmessage: ((event: MessageEvent<ToEngine>) => void) | null;
}

const scope = globalThis as unknown as WorkerScope;
const engine = new DeliveryEngine((message) => scope.postMessage(message));
scope.onmessage = (event) => void engine.handle(event.data);
