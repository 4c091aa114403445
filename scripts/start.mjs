// `npm start`: the main job on the embedded default. Builds what is stale, then runs
//   - the collector (ingest + playback API + admin UI) on http://127.0.0.1:4400, data in ./.reprise
//   - the React playground on http://127.0.0.1:5173, recording to that collector
//     (`npm start -- angular` for the Angular one).
// Ctrl-C stops both (the collector drains its log first).
import { spawn, spawnSync } from 'node:child_process';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(fileURLToPath(new URL('..', import.meta.url)));
const collectorPort = process.env.REPRISE_PORT ?? '4400';
const playgroundPort = process.env.PLAYGROUND_PORT ?? '5173';
const endpoint = `http://127.0.0.1:${collectorPort}`;
const playground = process.argv[2] ?? 'react';
// The Angular playground is static files in dist/browser; its endpoint is a meta tag in its index
// (the default collector port), so `vite preview` serves it as it is.
const preview = { react: [], angular: ['--outDir', 'dist/browser'] }[playground];
if (!preview) {
  console.error(`[start] unknown playground "${playground}": use react or angular.`);
  process.exit(1);
}
if (playground === 'angular' && collectorPort !== '4400') console.warn('[start] the Angular playground records to port 4400: edit the reprise-endpoint meta tag in playground/angular/src/index.html.');

console.log('[start] building (turbo caches what has not changed)...');
const build = spawnSync('npx', ['turbo', 'run', 'build', '--output-logs=errors-only'], {
  cwd: root,
  stdio: 'inherit',
  env: { ...process.env, VITE_REPRISE_ENDPOINT: endpoint },
});
if (build.status !== 0) process.exit(build.status ?? 1);

const children = [];
function run(name, cmd, args, options) {
  const child = spawn(cmd, args, { stdio: 'inherit', ...options });
  child.on('exit', (code, signal) => {
    if (!stopping) {
      console.error(`[start] ${name} exited (${signal ?? code}); stopping everything.`);
      stop(code ?? 1);
    }
  });
  children.push(child);
  return child;
}

let stopping = false;
function stop(code = 0) {
  if (stopping) return;
  stopping = true;
  for (const child of children) child.kill('SIGTERM');
  setTimeout(() => process.exit(code), 5000).unref();
  Promise.all(children.map((child) => new Promise((done) => (child.exitCode !== null ? done() : child.on('exit', done))))).then(() => process.exit(code));
}
process.on('SIGINT', () => stop(0));
process.on('SIGTERM', () => stop(0));

run('collector', process.execPath, [resolve(root, 'server/bin/reprise-collector.js')], {
  cwd: root,
  env: { REPRISE_PORT: collectorPort, REPRISE_HOST: '127.0.0.1', ...process.env },
});
run('playground', 'npx', ['vite', 'preview', '--host', '127.0.0.1', '--port', playgroundPort, '--strictPort', ...preview], {
  cwd: resolve(root, `playground/${playground}`),
  env: { ...process.env, VITE_REPRISE_ENDPOINT: endpoint },
});

setTimeout(() => {
  console.log(`
[start] Reprise is running:
  playground (records to the collector): http://127.0.0.1:${playgroundPort}/
  admin UI (watch your session):         ${endpoint}/   (first start: open the setup link printed above)
  collector API:                         ${endpoint}/v1/ingest, /healthz (/metrics needs REPRISE_METRICS_TOKEN or REPRISE_METRICS_PORT)
Press Ctrl-C to stop.`);
}, 2500).unref();
