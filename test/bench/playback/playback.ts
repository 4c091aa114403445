// npm run bench -- playback (test/bench/README.md): long sessions stored through a real collector
// and opened in the admin UI in Chromium, beside plain rrweb's Replayer given the whole session.
import type { CDPSession, Frame, Page } from 'playwright-core';
import { replayFrame } from '../../fixtures/admin/replay-frame.js';
import type { RecordedEvent } from '@reprise/protocol';
import { launchBrowser, serve, type TestBrowser } from '../../harness/index.js';
import { recordWorkload } from '../workload/record.js';
import { benchLine, printTable } from '../lib.js';
import { ingestSession, loginAdmin, startPlaybackCollector, type PlaybackCollector } from './collector.js';
import { longSession } from './session.js';

const LENGTHS = (process.env.REPRISE_BENCH_PLAYBACK_MINUTES ?? '30,120')
  .split(',')
  .map((minutes) => Number(minutes) * 60_000);
const SEEKS = Number(process.env.REPRISE_BENCH_PLAYBACK_SEEKS ?? 100);
const COLD_SEEKS = 10;
const VIEWPORT = { width: 1600, height: 1000 };

export interface Figures {
  first_frame_ms: number;
  seek_p50_ms: number;
  seek_p95_ms: number;
  heap_mb: number;
  bytes_before_first_frame: number;
  /** When the whole session had loaded (ms after navigation start). */
  loaded_ms?: number;
  /** Seeks made right after the first frame, while the session was still loading. */
  cold_seek_p50_ms?: number;
  cold_seek_max_ms?: number;
  /**
   * What the player's segment archive holds (compressed Blobs, outside the JS heap that `heap_mb`
   * counts), read from the player's internals: a figure for the bench, not an API.
   */
  archive_mb?: number;
}

/**
 * Records when the first replayed frame is painted (two animation frames after it is drawn), on
 * the clock of epoch ms: the player runs in the admin UI's replay frame, whose own clock starts
 * when the frame does.
 */
const FIRST_FRAME_PROBE = `
window.__bench = {};
window.__benchPainted = () => requestAnimationFrame(() => requestAnimationFrame(() => {
  if (window.__bench.firstFrame !== undefined) return;
  window.__bench.firstFrame = performance.timeOrigin + performance.now();
  window.__bench.bytes = window.reprisePlayer ? window.reprisePlayer.getProgress().bytes : undefined;
  window.__benchFirstFrame('painted');
}));
new MutationObserver((_, observer) => {
  if (!document.querySelector('.rp-player.rp-ready')) return;
  observer.disconnect();
  window.__benchPainted();
}).observe(document, { subtree: true, childList: true, attributes: true, attributeFilter: ['class'] });
// On the admin page: the moment the replay frame is in its place on the page, where the viewer sees it
// (a player started early runs unseen until the page has rendered its container).
if (window === top) new MutationObserver((_, observer) => {
  const frame = document.querySelector('iframe.reprise-player-frame');
  if (!frame || frame.closest('[inert]')) return;
  observer.disconnect();
  requestAnimationFrame(() => requestAnimationFrame(() => {
    window.__bench.placed = performance.timeOrigin + performance.now();
    window.__benchFirstFrame('placed');
  }));
}).observe(document, { subtree: true, childList: true });
`;

/**
 * `reported` resolves when the page reports its first painted frame (the probe calls
 * `__benchFirstFrame`). Wrapped in an object: an async function returning the promise itself would
 * wait for it, before the page has even been opened.
 */
async function firstFrameReported(page: Page, needs: string[] = []): Promise<{ reported: Promise<void> }> {
  let resolveFirst: () => void = () => {};
  const reported = new Promise<void>((resolve) => (resolveFirst = resolve));
  const seen = new Set<string>();
  await page.exposeFunction('__benchFirstFrame', (what?: string) => {
    if (what) seen.add(what);
    if (needs.every((need) => seen.has(need))) resolveFirst();
  });
  return { reported };
}

