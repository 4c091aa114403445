import { splitBatch, type RecordedEvent } from '@reprise/protocol';
import { MAX_BATCH_EVENTS, PAGE_SENT_GRACE_MS } from './defaults.js';
import {
  type BatchIdentity,
  type EncodedFrame,
  encodeFrames,
  measureAndCapStrings,
  makeBatch,
  readOwnFrame,
} from './encode.js';
import type { EngineConfig, FromEngine, ToEngine } from './messages.js';
import {
  type Outbox,
  type OutboxEntry,
  type OutboxRecord,
  SpillingOutbox,
  entryOf,
  openOutbox,
  recordsOf,
  selectOverflow,
} from './outbox.js';
import { type Fetcher, backoffDelay, sendFrame } from './transport.js';

export const INSTANCE_LOCK_PREFIX = 'reprise-delivery:';

export interface EngineDeps {
  fetcher?: Fetcher;
  /** An outbox to use instead of opening IndexedDB (tests that pre-fill one). */
  outbox?: Outbox;
  now?: () => number;
  random?: () => number;
}

/**
 * The batching engine: buffers events, cuts batches when the page says so (the page owns seq
 * numbers, so it can number its own last batch at unload), encodes and compresses them, stores
 * them in the outbox and sends them in order. Runs in the worker, or on the main thread in idle
 * callbacks when no worker can start. Messages are handled strictly one after another.
 *
 * Fields:
 * `volatileSeqs`: Seqs of this page's batches that only memory holds: the page keeps their
 *   events until they are sent.
 * `reportedFailures`: Which outbox failures were already reported (once each until the outbox
 *   works again).
 * `backoff`: Backoff per ingest URL (no answer: the collector is unreachable, every stream to it
 *   waits) and per (session, tab) stream (an error status for one batch): a dead old endpoint, or
 *   a batch the collector always answers 5xx, must not hold back the streams behind it.
 */
export class DeliveryEngine {
  private config: EngineConfig | undefined;
  private outbox: SpillingOutbox | undefined;
  private readonly volatileSeqs = new Set<number>();
  private readonly reportedFailures = new Set<string>();
  private buffer: RecordedEvent[] = [];
  private sizes: number[] = [];
  private bufferBytes = 0;
  private fullSignalled = false;
  private online = true;
  /** Sends tried since the browser said it was offline (see `sendAll`). */
  private offlineTries = 0;
  private stopped = false;
  private attempt = 0;
  private retryAt = 0;
  private readonly backoff = new Map<string, { at: number; attempt: number }>();
  private retryTimer: ReturnType<typeof setTimeout> | undefined;
  private pumping: Promise<void> | undefined;
  private queue: Promise<void> = Promise.resolve();
  private readonly now: () => number;

  constructor(
    private readonly post: (message: FromEngine) => void,
    private readonly deps: EngineDeps = {},
  ) {
    this.now = deps.now ?? Date.now;
  }

  handle(message: ToEngine): Promise<void> {
    // Queue a message; resolves when it (and everything before it) has been handled.
    this.queue = this.queue
      .then(() => this.process(message))
      .catch((error: unknown) => {
        this.post({
          type: 'warning',
          message: `Delivery failed to handle "${message.type}": ${(error as Error).message}`,
        });
      });
    return this.queue;
  }

  private get identity(): BatchIdentity {
    const config = this.config!;
    return { project: config.project, session: config.session, tab: config.tab };
  }

