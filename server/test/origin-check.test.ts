/**
 * Login's same-origin check compares the Origin with the collector's own address
 * (REPRISE_PUBLIC_URL, or the loopback listen address), not with the request's Host: a page on a
 * DNS-rebound name (evil.example resolving to 127.0.0.1) sends a Host that matches its Origin.
 */
import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startTestCollector, type TestCollector } from './support/playback-collector.js';

function login(url: string, headers: Record<string, string>): Promise<{ status: number; error?: string }> {
  const target = new URL('/v1/auth/login', url);
  const body = JSON.stringify({ username: 'nobody', password: 'not the password' });
  return new Promise((resolve, reject) => {
    const req = request(
      target,
      {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), ...headers },
      },
      (res) => {
        let text = '';
        res.on('data', (chunk: Buffer) => (text += chunk.toString()));
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, error: (JSON.parse(text || '{}') as { error?: string }).error }),
        );
      },
    );
    req.once('error', reject);
    req.end(body);
  });
}

describe("same-origin check against the collector's own address", () => {
  let collector: TestCollector;
  let port: string;

  beforeAll(async () => {
    collector = await startTestCollector('sqlite');
    port = new URL(collector.url).port;
  });
  afterAll(async () => {
    await collector?.stop();
  });

  test('a rebound name whose Host matches its Origin is refused', async () => {
    const answer = await login(collector.url, { host: `evil.example:${port}`, origin: `http://evil.example:${port}` });
    expect([answer.status, answer.error]).toEqual([403, 'csrf_failed']);
  });

  test('the loopback names of the listen address pass the check (and reach the password check)', async () => {
    for (const name of ['127.0.0.1', 'localhost']) {
      const answer = await login(collector.url, { host: `${name}:${port}`, origin: `http://${name}:${port}` });
      expect(answer.error, name).not.toBe('csrf_failed');
    }
  });

  test('with REPRISE_PUBLIC_URL, only its origin passes', async () => {
    const behindProxy = await startTestCollector('sqlite', ['dev'], {
      config: { publicUrl: 'https://replay.example.com' },
    });
    try {
      expect(
        (
          await login(behindProxy.url, {
            host: 'replay.example.com',
            origin: 'https://replay.example.com',
            'x-forwarded-proto': 'https',
          })
        ).error,
      ).not.toBe('csrf_failed');
      const local = new URL(behindProxy.url);
      expect((await login(behindProxy.url, { host: local.host, origin: local.origin })).error).toBe('csrf_failed');
    } finally {
      await behindProxy.stop();
    }
  });
});
