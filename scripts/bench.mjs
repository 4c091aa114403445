// `npm run bench` runs every test/bench/<name>/run.mjs; `npm run bench -- payload overhead` runs
// those. Each prints its table and a last line `BENCH <name> key=value ...`. The core is built
// first (turbo caches it): the browser benches load its IIFE and worker.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { provision } from './provision.mjs';

const root = resolve(fileURLToPath(new URL('..', import.meta.url)));
const benchDir = join(root, 'test/bench');
const available = readdirSync(benchDir, { withFileTypes: true })
  .filter((entry) => entry.isDirectory() && existsSync(join(benchDir, entry.name, 'run.mjs')))
  .map((entry) => entry.name)
  .sort();
const asked = process.argv.slice(2);
const unknown = asked.filter((name) => !available.includes(name));
if (unknown.length > 0) {
  console.error(`[bench] Unknown benchmark(s): ${unknown.join(', ')}. Available: ${available.join(', ')}.`);
  process.exit(2);
}

// The browser benches need Debian's Chromium, as the tests do.
provision();
const build = spawnSync('npx', ['turbo', 'run', 'build', '--filter=@reprise/core...', '--output-logs=errors-only'], {
  cwd: root,
  stdio: 'inherit',
});
if (build.status !== 0) {
  console.error('[bench] Building @reprise/core failed; fix the build, then run the benchmarks again.');
  process.exit(build.status ?? 1);
}

let failed = 0;
for (const name of asked.length > 0 ? asked : available) {
  console.log(`\n=== bench ${name}`);
  // tsx runs the TypeScript harness; the @reprise/source condition resolves workspace packages to src.
  const result = spawnSync(
    process.execPath,
    ['--conditions=@reprise/source', '--import', 'tsx', join(benchDir, name, 'run.mjs')],
    { cwd: join(root, 'test'), stdio: 'inherit' },
  );
  if (result.status !== 0) {
    failed++;
    console.error(`[bench] ${name} failed (exit ${result.status ?? result.signal}).`);
  }
}
process.exit(failed > 0 ? 1 : 0);
