/**
 * PII redaction shared by the browser (first line) and the collector (second line), so both
 * apply exactly the same patterns.
 */
import { maskText } from './mask.js';

export { maskText };

export interface RedactionOptions {
  /** Redact e-mail addresses. @default true */
  emails?: boolean;
  /** Redact payment card numbers (13–19 digits, spaces or dashes allowed, Luhn-valid). @default true */
  cards?: boolean;
  /**
   * Replace the values of parameters whose names look secret (`token`, `code`, `key`, `secret`,
   * `sig`, `session`, `auth`, `pass`...) by `REDACTED_PARAMETER_VALUE`, in every string: URL
   * query and fragment parameters (page URLs, navigation markers, network entries, link
   * targets), form bodies (`SECRET_PARAMETER_PATTERN`) and JSON fields (`SECRET_JSON_FIELD_PATTERN`).
   * @default true
   */
  secretFields?: boolean;
  /**
   * Drop the query string and fragment of every string that is a URL (absolute, protocol-relative
   * or a path): `https://a.test/p?x=1#y` becomes `https://a.test/p`. For sites whose URLs carry
   * personal data in parameters of any name. @default false
   */
  dropQueryStrings?: boolean;
  /** Redact US social security numbers written `123-45-6789` (`SSN_PATTERN`). @default true */
  ssn?: boolean;
  /**
   * Redact international phone numbers written with a leading `+` (`PHONE_PATTERN`). Off by
   * default: prices, version strings and ids in `+` form would be masked too. @default false
   */
  phones?: boolean;
  /** Extra patterns (national ids, account numbers...). Strings are compiled as RegExp sources. */
  patterns?: Array<RegExp | string>;
}

/** Words that make a parameter or field name look secret. */
const SECRET_WORDS = 'token|code|key|secret|sig|sess|auth|pass|pwd|credential|jwt|otp|ticket|nonce|saml';
/**
 * A query, fragment or form parameter (at the start, or after `?`, `&`, `#` or `;`) whose name
 * holds one of the secret words, with its value: `?token=…`, `#access_token=…`,
 * `&X-Amz-Signature=…`, `password=…&user=…`. Names are bounded so the search stays linear.
 */
