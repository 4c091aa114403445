// Where the collector's CPU goes under the benchmark's load: runs collector-child.mjs with
// --cpu-prof, drives it with the benchmark's 8 KB batches on 64 connections for a few seconds
// (writer running), stops it, and prints, for the load's span alone, each thread's busy time per
// request and its self time by function and by file.
// `node --conditions=@reprise/source --import tsx test/bench/collector/profile.mjs [seconds]`
// (from test/). NO_PROFILE=1 measures CPU per batch without the profiler's overhead;
// COLLECTOR_CHILD=<path> runs another collector child (e.g. a checkout of an older commit).
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import { collectorEnv, drained, frames } from './workload.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const seconds = Number(process.argv[2] ?? 8);
const profileDir = mkdtempSync(join(tmpdir(), 'reprise-profile-'));
const dataDir = mkdtempSync(join(tmpdir(), 'reprise-profile-data-'));

const profileFlags = process.env.NO_PROFILE ? [] : ['--cpu-prof', `--cpu-prof-dir=${profileDir}`];
const child = spawn(
  process.execPath,
  [
    '--conditions=@reprise/source',
    '--import',
    'tsx',
    ...profileFlags,
    process.env.COLLECTOR_CHILD ?? join(here, 'collector-child.mjs'),
  ],
  {
    env: { ...process.env, ...collectorEnv(dataDir) },

    stdio: ['ignore', 'pipe', 'inherit'],
  },
);
const url = await new Promise((resolve, reject) => {
  let output = '';
  child.stdout.on('data', (chunk) => {
    output += chunk;
    const match = /listening on (http:\/\/[^\s]+)/.exec(output);
    if (match) resolve(match[1]);
  });
  child.once('exit', (code) => reject(new Error(`collector exited with ${code}`)));
});

/** CPU seconds (user + system, all threads) the collector process used so far, from /proc. */
function cpuSeconds() {
  const fields = readFileSync(`/proc/${child.pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}
const bodies = frames('p', 40_000);
let next = 0;
const cpuBefore = cpuSeconds();
// The load's span on the monotonic clock V8 stamps its samples with: the figures below are of
// this span alone, not of start-up or of the writer draining afterwards.
const loadFrom = Number(process.hrtime.bigint() / 1000n);
const result = await new Promise((resolve, reject) => {
  autocannon(
    {
      url: `${url}/v1/ingest`,
      method: 'POST',
      connections: 64,
      duration: seconds,
      headers: { 'content-type': 'application/vnd.reprise.batch', origin: 'http://127.0.0.1:5173' },
      requests: [{ setupRequest: (request) => ({ ...request, body: bodies[next++ % bodies.length] }) }],
    },
    (error, done) => (error ? reject(error) : resolve(done)),
  );
});
const cpuLoad = cpuSeconds() - cpuBefore;
const loadTo = Number(process.hrtime.bigint() / 1000n);
await drained(url);
const cpuAll = cpuSeconds() - cpuBefore;
console.log(
  `load: ${result.requests.total} requests in ${seconds} s (${Math.round(result.requests.total / seconds)}/s), non-2xx ${result.non2xx}, body ${bodies[0].byteLength} bytes`,
);
console.log(
  `collector CPU (all threads): ${((cpuLoad * 1e6) / result.requests.total).toFixed(0)} us per batch during the load, ${((cpuAll * 1e6) / result.requests.total).toFixed(0)} us per batch until the writer drained`,
);
await new Promise((resolve) => {
  child.once('exit', resolve);
  child.kill('SIGTERM');
});

const files = readdirSync(profileDir).filter((name) => name.endsWith('.cpuprofile'));
for (const name of files) {
  const profile = JSON.parse(readFileSync(join(profileDir, name), 'utf8'));
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const self = new Map();
  const dt = profile.timeDeltas;
  let at = profile.startTime;
  for (let i = 0; i < profile.samples.length; i++) {
    at += dt[i] ?? 0;
    if (at >= loadFrom && at <= loadTo)
      self.set(profile.samples[i], (self.get(profile.samples[i]) ?? 0) + (dt[i] ?? 0));
  }
  const total = [...self.values()].reduce((a, b) => a + b, 0);
  const idle = [...self].filter(([id]) => byId.get(id).callFrame.functionName === '(idle)');
  const busy = total - idle.reduce((sum, [, micros]) => sum + micros, 0);
  const byFunction = new Map();
  const byFile = new Map();
  for (const [id, micros] of self) {
    const { callFrame } = byId.get(id);
    const file =
      callFrame.url
        .replace(/^file:\/\//, '')
        .replace(/.*node_modules\//, 'nm:')
        .replace(/.*\/work\/main\//, '') || `(${callFrame.functionName || 'native'})`;
    const fn = `${callFrame.functionName || '(anonymous)'} ${file}:${callFrame.lineNumber + 1}`;
    byFunction.set(fn, (byFunction.get(fn) ?? 0) + micros);
    const fileKey = file.startsWith('nm:')
      ? file
          .split('/')
          .slice(0, file.startsWith('nm:@') ? 2 : 1)
          .join('/')
      : file;
    byFile.set(fileKey, (byFile.get(fileKey) ?? 0) + micros);
  }
  const top = (map, n) =>
    [...map]
      .sort((a, b) => b[1] - a[1])
      .slice(0, n)
      .map(([key, micros]) => `${((100 * micros) / total).toFixed(1).padStart(5)}%  ${key}`)
      .join('\n');
  console.log(
    `\n== ${name}: during the load ${(total / 1e6).toFixed(1)} s sampled, ${(busy / 1e6).toFixed(2)} s busy: ${(busy / Math.max(1, result.requests.total)).toFixed(0)} us per request\n-- self time by function\n${top(byFunction, 40)}\n-- by file / package\n${top(byFile, 25)}`,
  );
}
rmSync(dataDir, { recursive: true, force: true });
if (!process.env.KEEP_PROFILE) rmSync(profileDir, { recursive: true, force: true });
else console.log(`profiles kept in ${profileDir}; the load's span on their clock: ${loadFrom} ${loadTo} (µs)`);
