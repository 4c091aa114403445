import { useEffect, useMemo, useState, type FormEvent } from 'react';
import { Link, useLocation, useNavigate, useSearchParams } from 'react-router';
import { api, type SessionSearchParams, type SessionSummary } from '../api.js';
import { Field, Options } from '../components/field.js';
import { PageHeader } from '../components/page-header.js';
import { Pager } from '../components/pager.js';
import { Empty, RequestView } from '../components/states.js';
import { formatDateTime, formatDuration, formatRelative, formatShortDateTime, shortUrl } from '../format.js';
import { useRequest } from '../use-request.js';

const DEFAULT_PAGE_SIZE = 25;
const MAX_PAGE_SIZE = 200;

const RANGES = [
  { value: '1h', label: 'Last hour', ms: 3_600_000 },
  { value: '24h', label: 'Last 24 hours', ms: 86_400_000 },
  { value: '7d', label: 'Last 7 days', ms: 7 * 86_400_000 },
  { value: '30d', label: 'Last 30 days', ms: 30 * 86_400_000 },
  { value: 'all', label: 'Any time', ms: 0 },
  { value: 'custom', label: 'Between dates…', ms: 0 },
] as const;

/** The filters live in the address, so a search can be bookmarked, shared and reloaded. */
interface Filters {
  range: string;
  from: string;
  to: string;
  user: string;
  url: string;
  errors: '' | 'yes' | 'no';
  /** `yes`: only sessions with a rage click (clicks again and again on one spot). */
  rage: '' | 'yes';
  /** Text of an error the session threw. */
  error: string;
  event: string;
  minDuration: string;
  sort: 'startedAt' | 'duration';
  order: 'asc' | 'desc';
  /** Sessions per page (`?limit=`, no control for it: the default suits a screen). */
  limit: string;
}

const FILTER_DEFAULTS: Filters = {
  range: 'all',
  from: '',
  to: '',
  user: '',
  url: '',
  errors: '',
  rage: '',
  error: '',
  event: '',
  minDuration: '',
  sort: 'startedAt',
  order: 'desc',
  limit: String(DEFAULT_PAGE_SIZE),
};

function readFilters(params: URLSearchParams): Filters {
  const get = (name: keyof Filters) => params.get(name) ?? FILTER_DEFAULTS[name];
  const errors = get('errors');
  return {
    range: RANGES.some((range) => range.value === get('range')) ? get('range') : 'all',
    from: get('from'),
    to: get('to'),
    user: get('user'),
    url: get('url'),
    errors: errors === 'yes' || errors === 'no' ? errors : '',
    rage: get('rage') === 'yes' ? 'yes' : '',
    error: get('error'),
    event: get('event'),
    minDuration: get('minDuration'),
    sort: get('sort') === 'duration' ? 'duration' : 'startedAt',
    order: get('order') === 'asc' ? 'asc' : 'desc',
    limit: String(Math.min(MAX_PAGE_SIZE, Math.max(1, Math.trunc(Number(get('limit'))) || DEFAULT_PAGE_SIZE))),
  };
}

function writeFilters(filters: Filters): URLSearchParams {
  const params = new URLSearchParams();
  for (const [name, value] of Object.entries(filters) as Array<[keyof Filters, string]>) {
    if (value !== FILTER_DEFAULTS[name] && value !== '') params.set(name, value);
  }
  return params;
}

function toSearch(filters: Filters, cursor: string | undefined, now: number): SessionSearchParams {
  const range = RANGES.find((entry) => entry.value === filters.range);
  const search: SessionSearchParams = { sort: filters.sort, order: filters.order, limit: Number(filters.limit) };
  if (range && range.ms > 0) search.from = now - range.ms;
  if (filters.range === 'custom') {
    const from = Date.parse(filters.from);
    const to = Date.parse(filters.to);
    if (Number.isFinite(from)) search.from = from;
    if (Number.isFinite(to)) search.to = to;
  }
  if (filters.user.trim()) search.userId = filters.user.trim();
  if (filters.url.trim()) search.url = filters.url.trim();
  if (filters.errors) search.hasError = filters.errors === 'yes';
  if (filters.rage === 'yes') search.hasRageClick = true;
  if (filters.error.trim()) search.errorText = filters.error.trim();
  if (filters.event.trim()) search.customEvent = filters.event.trim();
  const minSeconds = Number(filters.minDuration);
  if (filters.minDuration !== '' && Number.isFinite(minSeconds) && minSeconds > 0)
    search.minDurationMs = Math.round(minSeconds * 1000);
  if (cursor) search.cursor = cursor;
  return search;
}

function activeFilterCount(filters: Filters): number {
  return (['range', 'user', 'url', 'errors', 'rage', 'error', 'event', 'minDuration'] as const).filter(
    (name) => filters[name] !== FILTER_DEFAULTS[name] && filters[name] !== '',
  ).length;
}

