#!/usr/bin/env node
// Sessions index search benchmark: 100,000 seeded sessions on embedded SQLite and on PostgreSQL 15
// (started on 127.0.0.1 for the run). Each filter of GET /v1/sessions runs as the API runs it
// (first page of 50, newest first) with varied parameters; p50/p99 are compared with the same
// queries once the secondary indexes are dropped (a full table scan), in the same run.
//
//   node test/bench/sessions-index/run.mjs [--sessions 100000] [--engine sqlite|postgres|both]
//
// Last line: BENCH sessions-index sessions=<n> <engine>_p50_ms=<worst filter p50> <engine>_p99_ms=<...>
//            <engine>_scan_p50_ms=<...> ... filters=<n> page_size=50 (key=value only; the prose is on the line above)
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { register } from 'tsx/esm/api';
import { sql } from 'kysely';
import { startTestPostgres } from '@reprise/test-support/process';

register();
const serverSrc = new URL('../../../server/', import.meta.url);
const { openIndexDatabase } = await import(new URL('src/index-db/database.ts', serverSrc).href);
const { searchSessions } = await import(new URL('src/index-db/search.ts', serverSrc).href);

const { values: args } = parseArgs({
  options: {
    sessions: { type: 'string', default: '100000' },
    engine: { type: 'string', default: 'both' },
    iterations: { type: 'string', default: '40' },
  },
});
const SESSIONS = Number(args.sessions);
const ITERATIONS = Number(args.iterations);
/** The API's default page, the one the admin UI asks for. */
const PAGE_SIZE = 50;
const engines = args.engine === 'both' ? ['sqlite', 'postgres'] : [args.engine];

