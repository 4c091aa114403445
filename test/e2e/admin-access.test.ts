// The admin UI's access screens in Debian's Chromium: users and roles, API tokens, deleting a
// session or an end user's sessions, downloading an export, the viewer's own account. Sessions
// arrive through the real collector's POST /v1/ingest.
import { readFileSync } from 'node:fs';
import { createRepriseEvent, EventType, type RecordedEvent } from '@reprise/protocol';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createUser } from '../../server/src/access/access-store.js';
import { MIN_PASSWORD_LENGTH, setScryptParams } from '../../server/src/access/passwords.js';
import { findSessionsById } from '../../server/src/index-db/sessions-store.js';
import { ingestEvents, startCollector, type RunningCollector } from '../fixtures/admin/session.js';
import { launchBrowser, type TestBrowser } from '../harness/index.js';

let running: RunningCollector;
let browser: TestBrowser;
let page: Page;
const PASSWORD = 'correct horse battery';
const T = Date.now() - 600_000;

/** A short visit by `userId`: meta, full snapshot, identify, a click. */
function visit(at: number, userId: string): RecordedEvent[] {
  return [
    { type: EventType.Meta, timestamp: at, data: { href: 'https://shop.test/', width: 800, height: 500 } },
    {
      type: EventType.FullSnapshot,
      timestamp: at + 1,
      data: { node: { type: 0, childNodes: [], id: 1 }, initialOffset: { left: 0, top: 0 } },
    },
    createRepriseEvent('identify', { userId }, at + 2),
    { type: EventType.IncrementalSnapshot, timestamp: at + 3_000, data: { source: 2, type: 2, id: 1, x: 10, y: 10 } },
  ];
}

async function ingest(sessionId: string, userId: string, at: number): Promise<void> {
  await ingestEvents(running.url, sessionId, visit(at, userId));
}