/** The JS heap of the given documents (the admin page and its replay frame run in two processes). */
async function heapMb(...sessions: CDPSession[]): Promise<number> {
  let used = 0;
  for (const cdp of sessions) {
    await cdp.send('HeapProfiler.collectGarbage');
    used += (await cdp.send('Runtime.getHeapUsage')).usedSize;
  }
  return Math.round((used / 1024 / 1024) * 10) / 10;
}

async function figures(
  cdp: CDPSession[],
  firstFrameMs: number,
  seeks: number[],
  bytesBeforeFirstFrame: number,
): Promise<Figures> {
  return {
    first_frame_ms: Math.round(firstFrameMs),
    seek_p50_ms: percentile(seeks, 0.5),
    seek_p95_ms: percentile(seeks, 0.95),
    heap_mb: await heapMb(...cdp),
    bytes_before_first_frame: bytesBeforeFirstFrame,
  };
}

function percentile(values: number[], share: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return Math.round(sorted[Math.min(sorted.length - 1, Math.floor(share * sorted.length))]!);
}

/** Random moments, the same for both players (a fixed seed). */
function seekTargets(lengthMs: number, count: number): number[] {
  let state = 0x9e3779b9 ^ lengthMs;
  const random = () => {
    state = (state + 0x6d2b79f5) | 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return Array.from({ length: count }, () => Math.round(random() * lengthMs));
}

/**
 * Time each seek until its frame is painted (two animation frames after the seek's frame is drawn).
 * `seekSource` is page script ending in a function that seeks (and may return a promise). Sent as
 * text: tsx would wrap functions passed to evaluate in a helper the page does not have.
 */
async function timeSeeks(page: Page | Frame, seekSource: string, targets: number[]): Promise<number[]> {
  return (await page.evaluate(`(async () => {
    const seek = ${seekSource};
    const measured = [];
    for (const target of ${JSON.stringify(targets)}) {
      const started = performance.now();
      const timedOut = await Promise.race([Promise.resolve(seek(target)).then(() => false), new Promise((resolve) => setTimeout(() => resolve(true), 30000))]);
      if (timedOut) throw new Error('seek to ' + target + ' did not land in 30 s');
      await new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(resolve)));
      measured.push(performance.now() - started);
    }
    return measured;
  })()`)) as number[];
}

/** The admin UI's session page: first frame as it opens, then paused seeks through the player. */
async function measureAdmin(
  browser: TestBrowser,
  running: PlaybackCollector,
  sessionId: string,
  lengthMs: number,
): Promise<Figures> {
  const page = await browser.newPage();
  page.on('pageerror', (error) => console.error('admin page error:', error));
  try {
    const cdp = await page.context().newCDPSession(page);
    const { reported: firstFrame } = await firstFrameReported(page, ['painted', 'placed']);
    await page.addInitScript(FIRST_FRAME_PROBE);
    await page.goto(`${running.url}/sessions/${sessionId}?project=dev`, { waitUntil: 'commit' });
    await Promise.race([
      firstFrame,
      new Promise((_, reject) =>
        setTimeout(() => reject(new Error('[bench playback] no first frame in 120 s')), 120_000),
      ),
    ]);
    // The player runs in the replay frame: its figures are read there, its clock taken as epoch ms.
    const frame = await replayFrame(page);
    const pageOrigin = (await page.evaluate('performance.timeOrigin')) as number;
    // Bytes of the playback stream the player had read (decompressed) when the first frame was painted.
    const { firstFrame: paintedAt, bytes: bytesBeforeFirstFrame } = await frame.evaluate(
      () => (window as unknown as { __bench: { firstFrame: number; bytes: number } }).__bench,
    );
    // Painted in the frame and the frame in its place: the later of the two is when the viewer sees it.
    const placedAt = (await page.evaluate('window.__bench.placed')) as number;
    const firstFrameAt = Math.max(paintedAt, placedAt);
    console.log(
      `${sessionId}: first frame painted in the replay frame at ${Math.round(paintedAt - pageOrigin)} ms, the frame in its place at ${Math.round(placedAt - pageOrigin)} ms`,
    );
    // A seek counts once the player is at its moment (it may have had to load it first).
    const seekSource = `((player) => {
      player.pause();
      window.__wrong = 0;
      return (target) => player.seek(target).then(() => { if (Math.abs(player.getCurrentTime() - target) > 1) window.__wrong++; });
    })(window.reprisePlayer)`;
    // Right after the first frame, while the rest of the session is still loading.
    const cold = await timeSeeks(frame, seekSource, seekTargets(lengthMs + 1, COLD_SEEKS));
    const loadedAt = await frame.evaluate(async () => {
      const player = (window as unknown as { reprisePlayer: { getProgress(): { done: boolean } } }).reprisePlayer;
      const deadline = performance.now() + 180_000;
      while (!player.getProgress().done) {
        if (performance.now() > deadline)
          throw new Error('[bench playback] the session did not finish loading in 180 s');
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      return performance.timeOrigin + performance.now();
    });
    // Then with the whole session loaded, as the baseline has it.
    const times = await timeSeeks(frame, seekSource, seekTargets(lengthMs, SEEKS));
    const wrong = (await frame.evaluate('window.__wrong')) as number;
    if (wrong > 0) throw new Error(`[bench playback] ${wrong} of ${SEEKS} seeks did not land on their moment`);
    const archiveBytes = (await frame.evaluate(
      'window.reprisePlayer.loader?.recording?.archive?.bytes ?? 0',
    )) as number;
    const sessions = [cdp];
    // A replay frame on another site runs in a process of its own, with a CDP target of its own.
    if (frame.parentFrame() && (await page.evaluate('location.origin')) !== (await frame.evaluate('location.origin')))
      sessions.push(await page.context().newCDPSession(frame));
    return {
      ...(await figures(sessions, firstFrameAt - pageOrigin, times, bytesBeforeFirstFrame)),
      archive_mb: Math.round((archiveBytes / 1024 / 1024) * 10) / 10,
      loaded_ms: Math.round(loadedAt - pageOrigin),
      cold_seek_p50_ms: percentile(cold, 0.5),
      cold_seek_max_ms: Math.round(Math.max(...cold)),
    };
  } finally {
    await page.close();
  }
}

/** Plain rrweb: fetch the whole session as one JSON array, give it to a Replayer, seek with pause(t). */
const BASELINE_HTML = `<!doctype html><html><head><meta charset="utf-8">
<link rel="stylesheet" href="/node_modules/@rrweb/replay/dist/style.css">
<script src="/node_modules/@rrweb/replay/dist/replay.umd.min.cjs"></script></head>
<body><div id="mount"></div><script>
window.__bench = {};
(async () => {
  const events = await (await fetch('/session.json')).json();
  window.replayer = new rrwebReplay.Replayer(events, { root: document.getElementById('mount'), showWarning: false, skipInactive: false, triggerFocus: false });
  // Draw the first snapshot now: from rrweb's own timer it would be skipped the first time a seek
  // reaches it again, and that page's changes applied to another page's DOM.
  window.replayer.pause(events.find((e) => e.type === 2).timestamp - events[0].timestamp + 1);
  requestAnimationFrame(() => requestAnimationFrame(() => { window.__bench.firstFrame = performance.now(); window.__benchFirstFrame(); }));
})();
</script></body></html>`;

async function measureBaseline(browser: TestBrowser, events: RecordedEvent[], lengthMs: number): Promise<Figures> {
  const json = JSON.stringify(events);
  const site = await serve({
    pages: { '/': BASELINE_HTML },
    routes: {
      '/session.json': (_req, res) => {
        res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-store' });
        res.end(json);
      },
    },
  });
  const page = await browser.newPage();
  try {
    const cdp = await page.context().newCDPSession(page);
    const { reported: firstFrame } = await firstFrameReported(page);
    await page.goto(`${site.url}/`, { waitUntil: 'commit' });
    await firstFrame;
    // Plain rrweb needs the whole session before its first frame.
    const bytesBeforeFirstFrame = Buffer.byteLength(json);
    const firstFrameMs = await page.evaluate(
      () => (window as unknown as { __bench: { firstFrame: number } }).__bench.firstFrame,
    );
    const times = await timeSeeks(page, '(target) => window.replayer.pause(target)', seekTargets(lengthMs, SEEKS));
    return {
      ...(await figures([cdp], firstFrameMs, times, bytesBeforeFirstFrame)),
      loaded_ms: Math.round(firstFrameMs),
    };
  } finally {
    await page.close();
    await site.close();
  }
}

export async function runPlaybackBench(): Promise<void> {
  const workload = await recordWorkload();
  const running = await startPlaybackCollector();
  const browser = await launchBrowser({ viewport: VIEWPORT });
  try {
    await loginAdmin(browser, running);
    const results: Array<{ lengthMs: number; events: number; reprise: Figures; rrweb: Figures }> = [];
    for (const lengthMs of LENGTHS) {
      // Ended an hour ago, so nothing in it is "live".
      const events = longSession(workload, lengthMs, Date.now() - lengthMs - 3_600_000);
      const sessionId = `bench-playback-${lengthMs / 60_000}m-${Date.now().toString(36)}`;
      const ingestStarted = performance.now();
      const segments = await ingestSession(running, sessionId, events);
      console.log(
        `${lengthMs / 60_000}-minute session: ${events.length} events in ${segments.length} segments, stored and indexed in ${Math.round(performance.now() - ingestStarted)} ms`,
      );
      // Warm the admin UI's assets once, as a viewer who opened the list first.
      const warm = await browser.newPage();
      await warm.goto(`${running.url}/sessions`);
      await warm.close();
      const reprise = await measureAdmin(browser, running, sessionId, lengthMs);
      const rrweb = await measureBaseline(browser, events, lengthMs);
      results.push({ lengthMs, events: events.length, reprise, rrweb });
    }
    const keys = [
      'first_frame_ms',
      'seek_p50_ms',
      'seek_p95_ms',
      'heap_mb',
      'archive_mb',
      'bytes_before_first_frame',
      'loaded_ms',
      'cold_seek_p50_ms',
      'cold_seek_max_ms',
    ] as const;
    for (const { lengthMs, events, reprise, rrweb } of results) {
      printTable(
        `Playback of a ${lengthMs / 60_000}-minute session (${events} events), ${SEEKS} paused seeks`,
        ['figure', 'Reprise admin UI', 'plain rrweb Replayer (whole session)'],
        keys.map((key) => [key, reprise[key] ?? '-', rrweb[key] ?? '-']),
      );
    }
    console.log(
      `seek_*: ${SEEKS} paused seeks once the session has loaded (the baseline has it all from the start); cold_seek_*: ${COLD_SEEKS} seeks right after the first frame, while it loads.`,
    );
    console.log(
      'Goals (issue 19): first frame < 1000 ms for 2 hours, seek p95 < 300 ms, heap not growing with the length.',
    );
    for (const { lengthMs, reprise, rrweb } of results) {
      const {
        first_frame_ms,
        seek_p50_ms,
        seek_p95_ms,
        heap_mb,
        archive_mb = 0,
        bytes_before_first_frame,
        cold_seek_p50_ms = 0,
        cold_seek_max_ms = 0,
      } = reprise;
      benchLine('playback', {
        length_min: lengthMs / 60_000,
        first_frame_ms,
        seek_p50_ms,
        seek_p95_ms,
        heap_mb,
        archive_mb,
        bytes_before_first_frame,
        cold_seek_p50_ms,
        cold_seek_max_ms,
        rrweb_first_frame_ms: rrweb.first_frame_ms,
        rrweb_seek_p50_ms: rrweb.seek_p50_ms,
        rrweb_seek_p95_ms: rrweb.seek_p95_ms,
        rrweb_heap_mb: rrweb.heap_mb,
        rrweb_bytes_before_first_frame: rrweb.bytes_before_first_frame,
      });
    }
  } catch (error) {
    // Said before stopping: a run that failed (a seek that never landed, say) once sat silent here
    // with its browser closed, as if stalled, while the collector stopped.
    console.error('[bench playback] failed:', error);
    throw error;
  } finally {
    await browser.close();
    await running.stop();
  }
}