  private async process(message: ToEngine): Promise<void> {
    switch (message.type) {
      case 'init':
        return this.init(message.config);
      case 'events':
        return this.add(message.events);
      case 'cut':
        return this.cut(
          message.seq,
          message.count,
          message.sentByPage === true || message.frames !== undefined,
          message.frames,
        );
      case 'adopt':
        return this.adopt(message.records);
      case 'delivered': {
        // This page's own record of the seq: another page sharing the stream may hold one too.
        const { session, tab, instance } = this.config!;
        return this.forget(
          (entry) =>
            entry.session === session && entry.tab === tab && entry.seq === message.seq && entry.owner === instance,
        );
      }
      case 'online':
        if (!message.online) return this.goOffline();
        this.online = true;
        this.offlineTries = 0;
        // Coming back online is the best moment to retry: skip the remaining backoff.
        this.retryAt = 0;
        this.backoff.clear();
        void this.pump();
        return;
      case 'flush':
        // Not awaited: a long backlog must not hold up the events and cuts queued behind it.
        void this.pump().then(() => this.post({ type: 'done', id: message.id }));
        return;
      case 'discard':
        this.buffer = [];
        this.sizes = [];
        this.bufferBytes = 0;
        await this.forget((entry) => entry.session === this.config!.session);
        this.volatileSeqs.clear();
        this.stop();
        return this.post({ type: 'done', id: message.id });
      case 'stop':
        void this.pump().then(() => {
          this.stop();
          this.post({ type: 'done', id: message.id });
        });
        return;
    }
  }

  private async init(config: EngineConfig): Promise<void> {
    this.config = config;
    if (!config.online) this.goOffline();
    const durable = this.deps.outbox ?? (await openOutbox(config.memoryOutbox)).outbox;
    this.outbox = new SpillingOutbox(durable, (operation, error) => this.reportOutboxFailure(operation, error));
    await this.holdInstanceLock();
    this.post({ type: 'ready' });
    // Resume what earlier pages of this origin left in the outbox.
    void this.pump();
  }

  private async holdInstanceLock(): Promise<void> {
    // Held while this page (or worker) lives: other pages leave our records to us until it is released.
    const locks = (globalThis.navigator as Navigator | undefined)?.locks;
    if (!locks) return;
    await new Promise<void>((acquired) => {
      locks
        .request(INSTANCE_LOCK_PREFIX + this.config!.instance, () => {
          acquired();
          return new Promise<void>(() => {});
        })
        // Refused (an opaque origin: a sandboxed frame): as without Web Locks.
        .catch(() => acquired());
    }).catch(() => undefined);
  }

  private add(events: RecordedEvent[]): void {
    for (const event of events) {
      const size = measureAndCapStrings(event);
      this.buffer.push(event);
      this.sizes.push(size);
      this.bufferBytes += size;
    }
    if (
      !this.fullSignalled &&
      (this.bufferBytes >= this.config!.maxBatchBytes || this.buffer.length >= MAX_BATCH_EVENTS)
    ) {
      this.fullSignalled = true;
      this.post({ type: 'full' });
    }
  }

  private async cut(
    seq: number,
    count: number,
    sentByPage: boolean,
    pageFrames: EncodedFrame[] | undefined,
  ): Promise<void> {
    const events = this.buffer.splice(0, count);
    for (const size of this.sizes.splice(0, count)) this.bufferBytes -= size;
    this.fullSignalled = false;
    if (this.bufferBytes >= this.config!.maxBatchBytes) {
      this.fullSignalled = true;
      this.post({ type: 'full' });
    }
    if (events.length === 0) return this.post({ type: 'stored', seq });
    // The page encoded (and sent) this batch itself at unload: store its very bytes, so every
    // copy of the seq the collector may see is the same.
    const frames = pageFrames ?? (await encodeFrames(makeBatch(this.identity, seq, events)));
    // Until it hears `stored`, the page holds these bytes to send them itself at unload.
    if (!pageFrames) this.post({ type: 'encoded', seq, frames });
    const durable = await this.store(frames, sentByPage ? this.now() : undefined);
    // Held only in memory: the page keeps the events (and sends them itself at unload) until
    // this page has sent them.
    if (durable) this.post({ type: 'stored', seq });
    else this.volatileSeqs.add(seq);
    void this.pump();
  }

  private async adopt(records: OutboxRecord[]): Promise<void> {
    // What earlier pages spooled at unload (unload-spool.ts), moved into the outbox by the engine
    // so that the page carries no outbox code; the page forgets them once they are durable.
    if (records.length > 0 && (await this.outbox!.put(records)))
      this.post({ type: 'adopted', keys: records.map((record) => record.key) });
    void this.pump();
  }

