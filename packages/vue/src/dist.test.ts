// @vitest-environment node
import { execFile } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, test } from 'vitest';

// What npm consumers get: the built files, loaded by plain Node resolution (no source condition).
const PACKAGE_DIR = join(dirname(fileURLToPath(import.meta.url)), '..');
const DIST = join(PACKAGE_DIR, 'dist');
const run = (args: string[]) => promisify(execFile)(process.execPath, args, { cwd: PACKAGE_DIR });

const EXPORTS = [
  'RecorderKey',
  'RepriseBlock',
  'RepriseMask',
  'RepriseUnmask',
  'createRecorder',
  'routerMarkers',
  'useRecorder',
  'useRouterMarkers',
  'vRepriseBlock',
  'vRepriseMask',
  'vRepriseUnmask',
  'vueErrorHandler',
];

beforeAll(() => {
  if (!existsSync(join(DIST, 'index.js')))
    throw new Error(
      '[@reprise/vue] dist/ is missing: run `npm run build -w @reprise/vue` (turbo runs it before the tests).',
    );
});

describe('the built package', () => {
  test('never loads vue-router (an optional peer): router markers only use the router they are given', () => {
    for (const file of readdirSync(DIST).filter((name) => /\.(c?js|d\.c?ts)$/.test(name))) {
      expect(readFileSync(join(DIST, file), 'utf8'), file).not.toContain('vue-router');
    }
  });

  test('ESM and CommonJS consumers get the same API', async () => {
    const esm = await run([
      '--input-type=module',
      '-e',
      "const m = await import('@reprise/vue'); console.log(JSON.stringify(Object.keys(m).sort()))",
    ]);
    const cjs = await run([
      '-e',
      "const m = require('@reprise/vue'); console.log(JSON.stringify(Object.keys(m).sort()))",
    ]);
    expect(JSON.parse(esm.stdout)).toEqual(EXPORTS);
    expect(JSON.parse(cjs.stdout)).toEqual(EXPORTS);
    // Two Node processes loading Vue: seconds each on a busy machine.
  }, 30_000);
});
