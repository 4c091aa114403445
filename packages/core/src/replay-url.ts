import type { SessionInfo } from './session.js';
import type { RecorderOptions, ReplayUrlOptions } from './types.js';

/**
 * The admin UI's page for `session` (`<adminUrl>/sessions/<id>?project=<project>`), with `#t=`
 * (seconds from the session's start, the player's time zero, to the millisecond: a link to an
 * error rounded to a tenth could open just before it) when `at` is given. Null without a
 * recorded session, a project, or an address to link to. Built as a string: this is in every
 * app's first chunk (the recorder answers before the rest of it has loaded).
 */
export function sessionReplayUrl(
  { adminUrl, endpoint, project }: Pick<RecorderOptions, 'adminUrl' | 'endpoint' | 'project'>,
  session: Pick<SessionInfo, 'sessionId' | 'startedAt' | 'sampled'> | null | undefined,
  { at }: ReplayUrlOptions = {},
): string | null {
  const base = adminUrl ?? endpoint;
  return session?.sampled && base && project
    ? `${base.replace(/\/*$/, '')}/sessions/${encodeURIComponent(session.sessionId)}?project=${encodeURIComponent(project)}${
        at === undefined ? '' : `#t=${Math.max(0, Math.round(+at - session.startedAt) / 1000) || 0}`
      }`
    : null;
}
