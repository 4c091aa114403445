import { FRAME_PROTOCOL, type FrameHandshake, type FrameInit, type FromFrame, type ToFrame } from './frame-messages.js';
import { Player } from './player.js';
import type { PlayerEventMap, PlayerEventName } from './types.js';

/**
 * Player events the host always hears (`true`: they carry the state its getters mirror), and the
 * rest only once it listens (`false`): the marker list alone can be thousands of objects, copied
 * across processes each time it grows. A record, so a new event cannot be forgotten here.
 */
const ALWAYS_FORWARDED: Record<PlayerEventName, boolean> = {
  time: true,
  state: true,
  progress: true,
  ready: true,
  seeking: true,
  speed: true,
  resize: true,
  url: true,
  error: true,
  marker: false,
  markers: false,
  skip: false,
  gap: false,
};

/** Bodies that a `Response` may not have. */
const NULL_BODY_STATUS = new Set([101, 204, 205, 304]);

interface PendingFetch {
  resolve: (response: Response) => void;
  reject: (error: unknown) => void;
  body?: ReadableStreamDefaultController<Uint8Array>;
}

/** `fetch` for the framed player: the host makes each request and streams the body over the port. */
class PortFetch {
  private nextId = 0;
  private readonly pending = new Map<number, PendingFetch>();

  constructor(private readonly port: MessagePort) {}

  fetch(url: string, init: RequestInit): Promise<Response> {
    const id = ++this.nextId;
    const signal = init.signal;
    return new Promise((resolve, reject) => {
      if (signal?.aborted) return reject(signal.reason);
      this.pending.set(id, { resolve, reject });
      signal?.addEventListener('abort', () => this.cancel(id, signal.reason), { once: true });
      this.post({ kind: 'fetch', id, url });
    });
  }

  /** The host's answer to one of this frame's fetches. */
  receive(message: Extract<ToFrame, { id: number; kind: 'response' | 'chunk' | 'end' | 'failed' }>): void {
    const entry = this.pending.get(message.id);
    if (!entry) return;
    switch (message.kind) {
      case 'response': {
        const { id } = message;
        const body = NULL_BODY_STATUS.has(message.status)
          ? null
          : new ReadableStream<Uint8Array>({
              start: (controller) => {
                entry.body = controller;
              },
              // The host sends a few chunks ahead and one more per chunk read: memory stays bounded.
              pull: () => this.post({ kind: 'pull', id }),
              cancel: () => this.cancel(id),
            });
        entry.resolve(
          new Response(body, { status: message.status, statusText: message.statusText, headers: message.headers }),
        );
        if (!body) this.pending.delete(id);
        return;
      }
      case 'chunk':
        entry.body?.enqueue(message.bytes);
        return;
      case 'end':
        this.pending.delete(message.id);
        entry.body?.close();
        return;
      case 'failed': {
        this.pending.delete(message.id);
        const error = new TypeError(message.message);
        if (entry.body) entry.body.error(error);
        else entry.reject(error);
      }
    }
  }

  private cancel(id: number, reason?: unknown): void {
    const entry = this.pending.get(id);
    if (!entry) return;
    this.pending.delete(id);
    this.post({ kind: 'cancel', id });
    if (entry.body) entry.body.error(reason);
    else entry.reject(reason);
  }

  private post(message: FromFrame): void {
    this.port.postMessage(message);
  }
}

/**
 * The inside of a `FramedPlayer`: call it in the page its frame loads. It waits for the host's
 * first message, then runs a `Player` filling this document, whose network requests the host
 * makes. Serve that page from an origin the viewer's cookies never go to (the collector's
 * `/replay-frame.html` on its replay origin), with a CSP that lets it connect nowhere.
 * The player is `window.reprisePlayer` inside the frame, for scripted checks.
 */
export function servePlayerFrame(frameWindow: Window = window): void {
  const parent = frameWindow.parent;
  // Nothing in it but the protocol's name: any page may hear it.
  const announce = () => parent.postMessage({ type: FRAME_PROTOCOL, kind: 'waiting' } satisfies FrameHandshake, '*');
  const onMessage = (message: MessageEvent) => {
    const data = message.data as Partial<FrameInit & FrameHandshake> | null;
    if (message.source !== parent || data?.type !== FRAME_PROTOCOL) return;
    if (data.kind === 'knock') return announce();
    const port = message.ports[0];
    if (!data.options || !port) return;
    frameWindow.removeEventListener('message', onMessage);
    runFramedPlayer(frameWindow, port, data.options);
  };
  frameWindow.addEventListener('message', onMessage);
  if (parent !== frameWindow) announce();
}

function runFramedPlayer(frameWindow: Window, port: MessagePort, options: FrameInit['options']): void {
  const doc = frameWindow.document;
  const fetches = new PortFetch(port);
  const container = doc.createElement('div');
  container.className = 'reprise-frame';
  doc.body.append(container);
  const player = new Player(container, { ...options, fetch: (url, init) => fetches.fetch(url, init) });
  (frameWindow as Window & { reprisePlayer?: Player }).reprisePlayer = player;
  const post = (message: FromFrame) => port.postMessage(message);
  const forward = (name: PlayerEventName) =>
    player.on(name, (value: PlayerEventMap[typeof name]) =>
      post({
        kind: 'event',
        name,
        // An Error's own fields are what the host needs; its class does not cross.
        value: value instanceof Error ? { message: value.message } : value,
        status: player.getStatus(),
      }),
    );
  const forwarded = new Set<PlayerEventName>();
  for (const [name, always] of Object.entries(ALWAYS_FORWARDED) as Array<[PlayerEventName, boolean]>) {
    if (always) {
      forwarded.add(name);
      forward(name);
    }
  }
  port.onmessage = ({ data }: MessageEvent<ToFrame>) => {
    switch (data.kind) {
      case 'call':
        if (data.method === 'focus') player.root.focus();
        else void player[data.method]();
        return;
      case 'speed':
        player.setSpeed(data.speed);
        return;
      case 'skipInactive':
        player.setSkipInactive(data.skip);
        return;
      case 'listen':
        if (data.name in ALWAYS_FORWARDED && !forwarded.has(data.name)) {
          forwarded.add(data.name);
          forward(data.name);
        }
        return;
      case 'seek':
        void player.seek(data.time).then(() => post({ kind: 'seeked', id: data.id }));
        return;
      default:
        fetches.receive(data);
    }
  };
}
