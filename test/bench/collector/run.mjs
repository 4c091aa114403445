// Durable acks per second of the collector (embedded log, fsync + group commit, writer running)
// for 8 KB batches, beside a bare Express echo in the same run; then p50/p99 at 1,000 batches/s.
// The writer (segments, gzip, AES-GCM, folder store) runs during every measurement; each collector
// run starts once the previous run's backlog is stored.
// Run alone: `npm run bench -- collector` (or `node test/bench/collector/run.mjs`).
import { spawn } from 'node:child_process';
import { Agent, request } from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import { batchFrame, collectorEnv, drained, frames, metricsHeaders } from './workload.mjs';

const here = dirname(fileURLToPath(import.meta.url));
// A collector serves many browsers at once; both targets get the same concurrency.
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 64);
/** Seconds per throughput run (autocannon ends `amount` runs on a whole-second tick, so runs are timed). */
const THROUGHPUT_SECONDS = Number(process.env.BENCH_SECONDS ?? 5);
/** Distinct batches per run, more than the collector can take in THROUGHPUT_SECONDS: a repeat would be a cheap duplicate. */
const THROUGHPUT_REQUESTS = Number(process.env.BENCH_REQUESTS ?? 25_000);
/** Echo and collector runs alternate this many times; the best of each counts (the machine is shared, noise only slows). */
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 2);
const FIXED_RATE = 1000;
const FIXED_SECONDS = Number(process.env.BENCH_FIXED_SECONDS ?? 8);

/** Node flags that let a child import TypeScript sources the way this script is run. */
const tsFlags = ['--conditions=@reprise/source', '--import', 'tsx'];

const children = new Set();
// Never leave a collector or echo behind, whatever happens to this script.
process.on('exit', () => {
  for (const child of children) child.kill('SIGKILL');
});