// Deterministic data: the same sessions on both engines and on every run.
function prng(seed) {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const PROJECTS = ['shop', 'docs', 'admin', 'blog', 'crm'];
const ROUTES = [
  '/',
  '/products',
  '/products/:id',
  '/cart',
  '/checkout',
  '/checkout/payment',
  '/account',
  '/account/orders',
  '/search',
  '/help',
  '/help/:article',
  '/blog',
  '/blog/:slug',
  '/settings',
  '/settings/billing',
  '/login',
  '/signup',
  '/reports',
  '/reports/:id',
  '/users',
  '/users/:id',
  '/teams/:id/members',
  '/invoices/:id',
  '/about',
];
const CUSTOM_EVENTS = [
  'purchase',
  'signup',
  'add_to_cart',
  'search',
  'share',
  'upgrade',
  'invite',
  'export',
  'rage_click',
  'feedback',
];
/** Error titles as the index keeps them (`Name: first line`); `{n}` varies per session. */
const ERROR_TITLES = [
  "TypeError: Cannot read properties of undefined (reading 'price{n}')",
  'Error: Request failed with status code 5{n}',
  'ChunkLoadError: Loading chunk {n} failed.',
  'ReferenceError: cart{n} is not defined',
  'SyntaxError: Unexpected token < in JSON at position {n}',
  'Error: ResizeObserver loop completed with undelivered notifications.',
];
const USERS = 5_000;
const DAY = 86_400_000;
const T0 = Date.UTC(2026, 9, 1);

function* generateSessions() {
  const random = prng(42);
  // Rage clicks from a source of their own, so that the other columns stay as in earlier runs.
  const rageRandom = prng(1_042);
  const pick = (list) => list[Math.floor(random() * list.length)];
  for (let i = 0; i < SESSIONS; i++) {
    const project = PROJECTS[i % PROJECTS.length];
    const startedAt = T0 + Math.floor(random() * 30 * DAY);
    const duration = Math.floor(Math.exp(random() * Math.log(7_200_000 / 2_000)) * 2_000);
    const pageCount = 1 + Math.floor(random() * 6);
    const pages = [];
    for (let p = 0; p < pageCount; p++) {
      const route = pick(ROUTES);
      const url = `https://${project}.example.com${route.replace(/:\w+/g, () => String(Math.floor(random() * 10_000)))}`;
      pages.push({ url, route, at: startedAt + p * 1000 });
    }
    const errors = random() < 0.08 ? 1 + Math.floor(random() * 3) : 0;
    const errorsSeen = [];
    for (let e = 0; e < errors; e++)
      errorsSeen.push({
        title: pick(ERROR_TITLES).replace('{n}', String(Math.floor(random() * 1000))),
        at: startedAt + e * 1000,
      });
    const customs = new Set();
    const customCount = Math.floor(random() * 3);
    for (let c = 0; c < customCount; c++) customs.add(pick(CUSTOM_EVENTS));
    yield {
      row: {
        project,
        session_id: `s${String(i).padStart(7, '0')}`,
        status: 'active',
        user_id: random() < 0.6 ? `user-${Math.floor(random() * USERS)}` : null,
        user_traits: null,
        started_at: startedAt,
        ended_at: startedAt + duration,
        duration_ms: duration,
        active_ms: Math.floor(duration * 0.4),
        last_activity_at: startedAt + duration,
        first_url: pages[0].url,
        pages: JSON.stringify(pages),
        search_text: pages
          .flatMap((p) => [p.url, p.route])
          .join('\n')
          .toLowerCase(),
        user_agent: null,
        browser: 'Chrome 156',
        os: 'Linux',
        viewport_width: 1280,
        viewport_height: 720,
        event_count: 100,
        click_count: Math.floor(random() * 40),
        // 3 % of sessions, 1–2 runs each.
        rage_click_count: rageRandom() < 0.03 ? 1 + Math.floor(rageRandom() * 2) : 0,
        error_count: errors,
        errors: JSON.stringify(errorsSeen),
        error_text: errorsSeen.map((error) => error.title).join('\n'),
        console_error_count: errors,
        failed_request_count: 0,
        segment_count: 1 + Math.floor(duration / 300_000),
        byte_size: 50_000,
        created_at: startedAt,
        updated_at: startedAt,
      },
      customs: [...customs].map((name) => ({
        project,
        session_id: `s${String(i).padStart(7, '0')}`,
        name,
        count: 1,
        first_at: startedAt,
      })),
    };
  }
}

async function seed(db, engine) {
  const started = performance.now();
  // SQLite caps bound parameters at 32,766 per statement; PostgreSQL at 65,535.
  const chunk = engine === 'sqlite' ? 500 : 1000;
  let rows = [];
  let customs = [];
  const flush = async () => {
    if (rows.length === 0) return;
    await db.transaction().execute(async (trx) => {
      await trx.insertInto('sessions').values(rows).execute();
      if (customs.length) await trx.insertInto('session_custom_events').values(customs).execute();
    });
    rows = [];
    customs = [];
  };
  for (const session of generateSessions()) {
    rows.push(session.row);
    customs.push(...session.customs);
    if (rows.length >= chunk) await flush();
  }
  await flush();
  if (engine === 'postgres') await sql`ANALYZE`.execute(db);
  else await sql`ANALYZE`.execute(db);
  return performance.now() - started;
}

/** Each filter as a function of a per-iteration random source, the way the API calls search. */
function filters() {
  const random = prng(7);
  const pick = (list) => list[Math.floor(random() * list.length)];
  const range = () => {
    const from = T0 + Math.floor(random() * 25 * DAY);
    return { from, to: from + DAY };
  };
  return {
    newest: () => ({ projects: [pick(PROJECTS)] }),
    time_range: () => ({ projects: [pick(PROJECTS)], ...range() }),
    user_id: () => ({ projects: [pick(PROJECTS)], userId: `user-${Math.floor(random() * USERS)}` }),
    url_substring: () => ({
      projects: [pick(PROJECTS)],
      url: pick(['checkout/pay', 'billing', 'members', '/invoices/12', 'help/']),
    }),
    has_error: () => ({ projects: [pick(PROJECTS)], hasError: true }),
    // A common message, a rare one (one number of one kind) and one no session threw (every session with errors read).
    error_text: () => ({
      projects: [pick(PROJECTS)],
      errorText: pick(['cannot read properties', 'loading chunk 42 failed', 'quota exceeded']),
    }),
    custom_event: () => ({ projects: [pick(PROJECTS)], customEvent: pick(CUSTOM_EVENTS) }),
    min_duration: () => ({ projects: [pick(PROJECTS)], minDurationMs: 3_600_000 }),
    combined: () => ({
      projects: [pick(PROJECTS)],
      ...range(),
      hasError: true,
      customEvent: pick(CUSTOM_EVENTS),
      minDurationMs: 60_000,
    }),
    longest: () => ({ projects: [pick(PROJECTS)], sort: 'duration', order: 'desc' }),
    all_projects_page3: () => ({ projects: PROJECTS, pages: 3 }),
    // Last, so that the filters above draw the same parameters as in earlier runs.
    rage_click: () => ({ projects: [pick(PROJECTS)], hasRageClick: true }),
  };
}

const percentile = (sorted, p) => sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];

