import { formatClock, type FramedPlayer, type Marker } from '@reprise/player';
import { urlPath } from '@reprise/protocol';
import { useEffect, useRef, useState } from 'react';
import { Link, useLocation, useNavigate, useParams, useSearchParams } from 'react-router';
import { api, type SessionSummary } from '../api.js';
import { ConfirmButton } from '../components/confirm-button.js';
import { CopyButton } from '../components/copy-button.js';
import { FormMessages, useFormAction } from '../components/form-action.js';
import { ErrorNotice, Loading } from '../components/states.js';
import {
  errorsThrownCount,
  formatBytes,
  formatDateTime,
  formatDuration,
  formatMoment,
  parseMoment,
  plural,
  shortUrl,
} from '../format.js';
import {
  createSessionPlayer,
  ORIGINAL_RESOURCES,
  releaseEarlyPlayback,
  RESOURCES_PARAM,
  sessionDetails,
  takeEarlyPlayback,
} from '../early-playback.js';
import { useRequest } from '../use-request.js';

export function SessionPage() {
  const { id = '' } = useParams();
  const [params] = useSearchParams();
  const project = params.get('project') ?? undefined;
  const request = useRequest(`${project ?? ''}/${id}`, (signal) => sessionDetails(id, project, signal));
  // A session that cannot be shown: what the app started for it early (its stream, its player) stops.
  useEffect(() => {
    if (request.status === 'error') releaseEarlyPlayback();
  }, [request.status]);

  if (request.status === 'loading') return <Loading label="Loading session…" />;
  if (request.status === 'error') {
    return (
      <div className="page">
        <BackLink />
        <ErrorNotice
          title={request.error.status === 404 ? 'Session not found' : 'Could not load this session'}
          message={
            request.error.status === 404
              ? 'It may have been deleted by the retention policy or on request, or the link is incomplete.'
              : request.error.message
          }
        />
      </div>
    );
  }
  return <SessionView session={request.data} />;
}

/**
 * Deleting this session, or every session of its end user in this project (a data subject's
 * erasure request). The server decides who may: a viewer's click gets its 403 shown here.
 */
function DeleteActions({ session }: { session: SessionSummary }) {
  const navigate = useNavigate();
  const { error, run: runAction } = useFormAction();
  const run = (action: () => Promise<string>) =>
    runAction(async () => {
      const done = await action();
      navigate('/sessions', { replace: true, state: { notice: done } });
    });
  return (
    <>
      <ConfirmButton
        className="button"
        label="Delete session"
        confirmLabel="Delete this session for good"
        onConfirm={() =>
          run(async () => (await api.deleteSession(session.id, session.project), 'The session was deleted.'))
        }
      />
      {session.userId ? (
        <ConfirmButton
          className="button"
          label={`Delete all of ${session.userId}'s sessions`}
          confirmLabel={`Delete every session of ${session.userId} in ${session.project}`}
          onConfirm={() =>
            run(async () => {
              const { deleted } = await api.deleteUserSessions(session.userId!, session.project);
              return `${plural(deleted, 'session')} of ${session.userId} deleted.`;
            })
          }
        />
      ) : null}
      <FormMessages error={error} />
    </>
  );
}

function BackLink() {
  return (
    <Link to="/sessions" className="back-link">
      ← All sessions
    </Link>
  );
}

/**
 * The per-replay switch for resources the recorder did not capture. Off, the replay shows them
 * missing and nobody is contacted; on, the viewer's browser fetches them from the recorded sites.
 * Toggling reloads the page: the collector sends a wider Content-Security-Policy for it.
 */
function OriginalResourcesSwitch({ on }: { on: boolean }) {
  const toggle = () => {
    const url = new URL(window.location.href);
    if (on) url.searchParams.delete(RESOURCES_PARAM);
    else url.searchParams.set(RESOURCES_PARAM, ORIGINAL_RESOURCES);
    window.location.assign(url.toString());
  };
  return (
    <label className="resources-switch" data-testid="original-resources">
      <input type="checkbox" checked={on} onChange={toggle} /> Load resources that were not captured from the recorded
      sites{' '}
      <span className="muted">(your browser contacts those sites, which learn your address and when you watched)</span>
    </label>
  );
}