export function SessionsPage() {
  const [params, setParams] = useSearchParams();
  const filters = useMemo(() => readFilters(params), [params]);
  const cursor = params.get('cursor') ?? undefined;
  // Earlier pages' cursors, to step back without the server keeping state. Reset by any new search.
  const [previousCursors, setPreviousCursors] = useState<Array<string | undefined>>([]);
  // "Last hour" means the hour before the search ran, not before each re-render.
  const [now, setNow] = useState(() => Date.now());
  const [refreshCount, setRefreshCount] = useState(0);
  // What the session page just did (a deletion), said once here where the list no longer shows it.
  const notice = (useLocation().state as { notice?: string } | null)?.notice;

  const filterKey = writeFilters(filters).toString();
  const request = useRequest(`${filterKey}|${cursor ?? ''}|${now}|${refreshCount}`, (signal) =>
    api.searchSessions(toSearch(filters, cursor, now), signal),
  );

  const apply = (next: Filters) => {
    setPreviousCursors([]);
    setNow(Date.now());
    setParams(writeFilters(next));
  };
  const goToCursor = (next: string | undefined, back: boolean) => {
    setPreviousCursors((stack) => (back ? stack.slice(0, -1) : [...stack, cursor]));
    const nextParams = writeFilters(filters);
    if (next) nextParams.set('cursor', next);
    setParams(nextParams);
  };
  const sortBy = (field: Filters['sort']) => {
    const order: Filters['order'] = filters.sort === field ? (filters.order === 'desc' ? 'asc' : 'desc') : 'desc';
    apply({ ...filters, sort: field, order });
  };

  return (
    <div className="page">
      <PageHeader
        title="Sessions"
        actions={
          <button
            type="button"
            className="button"
            onClick={() => {
              setNow(Date.now());
              setRefreshCount((count) => count + 1);
            }}
          >
            Refresh
          </button>
        }
      >
        <p className="muted">Recorded visits, newest first. Open one to watch it.</p>
        {notice ? (
          <p className="notice notice-ok" role="status">
            {notice}
          </p>
        ) : null}
      </PageHeader>
      <FilterBar filters={filters} onApply={apply} />
      <RequestView request={request} errorTitle="Could not load sessions" loadingLabel="Loading sessions…">
        {({ items, nextCursor }) =>
          items.length === 0 ? (
            cursor ? (
              <Empty title="No more sessions">
                <button type="button" className="button" onClick={() => apply(filters)}>
                  Back to the first page
                </button>
              </Empty>
            ) : activeFilterCount(filters) > 0 ? (
              <Empty title="No session matches these filters">
                <p>Widen the time range or remove a filter.</p>
                <button
                  type="button"
                  className="button"
                  onClick={() => apply({ ...FILTER_DEFAULTS, limit: filters.limit })}
                >
                  Clear all filters
                </button>
              </Empty>
            ) : (
              <Empty title="No sessions recorded yet">
                <p>
                  Add the recorder to a page with this collector as its <code>endpoint</code>; sessions show up here a
                  few seconds after the first events arrive.
                </p>
              </Empty>
            )
          ) : (
            <>
              <SessionTable sessions={items} filters={filters} onSort={sortBy} />
              <Pager
                label="Pages of sessions"
                previousLabel="Previous"
                nextLabel="Next"
                onPrevious={
                  cursor
                    ? () => (previousCursors.length ? goToCursor(previousCursors.at(-1), true) : apply(filters))
                    : undefined
                }
                onNext={nextCursor ? () => goToCursor(nextCursor, false) : undefined}
              >
                <span className="muted">
                  Page {previousCursors.length + (cursor && previousCursors.length === 0 ? 2 : 1)} · {items.length}{' '}
                  session{items.length === 1 ? '' : 's'}
                </span>
              </Pager>
            </>
          )
        }
      </RequestView>
    </div>
  );
}

