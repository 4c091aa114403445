// `npm test`: every test of every package, from a fresh clone.
// 1. provision Debian packages npm cannot bring, 2. build, 3. typecheck, 4. run each workspace's
// tests (units, browser e2e), 5. check bundle budgets, 6. print one closing summary line.
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { provision } from './provision.mjs';

const root = resolve(fileURLToPath(new URL('..', import.meta.url)));
const resultsDir = join(root, 'test-results');
const started = Date.now();

function step(title, cmd, args, env = {}) {
  console.log(`\n=== ${title}: ${cmd} ${args.join(' ')}`);
  const result = spawnSync(cmd, args, { cwd: root, stdio: 'inherit', env: { ...process.env, ...env } });
  if (result.status !== 0) {
    console.error(`\n[test] ${title} failed (exit ${result.status ?? result.signal}).`);
    summarize();
    process.exit(result.status || 1);
  }
}

function summarize() {
  let passed = 0;
  let failed = 0;
  let skipped = 0;
  try {
    for (const file of readdirSync(resultsDir)) {
      if (!file.endsWith('.json')) continue;
      const report = JSON.parse(readFileSync(join(resultsDir, file), 'utf8'));
      passed += report.numPassedTests ?? 0;
      failed += report.numFailedTests ?? 0;
      skipped += (report.numPendingTests ?? 0) + (report.numTodoTests ?? 0);
    }
  } catch {
    // no reports yet
  }
  console.log(`\n[test] finished in ${Math.round((Date.now() - started) / 1000)} s`);
  console.log(`${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`);
}

rmSync(resultsDir, { recursive: true, force: true });
mkdirSync(resultsDir, { recursive: true });
provision();
step('build', 'npx', ['turbo', 'run', 'build', '--output-logs=errors-only']);
step('typecheck', 'npx', ['tsc', '-b']);
// Each workspace's vitest writes a JSON report into test-results/ (see vitest.workspace-reporter).
step('test', 'npx', ['turbo', 'run', 'test', '--concurrency=1', '--continue'], { REPRISE_TEST_RESULTS: resultsDir, FORCE_COLOR: '0' });
step('bundle budgets', 'npx', ['size-limit']);
summarize();