  private reportOutboxFailure(operation: 'put' | 'read' | 'remove', error: unknown): void {
    if (this.reportedFailures.has(operation)) return;
    this.reportedFailures.add(operation);
    this.post({
      type: 'warning',
      message: `IndexedDB ${operation} failed (${(error as Error)?.name}: ${(error as Error)?.message}); delivery goes on from memory, what is not sent before a reload is lost. Free storage?`,
    });
  }

  private releaseVolatile(): void {
    // Tell the page which of its memory-only batches are gone from memory (sent, dropped, or now durable).
    if (this.volatileSeqs.size === 0) return;
    const { session, tab } = this.config!;
    for (const seq of this.volatileSeqs) {
      if (this.outbox!.memory.has((record) => record.session === session && record.tab === tab && record.seq === seq))
        continue;
      this.volatileSeqs.delete(seq);
      this.post({ type: 'stored', seq });
    }
  }

  private async remove(keys: string[]): Promise<void> {
    await this.outbox!.remove(keys);
    this.releaseVolatile();
  }

  private async store(frames: EncodedFrame[], pageSentAt?: number): Promise<boolean> {
    // Apply the bound, then write: the outbox never holds more than `maxOutboxBytes`, and a write
    // too large for what is left is not even tried. Resolves whether the batch is durable.
    const config = this.config!;
    const createdAt = this.now();
    const records = recordsOf(frames, {
      session: config.session,
      tab: config.tab,
      url: config.url,
      createdAt,
      owner: config.instance,
      ...(pageSentAt === undefined ? {} : { pageSentAt }),
    });
    const incoming = new Set(records.map((record) => record.key));
    // The page may have stored the same frames at unload: count each key once.
    const stored = (await this.outbox!.entries(true)).filter((entry) => !incoming.has(entry.key));
    const overflow = selectOverflow([...stored, ...records.map(entryOf)], config.maxOutboxBytes, config.session);
    if (overflow.length > 0) {
      await this.remove(overflow.map((entry) => entry.key));
      const sessions = new Set(overflow.map((entry) => entry.session)).size;
      this.post({
        type: 'dropped',
        reason: 'outbox_full',
        batches: overflow.length,
        bytes: overflow.reduce((sum, entry) => sum + entry.bytes, 0),
        detail: `the outbox would pass ${config.maxOutboxBytes} bytes (collector unreachable?); dropped ${overflow.length} batch(es) of ${sessions} oldest session(s)`,
      });
    }
    const dropped = new Set(overflow.map((entry) => entry.key));
    const kept = records.filter((record) => !dropped.has(record.key));
    if (kept.length === 0) return true;
    const durable = await this.outbox!.put(kept);
    if (durable) this.reportedFailures.delete('put');
    return durable;
  }

  private async forget(match: (entry: OutboxEntry) => boolean): Promise<void> {
    // Fresh: the page stores its unload batches itself, past this index.
    const entries = (await this.outbox!.entries(true)).filter(match);
    await this.remove(entries.map((entry) => entry.key));
  }

  private stop(): void {
    this.stopped = true;
    clearTimeout(this.retryTimer);
  }

  pump(): Promise<void> {
    // One sending pass at a time; resolves when nothing more can be sent right now.
    if (!this.outbox || this.stopped) return Promise.resolve();
    this.pumping ??= this.sendAll().finally(() => {
      this.pumping = undefined;
    });
    return this.pumping;
  }

  private async liveOwners(): Promise<Set<string> | undefined> {
    const locks = (globalThis.navigator as Navigator | undefined)?.locks;
    if (!locks) return undefined;
    try {
      const state = await locks.query();
      return new Set((state.held ?? []).map((lock) => lock.name ?? ''));
    } catch {
      // Refused (an opaque origin): as without Web Locks.
      return undefined;
    }
  }