export const SECRET_PARAMETER_PATTERN = new RegExp(
  `(^|[?&#;])([^=&#?\\s"'<>]{0,40}?(?:${SECRET_WORDS})[^=&#?\\s"'<>]{0,40})=([^&#;?\\s"'<>]+)`,
  'gi',
);
/** A JSON field whose name holds one of the secret words, with its string or number value: `"password": "…"`. */
export const SECRET_JSON_FIELD_PATTERN = new RegExp(
  `("[^"\\\\]{0,40}?(?:${SECRET_WORDS})[^"\\\\]{0,40}"\\s*:\\s*)("(?:[^"\\\\]|\\\\.){0,4096}"|-?\\d[\\d.eE+-]{0,40})`,
  'gi',
);
/** A whole string that is a URL with a query string or fragment: group 1 is the URL without them. */
export const URL_WITH_QUERY_PATTERN = /^((?:[a-z][a-z0-9+.-]*:)?\/\/?[^?#\s]*|\/[^?#\s]*)[?#]\S*$/i;
/** Necessary for a JSON field: a quote then a colon. */
const JSON_FIELD_HINT = /"\s*:/;
/** What a secret parameter's value becomes: fixed, so its length is not recorded either. */
export const REDACTED_PARAMETER_VALUE = 'redacted';
/** US social security numbers with dashes, without the never-issued 000, 666 and 9xx areas. */
export const SSN_PATTERN = /(?<![\d-])(?!000|666|9\d\d)\d{3}-(?!00)\d{2}-(?!0000)\d{4}(?![\d-])/g;
/** International phone numbers: `+`, a country code, then 7-14 more digits with spaces, dots, dashes or parentheses. */
export const PHONE_PATTERN = /(?<![\w+])\+[1-9](?:[ .()-]{0,2}\d){7,14}(?!\d)/g;

export const EMAIL_PATTERN = /[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}/g;
/** Candidate card numbers; each is Luhn-checked before redaction to spare order ids and timestamps. */
export const CARD_CANDIDATE_PATTERN = /(?<![\d])\d(?:[ -]?\d){12,18}(?![\d])/g;
/**
 * The shortest card candidate, thirteen digits with each separator optional: a string without a
 * match cannot hold one. Written out, not as `(?:[ -]?\d){12}`: V8's regexp engine scans the
 * written-out form about as fast as a four-digit test and ~5x faster than the counted group
 * (1.3 KB of base64 text: 0.45 against 2.6 us), while the candidate search over text that passes
 * a four-digit test but holds no card (ids, dates, base64) was most of the redactor's time.
 */
const CARD_MINIMUM_PATTERN = new RegExp(`\\d${'[ -]?\\d'.repeat(12)}`);

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

export type Redactor = (text: string) => string;

function toGlobal(pattern: RegExp | string): RegExp {
  if (typeof pattern === 'string') return new RegExp(pattern, 'g');
  return pattern.global ? pattern : new RegExp(pattern.source, `${pattern.flags}g`);
}

export function createRedactor(options: RedactionOptions = {}): Redactor {
  const emails = options.emails ?? true;
  const cards = options.cards ?? true;
  const secretFields = options.secretFields ?? true;
  const ssn = options.ssn ?? true;
  const phones = options.phones ?? false;
  const dropQueryStrings = options.dropQueryStrings ?? false;
  const extra = (options.patterns ?? []).map(toGlobal);
  return (text) => {
    if (text.length === 0) return text;
    let out = text;
    if (dropQueryStrings && (out.includes('?') || out.includes('#'))) {
      const url = URL_WITH_QUERY_PATTERN.exec(out);
      if (url) out = url[1]!;
    }
    if (secretFields) {
      if (out.includes('='))
        out = out.replace(
          SECRET_PARAMETER_PATTERN,
          (_match, separator: string, name: string) => `${separator}${name}=${REDACTED_PARAMETER_VALUE}`,
        );
      if (out.includes('"') && JSON_FIELD_HINT.test(out))
        out = out.replace(SECRET_JSON_FIELD_PATTERN, (_match, name: string) => `${name}"${REDACTED_PARAMETER_VALUE}"`);
    }
    if (ssn && out.includes('-')) out = out.replace(SSN_PATTERN, maskText);
    if (phones && out.includes('+')) out = out.replace(PHONE_PATTERN, maskText);
    // Cheap pre-checks, each a necessary condition for its pattern to match: most strings (class
    // names, CSS) have no '@' and no run of digits. redact.test.ts checks the result is the plain
    // patterns' over generated strings.
    if (emails && out.includes('@')) out = out.replace(EMAIL_PATTERN, maskText);
    if (cards && CARD_MINIMUM_PATTERN.test(out)) {
      out = out.replace(CARD_CANDIDATE_PATTERN, (match) =>
        luhnValid(match.replace(/[ -]/g, '')) ? maskText(match) : match,
      );
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
    const record = current as Record<string, unknown>;
    // An array by index: Object.keys would make a string of every index.
    if (Array.isArray(current))
      for (let i = 0; i < current.length; i++) changed += redactOrQueue(record, i, redact, stack);
    else for (const key of Object.keys(record)) changed += redactOrQueue(record, key, redact, stack);
  }
  return changed;
}

/** Redacts `record[key]` when it is a string (1 when that changed it); pushes it on `stack` when it holds more. */
function redactOrQueue(
  record: Record<string, unknown>,
  key: string | number,
  redact: Redactor,
  stack: unknown[],
): number {
  const item = record[key];
  if (item === null || typeof item !== 'object') return redactKey(record, key, redact);
  stack.push(item);
  return 0;
}

/**
 * Attributes that hold layout, geometry or style, never text a person wrote or read: an SVG path's
 * `d` is "9 496 252 496 113", which the card pattern took for a number. Also rrweb's own `rr_*`.
 */
const STRUCTURAL_ATTRIBUTE =
  /^(?:style|class|_csstext|rr_.*|d|points|viewbox|(?:gradient|pattern)?transform|[xy][12]?|[cdr][xy]|r|width|height|rotate|path|offset|values|key(?:times|splines|points)|stroke-dasharray|preserveaspectratio)$/i;
// rrweb's event types and incremental sources, as numbers (this package does not import rrweb).
const FULL_SNAPSHOT = 2;
const INCREMENTAL_SNAPSHOT = 3;
const SOURCE_MUTATION = 0;
const SOURCE_INPUT = 5;
const SOURCE_CANVAS = 9;
/** Canvas calls that draw text: their first argument is the text. */
const CANVAS_TEXT_CALLS = new Set(['fillText', 'strokeText']);
/**
 * Incremental sources that carry positions, ids, CSS or definitions only, never page text, one bit
 * each: mouse (1, 2), scroll (3), viewport (4), touch (6), media (7), style sheet rules (8), fonts
 * (10), drag (12), style declarations (13), selection (14), adopted style sheets (15), custom
 * elements (16). Canvas commands (9) are not among them: `fillText` draws text.
 */
const NON_TEXT_SOURCES = 0b1_1111_0101_1101_1110;

/** Redacts `record[key]` when it is a string; 1 when that changed it. */
function redactKey(record: Record<string, unknown>, key: string | number, redact: Redactor): number {
  const value = record[key];
  if (typeof value !== 'string') return 0;
  const next = redact(value);
  if (next === value) return 0;
  record[key] = next;
  return 1;
}

/** Redacts text-carrying attribute values; structure, style and `data:` URIs are kept. */
function redactAttributes(attributes: Record<string, unknown>, redact: Redactor): number {
  let changed = 0;
  for (const name of Object.keys(attributes)) {
    const value = attributes[name];
    if (typeof value === 'string' && !STRUCTURAL_ATTRIBUTE.test(name) && !/^\s*data:/i.test(value))
      changed += redactKey(attributes, name, redact);
  }
  return changed;
}

interface SerializedNodeLike {
  type?: unknown;
  textContent?: unknown;
  isStyle?: unknown;
  attributes?: unknown;
  childNodes?: unknown;
}

/** A serialized DOM tree: text and comments, and attributes that carry text; not `<style>` text. */
function redactNodeTree(root: unknown, redact: Redactor): number {
  let changed = 0;
  const stack: unknown[] = [root];
  while (stack.length > 0) {
    const node = stack.pop() as SerializedNodeLike | null | undefined;
    if (!node || typeof node !== 'object') continue;
    if (node.isStyle !== true) changed += redactKey(node as Record<string, unknown>, 'textContent', redact);
    if (node.attributes && typeof node.attributes === 'object')
      changed += redactAttributes(node.attributes as Record<string, unknown>, redact);
    if (Array.isArray(node.childNodes)) for (const child of node.childNodes) stack.push(child);
  }
  return changed;
}

/** One recorded event: rrweb's DOM events where user text lives, every other event whole. */
function redactEventInPlace(event: unknown, redact: Redactor): number {
  if (event === null || typeof event !== 'object') return 0;
  const { type, data } = event as { type?: unknown; data?: Record<string, unknown> | null };
  if (!data || typeof data !== 'object') return redactInPlace(event, redact);
  if (type === FULL_SNAPSHOT) return redactNodeTree(data.node, redact);
  if (type !== INCREMENTAL_SNAPSHOT) return redactInPlace(event, redact);
  const source = data.source;
  if (typeof source === 'number' && (NON_TEXT_SOURCES >> source) & 1) return 0;
  if (source === SOURCE_INPUT) return redactKey(data, 'text', redact);
  if (source === SOURCE_CANVAS) return redactCanvasText(data, redact);
  if (source !== SOURCE_MUTATION) return redactInPlace(event, redact);
  let changed = 0;
  const { adds, texts, attributes } = data as { adds?: unknown; texts?: unknown; attributes?: unknown };
  if (Array.isArray(adds)) for (const add of adds) changed += redactNodeTree((add as { node?: unknown })?.node, redact);
  if (Array.isArray(texts))
    for (const text of texts as Array<Record<string, unknown> | null>)
      if (text) changed += redactKey(text, 'value', redact);
  if (Array.isArray(attributes)) {
    for (const change of attributes as Array<{ attributes?: unknown } | null>) {
      if (change?.attributes && typeof change.attributes === 'object')
        changed += redactAttributes(change.attributes as Record<string, unknown>, redact);
    }
  }
  return changed;
}

/**
 * A canvas change: the text of `fillText` / `strokeText` calls. The rest is drawing: image frames
 * in base64 (where a run of digits passed the card check and corrupted the image), colours,
 * coordinates.
 */
function redactCanvasText(data: Record<string, unknown>, redact: Redactor): number {
  let changed = 0;
  const commands = Array.isArray(data.commands) ? (data.commands as unknown[]) : [data];
  for (const command of commands) {
    const { property, args } = (command ?? {}) as { property?: unknown; args?: unknown };
    if (typeof property === 'string' && CANVAS_TEXT_CALLS.has(property) && Array.isArray(args))
      changed += redactKey(args as unknown as Record<string, unknown>, '0', redact);
  }
  return changed;
}

/** What a session id looks like (the recorder's are 32 hex digits): an id, not a person's text. */
const SESSION_ID = /^[A-Za-z0-9_-]{16,64}$/;

/**
 * Fields of Reprise's own events that hold ids the application or the recorder chose, kept as
 * given: `userId` of `reprise.identify` (any string), and the linked session ids of
 * `reprise.session` (when they have a session id's shape). A random hex id has a run of 13 or
 * more digits that passes the card check about once in 200: masked, it broke the link between
 * an expired session and the next.
 */
const KEPT_IDS: Record<string, ReadonlyArray<{ field: string; keep(value: string): boolean }>> = {
  'reprise.identify': [{ field: 'userId', keep: () => true }],
  'reprise.session': [
    { field: 'previousSessionId', keep: (value) => SESSION_ID.test(value) },
    { field: 'nextSessionId', keep: (value) => SESSION_ID.test(value) },
  ],
};

/**
 * Redacts recorded events in place where people's text lives: rrweb's text nodes, comments,
 * text-carrying attributes (`title`, `alt`, `placeholder`, `aria-*`, `value`, link targets...),
 * input values, and every string of console, network, custom and other Reprise events. Not
 * `<style>` text, CSS rules, `style`, `class`, SVG geometry (`d`, `points`, `viewBox`...),
 * `data:` URIs, or positions: digits there are drawing, not card numbers.
 * Ids in Reprise's own events are kept (KEPT_IDS): the `userId` of `reprise.identify` is the id
 * the application chose for its user, kept as given so erasure by that id finds the session (an
 * e-mail address used as the id was masked to asterisks, so every address of the same length
 * shared one id and erasure by address found nothing). Traits are still redacted.
 */
export function redactEventsInPlace(events: readonly unknown[], redact: Redactor): number {
  let changed = 0;
  for (const event of events) {
    const kept = keptIds(event);
    // Out of the way while the event is redacted, so they neither change nor count.
    if (kept) for (const [field] of kept.values) kept.payload[field] = null;
    changed += redactEventInPlace(event, redact);
    if (kept) for (const [field, value] of kept.values) kept.payload[field] = value;
  }
  return changed;
}

/** The id fields of a Reprise event (rrweb custom event, `data.tag`) to put back after redaction. */
function keptIds(event: unknown): { payload: Record<string, unknown>; values: Array<[string, string]> } | undefined {
  if (event === null || typeof event !== 'object') return undefined;
  const { type, data } = event as { type?: unknown; data?: { tag?: unknown; payload?: unknown } | null };
  if (type !== 5 || typeof data?.tag !== 'string' || !Object.hasOwn(KEPT_IDS, data.tag)) return undefined;
  const payload = data.payload;
  if (payload === null || typeof payload !== 'object' || Array.isArray(payload)) return undefined;
  const fields = payload as Record<string, unknown>;
  const values: Array<[string, string]> = [];
  for (const { field, keep } of KEPT_IDS[data.tag]!) {
    const value = fields[field];
    if (typeof value === 'string' && keep(value)) values.push([field, value]);
  }
  return values.length > 0 ? { payload: fields, values } : undefined;
}
