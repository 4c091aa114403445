// npm run bench -- weight: what a page downloads before it records (issue 15's table), gzip -9:
// the script-tag IIFE, the delivery worker, and an app bundled with esbuild (apps.esbuild.mjs)
// importing createRecorder, or the React adapter's RecorderProvider. Only an app's initial chunk
// counts; chunks it imports lazily and the worker asset are listed apart.
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { spawnSync } from 'node:child_process';
import { APP_GOALS, gz, measureApp } from './measure.mjs';

const root = fileURLToPath(new URL('../../../', import.meta.url));
// bench.mjs builds @reprise/core and what it depends on; the React app needs the adapter too
// (REPRISE_WEIGHT_NO_BUILD=1 skips this when the dist folders are fresh).
const built = process.env.REPRISE_WEIGHT_NO_BUILD
  ? { status: 0 }
  : spawnSync('npx', ['turbo', 'run', 'build', '--filter=@reprise/react...', '--output-logs=errors-only'], {
      cwd: root,
      stdio: 'inherit',
    });
if (built.status !== 0)
  throw new Error('[weight] Building @reprise/react failed; fix the build, then run the benchmark again.');

// kB of 1000 bytes, as size-limit counts.
const kb = (bytes) => (bytes / 1000).toFixed(1);
const fileGz = (path) => gz(readFileSync(resolve(root, path)));

const iife = fileGz('packages/core/dist/reprise.iife.js');
// Fetched by reprise.iife.js at start(), while rrweb already records: after recording starts.
const rest = fileGz('packages/core/dist/reprise.recorder.js');
const worker = fileGz('packages/core/dist/reprise.worker.js');
const loader = fileGz('packages/core/dist/reprise.loader.js');
const esm = await measureApp('esm-app');
const react = await measureApp('react-app');
const lazy = await measureApp('lazy-app');
const esmApp = esm.initial;
const reactApp = react.initial;

const rows = [
  ['reprise.iife.js (script tag, before recording starts)', iife, 30_000],
  ['reprise.recorder.js (the rest, fetched at start() while recording)', rest, undefined],
  ['  script tag in all: iife + rest', iife + rest, undefined],
  ['reprise.worker.js (delivery worker)', worker, 10_000],
  ['reprise.loader.js (script-tag loader)', loader, undefined],
  ['app with createRecorder, initial chunk (esbuild, all deps)', esmApp, APP_GOALS.esmInitial],
  ['app with RecorderProvider, initial chunk (React external)', reactApp, esmApp + APP_GOALS.reactOverEsm],
  ['  RecorderProvider over createRecorder', reactApp - esmApp, APP_GOALS.reactOverEsm],
  ['app with createRecorder, every chunk incl. lazy ones', esm.all, undefined],
  ['app with @reprise/core/lazy, initial chunk (records after the page loads)', lazy.initial, undefined],
];
console.log('| what | gzip -9 kB | goal kB |\n|---|---:|---:|');
for (const [name, bytes, goal] of rows)
  console.log(`| ${name} | ${kb(bytes)} | ${goal === undefined ? '' : kb(goal)} |`);
console.log(`chunks of the app with createRecorder: ${esm.chunks.join(', ')}`);
// Issue 15's goals: .size-limit.json enforces the script tag's and the worker's in CI, and
// budget.mjs the apps' (npm test runs both).
const goals = rows.filter(([, , goal]) => goal !== undefined);
const met = goals.filter(([, bytes, goal]) => bytes <= goal).length;
console.log(
  `BENCH weight iife_gz=${iife} rest_gz=${rest} worker_gz=${worker} esm_app_gz=${esmApp} react_app_gz=${reactApp} react_over_gz=${reactApp - esmApp} lazy_app_gz=${lazy.initial} goals_met=${met}/${goals.length}`,
);
