import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createUser } from '../src/access/access-store.js';
import { queryAudit } from '../src/audit/audit-log.js';
import { loadConfig, type CollectorConfigInput } from '../src/config.js';
import { startTestCollector, type TestCollector } from './support/playback-collector.js';

const CLIENT_IP = '203.0.113.7';
const BEHIND_TLS_PROXY = { 'x-forwarded-proto': 'https', 'x-forwarded-for': CLIENT_IP };

/** Logs in through a request as a TLS proxy forwards it; returns the cookie and the audited IP. */
async function loginThroughProxy(env: TestCollector) {
  const response = await fetch(`${env.url}/v1/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...BEHIND_TLS_PROXY },
    body: JSON.stringify({ username: 'ann', password: 'correct horse battery' }),
  });
  expect(response.status, await response.clone().text()).toBe(200);
  const { entries } = await queryAudit(env.plugin.index.db, { projects: 'all', action: 'auth.login' });
  return { cookie: response.headers.get('set-cookie')!, ip: entries[0]?.ip };
}

describe.each<{ name: string; trustProxy: CollectorConfigInput['trustProxy'] }>([
  { name: "the proxy's subnet", trustProxy: ['loopback'] },
  { name: 'a hop count', trustProxy: 1 },
])('REPRISE_TRUST_PROXY set to $name', ({ trustProxy }) => {
  let env: TestCollector;
  beforeAll(async () => {
    env = await startTestCollector('sqlite', ['shop'], { config: { trustProxy } });
    await createUser(env.plugin.index.db, {
      username: 'ann',
      password: 'correct horse battery',
      roles: { shop: 'viewer' },
    });
  });
  afterAll(() => env?.stop());

  it('marks the session cookie Secure and audits the client address from X-Forwarded-For', async () => {
    const { cookie, ip } = await loginThroughProxy(env);
    expect(cookie).toMatch(/; Secure(;|$)/);
    expect(ip).toBe(CLIENT_IP);
  });
});

describe('without REPRISE_TRUST_PROXY (default)', () => {
  let env: TestCollector;
  beforeAll(async () => {
    env = await startTestCollector('sqlite', ['shop']);
    await createUser(env.plugin.index.db, {
      username: 'ann',
      password: 'correct horse battery',
      roles: { shop: 'viewer' },
    });
  });
  afterAll(() => env?.stop());

  it('ignores forwarded headers a client could forge: no Secure, the socket address is audited', async () => {
    const { cookie, ip } = await loginThroughProxy(env);
    expect(cookie).not.toContain('Secure');
    expect(ip).toMatch(/^(::ffff:)?127\.0\.0\.1$/);
  });
});

describe('REPRISE_TRUST_PROXY values', () => {
  const trustProxyOf = (value: string) => {
    const loaded = loadConfig({ env: { REPRISE_TRUST_PROXY: value }, argv: [] });
    if (loaded.help) throw new Error('unexpected --help');
    return loaded.config.trustProxy;
  };

  it('takes false, a hop count, or addresses and subnets', () => {
    expect(loadConfig({ env: {}, argv: [] })).toMatchObject({ config: { trustProxy: false } });
    expect(trustProxyOf('false')).toBe(false);
    expect(trustProxyOf('2')).toBe(2);
    expect(trustProxyOf('10.0.0.0/8, 192.168.1.4,loopback,fd00::/8')).toEqual([
      '10.0.0.0/8',
      '192.168.1.4',
      'loopback',
      'fd00::/8',
    ]);
  });

  it('refuses trusting every hop and malformed entries, naming the bad part', () => {
    expect(() => trustProxyOf('true')).toThrow(
      /REPRISE_TRUST_PROXY \(--trust-proxy\) = "true": must be false, a hop count/,
    );
    expect(() => trustProxyOf('10.0.0.0/33')).toThrow(/not "10\.0\.0\.0\/33"/);
    expect(() => trustProxyOf('proxy.internal')).toThrow(/not "proxy\.internal"/);
  });
});
