// The admin UI's replay frame: served on the replay origin (another name for the collector that
// the login cookie never goes to) with a policy of its own, and named to the admin page in a
// <meta> the session page reads. Real HTTP, with the Host header a browser would send.
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import express from 'express';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPLAY_FRAME_META } from '../src/admin-page-names.js';
import { createAdminUiRouter, type AdminUiOptions } from '../src/admin-ui.js';

const INDEX = '<!doctype html><html><head><title>Reprise</title></head><body><div id="root"></div></body></html>';
const FRAME = '<!doctype html><html><head><title>Session replay</title></head><body></body></html>';

let dir: string;
const servers: Server[] = [];

async function serveAdmin(options: Omit<AdminUiOptions, 'assetsDir'> = {}): Promise<number> {
  const app = express();
  app.use(createAdminUiRouter({ ...options, assetsDir: dir }));
  const server = await new Promise<Server>((resolve) => {
    const listening = app.listen(0, '127.0.0.1', () => resolve(listening));
  });
  servers.push(server);
  return (server.address() as AddressInfo).port;
}

function get(
  port: number,
  path: string,
  host: string,
): Promise<{ status: number; csp: string; cache: string; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, headers: { host, accept: 'text/html' } }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () =>
        resolve({
          status: res.statusCode ?? 0,
          csp: String(res.headers['content-security-policy'] ?? ''),
          cache: String(res.headers['cache-control'] ?? ''),
          body,
        }),
      );
    });
    req.on('error', reject);
    req.end();
  });
}

/** The frame page's version for an embedding page: a hash of that origin and the page's content. */
const frameVersion = (embedder: string) =>
  createHash('sha256').update(`${embedder}\n${FRAME}`).digest('hex').slice(0, 12);
/** The frame URL the page names, without its version (checked on its own below). */
const frameMeta = (body: string) =>
  new RegExp(`<meta name="${REPLAY_FRAME_META}" content="([^"]*)">`).exec(body)?.[1]?.replace(/\?v=[0-9a-f]{12}$/, '');
const directive = (csp: string, name: string) =>
  csp
    .split(';')
    .map((part) => part.trim())
    .find((part) => part.startsWith(`${name} `));

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'reprise-admin-frame-'));
  mkdirSync(join(dir, 'assets'));
  writeFileSync(join(dir, 'index.html'), INDEX);
  writeFileSync(join(dir, 'replay-frame.html'), FRAME);
});

afterAll(async () => {
  await Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve))));
  rmSync(dir, { recursive: true, force: true });
});

describe('the admin page names its replay frame', () => {
  it('on a loopback name, the frame is on the other one, and only that origin may be framed', async () => {
    const port = await serveAdmin();
    const viaIp = await get(port, '/sessions/abc', `127.0.0.1:${port}`);
    expect(viaIp.status).toBe(200);
    expect(frameMeta(viaIp.body)).toBe(`http://localhost:${port}/replay-frame.html`);
    expect(directive(viaIp.csp, 'frame-src')).toBe(`frame-src 'self' http://localhost:${port}`);
    expect(directive(viaIp.csp, 'frame-ancestors')).toBe("frame-ancestors 'none'");
    const viaName = await get(port, '/sessions/abc', `localhost:${port}`);
    expect(frameMeta(viaName.body)).toBe(`http://127.0.0.1:${port}/replay-frame.html`);
  });

  it('elsewhere, REPRISE_REPLAY_ORIGIN when set, else the admin origin itself', async () => {
    const plain = await serveAdmin();
    const own = await get(plain, '/', 'reprise.example.com');
    expect(frameMeta(own.body)).toBe('/replay-frame.html');
    expect(directive(own.csp, 'frame-src')).toBe("frame-src 'self'");
    const configured = await serveAdmin({ replayOrigin: 'https://replay.example.com' });
    const split = await get(configured, '/', 'reprise.example.com');
    expect(frameMeta(split.body)).toBe('https://replay.example.com/replay-frame.html');
    expect(directive(split.csp, 'frame-src')).toBe("frame-src 'self' https://replay.example.com");
  });

  it('a hostile Host header cannot write into the page', async () => {
    const port = await serveAdmin();
    const hostile = await get(port, '/', `127.0.0.1:${port}"><script>alert(1)</script>`);
    expect(hostile.body).not.toContain('<script>');
    expect(frameMeta(hostile.body)).toBe('/replay-frame.html');
  });
});

