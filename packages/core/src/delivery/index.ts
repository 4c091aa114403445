import type { RecordedEvent } from '@reprise/protocol';
import {
  DEFAULT_MAX_BATCH_BYTES,
  DEFAULT_MAX_BATCH_DELAY_MS,
  DEFAULT_MAX_OUTBOX_BYTES,
  INGEST_PATH,
  KEEPALIVE_LIMIT_BYTES,
  POST_COALESCE_MS,
  WORKER_START_TIMEOUT_MS,
} from './defaults.js';
import { encodeFrames, makeBatch } from './encode.js';
import { DeliveryEngine } from './engine.js';
import type { EngineConfig, FromEngine, ToEngine } from './messages.js';
import { IndexedDbOutbox, type Outbox, recordsOf } from './outbox.js';
import { sendAtUnload } from './transport.js';
import { adoptSpool, spool, unspool, unspoolSession } from './unload-spool.js';
import type { CreateDelivery, Delivery, DeliveryContext } from './types.js';
import { INLINE_WORKER_SOURCE } from './worker-source.js';
import { claimTabId, randomId } from '../session.js';

export * from './types.js';
export {
  DEFAULT_MAX_BATCH_BYTES,
  DEFAULT_MAX_BATCH_DELAY_MS,
  DEFAULT_MAX_OUTBOX_BYTES,
  INGEST_PATH,
  BATCH_CONTENT_TYPE,
} from './defaults.js';

/** Which way the engine runs; reported for tests and debugging. */
export type EngineMode = 'inline-worker' | 'hosted-worker' | 'main-thread';

/** A batch (or several) could not be delivered and was dropped: counted, never silent. */
export class DeliveryDropError extends Error {
  override readonly name = 'DeliveryDropError';
  constructor(
    readonly reason: 'outbox_full' | 'rejected' | 'too_large',
    readonly batches: number,
    readonly bytes: number,
    detail: string,
  ) {
    super(`[@reprise/core] Delivery dropped ${batches} batch(es), ${bytes} bytes: ${detail}.`);
  }
}

const SEQ_STORAGE_KEY = 'reprise:seq';

/**
 * The page owns seq numbers, kept in sessionStorage beside the session id: a reload continues the
 * numbering, and the page can number its last batch synchronously inside `pagehide`.
 */
class SeqCounter {
  private next: number;
  constructor(private readonly session: string, private readonly tab: string) {
    this.next = 0;
    try {
      const stored = JSON.parse(globalThis.sessionStorage?.getItem(SEQ_STORAGE_KEY) ?? 'null') as { session?: string; tab?: string; next?: number } | null;
      if (stored?.session === session && stored.tab === tab && Number.isSafeInteger(stored.next)) this.next = stored.next!;
    } catch {
      // unreadable or no storage: start at 0 (a new session would anyway)
    }
  }
  take(): number {
    const seq = this.next++;
    try {
      globalThis.sessionStorage?.setItem(SEQ_STORAGE_KEY, JSON.stringify({ session: this.session, tab: this.tab, next: this.next }));
    } catch {
      // quota: numbering still continues within this page
    }
    return seq;
  }
  static clear(): void {
    try {
      globalThis.sessionStorage?.removeItem(SEQ_STORAGE_KEY);
    } catch {
      // ignore
    }
  }
}

interface EngineChannel {
  mode: EngineMode;
  post(message: ToEngine): void;
  terminate(): void;
}

/** Runs the engine on the page, one message per idle period, so encoding never blocks input. */
function mainThreadChannel(onMessage: (message: FromEngine) => void): EngineChannel {
  const engine = new DeliveryEngine(onMessage);
  const queue: ToEngine[] = [];
  let scheduled = false;
  const idle: (run: (deadline?: IdleDeadline) => void) => void =
    typeof requestIdleCallback === 'function' ? (run) => requestIdleCallback(run, { timeout: 1000 }) : (run) => setTimeout(run, 16);
  const run = (deadline?: IdleDeadline): void => {
    scheduled = false;
    do {
      const message = queue.shift();
      if (!message) return;
      void engine.handle(message);
    } while (deadline && (deadline.didTimeout || deadline.timeRemaining() > 4) && queue.length > 0 && queue[0]!.type === 'events');
    if (queue.length > 0) schedule();
  };
  const schedule = (): void => {
    if (scheduled) return;
    scheduled = true;
    idle(run);
  };
  return {
    mode: 'main-thread',
    post(message) {
      queue.push(message);
      schedule();
    },
    terminate() {
      queue.length = 0;
    },
  };
}

