import { useEffect, useState, type FormEvent } from 'react';
import { Link, useLocation, useSearchParams } from 'react-router';
import { api, type AuditEntry } from '../api.js';
import { Field, Options } from '../components/field.js';
import { PageHeader } from '../components/page-header.js';
import { Pager } from '../components/pager.js';
import { Empty, RequestView } from '../components/states.js';
import { formatDateTime, formatRelative } from '../format.js';
import { useRequest } from '../use-request.js';
import { TableHead } from '../components/table-head.js';

const PAGE_SIZE = 50;

/** What each recorded action means, in words. */
const ACTION_LABELS: Record<string, string> = {
  'session.search': 'Searched sessions',
  'session.view': 'Viewed session details',
  'session.play': 'Played a session',
  'session.export': 'Exported a session',
  'session.delete': 'Deleted a session',
  'user_sessions.delete': "Deleted a user's sessions",
  'retention.delete': 'Retention removed a session',
  'audit.view': 'Read the audit log',
  'auth.login': 'Logged in',
  'auth.login_failed': 'Failed login',
  'auth.logout': 'Logged out',
  'auth.setup': 'Created the first admin',
  'user.create': 'Created a user',
  'token.create': 'Created an API token',
  'token.revoke': 'Revoked an API token',
  'keys.rotate': 'Rotated encryption keys',
};
const ACTION_CHOICES = Object.entries(ACTION_LABELS).map(([value, label]) => ({ value, label }));

export function AuditPage() {
  const [params, setParams] = useSearchParams();
  const action = params.get('action') ?? '';
  const actor = params.get('actor') ?? '';
  const sessionId = params.get('session') ?? '';
  const cursor = params.get('cursor') ?? undefined;
  // The cursors of the newer pages walked through, kept in the history entry rather than in
  // component state: Back, Forward and a reload then leave Newer pointing at the page before the
  // one shown (component state would still hold the trail of a page no longer on screen).
  const trail = readTrail(useLocation().state);
  const request = useRequest(params.toString(), (signal) =>
    api.audit(
      {
        action: action || undefined,
        actor: actor || undefined,
        sessionId: sessionId || undefined,
        cursor,
        limit: PAGE_SIZE,
      },
      signal,
    ),
  );

  const [draft, setDraft] = useState({ action, actor, sessionId });
  useEffect(() => setDraft({ action, actor, sessionId }), [action, actor, sessionId]);
  const apply = (next: typeof draft) => {
    const search = new URLSearchParams();
    if (next.action) search.set('action', next.action);
    if (next.actor.trim()) search.set('actor', next.actor.trim());
    if (next.sessionId.trim()) search.set('session', next.sessionId.trim());
    setParams(search);
  };
  const page = (next: string | undefined, back: boolean) => {
    const search = new URLSearchParams(params);
    if (next) search.set('cursor', next);
    else search.delete('cursor');
    setParams(search, { state: { [TRAIL_STATE]: back ? trail.slice(0, -1) : [...trail, cursor ?? null] } });
  };

  return (
    <div className="page">
      <PageHeader title="Audit log">
        <p className="muted">
          Every search, view, playback, deletion and login, newest first. Entries cannot be changed or removed.
        </p>
      </PageHeader>
      <form
        className="filters"
        role="search"
        aria-label="Filter the audit log"
        onSubmit={(event: FormEvent) => {
          event.preventDefault();
          apply(draft);
        }}
      >
        <label className="field field-compact">
          <span>Action</span>
          <select
            value={draft.action}
            onChange={(event) => {
              const next = { ...draft, action: event.target.value };
              setDraft(next);
              apply(next);
            }}
          >
            <option value="">All actions</option>
            <Options choices={ACTION_CHOICES} />
          </select>
        </label>
        <Field
          layout="field-compact"
          label="Who"
          type="search"
          placeholder="Username or token"
          value={draft.actor}
          onChange={(event) => setDraft({ ...draft, actor: event.target.value })}
        />
        <Field
          layout="field-compact field-grow"
          label="Session id"
          type="search"
          value={draft.sessionId}
          onChange={(event) => setDraft({ ...draft, sessionId: event.target.value })}
        />
        <div className="filters-actions">
          <button type="submit" className="button button-primary">
            Filter
          </button>
        </div>
      </form>
      <RequestView request={request} errorTitle="Could not load the audit log" loadingLabel="Loading the audit log…">
        {({ items, nextCursor }) =>
          items.length === 0 ? (
            <Empty title={action || actor || sessionId ? 'No entry matches these filters' : 'The audit log is empty'} />
          ) : (
            <>
              <div className="table-wrap">
                <table className="table audit-table">
                  <TableHead columns={['When', 'Who', 'What', 'Session', 'From']} />
                  <tbody>
                    {items.map((entry) => (
                      <AuditRow key={entry.id} entry={entry} />
                    ))}
                  </tbody>
                </table>
              </div>
              <Pager
                label="Pages of the audit log"
                previousLabel="Newer"
                nextLabel="Older"
                onPrevious={cursor ? () => page(trail.at(-1) ?? undefined, true) : undefined}
                onNext={nextCursor ? () => page(nextCursor, false) : undefined}
              >
                <span className="muted">{items.length} entries</span>
              </Pager>
            </>
          )
        }
      </RequestView>
    </div>
  );
}

