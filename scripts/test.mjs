// `npm test`: every test of every package, from a fresh clone.
// 1. provision Debian packages npm cannot bring, 2. build, 3. typecheck and lint, 4. run each
// workspace's tests (units, browser e2e), 5. check bundle budgets (size-limit, and the apps' first chunks), 6. print one closing summary line.
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
  const failures = [];
  try {
    for (const file of readdirSync(resultsDir)) {
      if (!file.endsWith('.json')) continue;
      const report = JSON.parse(readFileSync(join(resultsDir, file), 'utf8'));
      passed += report.numPassedTests ?? 0;
      failed += report.numFailedTests ?? 0;
      skipped += (report.numPendingTests ?? 0) + (report.numTodoTests ?? 0);
      for (const suite of report.testResults ?? []) {
        const where = suite.name.startsWith(root) ? suite.name.slice(root.length + 1) : suite.name;
        // A file that failed outside any test (import error, a hook) has no failed assertion to name.
        if (suite.status === 'failed' && !(suite.assertionResults ?? []).some((test) => test.status === 'failed')) {
          failures.push(
            `FAILED ${where}\n    ${String(suite.message ?? '')
              .split('\n')
              .slice(0, 6)
              .join('\n    ')}`,
          );
        }
        for (const test of suite.assertionResults ?? []) {
          if (test.status !== 'failed') continue;
          const why = (test.failureMessages?.[0] ?? '').split('\n').slice(0, 6).join('\n    ');
          failures.push(`FAILED ${where} > ${test.fullName}\n    ${why}`);
        }
      }
    }
  } catch {
    // no reports yet
  }
  // Repeated at the very end so a log that keeps only its tail still names what failed and why.
  if (failures.length) console.log(`\n${failures.join('\n')}`);
  console.log(`\n[test] finished in ${Math.round((Date.now() - started) / 1000)} s`);
  console.log(`${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`);
}

rmSync(resultsDir, { recursive: true, force: true });
mkdirSync(resultsDir, { recursive: true });
provision();
step('build', 'npx', ['turbo', 'run', 'build', '--output-logs=errors-only']);
step('typecheck', 'npx', ['tsc', '-b']);
// The browser tests and benches are no project reference (they build nothing): checked apart.
step('typecheck tests', 'npx', ['tsc', '-p', 'test']);
step('lint', 'npx', ['eslint', '.']);
step('import cycles', 'node', ['scripts/check-cycles.mjs']);
step('format', 'npx', ['prettier', '--check', '.']);
// Each workspace's vitest writes a JSON report into test-results/ (see vitest.workspace-reporter).
step('test', 'npx', ['turbo', 'run', 'test', '--concurrency=1', '--continue'], {
  REPRISE_TEST_RESULTS: resultsDir,
  FORCE_COLOR: '0',
});
step('bundle budgets', 'npx', ['size-limit']);
step('app bundle budgets', 'node', ['test/bench/weight/budget.mjs']);
summarize();