/**
 * The page side of delivery (README.md, "Who does what"). Comments on members live in the class
 * comment or inside the members: the ESM build keeps the leading comments of class members.
 *
 * Fields:
 * `pendingStart`: Messages not yet accepted by a started engine (replayed into the next way if a
 *   worker fails).
 * `current`: Events pushed since the last cut.
 * `unposted`: Events not yet posted to the engine: one postMessage per POST_COALESCE_MS, not one
 *   per event.
 * `unstored`: Cut batches the engine has not yet stored: the page can still send them itself at
 *   unload.
 * `pageOutbox`: The page's own handle on the outbox, to store its last batches itself at unload
 *   (a worker may be killed first).
 * `held`: Until the tab id is claimed (session.ts claimTabId: a window.open'ed or duplicated tab
 *   starts with another live page's tab id), nothing reaches the engine: its `init` names the tab,
 *   and seqs are numbered per tab. Messages and cuts wait here in order (a lock request settles
 *   in milliseconds, long before the first batch is due); the session API stays synchronous, and
 *   only delivery, which is asynchronous anyway, waits. At unload it cannot wait: the page then
 *   sends as the tab it has (a 409 and `retab` still cover a shared one).
 */
class PageDelivery implements Delivery {
  private readonly url: string;
  private tab: string;
  private seq: SeqCounter;
  private readonly maxBatchDelayMs: number;
  private channel: EngineChannel | undefined;
  private pendingStart: ToEngine[] = [];
  private ready = false;
  private current: RecordedEvent[] = [];
  private unposted: RecordedEvent[] = [];
  private postTimer: ReturnType<typeof setTimeout> | undefined;
  private readonly unstored = new Map<number, RecordedEvent[]>();
  private cutTimer: ReturnType<typeof setTimeout> | undefined;
  private readonly waiters = new Map<number, () => void>();
  private nextRequestId = 1;
  private closed = false;
  private config: EngineConfig;
  private readonly removeListeners: Array<() => void> = [];
  private pageOutbox: Outbox | undefined;
  private held: Array<() => void> | undefined = [];

  constructor(private readonly context: DeliveryContext) {
    const options = context.options;
    this.url = context.endpoint.replace(/\/+$/, '') + INGEST_PATH;
    this.tab = context.tabId;
    this.seq = new SeqCounter(context.sessionId, context.tabId);
    this.maxBatchDelayMs = options.maxBatchDelayMs ?? DEFAULT_MAX_BATCH_DELAY_MS;
    this.config = {
      project: context.project,
      url: this.url,
      session: context.sessionId,
      tab: context.tabId,
      instance: randomId(),
      maxBatchBytes: options.maxBatchBytes ?? DEFAULT_MAX_BATCH_BYTES,
      maxOutboxBytes: options.maxOutboxBytes ?? DEFAULT_MAX_OUTBOX_BYTES,
      online: globalThis.navigator?.onLine ?? true,
    };
    this.startEngine(this.candidates());
    this.listen();
    claimTabId(context.tabId, (tab) => this.claimed(tab));
    if (typeof indexedDB !== 'undefined') {
      IndexedDbOutbox.open().then((outbox) => {
        this.pageOutbox = outbox;
        void adoptSpool(outbox).catch(() => undefined);
      }, () => undefined);
    }
  }

  private claimed(tab: string): void {
    const held = this.held;
    if (!held) return;
    this.held = undefined;
    if (tab !== this.tab) {
      this.tab = tab;
      this.config = { ...this.config, tab };
      this.seq = new SeqCounter(this.context.sessionId, tab);
    }
    this.send({ type: 'init', config: this.config });
    for (const run of held) run();
  }

