// A real collector (ingest, writer, index, playback API, admin UI) for long sessions: shared by the
// playback bench and the long-session browser tests (test/e2e/player-long.test.ts).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encodeBatchFrame, type RecordedEvent } from '@reprise/protocol';
import { createCollector, resolveConfig, type Collector } from '../../../server/src/index.js';
import { adminUiPlugin } from '../../../server/src/admin-ui.js';
import { findSessionsById, listSegments } from '../../../server/src/index-db/sessions-store.js';
import type { SegmentRow } from '../../../server/src/index-db/schema.js';
import { sessionsPlugin, type SessionsPlugin } from '../../../server/src/sessions-api/plugin.js';
import type { TestBrowser } from '../../harness/index.js';
import { batchesOf } from './session.js';

export interface PlaybackCollector {
  collector: Collector;
  sessions: SessionsPlugin;
  url: string;
  objectsDir: string;
  setupToken: string;
  stop(): Promise<void>;
}

/** Loopback collector with the admin UI, on a fresh data dir; the default project `dev`. */
export async function startPlaybackCollector(): Promise<PlaybackCollector> {
  const dataDir = mkdtempSync(join(tmpdir(), 'reprise-playback-'));
  let setupLink = '';
  const sessions = sessionsPlugin({ onSetupLink: (link) => (setupLink = link) });
  // A segment per batch (cut past 1 KiB): what a recorder sending a batch every 30 s gets from the
  // default 10 s segment age, without waiting hours of wall time.
  const collector = await createCollector(
    resolveConfig({
      dataDir,
      port: 0,
      host: '127.0.0.1',
      segmentMaxBytes: 1024,
      logLevel: 'warn',
      // A whole recording arrives at once (a recorder sends a batch per 30 s): no rate limit applies.
      rateLimitPerSecond: 100_000,
      rateLimitBurst: 100_000,
      sessionRateLimitPerSecond: 100_000,
      sessionRateLimitBurst: 100_000,
    }),
    { plugins: [adminUiPlugin({ sessions }), sessions] },
  );
  const { url } = await collector.start();
  const setupToken = new URLSearchParams(setupLink.split('#')[1] ?? '').get('token') ?? '';
  if (!setupToken) throw new Error(`[playback collector] the collector printed no setup link (got "${setupLink}")`);
  return {
    collector,
    sessions,
    url,
    objectsDir: collector.config.objectsDir,
    setupToken,
    async stop() {
      await collector.stop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** Create the first admin through the one-time setup link: the browser context is logged in after. */
export async function loginAdmin(browser: TestBrowser, running: PlaybackCollector): Promise<void> {
  const setup = await browser.context.request.post(`${running.url}/v1/auth/setup`, {
    data: { token: running.setupToken, username: 'playback', password: 'playback password, long enough' },
  });
  if (!setup.ok()) throw new Error(`[playback collector] setup answered ${setup.status()}: ${await setup.text()}`);
}

/** Store a session through the ingest endpoint, a batch per 30 s of recording, and wait until it is indexed. */
export async function ingestSession(
  running: PlaybackCollector,
  sessionId: string,
  events: RecordedEvent[],
): Promise<SegmentRow[]> {
  const batches = batchesOf(events);
  for (const [seq, batch] of batches.entries()) {
    const body = encodeBatchFrame({
      v: 1,
      project: 'dev',
      session: sessionId,
      seq,
      tab: 'playback-tab',
      start: batch[0]!.timestamp,
      end: batch[batch.length - 1]!.timestamp,
      events: batch,
    });
    const response = await fetch(`${running.url}/v1/ingest`, {
      method: 'POST',
      headers: { 'content-type': 'application/vnd.reprise.batch', origin: 'http://127.0.0.1:5173' },
      body: Buffer.from(body),
    });
    if (response.status !== 202)
      throw new Error(`[playback collector] ingest answered ${response.status}: ${await response.text()}`);
  }
  const last = events[events.length - 1]!.timestamp;
  const deadline = Date.now() + 180_000;
  for (;;) {
    const [row] = await findSessionsById(running.sessions.index.db, sessionId);
    if (row && row.ended_at >= last && row.segment_count >= batches.length && running.collector.log.lag() === 0) {
      return listSegments(running.sessions.index.db, 'dev', sessionId);
    }
    if (Date.now() > deadline)
      throw new Error(`[playback collector] session ${sessionId} was not indexed in 180 s: ${JSON.stringify(row)}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}