describe('the replay frame page', () => {
  it('is named with its content hash, cached for good under that name and revalidated under any other', async () => {
    const port = await serveAdmin();
    const page = await get(port, '/sessions/abc', `127.0.0.1:${port}`);
    const named = new RegExp(`<meta name="${REPLAY_FRAME_META}" content="([^"]*)">`).exec(page.body)?.[1];
    const version = frameVersion(`http://127.0.0.1:${port}`);
    expect(named).toBe(`http://localhost:${port}/replay-frame.html?v=${version}`);
    // The session page's early frame is the same URL: the player's frame finds it in the cache.
    expect(page.body).toContain(`<iframe id="reprise-replay-warm" src="${named}"`);
    const current = await get(port, `/replay-frame.html?v=${version}`, `localhost:${port}`);
    expect(current.cache).toBe('private, max-age=31536000, immutable');
    for (const path of ['/replay-frame.html', '/replay-frame.html?v=000000000000']) {
      const other = await get(port, path, `localhost:${port}`);
      expect(other.body).toBe(FRAME);
      expect(other.cache, path).toBe('no-cache');
    }
    // The name holds the embedding page's origin too: served for another embedder (the frame on
    // 127.0.0.1, framed by localhost), the same name is not cached with the wrong frame-ancestors.
    const otherEmbedder = await get(port, `/replay-frame.html?v=${version}`, `127.0.0.1:${port}`);
    expect(otherEmbedder.csp).toContain(`frame-ancestors 'self' http://localhost:${port}`);
    expect(otherEmbedder.cache).toBe('no-cache');
  });

  it('has a policy of its own: sandboxed, connecting nowhere, loading only data: and blob: resources', async () => {
    const port = await serveAdmin();
    const frame = await get(port, '/replay-frame.html', `localhost:${port}`);
    expect(frame.status).toBe(200);
    expect(frame.body).toBe(FRAME);
    expect(directive(frame.csp, 'sandbox')).toBe('sandbox allow-scripts allow-same-origin');
    expect(directive(frame.csp, 'connect-src')).toBe("connect-src 'none'");
    expect(directive(frame.csp, 'img-src')).toBe('img-src data: blob:');
    expect(directive(frame.csp, 'font-src')).toBe('font-src data: blob:');
    expect(directive(frame.csp, 'frame-ancestors')).toBe(`frame-ancestors 'self' http://127.0.0.1:${port}`);
    // The per-replay switch: the recorded sites, and still no connection of its own.
    const original = await get(port, '/replay-frame.html?resources=original', `localhost:${port}`);
    expect(directive(original.csp, 'img-src')).toBe('img-src data: blob: https: http:');
    expect(directive(original.csp, 'connect-src')).toBe("connect-src 'none'");
  });

  it('on a configured replay origin, only the public URL may frame it', async () => {
    const port = await serveAdmin({
      replayOrigin: 'https://replay.example.com',
      publicUrl: 'https://reprise.example.com/base',
    });
    const frame = await get(port, '/replay-frame.html', 'replay.example.com');
    expect(directive(frame.csp, 'frame-ancestors')).toBe("frame-ancestors 'self' https://reprise.example.com");
  });
});

describe('a collector listening on IPv6 loopback only', () => {
  it('names [::1] as the frame of a page reached on localhost, the address it answers on', async () => {
    const app = express();
    app.use(createAdminUiRouter({ assetsDir: dir }));
    const server = await new Promise<Server | undefined>((resolve) => {
      const listening = app.listen(0, '::1', () => resolve(listening));
      listening.on('error', () => resolve(undefined));
    });
    // A machine without IPv6 loopback cannot run this case; every CI machine of ours has it.
    expect(server, 'no IPv6 loopback on this machine').toBeDefined();
    servers.push(server!);
    const port = (server!.address() as AddressInfo).port;
    const page = await new Promise<string>((resolve, reject) => {
      const req = request(
        { host: '::1', port, path: '/', headers: { host: `localhost:${port}`, accept: 'text/html' } },
        (res) => {
          let body = '';
          res.setEncoding('utf8');
          res.on('data', (chunk: string) => (body += chunk));
          res.on('end', () => resolve(body));
        },
      );
      req.on('error', reject);
      req.end();
    });
    expect(frameMeta(page)).toBe(`http://[::1]:${port}/replay-frame.html`);
  });
});