  private async nextEntry(): Promise<OutboxEntry | undefined> {
    // The first batch that may be sent now, from the index alone.
    const entries = await this.outbox!.entries();
    const live = entries.some((entry) => entry.owner !== this.config!.instance) ? await this.liveOwners() : undefined;
    const now = this.now();
    let revisitAt = Infinity;
    // Streams (a backoff holds all of one) and writers in a stream (a page's own order): two pages
    // that number one stream each send their own, neither waits for the other's batches.
    const blocked = new Set<string>();
    for (const entry of entries) {
      const stream = `${entry.session}|${entry.tab}`;
      const writer = `${stream}|${entry.owner}`;
      if (blocked.has(stream) || blocked.has(writer)) continue;
      const retryAt = Math.max(this.backoff.get(stream)?.at ?? 0, this.backoff.get(entry.url)?.at ?? 0);
      if (now < retryAt) {
        blocked.add(stream);
        revisitAt = Math.min(revisitAt, retryAt);
        continue;
      }
      const othersAlive = entry.owner !== this.config!.instance && live?.has(INSTANCE_LOCK_PREFIX + entry.owner);
      // Our own page sent it with keepalive (tab hidden) and may still confirm it; a page that is
      // gone cannot, so its batches go out at once (the collector keeps one copy per seq).
      const waitingForPage =
        entry.owner === this.config!.instance &&
        entry.pageSentAt !== undefined &&
        now < entry.pageSentAt + PAGE_SENT_GRACE_MS;
      if (othersAlive || waitingForPage) {
        // Keep the writer's batches in order: nothing of it after a batch we may not send yet.
        blocked.add(writer);
        if (waitingForPage) revisitAt = Math.min(revisitAt, entry.pageSentAt! + PAGE_SENT_GRACE_MS);
        continue;
      }
      return entry;
    }
    if (revisitAt !== Infinity) this.schedule(revisitAt);
    return undefined;
  }

  private schedule(at: number): void {
    clearTimeout(this.retryTimer);
    this.retryTimer = setTimeout(() => void this.pump(), Math.max(0, at - this.now()));
  }

  /**
   * The browser's word that it is offline is a hint, not a fact: Chromium without NetworkManager
   * on Linux, some VPNs and kiosks say offline on a working network, and a recorder that believed
   * them would never send. Offline, one send is still tried at each step of the backoff; one that
   * goes through proves the browser wrong.
   */
  private goOffline(): void {
    this.online = false;
    this.retryAt = Math.max(this.retryAt, this.now() + backoffDelay(this.offlineTries++, this.deps.random));
  }

  private async sendAll(): Promise<void> {
    while (!this.stopped) {
      if (this.now() < this.retryAt) return this.schedule(this.retryAt);
      const offline = !this.online;
      let more: boolean;
      try {
        more = await this.sendNext();
      } catch (error) {
        // The outbox failed under us: report it and come back later, never in a tight loop.
        this.reportOutboxFailure('read', error);
        this.attempt++;
        this.retryAt = this.now() + backoffDelay(this.attempt - 1, this.deps.random);
        continue;
      }
      // Still offline after that send (or with nothing to send): the next one waits a step.
      if (offline && !this.online) this.goOffline();
      if (!more) return;
    }
  }

  private async sendNext(): Promise<boolean> {
    // Send the first batch that may go now; resolves false when there is none.
    const entry = await this.nextEntry();
    if (!entry) return false;
    const body = await this.outbox!.body(entry.key);
    if (!body) {
      // Sent by another page meanwhile (or an index entry without its body): nothing to send.
      await this.remove([entry.key]);
      return true;
    }
    const { bytes: _bytes, ...meta } = entry;
    const record: OutboxRecord = { ...meta, body };
    const result = await sendFrame(record.url, body, { fetcher: this.deps.fetcher });
    const stream = `${record.session}|${record.tab}`;
    if (result.kind === 'ok') {
      this.online = true;
      this.offlineTries = 0;
      this.attempt = 0;
      this.backoff.delete(stream);
      this.backoff.delete(record.url);
      await this.remove([record.key]);
      this.post({
        type: 'sent',
        seq: record.seq,
        ...(record.part ? { part: record.part } : {}),
        bytes: body.byteLength,
      });
    } else if (result.kind === 'retry' && result.delayMs !== undefined) {
      // Retry-After (429, 503) speaks for the collector: every stream waits.
      this.retryAt = this.now() + result.delayMs;
    } else if (result.kind === 'retry') {
      const scope = result.status === undefined ? record.url : stream;
      const attempt = (this.backoff.get(scope)?.attempt ?? 0) + 1;
      this.backoff.set(scope, { attempt, at: this.now() + backoffDelay(attempt - 1, this.deps.random) });
    } else if (result.kind === 'split') {
      await this.split(record, result.detail);
    } else if (!(result.status === 409 && (await this.rekey(record)))) {
      await this.remove([record.key]);
      this.post({
        type: 'dropped',
        reason: 'rejected',
        batches: 1,
        bytes: body.byteLength,
        detail: `the collector answered ${result.status} to batch seq ${record.seq}${record.part ? ` part ${record.part}` : ''}: ${result.detail || 'no detail'}`,
      });
    }
    return true;
  }