  private candidates(): Array<{ mode: EngineMode; url: () => string }> {
    // How this page may run the engine, best first.
    const options = this.context.options;
    if (options.disableWorker || typeof Worker === 'undefined') return [];
    const list: Array<{ mode: EngineMode; url: () => string }> = [];
    // A site that self-hosts the worker does so because of its CSP: do not trip it with a blob: first.
    if (options.workerUrl) list.push({ mode: 'hosted-worker', url: () => options.workerUrl! });
    if (INLINE_WORKER_SOURCE !== undefined && typeof Blob !== 'undefined') {
      list.push({ mode: 'inline-worker', url: () => URL.createObjectURL(new Blob([INLINE_WORKER_SOURCE!], { type: 'text/javascript' })) });
    }
    return list;
  }

  private startEngine(candidates: Array<{ mode: EngineMode; url: () => string }>): void {
    const [candidate, ...rest] = candidates;
    if (!candidate) {
      this.attach(mainThreadChannel((message) => this.onEngineMessage(message)));
      return;
    }
    let worker: Worker;
    let url: string;
    try {
      url = candidate.url();
      worker = new Worker(url);
    } catch {
      // A CSP without worker-src blob: may throw here (or fire `error` below).
      this.startEngine(rest);
      return;
    }
    let settled = false;
    const giveUp = (): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      worker.terminate();
      this.startEngine(rest);
    };
    const timer = setTimeout(giveUp, WORKER_START_TIMEOUT_MS);
    worker.addEventListener('error', giveUp);
    worker.addEventListener('message', (event: MessageEvent<FromEngine>) => {
      if (!settled && event.data.type === 'ready') {
        settled = true;
        clearTimeout(timer);
        worker.removeEventListener('error', giveUp);
        if (url.startsWith('blob:')) URL.revokeObjectURL(url);
      }
      if (settled) this.onEngineMessage(event.data);
    });
    const channel: EngineChannel = {
      mode: candidate.mode,
      post: (message) => {
        try {
          worker.postMessage(message);
        } catch {
          // Something rrweb emitted is not structured-cloneable: send its JSON form instead.
          worker.postMessage(JSON.parse(JSON.stringify(message)));
        }
      },
      terminate: () => worker.terminate(),
    };
    for (const message of this.pendingStart) channel.post(message);
    this.channel = channel;
  }

  private attach(channel: EngineChannel): void {
    this.channel = channel;
    for (const message of this.pendingStart) channel.post(message);
  }

  get mode(): EngineMode | undefined {
    // The way the engine runs now (tests assert the CSP fallbacks with it).
    return this.ready ? this.channel?.mode : undefined;
  }

  private send(message: ToEngine): void {
    if (this.held) {
      this.held.push(() => this.send(message));
      return;
    }
    if (!this.ready) this.pendingStart.push(message);
    this.channel?.post(message);
  }

  private onEngineMessage(message: FromEngine): void {
    switch (message.type) {
      case 'ready':
        this.ready = true;
        this.pendingStart = [];
        return;
      case 'full':
        this.cut();
        return;
      case 'stored':
        this.unstored.delete(message.seq);
        return;
      case 'done':
        this.waiters.get(message.id)?.();
        this.waiters.delete(message.id);
        return;
      case 'dropped':
        return this.context.onError(new DeliveryDropError(message.reason, message.batches, message.bytes, message.detail));
      case 'warning':
        return this.context.onError(new Error(message.message));
      case 'retab':
        this.tab = message.tab;
        return;
      case 'sent':
        return;
    }
  }

  private listen(): void {
    const on = (target: EventTarget | undefined, type: string, listener: () => void): void => {
      if (!target) return;
      target.addEventListener(type, listener);
      this.removeListeners.push(() => target.removeEventListener(type, listener));
    };
    const win = typeof window === 'undefined' ? undefined : window;
    on(win, 'online', () => this.send({ type: 'online', online: true }));
    on(win, 'offline', () => this.send({ type: 'online', online: false }));
    on(win, 'pagehide', () => this.sendTail());
    on(typeof document === 'undefined' ? undefined : document, 'visibilitychange', () => {
      if (document.visibilityState === 'hidden') this.sendTail();
    });
  }

  push(events: RecordedEvent[]): void {
    if (this.closed || events.length === 0) return;
    if (this.current.length === 0) {
      clearTimeout(this.cutTimer);
      this.cutTimer = setTimeout(() => this.cut(), this.maxBatchDelayMs);
    }
    for (const event of events) {
      this.current.push(event);
      this.unposted.push(event);
    }
    this.postTimer ??= setTimeout(() => this.postEvents(), POST_COALESCE_MS);
  }

  private postEvents(): void {
    clearTimeout(this.postTimer);
    this.postTimer = undefined;
    if (this.unposted.length === 0) return;
    this.send({ type: 'events', events: this.unposted });
    this.unposted = [];
  }

  private cut(sentByPage = false): void {
    // Close the current batch; it gets the next seq once the tab is claimed.
    clearTimeout(this.cutTimer);
    if (this.current.length === 0) return;
    // The engine must hold every event of the batch before it is told to cut it.
    this.postEvents();
    const events = this.current;
    this.current = [];
    if (this.held) this.held.push(() => this.number(events, sentByPage));
    else this.number(events, sentByPage);
  }

  private number(events: RecordedEvent[], sentByPage: boolean): void {
    const seq = this.seq.take();
    this.unstored.set(seq, events);
    this.send({ type: 'cut', seq, count: events.length, ...(sentByPage ? { sentByPage } : {}) });
  }

  private sendTail(): void {
    // The page is going away (or hidden, which on mobile may be the last chance): encode what the
    // engine may not get to store, here and now, and send it with keepalive. The engine stores the
    // same batches too; the collector keeps one copy per seq.
    if (this.closed) return;
    this.claimed(this.tab);
    this.cut(true);
    let budget = KEEPALIVE_LIMIT_BYTES;
    const identity = { project: this.context.project, session: this.context.sessionId, tab: this.tab };
    const now = Date.now();
    for (const [seq, events] of this.unstored) {
      const frames = encodeFrames(makeBatch(identity, seq, events));
      // Stored by the page too: IndexedDB writes begun in pagehide complete, a worker may not get to its own.
      const records = recordsOf(frames, { session: identity.session, tab: identity.tab, url: this.url, createdAt: now, owner: this.config.instance, pageSentAt: now });
      // Synchronous copy first: the IndexedDB write below may never commit if the page is torn down.
      spool(records);
      const stored = this.pageOutbox?.put(records).then(() => unspool(records.map((record) => record.key)), (error: unknown) => this.context.onError(new Error(`[@reprise/core] Delivery could not store batch seq ${seq} at unload: ${(error as Error).message}`))) ?? Promise.resolve();
      const size = frames.reduce((sum, frame) => sum + frame.body.byteLength, 0);
      // Past the keepalive quota the outbox sends it on the next page load.
      if (size > budget) continue;
      budget -= size;
      void Promise.all(frames.map((frame) => sendAtUnload(this.url, frame.body))).then(async (results) => {
        // After our own write, so the engine's removal cannot be overtaken by it.
        await stored;
        // A queued beacon is unconfirmed: the batch stays in the outbox and goes again later.
        if (results.every((result) => result === 'confirmed')) this.send({ type: 'delivered', seq });
      });
    }
  }

  private request(type: 'flush' | 'stop' | 'discard'): Promise<void> {
    const id = this.nextRequestId++;
    return new Promise<void>((resolve) => {
      this.waiters.set(id, resolve);
      this.send({ type, id });
    });
  }

  flush(): Promise<void> {
    if (this.closed) return Promise.resolve();
    this.cut();
    return this.request('flush');
  }

  private close(): void {
    this.closed = true;
    clearTimeout(this.cutTimer);
    clearTimeout(this.postTimer);
    for (const remove of this.removeListeners.splice(0)) remove();
  }

  async stop(): Promise<void> {
    if (this.closed) return;
    this.cut();
    this.close();
    await this.request('stop');
    this.channel?.terminate();
  }

  async discard(): Promise<void> {
    if (this.closed) return;
    this.close();
    this.current = [];
    this.unposted = [];
    this.unstored.clear();
    // Opted out: an unload copy of this session must not be adopted and sent by a later page.
    unspoolSession(this.context.sessionId);
    await this.request('discard');
    this.channel?.terminate();
    SeqCounter.clear();
  }
}

export const createDelivery: CreateDelivery = (context) => new PageDelivery(context);

/** For tests and diagnostics: how a delivery created by createDelivery runs its engine. */
export function deliveryMode(delivery: Delivery): EngineMode | undefined {
  return delivery instanceof PageDelivery ? delivery.mode : undefined;
}
