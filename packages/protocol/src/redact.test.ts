import { describe, expect, test } from 'vitest';
import { CARD_CANDIDATE_PATTERN, EMAIL_PATTERN, createRedactor, luhnValid, maskText } from './index.js';
import { seededRandom } from './test-support.js';

/** The redactor with no pre-checks: the patterns alone, the result the fast path must match. */
function plainRedact(text: string): string {
  const masked = text.replace(EMAIL_PATTERN, maskText);
  return masked.replace(CARD_CANDIDATE_PATTERN, (match) => (luhnValid(match.replace(/[ -]/g, '')) ? maskText(match) : match));
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
      expect(onlyCards(text)).toBe(text.replace(CARD_CANDIDATE_PATTERN, (match) => (luhnValid(match.replace(/[ -]/g, '')) ? maskText(match) : match)));
      expect(onlyEmails(text)).toBe(text.replace(EMAIL_PATTERN, maskText));
    }
  });
});