  private async rekey(record: OutboxRecord): Promise<boolean> {
    // 409: the collector holds this (session, tab, seq) with other content, so another page
    // numbers the same stream: a tab opened by window.open or duplicated starts with a copy of
    // sessionStorage, tab id and seq counter included. Dropping lost that page's batches (its
    // first one holds the full snapshot). Its writer's batches from this seq on move to a stream
    // of their own, named after the writer (an instance id is a valid, unique tab id); a conflict
    // on that stream too is dropped. Resolves false when the batch must be dropped.
    const { session, tab, owner } = record;
    if (tab === owner) return false;
    const entries = (await this.outbox!.entries(true)).filter(
      (entry) => entry.session === session && entry.tab === tab && entry.owner === owner && entry.seq >= record.seq,
    );
    try {
      for (const { bytes: _bytes, ...entry } of entries) {
        const body = await this.outbox!.body(entry.key);
        if (body)
          await this.outbox!.put(
            recordsOf(await encodeFrames({ ...(await readOwnFrame(body)), tab: owner }), { ...entry, tab: owner }),
          );
      }
    } catch {
      return false;
    }
    await this.remove(entries.map((entry) => entry.key));
    const config = this.config!;
    if (owner === config.instance && session === config.session && tab === config.tab) {
      this.config = { ...config, tab: owner };
      this.post({ type: 'retab', tab: owner });
    }
    this.post({
      type: 'warning',
      message: `Another page shares tab ${tab} of session ${session} (window.open or a duplicated tab copies sessionStorage); from seq ${record.seq} on, this page sends as tab ${owner}.`,
    });
    return true;
  }

  private async split(record: OutboxRecord, refusal: string): Promise<void> {
    // 413: halve the batch (same seq, longer part path) and put the halves where it was. A single
    // event is encoded again as this engine encodes: the page frames its last batch at `pagehide`
    // as JSON, uncompressed and with strings as long as the page made them (a snapshot or a log
    // view of megabytes, recorded moments before leaving). Compressed, with those strings cut, it
    // keeps its seq and part; the collector stored nothing under them, it refused them.
    const halves: EncodedFrame[] = [];
    let again: EncodedFrame[] = [];
    try {
      const batch = await readOwnFrame(record.body);
      if (batch.events.length > 1) for (const half of splitBatch(batch)) halves.push(...(await encodeFrames(half)));
      else {
        measureAndCapStrings(batch.events);
        again = await encodeFrames(batch);
      }
    } catch {
      // A body that no longer decodes: it can never pass, and must not be refused again on every pass.
    }
    // No smaller this way (the engine's own frame): it can never pass either.
    if (again.length === 1 && again[0]!.body.byteLength < record.body.byteLength) {
      // Under its own key: the record is replaced where it stands.
      await this.outbox!.put([{ ...record, body: again[0]!.body }]);
      return;
    }
    if (halves.length === 0) {
      await this.remove([record.key]);
      this.post({
        type: 'dropped',
        reason: 'too_large',
        batches: 1,
        bytes: record.body.byteLength,
        // The collector says which of its limits this was: the request's body, the batch decompressed, its values.
        detail: `the collector refused batch seq ${record.seq} as too large (413: ${refusal || 'no detail'}) and it cannot be split (one event): raise the limit it names (REPRISE_MAX_BODY_BYTES, REPRISE_MAX_DECOMPRESSED_BYTES or REPRISE_MAX_VALUES)`,
      });
      return;
    }
    await this.outbox!.put(recordsOf(halves, record));
    await this.remove([record.key]);
  }
}
