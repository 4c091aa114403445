import {
  type Batch,
  PROTOCOL_VERSION,
  batchBounds,
  createPendingReplies,
  encodeJsonBatchFrame,
  splitBatch,
  type RecordedEvent,
} from '@reprise/protocol/page';
import {
  DEFAULT_MAX_BATCH_BYTES,
  DEFAULT_MAX_BATCH_DELAY_MS,
  DEFAULT_MAX_OUTBOX_BYTES,
  INGEST_PATH,
  KEEPALIVE_LIMIT_BYTES,
  MAX_FRAME_BYTES,
  POST_COALESCE_MS,
} from './defaults.js';
import {
  type EngineChannel,
  type EngineMode,
  type WorkerCandidate,
  mainThreadChannel,
  workerCandidates,
  workerChannel,
} from './channel.js';
import type { EncodedFrame } from './encode.js';
import type { EngineConfig, FromEngine, ToEngine } from './messages.js';
import { recordsOf } from './outbox-record.js';
import { sendAtUnload } from './unload-send.js';
import { readSpool, spool, unspool, unspoolSession } from './unload-spool.js';
import type { Delivery, DeliveryContext } from './types.js';
import { DeliveryDropError, RecorderError } from '../errors.js';
import { randomId } from '../session.js';
import { claimTabId } from './tab-lock.js';

const SEQ_STORAGE_KEY = 'reprise:seq';

/**
 * The page owns seq numbers, kept in sessionStorage beside the session id: a reload continues the
 * numbering, and the page can number its last batch synchronously inside `pagehide`.
 */
