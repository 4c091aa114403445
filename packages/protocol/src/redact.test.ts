import { describe, expect, test } from 'vitest';
import {
  CARD_CANDIDATE_PATTERN,
  EMAIL_PATTERN,
  SSN_PATTERN,
  createRedactor,
  createRepriseEvent,
  luhnValid,
  maskText,
  redactEventsInPlace,
} from './index.js';
import { seededRandom } from './test-support.js';

/** The redactor with no pre-checks: the patterns alone, the result the fast path must match. */
function plainRedact(text: string): string {
  const masked = text.replace(SSN_PATTERN, maskText).replace(EMAIL_PATTERN, maskText);
  return masked.replace(CARD_CANDIDATE_PATTERN, (match) =>
    luhnValid(match.replace(/[ -]/g, '')) ? maskText(match) : match,
  );
}

/** A Luhn-valid digit string of `length` digits. */
function luhnDigits(next: () => number, length: number): string {
  const digits = Array.from({ length: length - 1 }, () => Math.floor(next() * 10));
  for (let check = 0; check < 10; check++) {
    const candidate = [...digits, check].join('');
    if (luhnValid(candidate)) return candidate;
  }
  throw new Error('unreachable: one check digit always completes a Luhn number');
}

/** Digits with separators: none, one space or dash, or a doubled one (which breaks a candidate). */
function withSeparators(next: () => number, digits: string): string {
  let out = '';
  for (const digit of digits) {
    if (out.length > 0) {
      const roll = next();
      if (roll < 0.15) out += ' ';
      else if (roll < 0.3) out += '-';
      else if (roll < 0.33) out += '--';
      else if (roll < 0.35) out += ' .';
    }
    out += digit;
  }
  return out;
}

const PIECES: Array<(next: () => number) => string> = [
  (next) => withSeparators(next, luhnDigits(next, 12 + Math.floor(next() * 9))),
  (next) => withSeparators(next, String(Math.floor(next() * 1e16))),
  (next) => String(Math.floor(next() * 1e4)).padStart(4, '0'),
  () => 'jane.doe+x@example.co.uk',
  () => '@',
  () => 'a@b',
  () => 'x@y.z1',
  (next) => ' -.@_'.charAt(Math.floor(next() * 5)),
  (next) => 'abcXYZ'.charAt(Math.floor(next() * 6)).repeat(1 + Math.floor(next() * 3)),
  (next) => String(Math.floor(next() * 10)),
  () => '١٢٣٤', // Arabic-Indic digits: not \d
];

function generated(seed: number, count: number): string[] {
  const next = seededRandom(seed);
  return Array.from({ length: count }, () => {
    let text = '';
    const pieces = Math.floor(next() * 6);
    for (let i = 0; i < pieces; i++) text += PIECES[Math.floor(next() * PIECES.length)]!(next);
    return text;
  });
}

describe('redaction pre-checks', () => {
  const redact = createRedactor();

  test('edge cases match the plain patterns', () => {
    const cases = [
      '',
      '4242424242424242',
      '4 2 4 2 4 2 4 2 4 2 4 2 4 2 4 2', // digit by digit: no four digits in a row, still a candidate
      '4-2-4-2-4-2-4-2-4-2-4-2-4-2-4-2',
      '4242 4242 4242 4242',
      '4242--4242-4242-4242',
      '378282246310005', // 15 digits (Amex test number)
      '4222222222222', // 13 digits, the shortest candidate
      '42424242424242424242', // 20 digits: longer than any candidate
      '1 2 3 4 5 6 7 8 9 0 1 2 8',
      'x4242424242424242x',
      'order 1700000000000123',
      'mail a@b.io and 4242424242424242',
      '@@@@',
      'a'.repeat(5000) + '4242424242424242',
    ];
    for (const text of cases) expect(redact(text), JSON.stringify(text)).toBe(plainRedact(text));
    expect(redact('4 2 4 2 4 2 4 2 4 2 4 2 4 2 4 2')).toBe('* * * * * * * * * * * * * * * *');
  });

  test('generated strings match the plain patterns', () => {
    let masked = 0;
    for (const text of generated(0x5eed, 20_000)) {
      const expected = plainRedact(text);
      expect(redact(text), JSON.stringify(text)).toBe(expected);
      if (expected !== text) masked++;
    }
    // The generator must exercise both outcomes, or the comparison proves little.
    expect(masked).toBeGreaterThan(2_000);
    expect(masked).toBeLessThan(18_000);
  });

  test('with only one of the two kinds on, the other is left alone', () => {
    const onlyCards = createRedactor({ emails: false });
    const onlyEmails = createRedactor({ cards: false });
    for (const text of generated(7, 2_000)) {
      expect(onlyCards(text)).toBe(
        text.replace(CARD_CANDIDATE_PATTERN, (match) =>
          luhnValid(match.replace(/[ -]/g, '')) ? maskText(match) : match,
        ),
      );
      expect(onlyEmails(text)).toBe(text.replace(EMAIL_PATTERN, maskText));
    }
  });
});

