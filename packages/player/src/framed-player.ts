import { createPendingReplies } from '@reprise/protocol';
import { assertSpeed, createPlayerEmitter } from './api-rules.js';
import { PlayerReadout, type PlayerStatus } from './player-readout.js';
import {
  FRAME_PROTOCOL,
  type FrameHandshake,
  type FrameInit,
  type FramedPlayerOptions,
  type FromFrame,
  type ToFrame,
} from './frame-messages.js';
import type { PlayerEventMap } from './types.js';

const DEFAULT_FRAME_TIMEOUT_MS = 10_000;

/** Chunks of a response the host sends before the frame has read any: enough to keep the pipe full. */
const CHUNKS_AHEAD = 8;

export interface FramedPlayerInit extends FramedPlayerOptions {
  /**
   * The page the player runs in: one that calls `servePlayerFrame()` (the collector serves
   * `/replay-frame.html`), best on an origin of its own that the viewer's cookies never go to.
   */
  frameUrl: string | URL;
  /** Passed to `fetch` for the playback stream and its windows (credentials, headers). */
  fetchInit?: RequestInit;
  /** The answer to a request for `source` that the page started already (PlayerOptions.response). */
  response?: Promise<Response | undefined>;
  /**
   * How long the frame's page may take, once loaded, to start the player; past it the player
   * fails with an `error` event. @default 10000
   */
  frameTimeoutMs?: number;
  /**
   * An iframe already loading `frameUrl` in this document (`FramedPlayer.warm`'s, or one the page's
   * HTML started): the player takes it over, so its page need not load again. One loading another
   * URL is removed, and the player loads its own.
   */
  frame?: HTMLIFrameElement;
}

interface OutgoingFetch {
  abort: AbortController;
  credit: number;
  /** Wakes the body pump when the frame has read a chunk. */
  wake?: (() => void) | undefined;
}

const sameRequestTarget = (a: URL, b: URL) => {
  const strip = (url: URL) => {
    const copy = new URL(url);
    copy.searchParams.delete('from');
    copy.searchParams.delete('to');
    copy.searchParams.sort();
    copy.hash = '';
    return copy.href;
  };
  return strip(a) === strip(b);
};

/**
 * A `Player` in a sandboxed iframe of its own. Loaded from another origin than the host page's
 * (one the viewer's cookies never go to), the replayed page can neither read the host page nor
 * load anything as the viewer. The host page makes the network requests (only the playback
 * stream and its windows) and streams the bytes in. The API is the player's, with state mirrored
 * from the frame: getters answer what the frame last reported. The marker list is not mirrored:
 * listen to `markers` for it.
 */
export class FramedPlayer extends PlayerReadout {
  /** The iframe the player runs in (inside the container given to the constructor). */
  readonly root: HTMLIFrameElement;
  private readonly emitter = createPlayerEmitter();
  private readonly port: MessagePort;
  private readonly source: URL;
  private readonly fetchInit: RequestInit | undefined;
  private early: Promise<Response | undefined> | undefined;
  private readonly fetches = new Map<number, OutgoingFetch>();
  private readonly seeks = createPendingReplies();
  /** Events the frame was asked to forward beyond those it always sends. */
  private readonly listening = new Set<keyof PlayerEventMap>();
  private status: PlayerStatus;
  private destroyed = false;
  /** Until the frame's first message: the player there has started. */
  private startTimer: ReturnType<typeof setTimeout> | undefined;
  private readonly stopHandshake: () => void;

