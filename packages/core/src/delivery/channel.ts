import { stringifyPlain } from '@reprise/protocol/page';
import { WORKER_START_TIMEOUT_MS } from './defaults.js';
import { loadEngine, startBundledWorker } from './bundled.js';
import { trustedScriptUrl } from '../trusted-types.js';
import type { FromEngine, ToEngine, ToWorker } from './messages.js';

/** Which way the engine runs; reported for tests and debugging. */
export type EngineMode = 'hosted-worker' | 'bundled-worker' | 'main-thread';

export interface EngineChannel {
  mode: EngineMode;
  post(message: ToEngine): void;
  terminate(): void;
}

/** One way to run the engine in a worker. */
export interface WorkerCandidate {
  mode: EngineMode;
  start(): Worker | undefined;
}

/** How this page may run the engine in a worker, best first. */
export function workerCandidates(options: { workerUrl?: string; disableWorker?: boolean }): WorkerCandidate[] {
  if (options.disableWorker || typeof Worker === 'undefined') return [];
  const list: WorkerCandidate[] = [];
  // A site that self-hosts the worker does so because of its CSP: try that first.
  if (options.workerUrl)
    list.push({ mode: 'hosted-worker', start: () => new Worker(trustedScriptUrl(options.workerUrl!)) });
  list.push({ mode: 'bundled-worker', start: startBundledWorker });
  return list;
}

/**
 * Runs the engine on the page, one message per idle period, so encoding never blocks input. The
 * engine's code (outbox, retry, msgpack) is loaded only now: most pages never need it.
 */
export function mainThreadChannel(
  onMessage: (message: FromEngine) => void,
  onLoadError: (error: unknown) => void,
): EngineChannel {
  let engine: { handle(message: ToEngine): Promise<void> } | undefined;
  let terminated = false;
  const queue: ToEngine[] = [];
  let scheduled = false;
  const idle: (run: (deadline?: IdleDeadline) => void) => void =
    typeof requestIdleCallback === 'function'
      ? (run) => requestIdleCallback(run, { timeout: 1000 })
      : (run) => setTimeout(run, 16);
  const run = (deadline?: IdleDeadline): void => {
    scheduled = false;
    if (!engine) return;
    do {
      const message = queue.shift();
      if (!message) return;
      void engine.handle(message);
    } while (
      deadline &&
      (deadline.didTimeout || deadline.timeRemaining() > 4) &&
      queue.length > 0 &&
      queue[0]!.type === 'events'
    );
    if (queue.length > 0) schedule();
  };
  const schedule = (): void => {
    if (scheduled || !engine) return;
    scheduled = true;
    idle(run);
  };
  loadEngine().then(
    (start) => {
      if (terminated) return;
      engine = start(onMessage);
      schedule();
    },
    (error: unknown) => {
      // Reported once; what would have waited for the engine is not kept in memory forever.
      terminated = true;
      queue.length = 0;
      onLoadError(error);
    },
  );
  return {
    mode: 'main-thread',
    post(message) {
      if (terminated) return;
      queue.push(message);
      schedule();
    },
    terminate() {
      terminated = true;
      queue.length = 0;
    },
  };
}

/**
 * A worker that says `ready` within WORKER_START_TIMEOUT_MS, or `undefined` at once when it cannot
 * even be constructed (a CSP may throw here, or fire `error` later: then `onFail`).
 */
export function workerChannel(
  candidate: WorkerCandidate,
  onMessage: (message: FromEngine) => void,
  onFail: () => void,
): EngineChannel | undefined {
  let worker: Worker | undefined;
  try {
    worker = candidate.start();
  } catch {
    return undefined;
  }
  if (!worker) return undefined;
  const started = worker;
  let settled = false;
  const giveUp = (): void => {
    if (settled) return;
    settled = true;
    clearTimeout(timer);
    started.terminate();
    onFail();
  };
  const timer = setTimeout(giveUp, WORKER_START_TIMEOUT_MS);
  started.addEventListener('error', giveUp);
  started.addEventListener('message', (event: MessageEvent<FromEngine>) => {
    if (!settled && event.data.type === 'ready') {
      settled = true;
      clearTimeout(timer);
      started.removeEventListener('error', giveUp);
    }
    if (settled) onMessage(event.data);
  });
  return {
    mode: candidate.mode,
    post: (message) => {
      if (message.type === 'events') {
        let json: string | undefined;
        try {
          json = stringifyPlain(message.events);
        } catch {
          // A BigInt, say: structured clone takes what JSON cannot.
        }
        if (json !== undefined) return started.postMessage({ type: 'eventsJson', json } satisfies ToWorker);
      }
      started.postMessage(message);
    },
    terminate: () => started.terminate(),
  };
}
