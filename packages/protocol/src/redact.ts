/**
 * PII redaction shared by the browser (first line) and the collector (second line), so both
 * apply exactly the same patterns.
 */

export interface RedactionOptions {
  /** Redact e-mail addresses. @default true */
  emails?: boolean;
  /** Redact payment card numbers (13–19 digits, spaces or dashes allowed, Luhn-valid). @default true */
  cards?: boolean;
  /** Extra patterns (national ids, account numbers...). Strings are compiled as RegExp sources. */
  patterns?: Array<RegExp | string>;
}

export const EMAIL_PATTERN = /[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}/g;
/** Candidate card numbers; each is Luhn-checked before redaction to spare order ids and timestamps. */
export const CARD_CANDIDATE_PATTERN = /(?<![\d])\d(?:[ -]?\d){12,18}(?![\d])/g;
/**
 * The first four digits of any card candidate (each separator optional): a string without a match
 * cannot hold one, and this test stops at its first match, so it is much cheaper than the
 * candidate search over long text (class names, CSS, most copy) that has none. (A plain `\d{4}`
 * would also skip "4 2 4 2 ..." written digit by digit, which the candidate pattern matches.)
 */
const CARD_PREFIX_PATTERN = /\d[ -]?\d[ -]?\d[ -]?\d/;

export function luhnValid(digits: string): boolean {
  let sum = 0;
  let double = false;
  for (let i = digits.length - 1; i >= 0; i--) {
    let digit = digits.charCodeAt(i) - 48;
    if (digit < 0 || digit > 9) return false;
    if (double) {
      digit *= 2;
      if (digit > 9) digit -= 9;
    }
    sum += digit;
    double = !double;
  }
  return sum % 10 === 0;
}

/** Same length, whitespace kept: replayed text keeps its layout but none of its content. */
export function maskText(text: string): string {
  return text.replace(/\S/g, '*');
}

export type Redactor = (text: string) => string;

function toGlobal(pattern: RegExp | string): RegExp {
  if (typeof pattern === 'string') return new RegExp(pattern, 'g');
  return pattern.global ? pattern : new RegExp(pattern.source, `${pattern.flags}g`);
}

export function createRedactor(options: RedactionOptions = {}): Redactor {
  const emails = options.emails ?? true;
  const cards = options.cards ?? true;
  const extra = (options.patterns ?? []).map(toGlobal);
  return (text) => {
    if (text.length === 0) return text;
    let out = text;
    // Cheap pre-checks, each a necessary condition for its pattern to match: most strings (class
    // names, CSS) have no '@' and no run of digits. redact.test.ts checks the result is the plain
    // patterns' over generated strings.
    if (emails && out.includes('@')) out = out.replace(EMAIL_PATTERN, maskText);
    if (cards && CARD_PREFIX_PATTERN.test(out)) {
      out = out.replace(CARD_CANDIDATE_PATTERN, (match) => (luhnValid(match.replace(/[ -]/g, '')) ? maskText(match) : match));
    }
    for (const pattern of extra) {
      pattern.lastIndex = 0;
      out = out.replace(pattern, maskText);
    }
    return out;
  };
}

/**
 * Apply a redactor to every string value inside `value` (objects and arrays, walked
 * iteratively), rewriting in place. Object keys are left alone: rrweb uses them for structure.
 * Returns how many strings changed.
 */
export function redactInPlace(value: unknown, redact: Redactor): number {
  let changed = 0;
  const stack: unknown[] = [value];
  while (stack.length > 0) {
    const current = stack.pop();
    if (current === null || typeof current !== 'object' || ArrayBuffer.isView(current)) continue;
    if (Array.isArray(current)) {
      for (let i = 0; i < current.length; i++) {
        const item: unknown = current[i];
        if (typeof item === 'string') {
          const next = redact(item);
          if (next !== item) {
            current[i] = next;
            changed++;
          }
        } else if (item !== null && typeof item === 'object') stack.push(item);
      }
      continue;
    }
    const record = current as Record<string, unknown>;
    for (const key of Object.keys(record)) {
      const item = record[key];
      if (typeof item === 'string') {
        const next = redact(item);
        if (next !== item) {
          record[key] = next;
          changed++;
        }
      } else if (item !== null && typeof item === 'object') stack.push(item);
    }
  }
  return changed;
}