async function measure(db, hints) {
  const results = {};
  for (const [name, make] of Object.entries(filters())) {
    const times = [];
    let found = 0;
    for (let i = 0; i < ITERATIONS; i++) {
      const { pages = 1, ...search } = make();
      const started = performance.now();
      let cursor;
      for (let p = 0; p < pages; p++) {
        const page = await searchSessions(db, { ...search, limit: PAGE_SIZE, cursor }, hints);
        found += page.sessions.length;
        cursor = page.nextCursor ?? undefined;
        if (!cursor) break;
      }
      times.push(performance.now() - started);
    }
    times.sort((a, b) => a - b);
    results[name] = { p50: percentile(times, 50), p99: percentile(times, 99), avgRows: found / ITERATIONS };
  }
  return results;
}

async function dropSecondaryIndexes(db) {
  for (const name of [
    'sessions_by_start',
    'sessions_by_duration',
    'sessions_all_by_start',
    'sessions_all_by_duration',
    'sessions_by_user',
    'sessions_with_errors',
    'session_custom_events_by_name',
    'sessions_search_text_trgm',
  ]) {
    await sql`DROP INDEX IF EXISTS ${sql.id(name)}`.execute(db);
  }
  await sql`ANALYZE`.execute(db);
}

const fmt = (n) => n.toFixed(n < 10 ? 2 : 1);
const summary = [`sessions=${SESSIONS}`];
for (const engine of engines) {
  let postgres;
  let dir;
  let index;
  if (engine === 'sqlite') {
    dir = mkdtempSync(join(tmpdir(), 'reprise-bench-index-'));
    index = await openIndexDatabase({ engine, path: join(dir, 'index.sqlite') });
  } else {
    postgres = await startTestPostgres();
    index = await openIndexDatabase({ engine, connectionString: await postgres.createDatabase('bench_index') });
  }
  try {
    const seedMs = await seed(index.db, engine);
    console.log(`${engine}: seeded ${SESSIONS} sessions in ${(seedMs / 1000).toFixed(1)} s`);
    const indexed = await measure(index.db, { engine });
    await dropSecondaryIndexes(index.db);
    const scanned = await measure(index.db, {});
    console.log(`${engine}: filter              p50 ms   p99 ms | full scan p50   p99 | rows/page`);
    for (const name of Object.keys(indexed)) {
      const a = indexed[name];
      const b = scanned[name];
      console.log(
        `${engine}: ${name.padEnd(18)} ${fmt(a.p50).padStart(7)} ${fmt(a.p99).padStart(8)} | ${fmt(b.p50).padStart(13)} ${fmt(b.p99).padStart(5)} | ${a.avgRows.toFixed(0)}`,
      );
    }
    const worst = (results, key) => Math.max(...Object.values(results).map((r) => r[key]));
    summary.push(
      `${engine}_p50_ms=${fmt(worst(indexed, 'p50'))}`,
      `${engine}_p99_ms=${fmt(worst(indexed, 'p99'))}`,
      `${engine}_scan_p50_ms=${fmt(worst(scanned, 'p50'))}`,
      `${engine}_scan_p99_ms=${fmt(worst(scanned, 'p99'))}`,
    );
  } finally {
    await index.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
    await postgres?.stop();
  }
}
const filterCount = Object.keys(filters()).length;
// Prose on its own line: the BENCH line is key=value only, for the tools that parse it.
console.log(
  `each figure: the worst of ${filterCount} filters, pages of ${PAGE_SIZE} (the first page unless the filter name says otherwise)`,
);
console.log(`BENCH sessions-index ${summary.join(' ')} filters=${filterCount} page_size=${PAGE_SIZE}`);
