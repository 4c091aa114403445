import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { encodeBatchFrame, EventType, type RecordedEvent } from '@reprise/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { request } from 'node:http';
import { ASSET_LOOKBACK_DAYS, AssetStore, MAX_ASSET_CHECK_LOOKUPS } from '../src/assets/asset-store.js';
import type { ObjectStore } from '../src/store/types.js';
import {
  deleteTokenFor,
  ingest,
  ORIGIN,
  readPlayback,
  startTestCollector,
  toBatches,
  waitForIndexed,
  type TestCollector,
} from './support/playback-collector.js';

const sha256 = (bytes: Uint8Array | string) => createHash('sha256').update(bytes).digest('hex');
const FONT = Buffer.from(Array.from({ length: 3000 }, (_, i) => (i * 37) % 251));
const CSS = `@font-face{font-family:F;src:url("reprise-asset:${sha256(FONT)}") format("woff2")}body{font:1rem/1.5 var(--f)}`;

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => join(entry.parentPath, entry.name));
}

describe('page assets: checked, uploaded once, stored encrypted, resolved in playback', () => {
  let env: TestCollector;
  let token: string;
  const key = 'key-shop';

  const check = (hashes: unknown, headers: Record<string, string> = {}) =>
    fetch(`${env.url}/v1/assets/missing`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-reprise-project': key, origin: ORIGIN, ...headers },
      body: JSON.stringify({ hashes }),
    });
  const upload = (hash: string, body: Uint8Array | string, type = 'text/css', session = 's1', headers = {}) =>
    fetch(`${env.url}/v1/assets/${hash}?session=${session}`, {
      method: 'PUT',
      headers: { 'content-type': type, 'x-reprise-project': key, origin: ORIGIN, ...headers },
      body,
    });

  beforeAll(async () => {
    env = await startTestCollector('sqlite', ['shop'], {
      config: { assetMaxBytes: 64 * 1024, assetSessionMaxBytes: 100 * 1024 },
    });
    // Read (and delete) rights on the project: all playback needs.
    token = await deleteTokenFor(env, 'shop');
  });
  afterAll(() => env?.stop());

  it('answers which hashes are missing, stores an upload, and then no longer asks for it', async () => {
    const cssHash = sha256(CSS);
    const fontHash = sha256(FONT);
    const first = await check([cssHash, fontHash]);
    expect(first.status).toBe(200);
    expect(first.headers.get('access-control-allow-origin')).toBe(ORIGIN);
    expect(((await first.json()) as { missing: string[] }).missing.sort()).toEqual([cssHash, fontHash].sort());

    expect((await upload(fontHash, FONT, 'font/woff2')).status).toBe(201);
    expect((await upload(cssHash, CSS)).status).toBe(201);
    const second = (await (await check([cssHash, fontHash])).json()) as { missing: string[] };
    expect(second.missing).toEqual([]);

    // Stored encrypted: no object holds the stylesheet's text or the font's bytes in clear.
    const objects = filesUnder(join(env.dataDir, 'objects')).filter((file) => file.includes('_assets-'));
    expect(objects.length).toBe(2);
    for (const file of objects) {
      const stored = readFileSync(file);
      expect(stored.subarray(0, 4).toString()).toBe('RPSG');
      expect(stored[5]).toBe(16);
      expect(stored.includes(Buffer.from('font-face'))).toBe(false);
      expect(stored.includes(FONT.subarray(0, 64))).toBe(false);
    }
  });

  it('refuses bytes that are not what their hash names, and changes nothing', async () => {
    const claimed = sha256('body{}');
    const response = await upload(claimed, 'body{color:red}');
    expect(response.status).toBe(400);
    expect(((await response.json()) as { error: string }).error).toBe('asset_hash_mismatch');
    expect(((await (await check([claimed])).json()) as { missing: string[] }).missing).toEqual([claimed]);
  });

  it('refuses hostile requests with a clear 4xx', async () => {
    const text = 'a{}';
    const hash = sha256(text);
    const cases: Array<[Promise<Response>, number, string]> = [
      [check([hash], { 'x-reprise-project': 'nope' }), 401, 'unknown_project_key'],
      [check([hash], { origin: 'http://evil.test' }), 403, 'origin_not_allowed'],
      [check(['../../etc/passwd']), 400, 'invalid_asset_check'],
      [check(Array.from({ length: 257 }, () => hash)), 400, 'invalid_asset_check'],
      [upload('ABC', text), 400, 'invalid_asset_hash'],
      [upload(hash, text, 'text/html'), 415, 'unsupported_media_type'],
      [upload(hash, text, 'text/css', '../x'), 400, 'invalid_session'],
      [upload(sha256(Buffer.alloc(65 * 1024)), Buffer.alloc(65 * 1024), 'font/woff2'), 413, 'asset_too_large'],
    ];
    for (const [pending, status, error] of cases) {
      const response = await pending;
      expect(response.status).toBe(status);
      expect(((await response.json()) as { error: string }).error).toBe(error);
    }
    expect(((await (await check([hash])).json()) as { missing: string[] }).missing).toEqual([hash]);
  });

  it('holds a session to its upload cap', async () => {
    const sizes = [40, 40, 40].map((kb, i) => Buffer.alloc(kb * 1024, i + 1));
    const answers = [];
    for (const bytes of sizes) answers.push((await upload(sha256(bytes), bytes, 'font/woff2', 'capped')).status);
    expect(answers).toEqual([201, 201, 413]);
  });

  it('refuses batches of a session id in the assets namespace', async () => {
    const [batch] = toBatches(
      '_assets-20260101',
      [{ type: EventType.Meta, timestamp: Date.now(), data: { href: 'x', width: 1, height: 1 } }],
      1,
    );
    const response = await fetch(`${env.url}/v1/ingest`, {
      method: 'POST',
      headers: { 'content-type': 'application/vnd.reprise.batch', origin: ORIGIN },
      body: encodeBatchFrame({ v: 1, project: key, ...batch! }),
    });
    expect(response.status).toBe(400);
    expect(((await response.json()) as { error: string }).error).toBe('reserved_session_id');
  });

  it('puts stylesheets back into the playback stream, fonts and pictures as data: URIs', async () => {
    const at = Date.now();
    const link = (cssText: string, id: number) => ({
      type: 2,
      tagName: 'link',
      attributes: { rel: 'stylesheet', href: 'https://site.test/a.css', _cssText: cssText },
      childNodes: [],
      id,
    });
    const missing = `reprise-asset:${sha256('never uploaded')}`;
    const events: RecordedEvent[] = [
      { type: EventType.Meta, timestamp: at, data: { href: 'https://site.test/', width: 800, height: 600 } },
      {
        type: EventType.FullSnapshot,
        timestamp: at + 1,
        data: {
          node: {
            type: 0,
            id: 1,
            childNodes: [
              link(`reprise-asset:${sha256(CSS)}`, 2),
              link(missing, 3),
              { type: 2, tagName: 'img', attributes: { src: `reprise-asset:${sha256(FONT)}` }, childNodes: [], id: 4 },
              { type: 2, tagName: 'img', attributes: { src: missing }, childNodes: [], id: 5 },
              // An inline <style> as written, its font captured: the reference inside its text.
              {
                type: 2,
                tagName: 'style',
                attributes: { _cssText: `p{background:url("reprise-asset:${sha256(FONT)}")}` },
                childNodes: [],
                id: 6,
              },
            ],
          },
          initialOffset: { top: 0, left: 0 },
        },
      },
      // A picture given its src later.
      {
        type: EventType.IncrementalSnapshot,
        timestamp: at + 2,
        data: {
          source: 0,
          adds: [],
          removes: [],
          texts: [],
          attributes: [{ id: 5, attributes: { src: `reprise-asset:${sha256(FONT)}` } }],
        },
      },
    ];
    await ingest(env.url, 'shop', toBatches('with-assets', events, 10));
    await waitForIndexed(env.plugin, 'shop', 'with-assets', events.length);
    const response = await fetch(`${env.url}/v1/sessions/with-assets/events`, {
      headers: { authorization: `Bearer ${token}` },
    });
    const { events: played } = await readPlayback(response);
    const nodes = (played[1]!.data as { node: { childNodes: { attributes: Record<string, string> }[] } }).node
      .childNodes;
    expect(nodes[0]!.attributes._cssText).toBe(
      CSS.replace(`reprise-asset:${sha256(FONT)}`, `data:font/woff2;base64,${FONT.toString('base64')}`),
    );
    expect(nodes[1]!.attributes._cssText).toBeUndefined();
    // A captured picture's src is its data: URI; one the store lacks fetches nothing.
    expect(nodes[2]!.attributes.src).toBe(`data:font/woff2;base64,${FONT.toString('base64')}`);
    expect(nodes[3]!.attributes.src).toBe('about:invalid');
    const fontUri = `data:font/woff2;base64,${FONT.toString('base64')}`;
    expect(nodes[4]!.attributes._cssText).toBe(`p{background:url("${fontUri}")}`);
    const change = played[2]!.data as { attributes: { attributes: Record<string, string> }[] };
    expect(change.attributes[0]!.attributes.src).toBe(fontUri);
  });

  it('a check costs a bounded number of store lookups, whatever it names', async () => {
    let lookups = 0;
    const counting: ObjectStore = Object.create(env.collector.store, {
      exists: {
        value: (key: string) => {
          lookups++;
          return env.collector.store.exists(key);
        },
      },
    });
    const assets = new AssetStore({ store: counting, dataKeys: env.collector.dataKeys });
    const unknown = Array.from({ length: 256 }, (_, i) => sha256(`never uploaded ${i}`));
    expect((await assets.missing('shop', unknown)).sort()).toEqual([...unknown].sort());
    expect(lookups).toBeLessThanOrEqual(MAX_ASSET_CHECK_LOOKUPS);
    // Far fewer than a search of every day for every hash would cost.
    expect(MAX_ASSET_CHECK_LOOKUPS).toBeLessThan(unknown.length * (1 + ASSET_LOOKBACK_DAYS));

    // A hash searched through the whole window is not searched again the same day: today only.
    const fresh = sha256('searched once');
    lookups = 0;
    expect(await assets.missing('shop', [fresh])).toEqual([fresh]);
    expect(lookups).toBe(1 + ASSET_LOOKBACK_DAYS);
    lookups = 0;
    expect(await assets.missing('shop', [fresh])).toEqual([fresh]);
    expect(lookups).toBe(1);
    // ...and once uploaded, it is found.
    await assets.put('shop', fresh, { contentType: 'text/css', bytes: Buffer.from('searched once') });
    expect(await assets.missing('shop', [fresh])).toEqual([]);
  });

  it('holds the uploads in flight to a memory budget: one too many is answered 503, and a client that goes away frees its share', async () => {
    const size = 64 * 1024; // the suite's assetMaxBytes: the budget holds 16 of them
    const { hostname, port } = new URL(env.url);
    const open = (session: string) =>
      request({
        host: hostname,
        port,
        method: 'PUT',
        path: `/v1/assets/${sha256(session)}?session=${session}`,
        headers: { 'content-type': 'image/png', 'content-length': size, 'x-reprise-project': key, origin: ORIGIN },
      });
    const held = Array.from({ length: 16 }, (_, i) => open(`held${i}`));
    for (const req of held) {
      req.on('error', () => undefined);
      req.write(Buffer.alloc(1024));
    }
    // Each holds its share once its headers are in: poll until the next one is refused.
    let refused: Response | undefined;
    for (let attempt = 0; attempt < 50 && !refused; attempt++) {
      const answer = await upload(sha256('one too many'), Buffer.alloc(size), 'image/png', 'late');
      if (answer.status === 503) refused = answer;
      else await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(refused?.status).toBe(503);
    expect(refused?.headers.get('retry-after')).toBe('2');
    expect(((await refused!.json()) as { error: string }).error).toBe('assets_busy');

    for (const req of held) req.destroy();
    const bytes = Buffer.from('after the others went away');
    let stored = 0;
    for (let attempt = 0; attempt < 50 && stored !== 201; attempt++) {
      stored = (await upload(sha256(bytes), bytes, 'text/css', 'after')).status;
      if (stored !== 201) await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(stored).toBe(201);
  });

  it('copies an asset from an earlier day into today instead of asking for it again', async () => {
    const bytes = Buffer.from('body{margin:0}');
    const hash = sha256(bytes);
    let now = Date.now() - 3 * 86_400_000;
    const assets = new AssetStore({ store: env.collector.store, dataKeys: env.collector.dataKeys, now: () => now });
    await assets.put('shop', hash, { contentType: 'text/css', bytes });
    now += 3 * 86_400_000;
    expect(await assets.missing('shop', [hash])).toEqual([]);
    const today = await assets.get('shop', hash, now, now);
    expect(today?.bytes.toString()).toBe('body{margin:0}');
  });
});
