import { EventType, IncrementalSource, MouseInteractions, type RecordedEvent } from '@reprise/protocol';
import { Replayer } from '@rrweb/replay';
import { HoverFollower } from './hover.js';
import type { Loader, RecordingParts } from './windows.js';

/**
 * The replayer holds the events from the frame's page load to this far past the current moment
 * (recording time); playback extends it as it goes. rrweb walks every event it holds on a seek.
 */
export const WINDOW_AHEAD_MS = 3 * 60_000;
/** Playback extends the replayer's window when it is this close to its end (at 1x). */
export const WINDOW_EXTEND_MS = 30_000;

type RrwebEvent = ConstructorParameters<typeof Replayer>[0][number];

/** A touch on a touch screen (rrweb draws the pointer of such a session as a touch). */
function indicatesTouch(event: RecordedEvent): boolean {
  if (event.type !== EventType.IncrementalSnapshot) return false;
  const data = event.data as { source?: number; type?: number };
  return (
    data.source === IncrementalSource.TouchMove ||
    (data.source === IncrementalSource.MouseInteraction && data.type === MouseInteractions.TouchStart)
  );
}

/** rrweb's Replayer and the part of the recording it holds. Times are epoch ms. */
export interface ReplayerWindow {
  readonly replayer: Replayer;
  /** The viewport the first window's meta event recorded, if it has one. */
  readonly recordedViewport: { width: number; height: number } | undefined;
  /** The replayer's clock (it counts from its window's first event). */
  time(): number;
  /** Show the page at `at` while paused: every event stamped up to and at `at`. */
  showFrame(at: number): void;
  playFrom(at: number): void;
  /**
   * An event is in the store: the window grows with what arrives right after it, as far as
   * playback needs soon from `current` (the moment shown).
   */
  grow(event: RecordedEvent, current: number): void;
  /** During playback, keep the window ahead of `current`, and have what comes after it loaded. */
  extend(current: number): void;
  /** The loaded recording goes on past the window's last event. */
  endsBeforeLoaded(): boolean;
  /** Events after a new gap may already be in the window: the next frame asked for sets it again. */
  stale(): void;
  /**
   * The paused frame lacks an event of its own: one stamped at its very moment arrived after it
   * was drawn (the stream brings events one at a time). Showing the moment again includes it.
   */
  missedEvents(): boolean;
}

/**
 * Start rrweb's Replayer in `root` on the recording's first full snapshot. It holds a window of
 * the recording, not all of it: from the page load the frame shown is rebuilt from to a few
 * minutes ahead. The window follows the moment asked for and grows as the recording arrives and
 * playback goes on.
 */
