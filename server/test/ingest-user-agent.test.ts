import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiToken, createUser } from '../src/access/access-store.js';
import { FileIngestLog } from '../src/log/file-log.js';
import { ev } from './support/index-events.js';
import { ingest, startTestCollector, waitForIndexed, type TestCollector } from './support/playback-collector.js';

const CHROME_ON_WINDOWS =
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.6778.86 Safari/537.36';

describe("the browser and OS of a session come from the ingest request's User-Agent", () => {
  let env: TestCollector;
  let token: string;
  const start = Date.now() - 60_000;
  const events = [ev.meta(start, 'https://shop.test/'), ev.full(start + 1), ev.click(start + 2)];

  const metadata = async (sessionId: string) => {
    const response = await fetch(`${env.url}/v1/sessions/${sessionId}`, {
      headers: { authorization: `Bearer ${token}` },
    });
    expect(response.status).toBe(200);
    return (await response.json()) as { browser: string | null; os: string | null; userAgent: string | null };
  };

  beforeAll(async () => {
    // A record appended by an older collector (no userAgent field) waits in the log of the data
    // folder the new collector starts on: it must still be stored and indexed.
    const dataDir = mkdtempSync(join(tmpdir(), 'reprise-collector-'));
    const oldLog = new FileIngestLog({ dir: join(dataDir, 'log'), logger: pino({ level: 'silent' }) });
    await oldLog.open();
    await oldLog.append({
      project: 'shop',
      receivedAt: Date.now(),
      digest: 'old-record-digest-0000',
      batch: {
        v: 1,
        project: 'key-shop',
        session: 'from-old-log',
        tab: 'tab-1',
        seq: 0,
        start,
        end: start + 2,
        events,
      },
    });
    await oldLog.close();

    env = await startTestCollector('sqlite', ['shop'], { dataDir });
    const db = env.plugin.index.db;
    await createUser(db, { username: 'owner', password: 'correct horse battery', roles: { shop: 'admin' } });
    token = (await createApiToken(db, { name: 'viewer', project: 'shop', operations: ['read'], createdBy: null }))
      .token;
    await ingest(env.url, 'shop', [{ session: 'chrome', tab: 'tab-1', seq: 0, start, end: start + 2, events }], {
      'user-agent': CHROME_ON_WINDOWS,
    });
    await waitForIndexed(env.plugin, 'shop', 'chrome', events.length);
    await waitForIndexed(env.plugin, 'shop', 'from-old-log', events.length);
  });
  afterAll(() => env?.stop());

  it('shows browser, OS and the raw user agent in GET /v1/sessions/:id', async () => {
    const session = await metadata('chrome');
    expect(session).toMatchObject({ browser: 'Chrome 131', os: 'Windows', userAgent: CHROME_ON_WINDOWS });
  });

  it('still stores and indexes a log record written before the user agent was carried', async () => {
    const session = await metadata('from-old-log');
    expect(session).toMatchObject({ browser: null, os: null, userAgent: null });
  });
});
