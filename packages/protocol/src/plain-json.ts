import { ProtocolError } from './errors.js';
import { type PlainScan, tooManyValues } from './plain.js';

function badJson(what: string, at: number): ProtocolError {
  return new ProtocolError('bad_json', `Body is not valid JSON: ${what} at byte ${at}.`);
}

const keyDecoder = /* @__PURE__ */ (() => (typeof TextDecoder === 'function' ? new TextDecoder('utf-8') : undefined))();

const QUOTE = 0x22;
const BACKSLASH = 0x5c;

/** Whether `byte` is JSON whitespace (space, tab, line feed, carriage return). */
function isSpace(byte: number): boolean {
  return byte === 0x20 || byte === 0x09 || byte === 0x0a || byte === 0x0d;
}

function isDigit(byte: number): boolean {
  return byte >= 0x30 && byte <= 0x39;
}

function isHex(byte: number): boolean {
  return isDigit(byte) || (byte >= 0x41 && byte <= 0x46) || (byte >= 0x61 && byte <= 0x66);
}

/** One open container: its kind, and for an object the keys seen so far. */
interface Open {
  keys: Set<string> | undefined;
  /** Values read in it so far (an object counts its members). */
  count: number;
}

/**
 * The JSON counterpart of scanPlainMsgpack, for the unload frame (`Codec.json`): one linear pass
 * over the bytes, before `JSON.parse`, that refuses what `JSON.parse` would quietly change:
 * numbers that overflow to Infinity (`1e400`, which the writer would store as null) and duplicate
 * keys in one object (`JSON.parse` keeps the last, so the batch validated is not the one sent),
 * and counts every value (container, scalar, key) against `maxValues` (413 past it). Also refuses
 * any syntax error, so `JSON.parse` afterwards cannot fail. The bytes must already be known to be
 * UTF-8. Iterative (a stack of open containers), so hostile nesting costs memory proportional to
 * the bytes, never the call stack.
 */
export function scanPlainJson(bytes: Uint8Array, maxValues: number): PlainScan {
  const end = bytes.byteLength;
  const stack: Open[] = [];
  let values = 0;
  let at = 0;

  const skipSpace = () => {
    while (at < end && isSpace(bytes[at]!)) at++;
  };
  const count = () => {
    if (++values > maxValues) throw tooManyValues(maxValues);
  };

  /** Reads the string at `at` (its opening quote); returns its text only when `wantText`. */
  const readString = (wantText: boolean): string | undefined => {
    const start = at;
    at++;
    let escaped = false;
    for (;;) {
      if (at >= end) throw badJson('a string that never ends', start);
      const byte = bytes[at]!;
      if (byte === QUOTE) break;
      if (byte < 0x20) throw badJson('a control character inside a string', at);
      if (byte === BACKSLASH) {
        escaped = true;
        const next = bytes[at + 1];
        if (next === 0x75) {
          // \uXXXX: exactly four hex digits.
          for (let i = 2; i < 6; i++) {
            const hex = bytes[at + i];
            if (hex === undefined || !isHex(hex)) throw badJson('a \\u escape without four hex digits', at);
          }
          at += 6;
          continue;
        }
        // " \ / b f n r t
        if (next === undefined || !'"\\/bfnrt'.includes(String.fromCharCode(next)))
          throw badJson('an unknown escape', at);
        at += 2;
        continue;
      }
      at++;
    }
    at++;
    if (!wantText) return undefined;
    const slice = bytes.subarray(start, at);
    // A key with escapes ("\u0061" is "a") is compared by what it means, as JSON.parse reads it.
    return escaped ? (JSON.parse(keyDecoder!.decode(slice)) as string) : keyDecoder!.decode(slice.subarray(1, -1));
  };

  const readNumber = () => {
    const start = at;
    if (bytes[at] === 0x2d) at++;
    if (bytes[at] === 0x30) {
      at++;
    } else if (at < end && isDigit(bytes[at]!)) {
      while (at < end && isDigit(bytes[at]!)) at++;
    } else {
      throw badJson('a malformed number', start);
    }
    let mayOverflow = false;
    if (bytes[at] === 0x2e) {
      at++;
      if (!(at < end && isDigit(bytes[at]!))) throw badJson('a malformed number', start);
      while (at < end && isDigit(bytes[at]!)) at++;
    }
    if (bytes[at] === 0x65 || bytes[at] === 0x45) {
      at++;
      if (bytes[at] === 0x2b || bytes[at] === 0x2d) at++;
      if (!(at < end && isDigit(bytes[at]!))) throw badJson('a malformed number', start);
      while (at < end && isDigit(bytes[at]!)) at++;
      mayOverflow = true;
    }
    // Without an exponent a number overflows only past ~309 integer digits; check those too.
    if (mayOverflow || at - start > 300) {
      let text = '';
      for (let i = start; i < at; i++) text += String.fromCharCode(bytes[i]!);
      if (!Number.isFinite(Number(text)))
        throw new ProtocolError(
          'unsupported_type',
          `Batch holds a number too large for a double (${text.slice(0, 32)}) at byte ${start}; a batch holds finite numbers only.`,
        );
    }
  };

  const readLiteral = (literal: string) => {
    for (let i = 0; i < literal.length; i++) {
      if (bytes[at + i] !== literal.charCodeAt(i)) throw badJson(`an unexpected character`, at);
    }
    at += literal.length;
  };

  /** Reads one value at `at`; a container is only opened (pushed), its contents follow in the loop. */
  const readValue = () => {
    skipSpace();
    if (at >= end) throw badJson('the body ends where a value should be', at);
    count();
    const byte = bytes[at]!;
    if (byte === 0x7b) {
      at++;
      stack.push({ keys: new Set(), count: 0 });
    } else if (byte === 0x5b) {
      at++;
      stack.push({ keys: undefined, count: 0 });
    } else if (byte === QUOTE) {
      readString(false);
    } else if (byte === 0x74) {
      readLiteral('true');
    } else if (byte === 0x66) {
      readLiteral('false');
    } else if (byte === 0x6e) {
      readLiteral('null');
    } else if (byte === 0x2d || isDigit(byte)) {
      readNumber();
    } else {
      throw badJson('an unexpected character', at);
    }
  };

  readValue();
  while (stack.length > 0) {
    const top = stack[stack.length - 1]!;
    skipSpace();
    if (at >= end) throw badJson('the body ends inside an object or array', at);
    const closing = top.keys ? 0x7d : 0x5d;
    if (bytes[at] === closing) {
      at++;
      stack.pop();
      continue;
    }
    if (top.count > 0) {
      if (bytes[at] !== 0x2c) throw badJson('a missing comma', at);
      at++;
      skipSpace();
    }
    top.count++;
    if (top.keys) {
      if (bytes[at] !== QUOTE) throw badJson('an object key that is not a string', at);
      count();
      const keyAt = at;
      const key = readString(true)!;
      if (top.keys.has(key))
        throw new ProtocolError(
          'duplicate_key',
          `Batch repeats the key "${key.slice(0, 64)}" in one object (byte ${keyAt}); each key may appear once.`,
        );
      top.keys.add(key);
      skipSpace();
      if (bytes[at] !== 0x3a) throw badJson('a missing colon', at);
      at++;
    }
    readValue();
  }
  skipSpace();
  if (at !== end) throw badJson(`${end - at} bytes after the batch`, at);
  return { values };
}