describe('redactEventsInPlace', () => {
  test('keeps the user id of an identify event as given (erasure looks it up) and redacts its traits and every other string', () => {
    const identify = createRepriseEvent(
      'identify',
      { userId: 'ann@example.com', traits: { contact: 'ann@example.com' } },
      1,
    );
    const note = createRepriseEvent(
      'custom',
      { name: 'mail', props: { to: 'ann@example.com', userId: 'ann@example.com' } },
      2,
    );
    const redact = createRedactor();
    expect(redactEventsInPlace([identify, note], redact)).toBe(3);
    expect(identify.data.payload).toEqual({ userId: 'ann@example.com', traits: { contact: '***************' } });
    expect(note.data.payload.props).toEqual({ to: '***************', userId: '***************' });
  });

  test('keeps the linked session ids of a session event, even one whose digits pass the card check; a value that is no id is still text', () => {
    // 32 hex digits with a Luhn-valid run of 13 (4385655447499): the card pattern masks it as text.
    const previous = 'a49cf4385655447499a387ce0665e207';
    expect(createRedactor()(previous)).not.toBe(previous);
    const next = '0422f8fa95ed4016ae455072256b2c5b';
    const started = createRepriseEvent(
      'session',
      { state: 'started', reason: 'maxDuration', previousSessionId: previous },
      1,
    );
    const ended = createRepriseEvent('session', { state: 'ended', reason: 'idle', nextSessionId: next }, 2);
    const forged = createRepriseEvent(
      'session',
      { state: 'ended', reason: 'idle', nextSessionId: 'card 4242 4242 4242 4242' },
      3,
    );
    expect(redactEventsInPlace([started, ended, forged], createRedactor())).toBe(1);
    expect(started.data.payload.previousSessionId).toBe(previous);
    expect(ended.data.payload.nextSessionId).toBe(next);
    expect(forged.data.payload.nextSessionId).toBe(`card ${maskText('4242 4242 4242 4242')}`);
  });
});

