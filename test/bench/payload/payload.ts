import { gzipSync } from 'node:zlib';
import { Zlib } from 'fflate';
import type { RecordedEvent } from '@reprise/protocol';
import { launchBrowser, startIngestServer } from '../../harness/index.js';
import { DEFAULT_WORKLOAD_MS, SIMULATED_SECONDS, countMutations, runWorkload } from '../workload/workload.js';
import { windows } from '../codecs/compare.js';
import { benchLine, printTable, serveShop } from '../lib.js';

const PEER_BATCH_SECONDS = 5;
/** Reprise's default batch window (DEFAULT_MAX_BATCH_DELAY_MS), in simulated seconds. */
const REPRISE_BATCH_SECONDS = 30;

const sum = (values: number[]) => values.reduce((a, b) => a + b, 0);

/**
 * Sentry's method: one zlib stream per segment (one 5 s flush), each event pushed with a sync
 * flush as it arrives, the stream finished when the segment is sent.
 */
function zlibStreamPerSegment(events: RecordedEvent[]): number {
  let total = 0;
  const stream = new Zlib({ level: 6 }, (chunk) => {
    total += chunk.byteLength;
  });
  const encoder = new TextEncoder();
  events.forEach((event, index) => {
    stream.push(encoder.encode((index === 0 ? '[' : ',') + JSON.stringify(event)));
    (stream as unknown as { flush(): void }).flush();
  });
  stream.push(encoder.encode(']'), true);
  return total;
}

/** Not a peer (a lost batch would break every later one): the floor a cross-batch stream reaches. */
function zlibStreamWholeSession(events: RecordedEvent[]): number {
  return gzipSync(JSON.stringify(events)).byteLength;
}

export async function runPayloadBench(): Promise<void> {
  const durationMs = DEFAULT_WORKLOAD_MS;
  const realMsPerSecond = durationMs / SIMULATED_SECONDS;
  const ingest = await startIngestServer();
  const site = await serveShop({
    endpoint: ingest.url,
    keepEvents: true,
    delivery: { maxBatchDelayMs: REPRISE_BATCH_SECONDS * realMsPerSecond },
  });
  const browser = await launchBrowser();
  try {
    const page = await browser.newPage();
    await page.goto(`${site.url}/reprise`);
    const counts = await runWorkload(page, { durationMs });
    await page.waitForTimeout(700);
    const events = (await page.evaluate(async () => {
      const win = window as unknown as { __events: unknown[]; recorder: { flush(): Promise<void> } };
      const recorded = win.__events.slice();
      await win.recorder.flush();
      return recorded;
    })) as RecordedEvent[];
    const session = ingest.batches[0]?.batch.session ?? '';
    await ingest.waitFor(
      () => ingest.eventsOf(session).length >= events.length,
      30_000,
      'every recorded event at the collector',
    );

    const peerBatches = windows(events, PEER_BATCH_SECONDS * realMsPerSecond);
    const raw = Buffer.byteLength(JSON.stringify(events));
    const gzipPerBatch = sum(peerBatches.map((batch) => gzipSync(JSON.stringify(batch)).byteLength));
    const sentry = sum(peerBatches.map(zlibStreamPerSegment));
    const wholeSession = zlibStreamWholeSession(events);
    const reprise = sum(ingest.requests.filter((request) => request.status === 202).map((request) => request.bytes));
    const repriseBatches = ingest.batches.length;
    const bestPeer = Math.min(gzipPerBatch, sentry);
    const minutes = SIMULATED_SECONDS / 60;

    console.log(
      `workload: ${SIMULATED_SECONDS} simulated s in ${durationMs} ms; ${counts.mouseMoves} mouse moves, ${counts.clicks} clicks, ${counts.keystrokes} keystrokes, ${counts.routeChanges} route changes, ${countMutations(events)} DOM mutations (rrweb adds+removes+texts+attributes), ${counts.scrolls} scrolls; ${events.length} events recorded by Reprise`,
    );
    printTable(
      'Bytes for the standard workload (5 active minutes)',
      ['method', 'batches', 'bytes', 'per active min', 'x Reprise'],
      [
        ['raw rrweb JSON', 1, raw, Math.round(raw / minutes), (raw / reprise).toFixed(2)],
        [
          `rrweb JSON + gzip per ${PEER_BATCH_SECONDS} s batch (common peer method)`,
          peerBatches.length,
          gzipPerBatch,
          Math.round(gzipPerBatch / minutes),
          (gzipPerBatch / reprise).toFixed(2),
        ],
        [
          `rrweb JSON, one streamed zlib per ${PEER_BATCH_SECONDS} s segment (Sentry)`,
          peerBatches.length,
          sentry,
          Math.round(sentry / minutes),
          (sentry / reprise).toFixed(2),
        ],
        [
          '(not a peer) one gzip over the whole session',
          1,
          wholeSession,
          Math.round(wholeSession / minutes),
          (wholeSession / reprise).toFixed(2),
        ],
        [
          `Reprise on the wire (${REPRISE_BATCH_SECONDS} s batches, transforms, msgpack, deflate)`,
          repriseBatches,
          reprise,
          Math.round(reprise / minutes),
          '1.00',
        ],
      ],
    );
    console.log(
      `duplicates at the collector: ${ingest.duplicates}; frame bodies only (HTTP headers excluded for every method)`,
    );
    benchLine('payload', {
      reprise,
      best_peer: bestPeer,
      ratio: (reprise / bestPeer).toFixed(3),
      per_min: Math.round(reprise / minutes),
    });
  } finally {
    await browser.close();
    await site.close();
    await ingest.close();
  }
}