function FilterBar({ filters, onApply }: { filters: Filters; onApply: (filters: Filters) => void }) {
  const [draft, setDraft] = useState(filters);
  useEffect(() => setDraft(filters), [filters]);
  const set = <K extends keyof Filters>(name: K, value: Filters[K]) =>
    setDraft((current) => ({ ...current, [name]: value }));
  // The filters typed into a text box: `set` keeps them in the draft until Enter or the button.
  const textField = (
    name: 'from' | 'to' | 'user' | 'url' | 'error' | 'event',
    label: string,
    type: 'search' | 'datetime-local',
    placeholder?: string,
    layout = 'field-compact',
  ) => (
    <Field
      layout={layout}
      label={label}
      type={type}
      placeholder={placeholder}
      value={draft[name]}
      onChange={(event) => set(name, event.target.value)}
    />
  );
  // Choices made with a pointer apply at once; typed text applies with Enter or the button.
  const choose = <K extends keyof Filters>(name: K, value: Filters[K]) => {
    const next = { ...draft, [name]: value };
    setDraft(next);
    if (name !== 'range' || value !== 'custom') onApply(next);
  };
  const submit = (event: FormEvent) => {
    event.preventDefault();
    onApply(draft);
  };
  const count = activeFilterCount(filters);

  return (
    <form className="filters" onSubmit={submit} role="search" aria-label="Filter sessions">
      <label className="field field-compact">
        <span>Time</span>
        <select value={draft.range} onChange={(event) => choose('range', event.target.value)}>
          <Options choices={RANGES} />
        </select>
      </label>
      {draft.range === 'custom' ? (
        <>
          {textField('from', 'From', 'datetime-local')}
          {textField('to', 'To', 'datetime-local')}
        </>
      ) : null}
      {textField('user', 'User', 'search', 'User id')}
      {textField('url', 'URL or route', 'search', '/checkout', 'field-compact field-grow')}
      <label className="field field-compact">
        <span>Errors</span>
        <select value={draft.errors} onChange={(event) => choose('errors', event.target.value as Filters['errors'])}>
          <option value="">Any</option>
          <option value="yes">With errors</option>
          <option value="no">Without errors</option>
        </select>
      </label>
      <label className="field field-compact">
        <span>Rage clicks</span>
        <select value={draft.rage} onChange={(event) => choose('rage', event.target.value as Filters['rage'])}>
          <option value="">Any</option>
          <option value="yes">With rage clicks</option>
        </select>
      </label>
      {textField('error', 'Error message', 'search', 'cart is undefined')}
      {textField('event', 'Custom event', 'search', 'Event name')}
      <Field
        layout="field-compact field-narrow"
        label="Min. duration (s)"
        type="number"
        min="0"
        step="1"
        inputMode="numeric"
        placeholder="0"
        value={draft.minDuration}
        onChange={(event) => set('minDuration', event.target.value)}
      />
      <div className="filters-actions">
        <button type="submit" className="button button-primary">
          Search
        </button>
        {count > 0 ? (
          <button
            type="button"
            className="button button-quiet"
            onClick={() =>
              onApply({ ...FILTER_DEFAULTS, sort: filters.sort, order: filters.order, limit: filters.limit })
            }
          >
            Clear {count === 1 ? 'filter' : `${count} filters`}
          </button>
        ) : null}
      </div>
    </form>
  );
}

function SortHeader({
  label,
  field,
  filters,
  onSort,
}: {
  label: string;
  field: Filters['sort'];
  filters: Filters;
  onSort: (field: Filters['sort']) => void;
}) {
  const active = filters.sort === field;
  return (
    <th scope="col" aria-sort={active ? (filters.order === 'asc' ? 'ascending' : 'descending') : 'none'}>
      <button type="button" className="sort-button" onClick={() => onSort(field)}>
        {label}
        <span className="sort-indicator" aria-hidden="true">
          {active ? (filters.order === 'asc' ? '▲' : '▼') : '↕'}
        </span>
      </button>
    </th>
  );
}

function sessionHref(session: SessionSummary): string {
  return `/sessions/${encodeURIComponent(session.id)}?project=${encodeURIComponent(session.project)}`;
}

function SessionTable({
  sessions,
  filters,
  onSort,
}: {
  sessions: SessionSummary[];
  filters: Filters;
  onSort: (field: Filters['sort']) => void;
}) {
  const navigate = useNavigate();
  const showProject = new Set(sessions.map((session) => session.project)).size > 1;
  return (
    <div className="table-wrap">
      <table className="table sessions-table">
        <thead>
          <tr>
            <SortHeader label="Started" field="startedAt" filters={filters} onSort={onSort} />
            <th scope="col">User</th>
            <SortHeader label="Duration" field="duration" filters={filters} onSort={onSort} />
            <th scope="col" className="num">
              Pages
            </th>
            <th scope="col" className="num">
              Errors
            </th>
            <th scope="col">Landing page</th>
            {showProject ? <th scope="col">Project</th> : null}
          </tr>
        </thead>
        <tbody>
          {sessions.map((session) => {
            const href = sessionHref(session);
            return (
              <tr
                key={`${session.project}/${session.id}`}
                className="row-link"
                data-session-id={session.id}
                onClick={(event) => {
                  // The row is a big target for the mouse; keyboard users get the real link in the first cell.
                  if ((event.target as HTMLElement).closest('a, button')) return;
                  if (event.metaKey || event.ctrlKey) window.open(href, '_blank');
                  else navigate(href);
                }}
              >
                <td>
                  <Link to={href} className="row-title" title={formatDateTime(session.startedAt)}>
                    {formatShortDateTime(session.startedAt)}
                  </Link>
                  <div className="muted small">{formatRelative(session.startedAt)}</div>
                </td>
                <td>
                  {session.userId ? (
                    <span className="user-chip">{session.userId}</span>
                  ) : (
                    <span className="muted">Anonymous</span>
                  )}
                </td>
                <td className="mono">{formatDuration(session.durationMs)}</td>
                <td className="num">{session.pages.length || (session.firstUrl ? 1 : 0)}</td>
                <td className="num">
                  {session.errorCount > 0 ? (
                    <span className="badge badge-error">{session.errorCount}</span>
                  ) : (
                    <span className="muted">0</span>
                  )}
                </td>
                <td className="url-cell" title={session.firstUrl ?? ''}>
                  {shortUrl(session.firstUrl)}
                </td>
                {showProject ? <td>{session.project}</td> : null}
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}
