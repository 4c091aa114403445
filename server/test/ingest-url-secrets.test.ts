/**
 * Secrets in URLs, second line: a recorder that sent them anyway (an old version, a custom
 * client) still gets them replaced at the collector, in the stored events and in the index.
 * And the same second line only where user text lives: a card number in a title or an input is
 * masked, an SVG icon's path whose digits look like a card number is stored as drawn, and so is
 * a canvas frame's image data.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { createRepriseEvent, EventType, maskText, type RecordedEvent } from '@reprise/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiToken } from '../src/access/access-store.js';
import { loadConfig } from '../src/config.js';
import { ev } from './support/index-events.js';
import {
  callApi,
  ingestIndexed,
  startTestCollector,
  toBatches,
  type TestCollector,
} from './support/playback-collector.js';

const CARD = '4242 4242 4242 4242';
/** Luhn-valid digits in an icon's geometry: the card pattern alone would mask them. */
const PATH = 'M4242424242424242 9 L 9 496 252 496 113 Z';
const SECRETS = ['reset-token-91ab', 'access-token-44cd', 'amz-signature-07ef', 'form-password-2c3d'];

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true })
    .map((name) => join(dir, String(name)))
    .filter((path) => statSync(path).isFile());
}

/** Store `events` as session `session` of project `shop` through ingest, and read them back through playback. */
async function ingestAndPlay(env: TestCollector, token: string, session: string, events: RecordedEvent[]) {
  await ingestIndexed(env, 'shop', toBatches(session, events, 10));
  await env.collector.writer.flush();
  const response = await callApi(env.url, { token }, 'GET', `/v1/sessions/${session}/events`);
  expect(response.status).toBe(200);
  return String(response.body);
}

describe('secret URL parameters at the collector', () => {
  let env: TestCollector;
  let token: string;

  beforeAll(async () => {
    env = await startTestCollector('sqlite', ['shop']);
    token = (
      await createApiToken(env.plugin.index.db, { name: 'dpo', project: 'shop', operations: ['read'], createdBy: null })
    ).token;
  });
  afterAll(() => env?.stop());

  it('replaces them in stored events and in the index (pages, first URL, search text); nothing of them is in the data folder', async () => {
    const T = Date.now() - 60_000;
    const events = [
      ev.meta(T, `https://app.test/reset?token=${SECRETS[0]}&lang=en`),
      ev.full(T + 1),
      ev.nav(T + 10, `https://app.test/callback#access_token=${SECRETS[1]}&token_type=bearer`),
      createRepriseEvent(
        'network',
        {
          initiator: 'fetch',
          method: 'POST',
          url: `https://bucket.test/o?X-Amz-Signature=${SECRETS[2]}&v=1`,
          status: 200,
          startTime: T + 20,
          duration: 5,
          requestBody: `password=${SECRETS[3]}&user=ann`,
        },
        T + 20,
      ),
      ev.click(T + 30),
    ];
    await ingestIndexed(env, 'shop', toBatches('urls', events, 10));
    await env.collector.writer.flush();

    const row = await env.plugin.index.db
      .selectFrom('sessions')
      .selectAll()
      .where('session_id', '=', 'urls')
      .executeTakeFirstOrThrow();
    expect(row.first_url).toBe('https://app.test/reset?token=redacted&lang=en');
    expect(JSON.parse(row.pages).map((page: { url: string }) => page.url)).toEqual([
      'https://app.test/reset?token=redacted&lang=en',
      'https://app.test/callback#access_token=redacted&token_type=redacted',
    ]);
    for (const secret of SECRETS) expect(`${row.pages}\n${row.search_text}`).not.toContain(secret);

    const response = await callApi(env.url, { token }, 'GET', '/v1/sessions/urls/events');
    expect(response.status).toBe(200);
    const played = JSON.stringify(response.body);
    for (const secret of SECRETS) expect(played, secret).not.toContain(secret);
    expect(played).toContain('X-Amz-Signature=redacted&v=1');
    expect(played).toContain('password=redacted&user=ann');

    // The log, the index and everything else in the data folder: not one byte of the secrets.
    await env.collector.writer.flush();
    for (const file of filesUnder(env.dataDir)) {
      const bytes = readFileSync(file);
      for (const secret of SECRETS) expect(bytes.includes(secret), `${secret} in ${file}`).toBe(false);
    }
  });

  it('masks the title and the typed value, keeps the SVG path, viewBox and style', async () => {
    const T = Date.now() - 60_000;
    const node = {
      type: 0,
      id: 1,
      childNodes: [
        {
          type: 2,
          id: 2,
          tagName: 'svg',
          isSVG: true,
          attributes: { viewBox: '0 0 4242424242424242 24', title: `card ${CARD}`, style: `width: ${CARD}px` },
          childNodes: [{ type: 2, id: 3, tagName: 'path', isSVG: true, attributes: { d: PATH }, childNodes: [] }],
        },
      ],
    };
    const events: RecordedEvent[] = [
      ev.meta(T, 'https://app.test/pay'),
      { type: EventType.FullSnapshot, timestamp: T + 1, data: { node, initialOffset: { left: 0, top: 0 } } },
      {
        type: EventType.IncrementalSnapshot,
        timestamp: T + 2,
        data: { source: 5, id: 9, text: CARD, isChecked: false },
      },
      ev.click(T + 30),
    ];
    const played = await ingestAndPlay(env, token, 'scope', events);
    expect(played).toContain(JSON.stringify(PATH));
    expect(played).toContain('"viewBox":"0 0 4242424242424242 24"');
    expect(played).toContain(`"style":"width: ${CARD}px"`);
    expect(played).toContain(`"title":"card ${maskText(CARD)}"`);
    expect(played).toContain(`"text":"${maskText(CARD)}"`);
  });

  it('stores a canvas frame as it was taken (its image data in base64) and masks the text a canvas drew', async () => {
    const T = Date.now() - 60_000;
    // Base64 of a WebP frame can hold a Luhn-valid run of digits between a "/" and a "+".
    const base64 = 'UklGRh4AAABXRUJQVlA4/4242424242424242+AAAAAAAAA==';
    const events: RecordedEvent[] = [
      ev.meta(T, 'https://app.test/chart'),
      ev.full(T + 1),
      {
        type: EventType.IncrementalSnapshot,
        timestamp: T + 2,
        data: {
          source: 9,
          id: 7,
          type: 0,
          commands: [
            { property: 'clearRect', args: [0, 0, 120, 80] },
            {
              property: 'drawImage',
              args: [
                {
                  rr_type: 'ImageBitmap',
                  args: [{ rr_type: 'Blob', data: [{ rr_type: 'ArrayBuffer', base64 }], type: 'image/webp' }],
                },
                0,
                0,
              ],
            },
            { property: 'fillText', args: [CARD, 4, 12] },
          ],
        },
      },
      ev.click(T + 30),
    ];
    const played = await ingestAndPlay(env, token, 'canvas', events);
    expect(played).toContain(`"base64":"${base64}"`);
    expect(played).toContain(`"args":["${maskText(CARD)}",4,12]`);
  });
});