  constructor(container: HTMLElement, init: FramedPlayerInit) {
    if (!(container instanceof HTMLElement)) {
      throw new TypeError('[@reprise/player] new FramedPlayer(element, options) needs a DOM element to render into');
    }
    super();
    const { frameUrl, fetchInit, response, frameTimeoutMs = DEFAULT_FRAME_TIMEOUT_MS, frame: given, ...options } = init;
    if (typeof options.source !== 'string' || options.source === '') {
      throw new TypeError('[@reprise/player] FramedPlayer needs options.source: the playback stream URL');
    }
    const doc = container.ownerDocument;
    this.source = new URL(options.source, doc.baseURI);
    this.fetchInit = fetchInit;
    this.early = response;
    this.status = {
      time: options.startAt ?? 0,
      duration: 0,
      state: 'loading',
      speed: options.speed ?? 1,
      skipInactive: options.skipInactive ?? true,
      progress: { events: 0, bytes: 0, done: false },
      url: undefined,
      viewport: { width: 0, height: 0 },
      startTimestamp: undefined,
    };
    const src = new URL(frameUrl, doc.baseURI);
    const adopted = given?.ownerDocument === doc && given.src === src.href ? given : undefined;
    if (given && !adopted) given.remove();
    const frame = adopted ?? doc.createElement('iframe');
    // Scripts for the player, and its own origin for rrweb's replay document inside (an opaque
    // origin would give that document another opaque origin, out of the player's reach). No
    // forms, popups or navigation of this page.
    frame.setAttribute('sandbox', 'allow-scripts allow-same-origin');
    frame.setAttribute('allow', 'fullscreen');
    for (const name of ['id', 'aria-hidden', 'tabindex']) frame.removeAttribute(name);
    frame.title = 'Session replay';
    frame.className = 'reprise-player-frame';
    frame.style.cssText = 'display:block;width:100%;height:100%;border:0';
    this.root = frame;
    const channel = new MessageChannel();
    this.port = channel.port1;
    this.port.onmessage = ({ data }: MessageEvent<FromFrame>) => this.receive(data);
    const message: FrameInit = { type: FRAME_PROTOCOL, options: { ...options, source: this.source.href } };
    // The frame's page says when it waits for a host; the init and its port go to that page only.
    const host = doc.defaultView!;
    const onHandshake = (event: MessageEvent) => {
      const data = event.data as Partial<FrameHandshake> | null;
      if (event.source !== frame.contentWindow || data?.type !== FRAME_PROTOCOL || data.kind !== 'waiting') return;
      host.removeEventListener('message', onHandshake);
      frame.contentWindow!.postMessage(message, src.origin, [channel.port2]);
    };
    host.addEventListener('message', onHandshake);
    this.stopHandshake = () => host.removeEventListener('message', onHandshake);
    // A frame page that never answers (a wrong URL, an error page, another origin than the URL's
    // after a redirect) would leave the player loading forever: say so instead.
    const startTimer = () => {
      clearTimeout(this.startTimer);
      this.startTimer = setTimeout(
        () =>
          this.fail(
            `[@reprise/player] the player frame at ${src.href} did not start within ${frameTimeoutMs} ms; check that this page serves servePlayerFrame() (for the collector's admin UI: that REPRISE_REPLAY_ORIGIN reaches this collector)`,
          ),
        frameTimeoutMs,
      );
    };
    frame.addEventListener('load', startTimer, { once: true });
    if (adopted && this.moveTo(container)) {
      // Moved without reloading (its page may have loaded and be waiting already: ask it).
      startTimer();
      frame.contentWindow?.postMessage({ type: FRAME_PROTOCOL, kind: 'knock' } satisfies FrameHandshake, src.origin);
      return;
    }
    // Inserting a frame elsewhere reloads it: its page says `waiting` again when it starts.
    if (!adopted) frame.src = src.href;
    container.append(frame);
  }

  /**
   * Move the player into `container` without reloading its frame, so it goes on where it was:
   * a player started before its place on the page existed. Only where the browser can move a
   * frame (`moveBefore`) and within the same document; false (nothing moved) otherwise.
   */
  moveTo(container: HTMLElement): boolean {
    const movable = container as HTMLElement & { moveBefore?: (node: Node, child: Node | null) => void };
    if (
      this.destroyed ||
      typeof movable.moveBefore !== 'function' ||
      !container.isConnected ||
      !this.root.isConnected ||
      container.ownerDocument !== this.root.ownerDocument
    )
      return false;
    try {
      movable.moveBefore(this.root, null);
    } catch {
      // A place the frame cannot go (inside itself, say): nothing moved.
      return false;
    }
    return true;
  }

  /** Listen to player events; returns the function that removes the listener. */
  on<K extends keyof PlayerEventMap>(name: K, listener: (value: PlayerEventMap[K]) => void): () => void {
    if (!this.listening.has(name)) {
      this.listening.add(name);
      this.post({ kind: 'listen', name });
    }
    return this.emitter.on(name, listener);
  }

  /**
   * Start the replay frame's page before a player needs it: on a site of its own the frame runs in
   * a process of its own, and starting one costs a few hundred ms. Give the iframe it returns to
   * `new FramedPlayer` as `frame`: the player takes it over instead of loading the page again
   * (moved without a reload where the browser can, `moveBefore`). Remove it if no player does.
   */
  static warm(frameUrl: string | URL, doc: Document = document): HTMLIFrameElement {
    const frame = doc.createElement('iframe');
    frame.setAttribute('sandbox', 'allow-scripts allow-same-origin');
    frame.setAttribute('aria-hidden', 'true');
    frame.tabIndex = -1;
    frame.style.cssText = 'position:fixed;width:0;height:0;border:0;visibility:hidden';
    frame.src = new URL(frameUrl, doc.baseURI).href;
    doc.body.append(frame);
    return frame;
  }

  play(): void {
    this.post({ kind: 'call', method: 'play' });
  }

  pause(): void {
    this.post({ kind: 'call', method: 'pause' });
  }

  togglePlay(): void {
    this.post({ kind: 'call', method: 'togglePlay' });
  }