class SeqCounter {
  private next: number;
  constructor(
    private readonly session: string,
    private readonly tab: string,
  ) {
    this.next = 0;
    try {
      const stored = JSON.parse(globalThis.sessionStorage?.getItem(SEQ_STORAGE_KEY) ?? 'null') as {
        session?: string;
        tab?: string;
        next?: number;
      } | null;
      if (stored?.session === session && stored.tab === tab && Number.isSafeInteger(stored.next))
        this.next = stored.next!;
    } catch {
      // unreadable or no storage: start at 0 (a new session would anyway)
    }
  }
  take(): number {
    const seq = this.next++;
    try {
      globalThis.sessionStorage?.setItem(
        SEQ_STORAGE_KEY,
        JSON.stringify({ session: this.session, tab: this.tab, next: this.next }),
      );
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

/**
 * The page's own encoding, for its last batch at `pagehide` only: JSON frames (`Codec.json`), so
 * the page carries neither msgpack nor a compressor. A frame over a keepalive request is halved.
 */
function jsonFrames(batch: Batch): EncodedFrame[] {
  const frames: EncodedFrame[] = [];
  const pending: Batch[] = [batch];
  while (pending.length > 0) {
    const current = pending.shift()!;
    const body = encodeJsonBatchFrame(current);
    if (body.byteLength > MAX_FRAME_BYTES && current.events.length > 1) {
      pending.unshift(...splitBatch(current));
      continue;
    }
    frames.push({ seq: current.seq, part: current.part ?? '', body, events: current.events.length });
  }
  return frames;
}

/**
 * The ingest URL, absolute. An endpoint may be relative (a proxy on the page's own origin): it is
 * resolved here as the page's own requests resolve it, once, because the worker would resolve it
 * against its script's URL, and the Blob worker a script tag served from a CDN starts cannot
 * resolve one at all (every send failed like a network error, retried forever).
 */
function resolvedIngestUrl(endpoint: string): string {
  const url = endpoint.replace(/\/+$/, '') + INGEST_PATH;
  try {
    return new URL(url, document.baseURI).href;
  } catch {
    return url;
  }
}

/**
 * The page side of delivery (README.md, "Who does what"): seq numbers, cuts, and the unload path.
 * Encoding, the outbox and retries live in the engine (a worker; on the page only as the lazily
 * loaded fallback). Comments on members live here: the ESM build keeps the leading comments of
 * class members.
 *
 * Fields:
 * `pendingStart`: Messages not yet accepted by a started engine (replayed into the next way if a
 *   worker fails).
 * `current`: Events pushed since the last cut.
 * `unposted`: Events not yet posted to the engine: one postMessage per POST_COALESCE_MS, not one
 *   per event.
 * `unstored`: Cut batches the engine has not yet stored: their frames once the engine reported
 *   them `encoded` (the page sends those bytes itself at unload), or until then their events.
 * `spooled`: Outbox keys this page put into the unload spool (and sent itself), by seq: cleared
 *   from localStorage once stored.
 * `pageSends`: Seqs the page sends itself as soon as the engine reports them `encoded` (hidden).
 * `budget`: What is left of the keepalive quota in this hide or unload.
 * `held`: Until the tab id is claimed (tab-lock.ts claimTabId: a window.open'ed or duplicated tab
 *   starts with another live page's tab id), nothing reaches the engine: its `init` names the tab,
 *   and seqs are numbered per tab. Messages and cuts wait here in order (a lock request settles
 *   in milliseconds, long before the first batch is due); the session API stays synchronous, and
 *   only delivery, which is asynchronous anyway, waits. At unload it cannot wait: the page then
 *   sends as the tab it has (a 409 and `retab` still cover a shared one).
 * `hiddenCut`: A cut scheduled when the tab was hidden (see `listen`).
 */
export class PageDelivery implements Delivery {
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
  private readonly unstored = new Map<number, RecordedEvent[] | EncodedFrame[]>();
  private readonly encoded = new Set<number>();
  private readonly spooled = new Map<number, string[]>();
  private readonly pageSends = new Set<number>();
  private budget = KEEPALIVE_LIMIT_BYTES;
  private cutTimer: ReturnType<typeof setTimeout> | undefined;
  private hiddenCut: ReturnType<typeof setTimeout> | undefined;
  /** flush, stop and discard requests the engine has not answered `done` yet. */
  private readonly replies = createPendingReplies();
  private closed = false;
  private config: EngineConfig;
  private readonly removeListeners: Array<() => void> = [];
  private held: Array<() => void> | undefined = [];

  constructor(private readonly context: DeliveryContext) {
    const options = context.options;
    this.url = resolvedIngestUrl(context.endpoint);
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
    this.warnIfMixedContent();
    this.startEngine(workerCandidates(options));
    this.listen();
    claimTabId(context.tabId, (tab) => this.claimed(tab));
    // What earlier pages left in the unload spool goes to the engine's outbox.
    const records = readSpool();
    if (records.length > 0) this.send({ type: 'adopt', records });
  }

  /**
   * An https page may not send to an http collector (mixed content), loopback aside: every
   * request would fail like a network error and be retried in silence.
   */
  private warnIfMixedContent(): void {
    if (typeof location === 'undefined' || location.protocol !== 'https:') return;
    const collector = new URL(this.url);
    if (
      collector.protocol !== 'http:' ||
      /^(localhost|.+\.localhost|127\.\d+\.\d+\.\d+|\[::1\])$/i.test(collector.hostname)
    )
      return;
    this.context.onError(
      new RecorderError(
        'delivery',
        `the collector (${collector.origin}) is http: on an https: page, which browsers refuse as mixed content, so nothing can reach it. Serve the collector over https.`,
      ),
    );
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

  private startEngine(candidates: WorkerCandidate[]): void {
    const onMessage = (message: FromEngine): void => this.onEngineMessage(message);
    let channel: EngineChannel | undefined;
    let rest = candidates;
    while (!channel && rest.length > 0) {
      const [candidate, ...others] = rest;
      rest = others;
      channel = workerChannel(candidate!, onMessage, () => this.startEngine(others));
    }
    channel ??= mainThreadChannel(onMessage, (error) =>
      this.context.onError(
        new RecorderError(
          'delivery',
          `Delivery could not load its engine, so nothing is sent (${(error as Error)?.message ?? String(error)}). Serve reprise.worker.js beside reprise.iife.js, or set delivery.workerUrl.`,
          { cause: error },
        ),
      ),
    );
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
      case 'encoded':
        if (this.unstored.has(message.seq)) {
          this.unstored.set(message.seq, message.frames);
          this.encoded.add(message.seq);
          if (this.pageSends.has(message.seq)) this.sendItself(message.seq);
        }
        return;
      case 'stored':
        this.unstored.delete(message.seq);
        this.encoded.delete(message.seq);
        this.pageSends.delete(message.seq);
        unspool(this.spooled.get(message.seq) ?? []);
        this.spooled.delete(message.seq);
        return;
      case 'adopted':
        unspool(message.keys);
        return;
      case 'done':
        return this.replies.settle(message.id);
      case 'dropped':
        return this.context.onError(
          new DeliveryDropError(message.reason, message.batches, message.bytes, message.detail),
        );
      case 'warning':
        return this.context.onError(new RecorderError('delivery', message.message));
      case 'retab':
        this.tab = message.tab;
        return;
      case 'sent':
        return;
    }
  }

  private listen(): void {
    const on = (target: EventTarget | undefined, type: string, listener: (event: Event) => void): void => {
      if (!target) return;
      target.addEventListener(type, listener);
      this.removeListeners.push(() => target.removeEventListener(type, listener));
    };
    const win = typeof window === 'undefined' ? undefined : window;
    const doc = typeof document === 'undefined' ? undefined : document;
    on(win, 'online', () => this.send({ type: 'online', online: true }));
    on(win, 'offline', () => this.send({ type: 'online', online: false }));
    on(win, 'pagehide', () => this.sendTail());
    // A send the page's CSP refuses fails like a network error and would be retried in silence.
    let refusalSaid = false;
    const onViolation = (event: Event): void => {
      const { effectiveDirective, blockedURI } = event as SecurityPolicyViolationEvent;
      const collector = new URL(this.url).origin;
      // The origin itself, or a URL on it: not another origin it is a prefix of (`:3000` and `:30001`).
      const refused = blockedURI === collector || blockedURI.startsWith(`${collector}/`);
      if (refusalSaid || effectiveDirective !== 'connect-src' || !refused) return;
      refusalSaid = true;
      this.context.onError(
        new RecorderError(
          'delivery',
          `this page's Content-Security-Policy refuses requests to the collector (${collector}): add it to connect-src. Batches the page sends itself wait in the outbox meanwhile.`,
        ),
      );
    };
    on(doc, 'securitypolicyviolation', onViolation);
    on(doc, 'visibilitychange', () => {
      // Hidden may be the last chance (mobile). In a task of its own: when the page is going
      // away, `pagehide` follows in this same task and sends the tail itself.
      if (document.visibilityState === 'hidden') this.hiddenCut ??= setTimeout(() => this.sendHidden(), 0);
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
    if (sentByPage) this.pageSends.add(seq);
    this.send({ type: 'cut', seq, count: events.length, ...(sentByPage ? { sentByPage } : {}) });
  }

  private sendHidden(): void {
    // Hidden, still running: cut, and send every batch the engine has not stored yet with
    // keepalive (a beacon if refused), as soon as the engine has encoded it: compressed, and the
    // very bytes the engine stores, which then waits before sending its own copy.
    this.hiddenCut = undefined;
    this.budget = KEEPALIVE_LIMIT_BYTES;
    for (const seq of this.unstored.keys()) this.pageSends.add(seq);
    this.cut(true);
    for (const seq of this.encoded) this.sendItself(seq);
  }

  private sendItself(seq: number): void {
    // Spool (synchronous: an IndexedDB write begun now may never commit, the worker may be ended
    // first) and send the batch's frames with keepalive, within what is left of the quota.
    this.pageSends.delete(seq);
    const frames = this.unstored.get(seq) as EncodedFrame[] | undefined;
    if (!frames || !this.encoded.has(seq) || this.spooled.has(seq)) return;
    const now = Date.now();
    const records = recordsOf(frames, {
      session: this.context.sessionId,
      tab: this.tab,
      url: this.url,
      createdAt: now,
      owner: this.config.instance,
      pageSentAt: now,
    });
    spool(records);
    this.spooled.set(
      seq,
      records.map((record) => record.key),
    );
    const size = frames.reduce((sum, frame) => sum + frame.body.byteLength, 0);
    // Past the keepalive quota the spool and the outbox send it on the next page load.
    if (size > this.budget) return;
    this.budget -= size;
    void Promise.all(frames.map((frame) => sendAtUnload(this.url, frame.body))).then((results) => {
      // A queued beacon is unconfirmed: the batch stays in the outbox and goes again later.
      if (results.every((result) => result === 'confirmed')) this.send({ type: 'delivered', seq });
    });
  }

  private sendTail(): void {
    // The page is going away: what the engine may not get to store is sent here and now with
    // keepalive, and spooled into localStorage for the next page. The tail (events never cut) is
    // encoded here as JSON and handed to the engine as those very bytes; cut batches go as the
    // engine encoded them. So every copy of a seq is the same bytes (the collector keeps one).
    if (this.closed) return;
    clearTimeout(this.hiddenCut);
    this.hiddenCut = undefined;
    this.claimed(this.tab);
    const identity = { project: this.context.project, session: this.context.sessionId, tab: this.tab };
    clearTimeout(this.cutTimer);
    if (this.current.length > 0) {
      this.postEvents();
      const seq = this.seq.take();
      const frames = jsonFrames({
        v: PROTOCOL_VERSION,
        ...identity,
        seq,
        ...batchBounds(this.current),
        events: this.current,
      });
      this.send({ type: 'cut', seq, count: this.current.length, sentByPage: true, frames });
      this.current = [];
      this.unstored.set(seq, frames);
      this.encoded.add(seq);
    }
    this.budget = KEEPALIVE_LIMIT_BYTES;
    // A batch cut moments ago, whose bytes the engine has not sent back yet, is left to the
    // engine: bytes of the page's own making could differ from the engine's (a 409).
    for (const seq of this.encoded) this.sendItself(seq);
  }

  private request(type: 'flush' | 'stop' | 'discard'): Promise<void> {
    return this.replies.request((id) => this.send({ type, id }));
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
    clearTimeout(this.hiddenCut);
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
