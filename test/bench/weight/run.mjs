// npm run bench -- weight: what a page downloads before it records (issue 15's table), gzip -9:
// the script-tag IIFE, the delivery worker, and an app bundled with esbuild (apps.esbuild.mjs)
// importing createRecorder, or the React adapter's RecorderProvider. Only an app's initial chunk
// counts; chunks it imports lazily and the worker asset are listed apart.
import { readFileSync, rmSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { spawnSync } from 'node:child_process';
import { build } from 'esbuild';
import config from './apps.esbuild.mjs';

const root = fileURLToPath(new URL('../../../', import.meta.url));
// bench.mjs builds @reprise/core and what it depends on; the React app needs the adapter too
// (REPRISE_WEIGHT_NO_BUILD=1 skips this when the dist folders are fresh).
const react = process.env.REPRISE_WEIGHT_NO_BUILD
  ? { status: 0 }
  : spawnSync('npx', ['turbo', 'run', 'build', '--filter=@reprise/react...', '--output-logs=errors-only'], {
      cwd: root,
      stdio: 'inherit',
    });
if (react.status !== 0)
  throw new Error('[weight] Building @reprise/react failed; fix the build, then run the benchmark again.');

const gz = (bytes) => gzipSync(bytes, { level: 9 }).byteLength;
// kB of 1000 bytes, as size-limit counts.
const kb = (bytes) => (bytes / 1000).toFixed(1);
const fileGz = (path) => gz(readFileSync(resolve(root, path)));

const result = await build(config);
const outputs = Object.entries(result.metafile.outputs).filter(([path]) => path.endsWith('.js'));
const initial = (entry) => {
  const found = outputs.find(([, output]) => output.entryPoint?.endsWith(`apps/${entry}.js`));
  if (!found) throw new Error(`[weight] esbuild produced no chunk for ${entry}`);
  // An entry's initial download is the entry chunk and the chunks it imports statically.
  const seen = new Set();
  const visit = (path) => {
    if (seen.has(path)) return 0;
    seen.add(path);
    const output = result.metafile.outputs[path];
    return (
      gz(readFileSync(resolve(root, path))) +
      output.imports
        .filter((item) => item.kind === 'import-statement' && !item.external)
        .reduce((sum, item) => sum + visit(item.path), 0)
    );
  };
  return visit(found[0]);
};
const allAppChunks = outputs.reduce((sum, [path]) => sum + gz(readFileSync(resolve(root, path))), 0);

const iife = fileGz('packages/core/dist/reprise.iife.js');
// Fetched by reprise.iife.js at start(), while rrweb already records: after recording starts.
const rest = fileGz('packages/core/dist/reprise.recorder.js');
const worker = fileGz('packages/core/dist/reprise.worker.js');
const loader = fileGz('packages/core/dist/reprise.loader.js');
const esmApp = initial('esm-app');
const reactApp = initial('react-app');
rmSync(config.outdir, { recursive: true, force: true });

const rows = [
  ['reprise.iife.js (script tag, before recording starts)', iife, 30_000],
  ['reprise.recorder.js (the rest, fetched at start() while recording)', rest, undefined],
  ['  script tag in all: iife + rest', iife + rest, undefined],
  ['reprise.worker.js (delivery worker)', worker, 10_000],
  ['reprise.loader.js (script-tag loader)', loader, undefined],
  ['app with createRecorder, initial chunk (esbuild, all deps)', esmApp, 30_000],
  ['app with RecorderProvider, initial chunk (React external)', reactApp, esmApp + 2_000],
  ['  RecorderProvider over createRecorder', reactApp - esmApp, 2_000],
  ['both apps, every chunk incl. lazy ones', allAppChunks, undefined],
];
console.log('| what | gzip -9 kB | goal kB |\n|---|---:|---:|');
for (const [name, bytes, goal] of rows)
  console.log(`| ${name} | ${kb(bytes)} | ${goal === undefined ? '' : kb(goal)} |`);
console.log(`chunks: ${outputs.map(([path]) => path.replace(/.*reprise-weight-[^/]+\//, '')).join(', ')}`);
// Issue 15's goals: .size-limit.json enforces the script tag's and the worker's in CI; the app
// goals are measured only here, so a run says how far each one is.
const goals = rows.filter(([, , goal]) => goal !== undefined);
const met = goals.filter(([, bytes, goal]) => bytes <= goal).length;
console.log(
  `BENCH weight iife_gz=${iife} rest_gz=${rest} worker_gz=${worker} esm_app_gz=${esmApp} react_app_gz=${reactApp} react_over_gz=${reactApp - esmApp} goals_met=${met}/${goals.length}`,
);
