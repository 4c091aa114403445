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