describe('redaction where user text lives', () => {
  const CARD = '4242 4242 4242 4242';
  const MASKED = maskText(CARD);
  // Digits of an SVG icon's path that the card pattern accepts (Luhn-valid, 13+ digits).
  const PATH = 'M 9 496 252 496 113 0 L 4242424242424242 Z';
  const svg = () => ({
    type: 2,
    id: 3,
    tagName: 'path',
    isSVG: true,
    attributes: {
      d: PATH,
      points: PATH,
      viewBox: `0 0 ${CARD}`,
      transform: `translate(${CARD})`,
      'aria-label': `card ${CARD}`,
    },
    childNodes: [],
  });
  const element = () => ({
    type: 2,
    id: 4,
    tagName: 'img',
    attributes: {
      title: `card ${CARD}`,
      alt: CARD,
      placeholder: CARD,
      'aria-description': CARD,
      value: CARD,
      style: `width: ${CARD}px`,
      class: `c-${CARD.replace(/ /g, '')}`,
      src: `data:image/png;base64,${CARD.replace(/ /g, '')}`,
      href: 'https://a.test/?token=abc',
    },
    childNodes: [
      { type: 3, id: 5, textContent: `pay ${CARD}` },
      { type: 5, id: 6, textContent: CARD },
    ],
  });
  const style = () => ({
    type: 2,
    id: 7,
    tagName: 'style',
    attributes: {},
    childNodes: [{ type: 3, id: 8, isStyle: true, textContent: `a{top:${CARD}px}` }],
  });

  const expectRedacted = (node: { attributes: Record<string, string>; childNodes: Array<{ textContent: string }> }) => {
    expect(node.attributes).toMatchObject({
      title: `card ${MASKED}`,
      alt: MASKED,
      placeholder: MASKED,
      'aria-description': MASKED,
      value: MASKED,
      style: `width: ${CARD}px`,
      class: `c-${CARD.replace(/ /g, '')}`,
      src: `data:image/png;base64,${CARD.replace(/ /g, '')}`,
      href: 'https://a.test/?token=redacted',
    });
    expect(node.childNodes.map((child) => child.textContent)).toEqual([`pay ${MASKED}`, MASKED]);
  };

  test('full snapshot: text, comments and text attributes are redacted; SVG geometry, style, class, <style> and data: URIs are not', () => {
    const event = {
      type: 2,
      timestamp: 1,
      data: { node: { type: 0, id: 1, childNodes: [svg(), element(), style()] }, initialOffset: { left: 0, top: 0 } },
    };
    redactEventsInPlace([event], createRedactor());
    const [path, img, sheet] = event.data.node.childNodes as [
      ReturnType<typeof svg>,
      ReturnType<typeof element>,
      ReturnType<typeof style>,
    ];
    expect(path.attributes).toEqual({ ...svg().attributes, 'aria-label': `card ${MASKED}` });
    expectRedacted(img as never);
    expect(sheet).toEqual(style());
  });

  test('mutations, input values and the other events', () => {
    const mutation = {
      type: 3,
      timestamp: 2,
      data: {
        source: 0,
        adds: [
          { parentId: 1, nextId: null, node: element() },
          { parentId: 1, nextId: null, node: svg() },
        ],
        texts: [{ id: 5, value: CARD }],
        attributes: [{ id: 3, attributes: { d: PATH, title: CARD, style: { width: CARD } } }],
        removes: [],
      },
    };
    const input = { type: 3, timestamp: 3, data: { source: 5, id: 9, text: CARD, isChecked: false } };
    const rule = { type: 3, timestamp: 4, data: { source: 8, id: 7, adds: [{ rule: `a{top:${CARD}px}`, index: 0 }] } };
    const canvas = {
      type: 3,
      timestamp: 5,
      data: { source: 9, id: 7, type: 0, commands: [{ property: 'fillText', args: [CARD, 0, 0] }] },
    };
    const meta = { type: 4, timestamp: 0, data: { href: 'https://a.test/?token=abc', width: 1, height: 1 } };
    const network = createRepriseEvent(
      'network',
      { method: 'GET', url: 'https://a.test/', status: 200, duration: 1, body: CARD } as never,
      6,
    );
    const consoleEvent = createRepriseEvent('console', { level: 'log', args: [CARD] } as never, 7);
    redactEventsInPlace([mutation, input, rule, canvas, meta, network, consoleEvent], createRedactor());
    expectRedacted(mutation.data.adds[0]!.node as never);
    expect((mutation.data.adds[1]!.node.attributes as { d?: string }).d).toBe(PATH);
    expect(mutation.data.texts[0]!.value).toBe(MASKED);
    expect(mutation.data.attributes[0]!.attributes).toEqual({ d: PATH, title: MASKED, style: { width: CARD } });
    expect(input.data.text).toBe(MASKED);
    expect(rule.data.adds[0]!.rule).toBe(`a{top:${CARD}px}`);
    expect(canvas.data.commands[0]!.args[0]).toBe(MASKED); // fillText draws text
    expect(meta.data.href).toBe('https://a.test/?token=redacted');
    expect(JSON.stringify(network)).not.toContain(CARD);
    expect(JSON.stringify(consoleEvent)).not.toContain(CARD);
  });

  test('a canvas frame (an image in base64) is kept whole; the text of a text call in a single-command change is not', () => {
    // Base64 with a Luhn-valid run of 16 digits in it, as a WebP frame can have.
    const base64 = `UklGRh4AAABXRUJQVlA4/${'4242424242424242'}+AAAAAAAAA==`;
    const frame = {
      type: 3,
      timestamp: 1,
      data: {
        source: 9,
        id: 7,
        type: 0,
        commands: [
          { property: 'clearRect', args: [0, 0, 300, 150] },
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
        ],
      },
    };
    const original = JSON.stringify(frame);
    const single = {
      type: 3,
      timestamp: 2,
      data: { source: 9, id: 7, type: 0, property: 'strokeText', args: [CARD, 1, 2] },
    };
    expect(redactEventsInPlace([frame, single], createRedactor())).toBe(1);
    expect(JSON.stringify(frame)).toBe(original);
    expect(single.data.args).toEqual([MASKED, 1, 2]);
  });
});