export function createReplayerWindow(
  firstSnapshot: number,
  root: HTMLElement,
  speed: number,
  recording: Pick<RecordingParts, 'store' | 'canvases'>,
  loader: Loader,
): ReplayerWindow {
  const { store, canvases } = recording;
  const events = store.window(firstSnapshot, WINDOW_AHEAD_MS);
  // The replayer's events: the page load its first event starts, and its last event's time.
  let windowMeta = store.frameStart(firstSnapshot);
  let windowBase = events[0]?.timestamp ?? firstSnapshot;
  let windowEnd = events[events.length - 1]?.timestamp ?? firstSnapshot;
  /** The moment the paused frame shows, and whether an event of it arrived after it was drawn. */
  let drawn: number | undefined;
  let missed = false;
  const replayer = new Replayer(events as unknown as RrwebEvent[], {
    root,
    speed,
    skipInactive: false,
    showWarning: false,
    showDebug: false,
    // Replaying focus would move the host page's keyboard focus into the iframe mid-playback
    // and the player's shortcuts would stop working.
    triggerFocus: false,
    // It would let scripts run in the replay document; recorded canvas frames are drawn by the plugin.
    UNSAFE_replayCanvas: false,
    plugins: [
      canvases.plugin((id) => {
        const node = replayer.getMirror().getNode(id) as HTMLCanvasElement | null | undefined;
        return node?.nodeName === 'CANVAS' ? node : null;
      }),
    ],
    mouseTail: { duration: 600, lineCap: 'round', lineWidth: 3, strokeStyle: 'rgba(129, 140, 248, 0.65)' },
  });
  // rrweb draws the first snapshot from a timer, as a poster, and then skips the first time playback
  // reaches that snapshot, assuming the page still shows it. The player draws every frame itself,
  // the first one at once: the poster would be a second rebuild of the page (~100 ms of a long
  // session's first second), and after a seek elsewhere the skip applied that page's changes to
  // another page's DOM. `true` is rrweb's own "a snapshot was drawn": every later one is rebuilt.
  (replayer as unknown as { firstFullSnapshot: unknown }).firstFullSnapshot = true;
  const hover = new HoverFollower(() => replayer);
  replayer.on('event-cast', (event) => hover.track(event as unknown as RecordedEvent));
  // While playing, rrweb scrolls smoothly: hover follows each scroll step, not only the event.
  // A full snapshot rebuilds the document (document.open), which may drop the listener: add it
  // again (the same function, so never twice).
  const followScrolls = () =>
    replayer.iframe.contentWindow?.addEventListener('scroll', hover.onScroll, { capture: true, passive: true });
  replayer.on('fullsnapshot-rebuilded', followScrolls);
  followScrolls();
  // The replayed page is a picture, not a page to use: without this, Tab from the player walks
  // into the recorded page's links and buttons, where the player's keys (arrows, Space) are lost.
  replayer.iframe.inert = true;
  replayer.iframe.tabIndex = -1;
  const meta = events.find((event) => event.type === EventType.Meta)?.data as
    { width?: number; height?: number } | undefined;

  /**
   * Add events to the replayer now. rrweb's own `addEvent` adds each a microtask later: a frame
   * drawn in between (a seek landing in the same slice of the stream) took its window from the
   * store, which held the event already, and rrweb then added it a second time. Every later frame
   * applied that change twice, and rrweb, failing the removals the second time, dropped them from
   * the event itself for good.
   */
  const append = (added: readonly RecordedEvent[]) => {
    if (added.length === 0) return;
    for (const event of added) {
      replayer.service.send({ type: 'ADD_EVENT', payload: { event: event as unknown as Exclude<RrwebEvent, string> } });
      // What rrweb's addEvent does besides: a touch session's pointer is drawn as a touch.
      if (indicatesTouch(event)) (replayer as unknown as { mouse: HTMLElement }).mouse.classList.add('touch-device');
    }
    windowEnd = added[added.length - 1]!.timestamp;
  };

  /**
   * Give the replayer the events for a frame at `at` unless it holds them already: from the page
   * load that frame is rebuilt from, a few minutes ahead.
   */
  const useWindowFor = (at: number) => {
    const frameMeta = store.frameStart(at);
    if (frameMeta === windowMeta && at <= windowEnd) return;
    const held = store.window(at, WINDOW_AHEAD_MS);
    if (held.length === 0) return;
    // rrweb keeps its events in its state machine's context; a new Replayer per window would
    // rebuild the iframe and lose the mouse and its settings.
    (replayer.service.state.context as { events: RecordedEvent[] }).events = held;
    windowMeta = frameMeta;
    windowBase = held[0]!.timestamp;
    windowEnd = held[held.length - 1]!.timestamp;
  };

  /**
   * Make rrweb rebuild the next frame from the nearest full snapshot. Otherwise, seeking forward,
   * it applies only the events after the last one it played, and it dates that event by the first
   * position of a batched mouse move (up to 500 ms before the batch): DOM changes already on screen
   * were applied again, and rrweb then drops the removals it could not apply from the stored event
   * itself, so the old text stayed in every later frame ("12" instead of "2", even after seek(0)).
   */
  const forgetPlayedPosition = () => {
    replayer.service.state.context.lastPlayedEvent = null;
  };

  return {
    replayer,
    recordedViewport: meta?.width && meta.height ? { width: meta.width, height: meta.height } : undefined,
    time: () => windowBase + replayer.getCurrentTime(),
    showFrame(at) {
      at = store.drawableTime(at);
      useWindowFor(at);
      forgetPlayedPosition();
      // rrweb applies the events stamped before the moment it pauses at: +1 includes those at `at`.
      replayer.pause(at - windowBase + 1);
      drawn = at;
      missed = false;
    },
    playFrom(at) {
      drawn = undefined;
      at = store.drawableTime(at);
      useWindowFor(at);
      forgetPlayedPosition();
      replayer.play(Math.max(0, at - windowBase));
    },
    grow(event, current) {
      // Everything from the frame's page load to its moment was loaded when it was drawn, but for
      // events stamped at that last moment itself.
      if (drawn !== undefined && event.timestamp <= drawn && windowMeta !== undefined && event.timestamp >= windowMeta)
        missed = true;
      if (
        event.timestamp < windowEnd ||
        event.timestamp - current > WINDOW_AHEAD_MS ||
        !store.playable(event) ||
        !store.isCovered(windowEnd, event.timestamp)
      )
        return;
      // Another stream may have stored what lies between the window's end and this event before
      // the two stretches met (a window fetched ahead, while this stream was still short of it):
      // those events were refused then, as not contiguous. Without them rrweb's window has a hole,
      // and a later paused frame in it, reusing the window, showed the page as it was before.
      if (event.timestamp === windowEnd) append([event]);
      else append(store.between(windowEnd, event.timestamp));
    },
    extend(current) {
      const rate = Math.max(1, replayer.config.speed);
      if (windowEnd - current > WINDOW_EXTEND_MS * rate) return;
      const loadedUntil = store.coveredUntil(windowEnd);
      if (loadedUntil === undefined) return;
      append(store.between(windowEnd, Math.min(loadedUntil, current + WINDOW_AHEAD_MS * rate)));
      if (loadedUntil < current + WINDOW_AHEAD_MS && (loader.streamEnd === undefined || loadedUntil < loader.streamEnd))
        loader.ensureLoaded(loadedUntil + 1);
    },
    endsBeforeLoaded: () => store.between(windowEnd, store.coveredUntil(windowEnd) ?? windowEnd).length > 0,
    stale() {
      windowMeta = undefined;
    },
    missedEvents: () => missed,
  };
}