function startChild(script, env = {}) {
  const child = spawn(process.execPath, [...tsFlags, join(here, script)], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.add(child);
  child.once('exit', () => children.delete(child));
  let output = '';
  child.stderr.on('data', (chunk) => (output += chunk));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${script} did not start:\n${output}`)), 30_000);
    child.stdout.on('data', (chunk) => {
      output += chunk;
      const match = /listening on (http:\/\/[^\s]+)/.exec(output);
      if (match) {
        clearTimeout(timer);
        resolve({
          url: match[1],
          stop: () =>
            new Promise((done) => {
              child.once('exit', done);
              child.kill('SIGTERM');
            }),
        });
      }
    });
    child.once('exit', (code) => reject(new Error(`${script} exited with ${code}:\n${output}`)));
  });
}

function load(url, bodies, options) {
  let next = 0;
  return new Promise((resolve, reject) => {
    const instance = autocannon(
      {
        url: `${url}/v1/ingest`,
        method: 'POST',
        connections: CONNECTIONS,
        headers: { 'content-type': 'application/vnd.reprise.batch', origin: 'http://127.0.0.1:5173' },
        requests: [{ setupRequest: (request) => ({ ...request, body: bodies[next++ % bodies.length] }) }],
        ...options,
      },
      (error, result) => (error ? reject(error) : resolve(result)),
    );
    autocannon.track(instance, { renderProgressBar: false, renderResultsTable: false, renderLatencyTable: false });
  });
}

/**
 * Open-loop load at a steady rate: a request every 1/rate s whatever the answers do (autocannon's
 * overallRate releases each second's budget at once, which measures its own bursts).
 */
function steadyLoad(url, bodies, rate, seconds) {
  const agent = new Agent({ keepAlive: true, maxSockets: 256 });
  const target = new URL(`${url}/v1/ingest`);
  const latencies = [];
  let sent = 0;
  let failed = 0;
  let inFlight = 0;
  const started = performance.now();
  return new Promise((resolve) => {
    const send = () => {
      const body = bodies[sent++ % bodies.length];
      const at = performance.now();
      inFlight++;
      const req = request(
        {
          agent,
          host: target.hostname,
          port: target.port,
          path: target.pathname,
          method: 'POST',
          headers: {
            'content-type': 'application/vnd.reprise.batch',
            origin: 'http://127.0.0.1:5173',
            'content-length': body.byteLength,
          },
        },
        (res) => {
          res.resume();
          res.on('end', () => {
            latencies.push(performance.now() - at);
            if (res.statusCode !== 202) failed++;
            done();
          });
        },
      );
      req.on('error', () => {
        failed++;
        done();
      });
      req.end(body);
    };
    const done = () => {
      inFlight--;
      if (inFlight === 0 && sent >= rate * seconds) finish();
    };
    const finish = () => {
      agent.destroy();
      latencies.sort((a, b) => a - b);
      const pick = (q) => Math.round(latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? 0);
      resolve({
        requests: latencies.length,
        failed,
        per_s: Math.round(latencies.length / ((performance.now() - started) / 1000)),
        p50: pick(0.5),
        p99: pick(0.99),
      });
    };
    const timer = setInterval(() => {
      const due = Math.min(rate * seconds, Math.floor(((performance.now() - started) / 1000) * rate));
      while (sent < due) send();
      if (sent >= rate * seconds) clearInterval(timer);
    }, 1);
  });
}

/** Count of appends and of appends slower than 50 ms, from the collector's own histogram. */
async function appendBuckets(url) {
  const text = await (await fetch(`${url}/metrics`, { headers: metricsHeaders })).text();
  const value = (pattern) => Number(new RegExp(`^${pattern} (\\S+)$`, 'm').exec(text)?.[1] ?? 0);
  const count = value('reprise_log_append_duration_seconds_count');
  return {
    count,
    over50ms: count - value('reprise_log_append_duration_seconds_bucket\\{le="0.05"\\}'),
    loopMaxMs: Math.round(value('reprise_nodejs_eventloop_lag_max_seconds') * 1000),
  };
}

const rateOf = (result) => result.requests.total / THROUGHPUT_SECONDS;

const summary = (name, result) => ({
  name,
  requests: result.requests.total,
  '2xx': result['2xx'],
  non2xx: result.non2xx + result.errors + result.timeouts,
  per_s: Math.round(rateOf(result)),
  p50_ms: result.latency.p50,
  p99_ms: result.latency.p99,
});

const dataDir = mkdtempSync(join(tmpdir(), 'reprise-bench-collector-'));
const clearDataDir = mkdtempSync(join(tmpdir(), 'reprise-bench-collector-clear-'));
const echo = await startChild('echo-child.mjs');
const collector = await startChild('collector-child.mjs', collectorEnv(dataDir));
// The same collector with log records laid out as sealed but not encrypted: what sealing costs.
const clearLog = await startChild('collector-child.mjs', { ...collectorEnv(clearDataDir), BENCH_LOG_SEAL: 'none' });

try {
  const sample = batchFrame('size', 0);
  console.log(
    `body ${sample.byteLength} bytes; ${CONNECTIONS} connections; ${ROUNDS} x ${THROUGHPUT_SECONDS} s per target; ${FIXED_RATE}/s for ${FIXED_SECONDS} s for latency`,
  );
  const fixedFrames = frames('fixed', FIXED_RATE * FIXED_SECONDS + CONNECTIONS);
  // Warm up both (JIT, connection pools) with bodies the measured runs do not reuse.
  await load(echo.url, frames('warm', 500), { amount: 500 });
  await load(collector.url, frames('warm', 500), { amount: 500 });
  await load(clearLog.url, frames('warm', 500), { amount: 500 });

  const best = (results) => results.reduce((a, b) => (rateOf(b) > rateOf(a) ? b : a));
  const echoRuns = [];
  const ackRuns = [];
  const clearRuns = [];
  for (let round = 0; round < ROUNDS; round++) {
    // Fresh sessions every round: a repeated batch would be a cheap duplicate, not a durable write.
    const bodies = frames(`max${round}-`, THROUGHPUT_REQUESTS);
    // Each run starts with both collectors' writers idle: a backlog would share the CPU.
    const bothDrained = () => Promise.all([drained(collector.url), drained(clearLog.url)]);
    await bothDrained();
    echoRuns.push(await load(echo.url, bodies, { duration: THROUGHPUT_SECONDS }));
    // The two collectors take turns going first, so that neither always runs right after the echo.
    const order = round % 2 === 0 ? [collector, clearLog] : [clearLog, collector];
    for (const target of order) {
      await bothDrained();
      const run = await load(target.url, bodies, { duration: THROUGHPUT_SECONDS });
      if (run.requests.total > bodies.length)
        throw new Error(
          `the collector took more than ${bodies.length} batches in ${THROUGHPUT_SECONDS} s: raise BENCH_REQUESTS so no batch repeats`,
        );
      (target === collector ? ackRuns : clearRuns).push(run);
    }
  }
  const echoResult = best(echoRuns);
  const acksResult = best(ackRuns);
  const clearResult = best(clearRuns);
  await Promise.all([drained(collector.url), drained(clearLog.url)]);
  const before = await appendBuckets(collector.url);
  const fixed = await steadyLoad(collector.url, fixedFrames, FIXED_RATE, FIXED_SECONDS);
  const after = await appendBuckets(collector.url);
  const rows = [
    summary('echo (bare Express), best', echoResult),
    summary('collector, max, best', acksResult),
    summary('collector, log not encrypted, max, best', clearResult),
    {
      name: `collector, steady ${FIXED_RATE}/s`,
      requests: fixed.requests,
      '2xx': fixed.requests - fixed.failed,
      non2xx: fixed.failed,
      per_s: fixed.per_s,
      p50_ms: fixed.p50,
      p99_ms: fixed.p99,
    },
  ];
  console.table(rows);
  for (const result of [...ackRuns, ...clearRuns]) {
    const failed = result.non2xx + result.errors + result.timeouts;
    if (failed > 0) throw new Error(`${failed} collector requests were not acknowledged`);
  }
  if (fixed.failed > 0) throw new Error(`${fixed.failed} collector requests were not acknowledged at ${FIXED_RATE}/s`);
  // Where the steady run's tail came from: fsync (append) or the event loop (CPU, GC, other processes).
  const slowAppends = after.over50ms - before.over50ms;
  console.log(
    `steady run: ${slowAppends} of ${after.count - before.count} log appends took over 50 ms; event-loop delay max ${after.loopMaxMs} ms; load average ${(
      await import('node:os')
    )
      .loadavg()
      .map((v) => v.toFixed(1))
      .join(' ')}`,
  );
  const acks = rows[1].per_s;
  const echoPerS = rows[0].per_s;
  // Goal (issue 13): sealing the log costs at most 10 % of the acks.
  const sealCost = 1 - acks / rows[2].per_s;
  console.log(
    `BENCH collector acks_per_s=${acks} echo_per_s=${echoPerS} ratio=${(acks / echoPerS).toFixed(2)} p99_ms=${fixed.p99} clear_log_acks_per_s=${rows[2].per_s} log_seal_cost=${sealCost.toFixed(3)}`,
  );
} finally {
  await collector.stop();
  await clearLog.stop();
  await echo.stop();
  rmSync(dataDir, { recursive: true, force: true });
  rmSync(clearDataDir, { recursive: true, force: true });
}
