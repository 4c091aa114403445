import type { Request } from 'express';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { completeSetup, createApiToken, issueSetupToken, verifyApiToken } from '../src/access/access-store.js';
import { parseCookies, sessionCookie } from '../src/access/middleware.js';
import { hashPassword, verifyPassword } from '../src/access/passwords.js';
import { can, projectsWith, type Principal } from '../src/access/principal.js';
import type { IndexDatabase } from '../src/index-db/database.js';
import { openTestIndex } from './index-helpers.js';

const user = (roles: Record<string, 'admin' | 'viewer'>): Principal => ({
  kind: 'user',
  user: { id: 1, username: 'u', roles: new Map(Object.entries(roles)) },
  csrfToken: 'c',
});

describe('access rules', () => {
  let index: IndexDatabase;
  beforeAll(async () => {
    index = await openTestIndex('sqlite');
  });
  afterAll(() => index?.close());

  it('grants by role per project: viewers read, admins also delete and administer, `*` covers every project', () => {
    const viewer = user({ a: 'viewer' });
    expect([can(viewer, 'read', 'a'), can(viewer, 'delete', 'a'), can(viewer, 'admin', 'a'), can(viewer, 'read', 'b')]).toEqual([true, false, false, false]);
    const admin = user({ a: 'admin', b: 'viewer' });
    expect([can(admin, 'delete', 'a'), can(admin, 'delete', 'b'), can(admin, 'read', 'b')]).toEqual([true, false, true]);
    expect(projectsWith(admin, 'delete')).toEqual(['a']);
    const root = user({ '*': 'admin' });
    expect([can(root, 'admin', 'anything'), projectsWith(root, 'read')]).toEqual([true, 'all']);
    const everywhereViewer = user({ '*': 'viewer' });
    expect([projectsWith(everywhereViewer, 'read'), projectsWith(everywhereViewer, 'delete')]).toEqual(['all', []]);
  });

  it('scopes a token to its project and operations, never admin', async () => {
    const { token } = await createApiToken(index.db, { name: 't', project: 'a', operations: ['delete'], createdBy: null });
    const identity = (await verifyApiToken(index.db, token))!;
    const principal: Principal = { kind: 'token', token: identity };
    expect([can(principal, 'delete', 'a'), can(principal, 'read', 'a'), can(principal, 'delete', 'b'), can(principal, 'admin', 'a')]).toEqual([true, false, false, false]);
    expect(await verifyApiToken(index.db, token.slice(0, -1) + (token.endsWith('A') ? 'B' : 'A'))).toBeUndefined();
    await expect(createApiToken(index.db, { name: 't', project: '*', operations: ['read'], createdBy: null })).rejects.toMatchObject({ status: 400 });
  });

  it('voids an older setup link when a new one is printed', async () => {
    const first = await issueSetupToken(index.db);
    const second = await issueSetupToken(index.db);
    await expect(completeSetup(index.db, { token: first, username: 'a', password: 'twelve chars!' })).rejects.toMatchObject({ status: 403 });
    await expect(completeSetup(index.db, { token: second, username: 'a', password: 'twelve chars!' })).resolves.toMatchObject({ username: 'a' });
    // Once a user exists, even a fresh link cannot create another admin.
    const third = await issueSetupToken(index.db);
    await expect(completeSetup(index.db, { token: third, username: 'b', password: 'twelve chars!' })).rejects.toMatchObject({ status: 403 });
  });

  it('hashes passwords with a salted scrypt and checks them', async () => {
    const a = await hashPassword('correct horse battery');
    const b = await hashPassword('correct horse battery');
    expect(a).not.toBe(b);
    expect(await verifyPassword('correct horse battery', a)).toBe(true);
    expect(await verifyPassword('correct horse batterY', a)).toBe(false);
    expect(await verifyPassword('x', 'plain')).toBe(false);
  });

  it('marks the session cookie Secure over HTTPS only, always HttpOnly and SameSite', () => {
    expect(sessionCookie({ secure: true } as Request, 'v', 60_000)).toBe('reprise_session=v; Path=/; HttpOnly; SameSite=Strict; Max-Age=60; Secure');
    expect(sessionCookie({ secure: false } as Request, 'v', 60_000)).toBe('reprise_session=v; Path=/; HttpOnly; SameSite=Strict; Max-Age=60');
    expect(parseCookies('a=1; reprise_session=abc%3D; a=2; bad')).toEqual(new Map([['a', '1'], ['reprise_session', 'abc=']]));
  });
});
