import { FramedPlayer, type Marker } from '@reprise/player';
import { REPLAY_FRAME_META, REPLAY_FRAME_PATH, SESSION_PAGE, WARM_FRAME_ID } from '../../src/admin-page-names.js';
import { api, type SessionSummary } from './api.js';
import { parseMoment } from './format.js';

/** The per-replay switch's query parameter; the collector widens the page's CSP when it is set. */
export const RESOURCES_PARAM = 'resources';
export const ORIGINAL_RESOURCES = 'original';

/** The replay frame's address, as the collector named it in the page (the same origin's when it did not). */
export const replayFrameUrl = (): string =>
  document.querySelector<HTMLMetaElement>(`meta[name="${REPLAY_FRAME_META}"]`)?.content || REPLAY_FRAME_PATH;

export interface SessionPlayerOptions {
  id: string;
  /** The session's project; undefined lets the collector pick it, as it does for the page. */
  project: string | undefined;
  originalResources: boolean;
  /** The moment the address names (`#t=`, `?t=`): opened paused there. */
  startAt: number | undefined;
  /** The playback stream, asked for already. */
  response?: Promise<Response | undefined> | undefined;
  /** The replay frame started early, for the player to take over. */
  frame?: HTMLIFrameElement | undefined;
}

/**
 * The session page's player: in a frame on the replay origin, which the login cookie never goes
 * to, so the replayed page can reach neither this page nor act as the viewer. This page fetches
 * for it.
 */
export function createSessionPlayer(container: HTMLElement, options: SessionPlayerOptions): FramedPlayer {
  const frameUrl = new URL(replayFrameUrl(), window.location.href);
  if (options.originalResources) frameUrl.searchParams.set(RESOURCES_PARAM, ORIGINAL_RESOURCES);
  return new FramedPlayer(container, {
    frameUrl,
    ...(options.frame ? { frame: options.frame } : {}),
    source: api.eventsUrl(options.id, options.project),
    ...(options.response ? { response: options.response } : {}),
    fetchInit: { credentials: 'same-origin' },
    originalResources: options.originalResources,
    ...(options.startAt !== undefined ? { startAt: options.startAt, autoplay: false } : {}),
  });
}

/** The replay frame started early (FramedPlayer.warm's, or the one the collector put in the page). */
let warmFrame: HTMLIFrameElement | undefined;

/** The early replay frame, for a player to take over (once). */
function takeWarmFrame(): HTMLIFrameElement | undefined {
  const frame = warmFrame;
  warmFrame = undefined;
  return frame;
}

/**
 * The session page the app opened on, started as the app starts: its playback stream, beside the
 * login check and the session's metadata rather than after them (issue 19), and where the browser
 * can move a frame without reloading it, its player, in a place of its own until the page has
 * rendered the player's container. Any other page, a later visit or an answer that is not a stream
 * (signed out, another project) makes the page start its own.
 */
interface EarlyPlayback {
  id: string;
  project: string | undefined;
  originalResources: boolean;
  response: Promise<Response | undefined>;
  /** The session's details, asked for beside the login check rather than after it. */
  details: Promise<SessionSummary>;
  player?: { player: FramedPlayer; holder: HTMLElement; gaps: Marker[]; stopListening: () => void };
}

let early: EarlyPlayback | undefined;

/**
 * The session id a session page's address names, or undefined for any other page. A link's bytes
 * are anyone's: a malformed escape (`%E0%A4%A`) names no session rather than throwing where the
 * app starts, which left the page blank.
 */
function sessionIdOf(pathname: string): string | undefined {
  const match = SESSION_PAGE.exec(pathname);
  if (!match) return undefined;
  try {
    return decodeURIComponent(match[1]!);
  } catch {
    return undefined;
  }
}

