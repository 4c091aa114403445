/**
 * Names the collector writes into the admin page and the admin app reads back: kept in one file
 * with no Node imports, so that both the server (admin-ui.ts) and the browser app import them.
 */

/** The `<meta>` naming the replay frame's URL (read by the session page). */
export const REPLAY_FRAME_META = 'reprise-replay-frame';
export const REPLAY_FRAME_PATH = '/replay-frame.html';
/** The hidden replay frame a session page's HTML starts as it parses (FramedPlayer.warm's, served early). */
export const WARM_FRAME_ID = 'reprise-replay-warm';
/** A session page of the admin app; the session id is the first group. */
export const SESSION_PAGE = /^\/sessions\/([^/]+)\/?$/;