function SessionView({ session }: { session: SessionSummary }) {
  const location = useLocation();
  const [params] = useSearchParams();
  const originalResources = params.get(RESOURCES_PARAM) === ORIGINAL_RESOURCES;
  const containerRef = useRef<HTMLDivElement>(null);
  const playerRef = useRef<FramedPlayer | undefined>(undefined);
  const [playerError, setPlayerError] = useState<string>();
  const [gaps, setGaps] = useState<Marker[]>([]);

  useEffect(() => {
    const container = containerRef.current;
    if (!container) return;
    // Started as the app started, when this page is the one it opened on; else started here.
    const early = takeEarlyPlayback(session.id, session.project, originalResources, container);
    const player =
      early.player ??
      createSessionPlayer(container, {
        id: session.id,
        project: session.project,
        originalResources,
        startAt: parseMoment(window.location.hash, window.location.search),
        response: early.response,
        frame: early.frame,
      });
    if (early.player) setGaps(early.gaps);
    playerRef.current = player;
    // Exposed for scripted checks (the end-to-end tests) and for the browser console.
    (window as unknown as { reprisePlayer?: FramedPlayer }).reprisePlayer = player;
    const offError = player.on('error', (error) => setPlayerError(error.message));
    const offGap = player.on('gap', (marker) => setGaps((current) => [...current, marker]));
    return () => {
      offError();
      offGap();
      player.destroy();
      playerRef.current = undefined;
      delete (window as unknown as { reprisePlayer?: FramedPlayer }).reprisePlayer;
    };
  }, [session.id, session.project, originalResources]);

  // A deep link followed while the page is open (`#t=` edited, or another moment's link) seeks.
  // The address the page opened with is the player's `startAt`, so only later changes count.
  const openedAt = useRef(`${location.search}${location.hash}`);
  useEffect(() => {
    if (`${location.search}${location.hash}` === openedAt.current) return;
    openedAt.current = `${location.search}${location.hash}`;
    const moment = parseMoment(location.hash, location.search);
    if (moment !== undefined) playerRef.current?.seek(moment);
  }, [location.hash, location.search]);

  const seek = (epochMs: number) => {
    playerRef.current?.seek(Math.max(0, epochMs - session.startedAt));
    playerRef.current?.focus();
  };
  const linkToMoment = () => {
    const url = new URL(window.location.href);
    url.hash = `t=${formatMoment(playerRef.current?.getCurrentTime() ?? 0)}`;
    url.searchParams.delete('t');
    return url.toString();
  };

  const title = session.userId ?? 'Anonymous visitor';
  return (
    <div className="session-page">
      <div className="session-header">
        <div>
          <BackLink />
          <h1>
            {title} <span className="muted h1-sub">· {formatDateTime(session.startedAt)}</span>
          </h1>
        </div>
        <div className="session-actions">
          <CopyButton label="Copy link to this moment" text={linkToMoment} />
          <a className="button" href={api.exportUrl(session.id, session.project)} download>
            Download export
          </a>
          <DeleteActions session={session} />
        </div>
      </div>
      {playerError ? <ErrorNotice title="The replay could not be loaded" message={playerError} /> : null}
      {gaps.length > 0 ? (
        <div className="notice notice-warning" role="status" data-testid="gap-notice">
          <strong>Part of this recording could not be played.</strong>
          <p>
            {gaps.length === 1 ? 'One stretch is' : `${gaps.length} stretches are`} missing (
            {gaps[0]?.detail ?? gaps[0]?.label ?? 'a segment could not be read'}). Playback continues from the next
            complete snapshot; the gap is marked on the timeline.
          </p>
        </div>
      ) : null}
      <div className="session-layout">
        <section className="player-card" aria-label="Replay">
          <div ref={containerRef} className="player-host" />
          <OriginalResourcesSwitch on={originalResources} />
        </section>
        <aside className="meta-card" aria-label="Session details">
          <Metadata session={session} onSeek={seek} />
        </aside>
      </div>
    </div>
  );
}

