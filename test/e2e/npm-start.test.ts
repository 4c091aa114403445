import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '@reprise/test-support/process';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { launchBrowser, REPO_ROOT, type TestBrowser } from '../harness/index.js';
import { waitForSessionId } from './playground-scenarios.js';

// `npm start -- <framework>` as a developer runs it (turbo build, the playground built with the
// collector's URL, the collector and `vite preview`), on free ports and a temporary data folder:
// a visit of the playground in Chromium must be listed by the collector's sessions API.
// A new playground adds its folder name here.
const FRAMEWORKS = ['react', 'vue'];

async function waitUntil<T>(
  what: string,
  check: () => Promise<T | undefined>,
  timeoutMs: number,
  output: () => string,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check().catch(() => undefined);
    if (value !== undefined) return value;
    if (Date.now() > deadline)
      throw new Error(`npm start: no ${what} within ${timeoutMs / 1000} s. Its output:\n${output().slice(-4000)}`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

describe.each(FRAMEWORKS)('npm start -- %s', (framework) => {
  let child: ChildProcess;
  let output = '';
  let dataDir: string;
  let browser: TestBrowser;
  let collectorUrl: string;
  let playgroundUrl: string;

  beforeAll(async () => {
    const [collectorPort, playgroundPort] = [await freePort(), await freePort()];
    collectorUrl = `http://127.0.0.1:${collectorPort}`;
    playgroundUrl = `http://127.0.0.1:${playgroundPort}`;
    dataDir = mkdtempSync(join(tmpdir(), `reprise-npm-start-${framework}-`));
    const { VITE_REPRISE_ENDPOINT: _ignored, ...env } = process.env;
    // Its own process group, so the whole tree (npm, start.mjs, collector, vite) is stopped after.
    child = spawn('npm', ['start', '--', framework], {
      cwd: REPO_ROOT,
      env: {
        ...env,
        REPRISE_PORT: String(collectorPort),
        PLAYGROUND_PORT: String(playgroundPort),
        REPRISE_DATA_DIR: dataDir,
        FORCE_COLOR: '0',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    // A turbo run (cached after `npm test`'s build) and the playground's Vite build come first.
    await waitUntil(
      'collector',
      async () => ((await fetch(`${collectorUrl}/readyz`)).ok ? true : undefined),
      300_000,
      () => output,
    );
    await waitUntil(
      'playground',
      async () => ((await fetch(`${playgroundUrl}/`)).ok ? true : undefined),
      60_000,
      () => output,
    );
    browser = await launchBrowser();
  }, 420_000);

  afterAll(async () => {
    await browser?.close();
    if (child?.pid && child.exitCode === null) {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      process.kill(-child.pid, 'SIGTERM');
      await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 10_000))]);
      if (child.exitCode === null) process.kill(-child.pid, 'SIGKILL');
    }
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  }, 30_000);

  test("the playground records a visit that the collector's sessions API lists", async () => {
    const page = await browser.newPage();
    let sessionId: string;
    try {
      await page.goto(`${playgroundUrl}/`);
      sessionId = await waitForSessionId(page);
      await page.click('nav >> text=Users');
      await page.waitForSelector('text=Ada Lovelace');
      await page.evaluate(() => (window as unknown as { reprise: { flush(): Promise<void> } }).reprise.flush());
    } finally {
      await page.close();
    }

    // The first start prints a one-time setup link for the first admin account.
    const token = await waitUntil(
      'setup link',
      async () => /setup#token=([A-Za-z0-9_-]+)/.exec(output)?.[1],
      10_000,
      () => output,
    );
    const setup = await fetch(`${collectorUrl}/v1/auth/setup`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', origin: collectorUrl },
      body: JSON.stringify({ token, username: 'admin', password: 'npm-start-test-password-1' }),
    });
    expect(setup.status).toBe(201);
    const cookie = setup.headers.get('set-cookie')!.split(';')[0]!;
    // Listed once the collector's writer has stored it.
    const listed = await waitUntil(
      'session listed',
      async () => {
        const response = await fetch(`${collectorUrl}/v1/sessions?project=dev`, { headers: { cookie } });
        const { sessions } = (await response.json()) as { sessions: Array<{ id: string; pages?: number }> };
        return sessions.find((row) => row.id === sessionId);
      },
      60_000,
      () => output,
    );
    expect(listed.id).toBe(sessionId!);
  }, 120_000);
});