const TRAIL_STATE = 'auditNewerCursors';

/** The trail saved by `page` in the history entry; none (a typed or shared link) means Newer goes to the newest page. */
function readTrail(state: unknown): Array<string | null> {
  const trail =
    state !== null && typeof state === 'object' ? (state as Record<string, unknown>)[TRAIL_STATE] : undefined;
  return Array.isArray(trail) ? trail.map((cursor) => (typeof cursor === 'string' ? cursor : null)) : [];
}

function AuditRow({ entry }: { entry: AuditEntry }) {
  const detail = entry.detail && Object.keys(entry.detail).length > 0 ? entry.detail : null;
  return (
    <tr data-action={entry.action} data-entry-id={entry.id}>
      <td>
        <span title={formatDateTime(entry.at)}>{formatDateTime(entry.at)}</span>
        <div className="muted small">{formatRelative(entry.at)}</div>
      </td>
      <td>
        {entry.actor.name}
        <div className="muted small">{entry.actor.type}</div>
      </td>
      <td>
        <span
          className={entry.action.includes('delete') || entry.action.endsWith('failed') ? 'badge badge-error' : 'badge'}
        >
          {ACTION_LABELS[entry.action] ?? entry.action}
        </span>
        {detail ? <div className="muted small detail">{describeDetail(detail)}</div> : null}
      </td>
      <td>
        {entry.sessionId ? (
          <Link
            className="mono small"
            to={`/sessions/${encodeURIComponent(entry.sessionId)}${entry.project ? `?project=${encodeURIComponent(entry.project)}` : ''}`}
          >
            {entry.sessionId.slice(0, 12)}…
          </Link>
        ) : (
          <span className="muted">–</span>
        )}
        {entry.project ? <div className="muted small">{entry.project}</div> : null}
      </td>
      <td className="small">
        {entry.ip ?? '–'}
        {entry.userAgent ? (
          <div className="muted small ua" title={entry.userAgent}>
            {entry.userAgent}
          </div>
        ) : null}
      </td>
    </tr>
  );
}

/** `{ filters: { url: '/cart', hasError: true }, results: 3 }` → `url /cart · hasError true · results 3`. */
function describeDetail(detail: Record<string, unknown>): string {
  const parts: string[] = [];
  const walk = (value: unknown, name: string) => {
    if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
      for (const [key, inner] of Object.entries(value)) walk(inner, key);
    } else {
      parts.push(`${name} ${Array.isArray(value) ? value.join(', ') : String(value)}`);
    }
  };
  walk(detail, '');
  return parts.join(' · ').slice(0, 300);
}