function Metadata({ session, onSeek }: { session: SessionSummary; onSeek: (epochMs: number) => void }) {
  const traits = session.userTraits ? Object.entries(session.userTraits) : [];
  return (
    <>
      <h2 className="meta-title">User</h2>
      <dl className="meta-list">
        <dt>User id</dt>
        <dd>{session.userId ?? <span className="muted">Not identified</span>}</dd>
        {traits.map(([name, value]) => (
          <div key={name} className="meta-pair">
            <dt>{name}</dt>
            <dd>{typeof value === 'string' ? value : JSON.stringify(value)}</dd>
          </div>
        ))}
      </dl>

      <h2 className="meta-title">Visit</h2>
      <dl className="meta-list">
        <dt>Started</dt>
        <dd>{formatDateTime(session.startedAt)}</dd>
        <dt>Duration</dt>
        <dd>
          {formatDuration(session.durationMs)}
          {session.activeMs > 0 ? <span className="muted"> · {formatDuration(session.activeMs)} active</span> : null}
        </dd>
        <dt>Activity</dt>
        <dd>
          {[
            plural(session.clickCount, 'click'),
            ...(session.rageClickCount > 0 ? [plural(session.rageClickCount, 'rage click')] : []),
            plural(session.errorCount, 'error'),
            ...(session.consoleErrorCount > 0 ? [plural(session.consoleErrorCount, 'console error')] : []),
            ...(session.failedRequestCount > 0 ? [plural(session.failedRequestCount, 'failed request')] : []),
          ].join(' · ')}
        </dd>
        {session.customEvents.length > 0 ? (
          <>
            <dt>Custom events</dt>
            <dd>{session.customEvents.join(', ')}</dd>
          </>
        ) : null}
      </dl>

      <h2 className="meta-title">Device</h2>
      <dl className="meta-list">
        <dt>Browser</dt>
        <dd>{session.browser ?? '–'}</dd>
        <dt>OS</dt>
        <dd>{session.os ?? '–'}</dd>
        <dt>Viewport</dt>
        <dd>{session.viewport ? `${session.viewport.width} × ${session.viewport.height}` : '–'}</dd>
      </dl>

      {session.errors.length > 0 ? (
        <>
          <h2 className="meta-title">Errors thrown ({errorsThrownCount(session.errorCount, session.errors.length)})</h2>
          <ol className="page-list error-list">
            {session.errors.map((error) => (
              <li key={error.title}>
                <button type="button" className="page-link" onClick={() => onSeek(error.at)} title="Jump to it">
                  <span className="page-time mono">{formatClock(error.at - session.startedAt)}</span>
                  <span className="error-title">{error.title}</span>
                </button>
              </li>
            ))}
          </ol>
        </>
      ) : null}

      <h2 className="meta-title">Pages ({session.pages.length})</h2>
      {session.pages.length === 0 ? (
        <p className="muted small">{shortUrl(session.firstUrl)}</p>
      ) : (
        <ol className="page-list">
          {session.pages.map((page, index) => (
            <li key={`${index}-${page.url}`}>
              <button type="button" className="page-link" onClick={() => onSeek(page.at)} title={`Jump to ${page.url}`}>
                <span className="page-time mono">{formatClock(page.at - session.startedAt)}</span>
                <span className="page-url">{page.route ?? urlPath(page.url)}</span>
              </button>
            </li>
          ))}
        </ol>
      )}

      <h2 className="meta-title">Recording</h2>
      <dl className="meta-list">
        <dt>Project</dt>
        <dd>{session.project}</dd>
        <dt>Session id</dt>
        <dd className="mono small break">{session.id}</dd>
        <dt>Stored</dt>
        <dd>
          {plural(session.segmentCount, 'segment')} · {formatBytes(session.byteSize)}
        </dd>
      </dl>
    </>
  );
}
