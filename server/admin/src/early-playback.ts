import { FramedPlayer } from '@reprise/player';
import { REPLAY_FRAME_META, REPLAY_FRAME_PATH, SESSION_PAGE, WARM_FRAME_ID } from '../../src/admin-page-names.js';
import { api } from './api.js';

/** The replay frame's address, as the collector named it in the page (the same origin's when it did not). */
export const replayFrameUrl = (): string =>
  document.querySelector<HTMLMetaElement>(`meta[name="${REPLAY_FRAME_META}"]`)?.content || REPLAY_FRAME_PATH;

/** The replay frame started early (FramedPlayer.warm's, or the one the collector put in the page). */
let warmFrame: HTMLIFrameElement | undefined;

/** The early replay frame, for the session page's player to take over (once). */
export function takeWarmFrame(): HTMLIFrameElement | undefined {
  const frame = warmFrame;
  warmFrame = undefined;
  return frame;
}

/** Removes the early replay frame if no player took it. */
export function releaseEarlyFrame(): void {
  takeWarmFrame()?.remove();
}

/**
 * The playback stream of the session page the app opened on, asked for as the app starts: beside
 * the login check and the session's metadata rather than after them, so the first frame waits for
 * neither (issue 19). The player reads it once; any other page, a later visit or an answer that is
 * not a stream (signed out, another project) makes the player fetch as usual.
 */
let early: { id: string; project: string | undefined; response: Promise<Response | undefined> } | undefined;

export function startEarlyPlayback(location: Pick<Location, 'pathname' | 'search'>): void {
  const match = SESSION_PAGE.exec(location.pathname);
  if (!match) return;
  // The player's frame page, started beside the stream: on a site of its own it needs a process
  // of its own, which would otherwise start only once the session page renders. The collector
  // put one in the page already (it starts as the page parses); the dev server does not.
  warmFrame =
    (document.getElementById(WARM_FRAME_ID) as HTMLIFrameElement | null) ?? FramedPlayer.warm(replayFrameUrl());
  const id = decodeURIComponent(match[1]!);
  const project = new URLSearchParams(location.search).get('project') ?? undefined;
  const response = fetch(api.eventsUrl(id, project), { credentials: 'same-origin' }).then(
    (answer) => {
      if (answer.ok) return answer;
      void answer.body?.cancel();
      return undefined;
    },
    () => undefined,
  );
  early = { id, project, response };
}

/**
 * The early stream for this session, once: undefined when there is none. Without `?project=` in
 * the address the collector picked the session the same way for both requests.
 */
export function takeEarlyPlayback(id: string, project: string): Promise<Response | undefined> | undefined {
  if (!early || early.id !== id || (early.project !== undefined && early.project !== project)) return undefined;
  const { response } = early;
  early = undefined;
  return response;
}
