// The benchmark's workload, shared by run.mjs and profile.mjs so both measure the same thing.
import { encodeBatchFrame } from '@reprise/protocol';

export const TARGET_BODY_BYTES = 8 * 1024;

// Event text: random base64 compresses about as badly as real DOM text after rrweb's own
// dedupe, so an ~8 KB body carries ~8 KB of events.
const noise = Buffer.from(Array.from({ length: 1 << 20 }, () => Math.floor(Math.random() * 256))).toString('base64');
let noiseAt = 0;
function frameWith(session, seq, chars) {
  const now = Date.now();
  const events = [];
  for (let i = 0; i < 8; i++) {
    const take = Math.floor(chars / 8);
    if (noiseAt + take > noise.length) noiseAt = 0;
    events.push({
      type: 3,
      timestamp: now + i,
      data: {
        source: 0,
        texts: [{ id: i + 1, value: noise.slice(noiseAt, noiseAt + take) }],
        attributes: [],
        removes: [],
        adds: [],
      },
    });
    noiseAt += take;
  }
  return Buffer.from(
    encodeBatchFrame({ v: 1, project: 'bench', session, seq, tab: 't', start: now, end: now + 7, events }),
  );
}
// Calibrate the text size so the frame is ~8 KB.
let chars = 6000;
for (let i = 0; i < 6; i++)
  chars = Math.round(chars * (TARGET_BODY_BYTES / frameWith('calibrate', 0, chars).byteLength));

/** One ~8 KB batch frame (gzip, msgpack) of project key `bench`. */
export function batchFrame(session, seq) {
  return frameWith(session, seq, chars);
}

/** `count` frames, 50 batches per session, sessions named `{prefix}{n}`. */
export function frames(prefix, count, batchesPerSession = 50) {
  const list = [];
  for (let i = 0; i < count; i++)
    list.push(batchFrame(`${prefix}${Math.floor(i / batchesPerSession)}`, i % batchesPerSession));
  return list;
}

/** The bearer /metrics and the detailed /readyz ask for. */
export const BENCH_METRICS_TOKEN = 'bench-metrics-token-0123456789';
export const metricsHeaders = { authorization: `Bearer ${BENCH_METRICS_TOKEN}` };

/** The collector child's settings: loopback, no rate limit in the way, one project `bench`. */
export function collectorEnv(dataDir) {
  return {
    REPRISE_HOST: '127.0.0.1',
    REPRISE_PORT: '0',
    REPRISE_DATA_DIR: dataDir,
    REPRISE_LOG_LEVEL: 'warn',
    REPRISE_METRICS_TOKEN: BENCH_METRICS_TOKEN,
    REPRISE_RATE_LIMIT_PER_SECOND: '1000000',
    REPRISE_RATE_LIMIT_BURST: '1000000',
    // One load generator stands in for many browsers: its single address must not be limited.
    REPRISE_ADDRESS_RATE_LIMIT_PER_SECOND: '1000000',
    REPRISE_ADDRESS_RATE_LIMIT_BURST: '1000000',
    REPRISE_PROJECTS: JSON.stringify([{ id: 'bench', keys: ['bench'], origins: ['http://127.0.0.1:*'] }]),
  };
}

/** Wait until the collector's writer stored everything (its /readyz lag is 0): runs start, and CPU is counted, without a backlog. */
export async function drained(url) {
  for (let failures = 0; ;) {
    try {
      const ready = await (await fetch(`${url}/readyz`, { headers: metricsHeaders })).json();
      if (ready.lag === 0) return;
      failures = 0;
    } catch (error) {
      // A pooled keep-alive socket the server closed as this poll went out ("other side
      // closed"): the next poll opens a new one. Only a run of failures means the collector is gone.
      if (++failures >= 5) throw error;
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}