export function startEarlyPlayback(location: Pick<Location, 'pathname' | 'search' | 'hash'>): void {
  const id = sessionIdOf(location.pathname);
  if (id === undefined) {
    // A frame the collector started for an address that names no session: nobody takes it.
    document.getElementById(WARM_FRAME_ID)?.remove();
    return;
  }
  // The player's frame page, started beside the stream: on a site of its own it needs a process
  // of its own, which would otherwise start only once the session page renders. The collector
  // put one in the page already (it starts as the page parses); the dev server does not.
  warmFrame =
    (document.getElementById(WARM_FRAME_ID) as HTMLIFrameElement | null) ?? FramedPlayer.warm(replayFrameUrl());
  const params = new URLSearchParams(location.search);
  const project = params.get('project') ?? undefined;
  const response = fetch(api.eventsUrl(id, project), { credentials: 'same-origin' }).then(
    (answer) => {
      if (answer.ok) return answer;
      void answer.body?.cancel();
      return undefined;
    },
    () => undefined,
  );
  const originalResources = params.get(RESOURCES_PARAM) === ORIGINAL_RESOURCES;
  const details = api.session(id, project);
  // Signed out, or a session that is gone: the page asks again and shows the answer; no one may be
  // listening to this one.
  details.catch(() => {});
  early = { id, project, originalResources, response, details };
  if (typeof (Element.prototype as { moveBefore?: unknown }).moveBefore !== 'function') return;
  // Full size but unseen and out of reach until the session page takes it (a frame with no size
  // or hidden would not render, and would then paint its first frame only once placed).
  const holder = document.createElement('div');
  holder.setAttribute('aria-hidden', 'true');
  holder.inert = true;
  holder.style.cssText = 'position:fixed;inset:0;opacity:0;pointer-events:none;z-index:-1';
  document.body.append(holder);
  const player = createSessionPlayer(holder, {
    id,
    project,
    originalResources,
    startAt: parseMoment(location.hash, location.search),
    response,
    frame: takeWarmFrame(),
  });
  early.response = Promise.resolve(undefined);
  // The page lists the gaps the player reports; those reported before it looks are kept for it.
  const gaps: Marker[] = [];
  const stopListening = player.on('gap', (marker) => gaps.push(marker));
  early.player = { player, holder, gaps, stopListening };
}

/**
 * The session's details for its page: those asked for as the app started when it opened on this
 * session (until the page has taken its player: a later visit asks afresh), else asked now. An
 * early answer that failed (signed out then, since signed in) is asked again, never shown.
 */
export function sessionDetails(id: string, project: string | undefined, signal: AbortSignal): Promise<SessionSummary> {
  const asked = early && early.id === id && early.project === project ? early.details : undefined;
  return asked ? asked.catch(() => api.session(id, project, signal)) : api.session(id, project, signal);
}

/** What the session page starts from: the player started early, or what to start its own with. */
export type EarlyStart =
  | { player: FramedPlayer; gaps: Marker[] }
  | { player?: undefined; response?: Promise<Response | undefined>; frame?: HTMLIFrameElement };

/**
 * What was started early for this session, once, its player moved into `container`. Without
 * `?project=` in the address the collector picked the session the same way for every request.
 */
export function takeEarlyPlayback(
  id: string,
  project: string,
  originalResources: boolean,
  container: HTMLElement,
): EarlyStart {
  const taken = early && early.id === id && (early.project ?? project) === project ? early : undefined;
  if (taken) early = undefined;
  const started = taken?.player;
  if (!started) return { ...(taken ? { response: taken.response } : {}), ...frameToTake() };
  started.stopListening();
  const usable =
    taken.originalResources === originalResources &&
    started.player.getState() !== 'error' &&
    started.player.moveTo(container);
  started.holder.remove();
  if (usable) return { player: started.player, gaps: started.gaps };
  started.player.destroy();
  return {};
}

const frameToTake = (): { frame?: HTMLIFrameElement } => {
  const frame = takeWarmFrame();
  return frame ? { frame } : {};
};

/**
 * The app moved to `pathname`: what was started for the page it opened on, if that page never
 * took it (the viewer followed a link while the details loaded), stops. Otherwise an unseen player
 * would go on streaming and playing, and a later visit would take a stale one.
 */
export function releaseEarlyPlaybackOffItsPage(pathname: string): void {
  if (early && sessionIdOf(pathname) !== early.id) releaseEarlyPlayback();
}

/** What was started early and not taken (the session page never came): stopped and removed. */
export function releaseEarlyPlayback(): void {
  const left = early;
  early = undefined;
  takeWarmFrame()?.remove();
  if (left?.player) {
    left.player.stopListening();
    left.player.player.destroy();
    left.player.holder.remove();
  }
  void left?.response.then((response) => response?.body?.cancel()).catch(() => {});
}
