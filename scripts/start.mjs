// `npm start [-- react|vue|...]`: the main job on the embedded default. Builds what is stale, then runs
//   - the collector (ingest + playback API + admin UI) on http://127.0.0.1:4400, data in ./.reprise
//   - a playground (playground/<framework>, React by default) on http://127.0.0.1:5173, recording
//     to that collector: `npm start -- vue`, `npm start -- angular`.
// REPRISE_PORT and PLAYGROUND_PORT choose other ports (REPRISE_* configures the collector).
// Ctrl-C stops both (the collector drains its log first).
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(fileURLToPath(new URL('..', import.meta.url)));
const collectorPort = process.env.REPRISE_PORT ?? '4400';
const playgroundPort = process.env.PLAYGROUND_PORT ?? '5173';
const endpoint = `http://127.0.0.1:${collectorPort}`;
const framework = process.argv[2] ?? 'react';
const playgroundDir = resolve(root, 'playground', framework);
if (!/^[a-z0-9-]+$/.test(framework) || !existsSync(resolve(playgroundDir, 'package.json'))) {
  const known = readdirSync(resolve(root, 'playground')).filter((name) =>
    existsSync(resolve(root, 'playground', name, 'package.json')),
  );
  console.error(`[start] no playground "${framework}": use one of ${known.join(', ')} (npm start -- ${known.at(-1)}).`);
  process.exit(2);
}

const playgroundPackage = JSON.parse(readFileSync(resolve(playgroundDir, 'package.json'), 'utf8')).name;
// The Vite playgrounds get the collector's URL at build time. The Angular one is built by its own
// (turbo) build into dist/browser, its endpoint a meta tag in its index (the default collector port).
const isAngular = framework === 'angular';
if (isAngular && collectorPort !== '4400')
  console.warn(
    '[start] the Angular playground records to port 4400: edit the reprise-endpoint meta tag in playground/angular/src/index.html.',
  );

// The packages without VITE_REPRISE_ENDPOINT, so turbo's cache (from `npm test` or an earlier start)
// holds whatever the collector's port; then only the playground is built with the endpoint in it.
console.log('[start] building (turbo caches what has not changed)...');
const { VITE_REPRISE_ENDPOINT: _ignored, ...packageEnv } = process.env;
const build = spawnSync(
  'npx',
  [
    'turbo',
    'run',
    'build',
    '--output-logs=errors-only',
    '--filter=@reprise/collector...',
    `--filter=${playgroundPackage}${isAngular ? '' : '^'}...`,
  ],
  {
    cwd: root,
    stdio: 'inherit',
    env: packageEnv,
  },
);
if (build.status !== 0) process.exit(build.status ?? 1);
if (!isAngular) {
  const playgroundBuild = spawnSync('npx', ['vite', 'build', '--logLevel', 'warn'], {
    cwd: playgroundDir,
    stdio: 'inherit',
    env: { ...process.env, VITE_REPRISE_ENDPOINT: endpoint },
  });
  if (playgroundBuild.status !== 0) process.exit(playgroundBuild.status ?? 1);
}

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
  Promise.all(
    children.map((child) => new Promise((done) => (child.exitCode !== null ? done() : child.on('exit', done)))),
  ).then(() => process.exit(code));
}
process.on('SIGINT', () => stop(0));
process.on('SIGTERM', () => stop(0));

run('collector', process.execPath, [resolve(root, 'server/bin/reprise-collector.js')], {
  cwd: root,
  env: { REPRISE_PORT: collectorPort, REPRISE_HOST: '127.0.0.1', ...process.env },
});
run(
  'playground',
  'npx',
  [
    'vite',
    'preview',
    '--host',
    '127.0.0.1',
    '--port',
    playgroundPort,
    '--strictPort',
    ...(isAngular ? ['--outDir', 'dist/browser'] : []),
  ],
  {
    cwd: playgroundDir,
    env: { ...process.env, VITE_REPRISE_ENDPOINT: endpoint },
  },
);

setTimeout(() => {
  console.log(`
[start] Reprise is running:
  ${framework} playground (records to the collector): http://127.0.0.1:${playgroundPort}/
  admin UI (watch your session):         ${endpoint}/   (the first start prints a one-time setup link above; after that, sign in)
  collector API:                         ${endpoint}/v1/ingest, /healthz (/metrics needs REPRISE_METRICS_TOKEN or REPRISE_METRICS_PORT)
Press Ctrl-C to stop.`);
}, 2500).unref();
