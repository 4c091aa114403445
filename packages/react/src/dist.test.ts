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
  'Block',
  'Mask',
  'RecorderErrorBoundary',
  'RecorderProvider',
  'Unmask',
  'blockProps',
  'maskProps',
  'reactErrorHandler',
  'unmaskProps',
  'useRecorder',
];
const ROUTER_EXPORTS = ['RecordedRoutes', 'RouterMarkers', 'useRouterMarkers', 'withRouterMarkers'];

beforeAll(() => {
  if (!existsSync(join(DIST, 'index.js')))
    throw new Error(
      '[@reprise/react] dist/ is missing: run `npm run build -w @reprise/react` (turbo runs it before the tests).',
    );
});

describe('the built package', () => {
  test("every emitted module starts with 'use client' for React Server Components", () => {
    const files = [
      ...readdirSync(DIST).map((file) => join(DIST, file)),
      ...readdirSync(join(DIST, 'chunks')).map((file) => join(DIST, 'chunks', file)),
    ].filter((file) => /\.(c?js)$/.test(file));
    expect(files.length).toBeGreaterThanOrEqual(6);
    for (const file of files) expect(readFileSync(file, 'utf8').startsWith("'use client';\n"), file).toBe(true);
  });

  test('the main entry never loads react-router; only the router entry does', () => {
    const mainGraph = [
      'index.js',
      'index.cjs',
      ...readdirSync(join(DIST, 'chunks'))
        .filter((file) => /\.c?js$/.test(file))
        .map((file) => `chunks/${file}`),
    ];
    for (const file of mainGraph) expect(readFileSync(join(DIST, file), 'utf8'), file).not.toContain('react-router');
    expect(readFileSync(join(DIST, 'router.js'), 'utf8')).toContain("from 'react-router'");
  });

  test('ESM and CommonJS consumers get the same API', async () => {
    const esm = await run([
      '--input-type=module',
      '-e',
      "const m = await import('@reprise/react'); const r = await import('@reprise/react/router'); console.log(JSON.stringify([Object.keys(m).sort(), Object.keys(r).sort()]))",
    ]);
    const cjs = await run([
      '-e',
      "const m = require('@reprise/react'); const r = require('@reprise/react/router'); console.log(JSON.stringify([Object.keys(m).sort(), Object.keys(r).sort()]))",
    ]);
    expect(JSON.parse(esm.stdout)).toEqual([EXPORTS, ROUTER_EXPORTS]);
    expect(JSON.parse(cjs.stdout)).toEqual([EXPORTS, ROUTER_EXPORTS]);
  });
});