/** Text a person could type, with an SSN and an international phone number, and a page URL with a query. */
const SSN = '123-45-6789';
const PHONE = '+44 20 7946 0958';
const TYPED = `ssn ${SSN}, call ${PHONE}`;
const QUERY_URL = 'https://app.test/search?q=ann+lee&page=2#results';

async function storedTextOf(env: TestCollector, token: string, session: string) {
  const T = Date.now() - 60_000;
  const events: RecordedEvent[] = [
    ev.meta(T, QUERY_URL),
    ev.full(T + 1),
    {
      type: EventType.IncrementalSnapshot,
      timestamp: T + 2,
      data: { source: 5, id: 9, text: TYPED, isChecked: false },
    },
    ev.click(T + 30),
  ];
  const played = await ingestAndPlay(env, token, session, events);
  const row = await env.plugin.index.db
    .selectFrom('sessions')
    .selectAll()
    .where('session_id', '=', session)
    .executeTakeFirstOrThrow();
  return { played, firstUrl: row.first_url };
}

describe("the collector's redaction settings, from the environment to what is stored", () => {
  const collectors: TestCollector[] = [];
  afterAll(async () => {
    for (const env of collectors) await env.stop();
  });

  async function collectorWith(env: Record<string, string>) {
    const loaded = loadConfig({ env, argv: [] });
    if (loaded.help) throw new Error('unexpected --help');
    const { redactSsn, redactPhones, dropQueryStrings } = loaded.config;
    const started = await startTestCollector('sqlite', ['shop'], {
      config: { redactSsn, redactPhones, dropQueryStrings },
    });
    collectors.push(started);
    const token = (
      await createApiToken(started.plugin.index.db, {
        name: 'dpo',
        project: 'shop',
        operations: ['read'],
        createdBy: null,
      })
    ).token;
    return { env: started, token };
  }

  it('by default an SSN is masked, a phone number and a non-secret query are kept', async () => {
    const { env, token } = await collectorWith({});
    const { played, firstUrl } = await storedTextOf(env, token, 'defaults');
    expect(played).not.toContain(SSN);
    expect(played).toContain(maskText(SSN));
    expect(played).toContain(PHONE);
    expect(firstUrl).toBe(QUERY_URL);
  });

  it('REPRISE_REDACT_SSN=false, REPRISE_REDACT_PHONES=true and REPRISE_DROP_QUERY_STRINGS=true each change what is stored', async () => {
    const { env, token } = await collectorWith({
      REPRISE_REDACT_SSN: 'false',
      REPRISE_REDACT_PHONES: 'true',
      REPRISE_DROP_QUERY_STRINGS: 'true',
    });
    const { played, firstUrl } = await storedTextOf(env, token, 'settings');
    expect(played).toContain(SSN);
    expect(played).not.toContain(PHONE);
    expect(played).toContain(maskText(PHONE));
    expect(played).not.toContain('q=ann');
    expect(played).toContain('"https://app.test/search"');
    expect(firstUrl).toBe('https://app.test/search');
  });
});