describe('secrets in URLs, national ids and phone numbers', () => {
  const redact = createRedactor();
  test.each([
    ['https://app.test/reset?token=abc123&lang=en', 'https://app.test/reset?token=redacted&lang=en'],
    [
      'https://app.test/cb#access_token=eyJhbGciOi.x.y&token_type=Bearer&expires_in=3600',
      'https://app.test/cb#access_token=redacted&token_type=redacted&expires_in=3600',
    ],
    ['/oauth/callback?code=4/0AX4XfW&state=xyz', '/oauth/callback?code=redacted&state=xyz'],
    [
      'https://b.s3.amazonaws.com/o?X-Amz-Credential=AKIA%2F1&X-Amz-Signature=deadbeef&X-Amz-Expires=60',
      'https://b.s3.amazonaws.com/o?X-Amz-Credential=redacted&X-Amz-Signature=redacted&X-Amz-Expires=60',
    ],
    ['/login?password=hunter2&user=ann', '/login?password=redacted&user=ann'],
    ['/api?api_key=k1&PHPSESSID=s2&q=shoes', '/api?api_key=redacted&PHPSESSID=redacted&q=shoes'],
    ['/search?q=token&page=2', '/search?q=token&page=2'],
    ['/path;jsessionid=abc?x=1', '/path;jsessionid=redacted?x=1'],
    ['password=hunter2&user=ann', 'password=redacted&user=ann'],
    [
      '{"user":"ann","password":"hun\\"ter2","otp":123456,"nested":{"apiKey":"k"}}',
      '{"user":"ann","password":"redacted","otp":"redacted","nested":{"apiKey":"redacted"}}',
    ],
  ])('%s', (input, expected) => {
    expect(redact(input)).toBe(expected);
  });

  test('dropQueryStrings drops the query and fragment of strings that are URLs, only when asked', () => {
    const drop = createRedactor({ dropQueryStrings: true });
    expect(drop('https://app.test/orders/12?name=Ann%20Lee&x=1#tab=2')).toBe('https://app.test/orders/12');
    expect(drop('/search?q=ann')).toBe('/search');
    expect(drop('//cdn.test/a.js?v=3')).toBe('//cdn.test/a.js');
    expect(drop('Is this a question? yes')).toBe('Is this a question? yes');
    expect(redact('/search?q=ann')).toBe('/search?q=ann');
  });

  test('can be turned off', () => {
    expect(createRedactor({ secretFields: false })('/reset?token=abc')).toBe('/reset?token=abc');
  });

  test('masks US social security numbers with dashes by default, not dates, phone-like or never-issued numbers', () => {
    expect(redact('SSN 123-45-6789.')).toBe('SSN ***********.');
    for (const kept of ['2026-12-03', '000-12-3456', '666-12-3456', '912-34-5678', '123-45-67890', 'x-123-45-6789'])
      expect(redact(kept)).toBe(kept);
    expect(createRedactor({ ssn: false })('123-45-6789')).toBe('123-45-6789');
  });

  test('masks international phone numbers only when asked (off by default: false positives)', () => {
    expect(redact('call +44 20 7946 0958')).toBe('call +44 20 7946 0958');
    const phones = createRedactor({ phones: true });
    expect(phones('call +44 20 7946 0958 now')).toBe('call *** ** **** **** now');
    expect(phones('+1 (555) 010-9999')).toBe('** ***** ********');
    expect(phones('v1+2')).toBe('v1+2');
  });
});