/** Calls the API from the logged-in page, with its cookie and CSRF token. */
const pageApi = (method: string, path: string, body?: unknown) =>
  page.evaluate(
    async ({ method, path, body }) => {
      const me = (await (await fetch('/v1/auth/me')).json()) as { csrfToken?: string };
      const response = await fetch(path, {
        method,
        headers: { 'content-type': 'application/json', ...(me.csrfToken ? { 'x-csrf-token': me.csrfToken } : {}) },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
      return { status: response.status, body: (await response.json().catch(() => null)) as unknown };
    },
    { method, path, body },
  );

async function logIn(username: string, password = PASSWORD): Promise<void> {
  await page.goto(`${running.url}/login`);
  await page.fill('input[name=username]', username);
  await page.fill('input[name=password]', password);
  await page.press('input[name=password]', 'Enter');
  await page.waitForURL(`${running.url}/sessions`);
}

beforeAll(async () => {
  // New hashes cost N=2^17 (seconds each on a loaded 2-core machine); this file is not about the cost.
  setScryptParams({ N: 2 ** 14, r: 8, p: 1 });
  running = await startCollector();
  await createUser(running.sessions.index.db, { username: 'ada', password: PASSWORD, roles: { '*': 'admin' } });
  await ingest('s-erin-1', 'erin', T);
  await ingest('s-erin-2', 'erin', T + 60_000);
  await ingest('s-finn', 'finn', T + 120_000);
  const deadline = Date.now() + 30_000;
  for (const id of ['s-erin-1', 's-erin-2', 's-finn']) {
    while ((await findSessionsById(running.sessions.index.db, id)).length === 0) {
      if (Date.now() > deadline) throw new Error(`[admin access e2e] session ${id} was not indexed within 30 s`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
  browser = await launchBrowser({ viewport: { width: 1400, height: 900 } });
  page = await browser.newPage();
  page.on('pageerror', (error) => console.error('admin page error:', error));
  page.setDefaultTimeout(15_000);
  await logIn('ada');
}, 90_000);

afterAll(async () => {
  await browser?.close();
  await running?.stop();
});

describe('admin access screens', () => {
  test('users and roles: add a user, change their role, delete them', async () => {
    await page.click('nav[aria-label=Main] >> text=Users and tokens');
    await page.waitForURL(`${running.url}/access`);
    await page.locator('tr[data-user=ada]').waitFor();
    const form = page.locator('form[aria-label="Add a user"]');
    // The server's length rule, stated in the label and checked by the browser (which holds back a
    // form whose input is too short).
    expect(await form.textContent()).toContain(`Password (${MIN_PASSWORD_LENGTH}+ characters)`);
    await form.locator('input[name=username]').fill('uma');
    await form.locator('input[name=password]').fill('x'.repeat(MIN_PASSWORD_LENGTH - 1));
    expect(
      await form.locator('input[name=password]').evaluate((input: HTMLInputElement) => input.validity.tooShort),
    ).toBe(true);
    await form.locator('input[name=password]').fill('a password for uma');
    await form.locator('select[name=project]').selectOption('dev');
    await form.locator('button[type=submit]').click();
    await page.locator('form[aria-label="Add a user"] >> text=uma can log in now.').waitFor();
    const row = page.locator('tr[data-user=uma]');
    await expect.poll(() => row.locator('select[aria-label="Role of uma on dev"]').inputValue()).toBe('viewer');

    await row.locator('select[aria-label="Role of uma on dev"]').selectOption('admin');
    await expect
      .poll(
        async () =>
          ((await pageApi('GET', '/v1/users')).body as { users: { username: string; roles: object }[] }).users.find(
            (u) => u.username === 'uma',
          )?.roles,
      )
      .toEqual({ dev: 'admin' });

    // A taken name is refused in words.
    await form.locator('input[name=username]').fill('uma');
    await form.locator('input[name=password]').fill('another long password');
    await form.locator('button[type=submit]').click();
    await page.locator('form[aria-label="Add a user"] [role=alert]').waitFor();
    expect(await page.locator('form[aria-label="Add a user"] [role=alert]').textContent()).toMatch(/already exists/);

    // Two clicks: the first arms the button.
    await row.locator('button', { hasText: 'Delete' }).click();
    await row.locator('button', { hasText: 'Delete uma' }).click();
    await row.waitFor({ state: 'detached' });
    const login = await page.evaluate(
      async () =>
        (
          await fetch('/v1/auth/login', {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify({ username: 'uma', password: 'a password for uma' }),
          })
        ).status,
    );
    expect(login).toBe(401);
    // One's own row has no delete button.
    expect(await page.locator('tr[data-user=ada] button').count()).toBe(0);
    // The page's reads are on the record: users and tokens (an all-projects list: a row without a
    // project, for the `*` admins), and the project settings with their keys, once per project.
    const reads = (await pageApi('GET', '/v1/audit?limit=200')).body as {
      entries: { action: string; project: string | null }[];
    };
    const actions = new Set(reads.entries.map((e) => `${e.action} ${e.project ?? '*'}`));
    for (const action of ['user.list *', 'token.list *', 'project.list dev']) expect(actions, action).toContain(action);
  });

  test('API tokens: create one with an expiry, see it once, use it, revoke it', async () => {
    await page.goto(`${running.url}/access`);
    const form = page.locator('form[aria-label="Create an API token"]');
    await form.locator('input[name=name]').fill('nightly');
    await form.locator('input[name=expiresInDays]').fill('7');
    await form.locator('button[type=submit]').click();
    const shown = page.locator('[data-testid=new-token]');
    await shown.waitFor();
    const secret = (await shown.locator('code').textContent())!;
    expect(secret).toMatch(/^rpt_[A-Za-z0-9]{16}_[A-Za-z0-9_-]{43}$/);
    const row = page.locator('tr[data-token=nightly]');
    await row.waitFor();
    const expires = await row.locator('[data-cell=expires]').textContent();
    const expected = new Date(Date.now() + 7 * 86_400_000);
    expect(expires).toContain(String(expected.getFullYear()));
    const listed = (await pageApi('GET', '/v1/tokens')).body as { tokens: { name: string; expiresAt: number }[] };
    const expiresAt = listed.tokens.find((t) => t.name === 'nightly')!.expiresAt;
    expect(Math.abs(expiresAt - expected.getTime())).toBeLessThan(120_000);

    const asToken = () => fetch(`${running.url}/v1/sessions`, { headers: { authorization: `Bearer ${secret}` } });
    expect((await asToken()).status).toBe(200);
    await row.locator('button', { hasText: 'Revoke' }).click();
    await row.locator('button', { hasText: 'Revoke nightly' }).click();
    await row.locator('text=revoked').waitFor();
    expect((await asToken()).status).toBe(401);

    // Longer than the collector's maximum (365 days by default): refused in words.
    await form.locator('input[name=name]').fill('forever');
    await form.locator('input[name=expiresInDays]').fill('4000');
    await form.locator('button[type=submit]').click();
    await page.locator('section[aria-labelledby=tokens-title] [role=alert]').waitFor();
    expect(await page.locator('section[aria-labelledby=tokens-title] [role=alert]').textContent()).toMatch(
      /at most 365/,
    );
  });

  test('download a session export', async () => {
    await page.goto(`${running.url}/sessions/s-finn?project=dev`);
    const [download] = await Promise.all([page.waitForEvent('download'), page.click('text=Download export')]);
    const path = await download.path();
    const exported = readFileSync(path, 'utf8');
    expect(exported).toContain('s-finn');
    expect(exported).toContain('shop.test');
    expect(download.suggestedFilename()).toContain('s-finn');
  });

  test('delete one session, then every session of an end user', async () => {
    await page.goto(`${running.url}/sessions/s-finn?project=dev`);
    await page.click('button:has-text("Delete session")');
    await page.click('button:has-text("Delete this session for good")');
    await page.waitForURL(`${running.url}/sessions`);
    await page.locator('[role=status] >> text=The session was deleted.').waitFor();
    // A deletion job: its index rows go as it finishes.
    await expect.poll(() => findSessionsById(running.sessions.index.db, 's-finn'), { timeout: 20_000 }).toEqual([]);

    await page.goto(`${running.url}/sessions/s-erin-1?project=dev`);
    await page.click('button:has-text("Delete all of erin\'s sessions")');
    await page.click('button:has-text("Delete every session of erin in dev")');
    await page.waitForURL(`${running.url}/sessions`);
    await page.locator('[role=status] >> text=2 sessions of erin deleted.').waitFor();
    await expect
      .poll(
        async () => [
          ...(await findSessionsById(running.sessions.index.db, 's-erin-1')),
          ...(await findSessionsById(running.sessions.index.db, 's-erin-2')),
        ],
        { timeout: 20_000 },
      )
      .toEqual([]);
    const audit = (await pageApi('GET', '/v1/audit?action=user_sessions.delete')).body as {
      entries: { detail: { userId: string } }[];
    };
    expect(audit.entries[0]!.detail.userId).toBe('erin');
  });

  test('your account: change the password, then log out everywhere', async () => {
    await page.click('a[title="Your account"]');
    await page.waitForURL(`${running.url}/account`);
    const form = page.locator('form[aria-label="Change password"]');
    for (const name of ['newPassword', 'repeat'])
      expect(await form.locator(`input[name=${name}]`).getAttribute('minlength')).toBe(String(MIN_PASSWORD_LENGTH));
    await form.locator('input[name=currentPassword]').fill('not my password');
    await form.locator('input[name=newPassword]').fill('a brand new password');
    await form.locator('input[name=repeat]').fill('a brand new password');
    await form.locator('button[type=submit]').click();
    await form.locator('[role=alert]').waitFor();
    expect(await form.locator('[role=alert]').textContent()).toMatch(/current password is wrong/);
    await form.locator('input[name=currentPassword]').fill(PASSWORD);
    await form.locator('button[type=submit]').click();
    await form.locator('text=Password changed.').waitFor();

    // Another client logged in as ada is ended by "log out everywhere" here.
    const other = await fetch(`${running.url}/v1/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'ada', password: 'a brand new password' }),
    });
    expect(other.status).toBe(200);
    const otherCookie = other.headers.get('set-cookie')!.split(';')[0]!;
    const otherMe = () => fetch(`${running.url}/v1/auth/me`, { headers: { cookie: otherCookie } });
    expect((await otherMe()).status).toBe(200);
    await page.click('button:has-text("Log out everywhere")');
    await page.click('button:has-text("End every login")');
    await page.waitForURL(/\/login/);
    expect((await otherMe()).status).toBe(401);
    await logIn('ada', 'a brand new password');
  });
});