  /** Resolves once the frame for `time` is on screen, or when a later seek replaces this one. */
  seek(time: number): Promise<void> {
    if (this.destroyed) return Promise.resolve();
    this.status = { ...this.status, time };
    return this.seeks.request((id) => this.post({ kind: 'seek', id, time }));
  }

  setSpeed(speed: number): void {
    assertSpeed(speed);
    this.post({ kind: 'speed', speed });
  }

  setSkipInactive(skip: boolean): void {
    this.status = { ...this.status, skipInactive: skip };
    this.post({ kind: 'skipInactive', skip });
  }

  toggleFullscreen(): void {
    this.post({ kind: 'call', method: 'toggleFullscreen' });
  }

  /** Move the keyboard focus into the player (its shortcuts then work). */
  focus(): void {
    this.root.focus();
    this.post({ kind: 'call', method: 'focus' });
  }

  getStatus(): PlayerStatus {
    return { ...this.status, progress: { ...this.status.progress }, viewport: { ...this.status.viewport } };
  }

  /** Stop the frame's requests and remove it. The instance is unusable afterwards. */
  destroy(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    clearTimeout(this.startTimer);
    this.stopHandshake();
    for (const outgoing of this.fetches.values()) outgoing.abort.abort();
    this.fetches.clear();
    this.seeks.settleAll();
    this.port.close();
    this.root.remove();
    this.emitter.clear();
  }

  /** The frame never started: the player is in `error`, as a player whose stream failed. */
  private fail(message: string): void {
    this.status = { ...this.status, state: 'error' };
    this.emitter.emit('state', 'error');
    this.emitter.emit('error', new Error(message));
  }

  private post(message: ToFrame, transfer: Transferable[] = []): void {
    if (!this.destroyed) this.port.postMessage(message, transfer);
  }

  private receive(message: FromFrame): void {
    if (this.destroyed) return;
    clearTimeout(this.startTimer);
    switch (message.kind) {
      case 'event': {
        this.status = message.status;
        const value =
          message.name === 'error' ? new Error((message.value as { message: string }).message) : message.value;
        this.emitter.emit(message.name, value as never);
        return;
      }
      case 'seeked':
        return this.seeks.settle(message.id);
      case 'fetch':
        void this.serveFetch(message.id, message.url);
        return;
      case 'pull': {
        const outgoing = this.fetches.get(message.id);
        if (!outgoing) return;
        outgoing.credit += 1;
        outgoing.wake?.();
        return;
      }
      case 'cancel':
        this.fetches.get(message.id)?.abort.abort();
        this.fetches.delete(message.id);
    }
  }

  /** A request from the frame: the playback stream or one of its windows, and nothing else. */
  private async serveFetch(id: number, url: string): Promise<void> {
    let target: URL | undefined;
    try {
      target = new URL(url);
    } catch {
      // Refused below.
    }
    if (!target || !sameRequestTarget(target, this.source)) {
      this.post({
        kind: 'failed',
        id,
        message: `[@reprise/player] the player frame may fetch only its playback stream (${this.source.href}), not ${url}`,
      });
      return;
    }
    const outgoing: OutgoingFetch = { abort: new AbortController(), credit: CHUNKS_AHEAD };
    this.fetches.set(id, outgoing);
    try {
      const early = target.href === this.source.href ? this.early : undefined;
      if (early) this.early = undefined;
      const response = (await early) ?? (await fetch(target, { ...this.fetchInit, signal: outgoing.abort.signal }));
      if (outgoing.abort.signal.aborted) {
        void response.body?.cancel().catch(() => {});
        return;
      }
      const headers: Record<string, string> = {};
      for (const name of ['content-length', 'content-encoding', 'content-type']) {
        const value = response.headers.get(name);
        if (value !== null) headers[name] = value;
      }
      this.post({ kind: 'response', id, status: response.status, statusText: response.statusText, headers });
      const reader = response.body?.getReader();
      outgoing.abort.signal.addEventListener(
        'abort',
        () => {
          outgoing.wake?.();
          void reader?.cancel().catch(() => {});
        },
        { once: true },
      );
      while (reader) {
        while (outgoing.credit <= 0 && !outgoing.abort.signal.aborted) {
          await new Promise<void>((resolve) => (outgoing.wake = resolve));
        }
        outgoing.wake = undefined;
        if (outgoing.abort.signal.aborted) return;
        const { done, value } = await reader.read();
        if (done) break;
        outgoing.credit -= 1;
        const bytes = value.byteOffset === 0 && value.byteLength === value.buffer.byteLength ? value : value.slice();
        this.post({ kind: 'chunk', id, bytes }, [bytes.buffer]);
      }
      this.post({ kind: 'end', id });
    } catch (error) {
      if (!outgoing.abort.signal.aborted) this.post({ kind: 'failed', id, message: String(error) });
    } finally {
      this.fetches.delete(id);
    }
  }
}
