/**
 * Right to erasure by end-user id: every id a session was identified with is kept, so a logout
 * (`identify(null)`) or a second identify does not hide a session from erasure, and an e-mail
 * address used as the id is found as given (exempt from pattern redaction).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ev } from './support/index-events.js';
import { callApi, startShopWithSessions, toBatches, type TestCollector } from './support/playback-collector.js';

const T = Date.now() - 600_000;
const session = (id: string, ...identities: (string | null)[]) => {
  const events = [
    ev.meta(T, `https://app.test/${id}`),
    ev.full(T + 1),
    ...identities.map((userId, i) => ev.identify(T + 10 + i, userId)),
    ev.click(T + 100),
  ];
  return { events, batches: toBatches(id, events, 2) };
};

describe('erasure by user id', () => {
  let env: TestCollector;
  let token: string;
  const sessions = {
    logout: session('logout', 'user-42', null),
    switched: session('switched', 'user-42', 'user-43'),
    mail: session('mail', 'ann@example.com'),
    'other-mail': session('other-mail', 'bob@example.com'),
  };

  beforeAll(async () => {
    ({ env, token } = await startShopWithSessions(sessions));
  });
  afterAll(() => env?.stop());

  it('finds a session by an id it was identified with before identify(null) or another identify', async () => {
    const erased = await callApi(env.url, { token }, 'DELETE', '/v1/users/user-42/sessions');
    expect(erased.status, JSON.stringify(erased.body)).toBe(200);
    expect(erased.body.deleted.map((d: { sessionId: string }) => d.sessionId).sort()).toEqual(['logout', 'switched']);
    for (const id of ['logout', 'switched'])
      expect((await callApi(env.url, { token }, 'GET', `/v1/sessions/${id}`)).status).toBe(404);
    expect(
      await env.plugin.index.db
        .selectFrom('session_users')
        .select('user_id')
        .where('session_id', 'in', ['logout', 'switched'])
        .execute(),
    ).toEqual([]);
  });

  it('keeps an e-mail address used as the user id as given, so erasure by it finds exactly its sessions', async () => {
    const shown = await callApi(env.url, { token }, 'GET', '/v1/sessions/mail');
    expect(shown.body.userId).toBe('ann@example.com');
    const erased = await callApi(
      env.url,
      { token },
      'DELETE',
      `/v1/users/${encodeURIComponent('ann@example.com')}/sessions`,
    );
    expect(erased.status).toBe(200);
    expect(erased.body.deleted.map((d: { sessionId: string }) => d.sessionId)).toEqual(['mail']);
    expect((await callApi(env.url, { token }, 'GET', '/v1/sessions/other-mail')).body.userId).toBe('bob@example.com');
  });
});
