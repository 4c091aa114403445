import { ProtocolError } from './errors.js';

/**
 * msgpack extension types msgpackr would otherwise turn into something other than plain data, by
 * name, for the refusal message. Every extension is refused (the protocol allows none); these are
 * only the ones worth naming.
 */
const EXTENSION_NAMES: Readonly<Record<number, string>> = {
  0x00: 'undefined',
  0x42: 'BigInt',
  0x62: 'bundled strings',
  0x65: 'Error',
  0x69: 'structured-clone object id',
  0x70: 'structured-clone reference',
  0x72: 'two-byte record definition',
  0x73: 'Set',
  0x74: 'typed array',
  0x78: 'RegExp',
  0xff: 'timestamp (Date)',
};

/** msgpackr's record definition extension ("r"): the one extension the protocol's own encoder writes. */
const RECORD_EXTENSION = 0x72;

function unsupported(what: string, at: number): ProtocolError {
  return new ProtocolError(
    'unsupported_type',
    `Batch holds ${what} at byte ${at}; a batch holds plain data only (maps, arrays, strings, finite numbers, booleans, nil).`,
  );
}

function extensionRefusal(type: number, at: number): ProtocolError {
  const name = EXTENSION_NAMES[type];
  return unsupported(`msgpack extension type 0x${type.toString(16).padStart(2, '0')}${name ? ` (${name})` : ''}`, at);
}

/** A batch past the value budget: 413, which the recorder answers by halving the batch. */
export function tooManyValues(maxValues: number): ProtocolError {
  return new ProtocolError('too_many_values', `Batch holds more than ${maxValues} values; send smaller batches.`);
}

function truncated(at: number): ProtocolError {
  return new ProtocolError('bad_msgpack', `Body is not valid msgpack: it ends inside a value (byte ${at}).`);
}

/** The unsigned big-endian integer of `width` (1, 2 or 4) bytes at `at`: a string's length or a container's count. */
function readLength(bytes: Uint8Array, view: DataView, at: number, width: number): number {
  return width === 1 ? bytes[at]! : width === 2 ? view.getUint16(at) : view.getUint32(at);
}

/**
 * Most msgpack values one batch may hold. Real batches (the recorder cuts at ~1 MB) hold a few
 * values per byte at most; 2 million covers an 8 MiB batch at 4 bytes a value, and bounds a
 * decoded batch to roughly 100 MB of objects (8 MB of empty maps would be 8 million).
 */
export const DEFAULT_MAX_VALUES = 2_000_000;

const fatalUtf8 = /* @__PURE__ */ (() =>
  typeof TextDecoder === 'function' ? new TextDecoder('utf-8', { fatal: true }) : undefined)();
const keyDecoder = /* @__PURE__ */ (() => (typeof TextDecoder === 'function' ? new TextDecoder('utf-8') : undefined))();

/** Whether `bytes` is well-formed UTF-8 (Node's `isUtf8` from `node:buffer` fits, and is several times faster). */
export type Utf8Check = (bytes: Uint8Array) => boolean;

/** Whether `bytes[start, end)` is well-formed UTF-8: ASCII is checked inline, the rest by a fatal TextDecoder. */
function portableIsUtf8(bytes: Uint8Array, start: number, end: number): boolean {
  for (let i = start; i < end; i++) {
    if (bytes[i]! >= 0x80) {
      try {
        fatalUtf8!.decode(bytes.subarray(i, end));
        return true;
      } catch {
        return false;
      }
    }
  }
  return true;
}

export interface PlainScan {
  /** Every msgpack value in the body: each container, each scalar, each map key. */
  values: number;
}

/**
 * One linear pass over a batch's msgpack before msgpackr builds anything from it: refuses every
 * extension but msgpackr's one-byte record definitions (which the protocol's encoder writes), `bin`,
 * the unused byte 0xc1, non-string or duplicate map keys, invalid UTF-8, NaN and infinities,
 * trailing bytes, and more than `maxValues` values (HTTP 413: the recorder halves such a batch).
 *
 * Why before decoding: msgpackr's structured-clone extensions let 500 bytes describe a graph
 * with 2^40 paths, and 8 MB of empty maps decode to a gigabyte of objects; neither can be undone
 * by checking the decoded value. Iterative (a stack of remaining counts), so hostile nesting costs
 * memory proportional to the bytes, never the call stack.
 */
export function scanPlainMsgpack(bytes: Uint8Array, maxValues: number, utf8?: Utf8Check): PlainScan {
  const isUtf8 = utf8
    ? (source: Uint8Array, start: number, end: number) => end === start || utf8(source.subarray(start, end))
    : portableIsUtf8;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const end = bytes.byteLength;
  /** Record (structure) ids defined so far -> their key count; msgpackr reads 0x40-0x7f as records once defined. */
  const records = new Int32Array(64).fill(-1);
  /** Values still to read in each open container, innermost last. A map counts key and value. */
  const remaining: number[] = [];
  /** For each open container: -1 for an array or a record, else the start of the map's key set in `keys`. */
  const keyMode: number[] = [];
  /** Whether the next value of the innermost container is a map key (its parity). */
  let values = 0;
  let at = 0;
  const need = (n: number) => {
    if (at + n > end) throw truncated(at);
  };
  const mapKeys: Array<Set<string>> = [];
  let done = false;

  const open = (count: number, isMap: boolean) => {
    if (count === 0) return;
    remaining.push(count);
    keyMode.push(isMap ? 1 : -1);
    if (isMap) mapKeys.push(new Set());
  };

  while (!done || remaining.length > 0) {
    if (at >= end) throw truncated(at);
    if (++values > maxValues) {
      throw tooManyValues(maxValues);
    }
    // Whether this value is a map key: keys must be strings, unique within their map.
    const depth = remaining.length - 1;
    const isKey = depth >= 0 && keyMode[depth]! >= 0 && remaining[depth]! % 2 === 0;
    const token = bytes[at]!;
    const start = at;
    at++;
    let children = 0;
    let isMap = false;
    let strLength = -1;
    if (token < 0x80) {
      // Positive fixint, or (msgpackr's records) a reference to a record defined earlier.
      if (token >= 0x40 && records[token & 0x3f]! >= 0) children = records[token & 0x3f]!;
    } else if (token < 0x90) {
      children = (token & 0x0f) * 2;
      isMap = true;
    } else if (token < 0xa0) {
      children = token & 0x0f;
    } else if (token < 0xc0) {
      strLength = token & 0x1f;
    } else if (token >= 0xe0) {
      // negative fixint
    } else {
      switch (token) {
        case 0xc0:
        case 0xc2:
        case 0xc3:
          break;
        case 0xc1:
          throw new ProtocolError('bad_msgpack', `Body is not valid msgpack: byte 0xc1 (never used) at ${start}.`);
        case 0xc4:
        case 0xc5:
        case 0xc6:
          throw unsupported('msgpack bin (raw bytes)', start);
        case 0xc7:
        case 0xc8:
        case 0xc9: {
          // ext 8/16/32: a size of 1, 2 or 4 bytes, then the type.
          const size = 1 << (token - 0xc7);
          need(size + 1);
          throw extensionRefusal(bytes[at + size]!, start);
        }
        case 0xca:
          need(4);
          if (!Number.isFinite(view.getFloat32(at))) throw unsupported('a non-finite number (NaN or Infinity)', start);
          at += 4;
          break;
        case 0xcb:
          need(8);
          if (!Number.isFinite(view.getFloat64(at))) throw unsupported('a non-finite number (NaN or Infinity)', start);
          at += 8;
          break;
        // uint 8/16/32/64 (0xcc-0xcf) and int 8/16/32/64 (0xd0-0xd3): the low two bits select 1, 2, 4 or 8 bytes.
        case 0xcc:
        case 0xcd:
        case 0xce:
        case 0xcf:
        case 0xd0:
        case 0xd1:
        case 0xd2:
        case 0xd3:
          at += 1 << (token & 3);
          break;
        case 0xd4: {
          need(2);
          const type = bytes[at]!;
          if (type !== RECORD_EXTENSION) throw extensionRefusal(type, start);
          // A record definition: its id, an array of its keys, then the first record's values.
          const id = bytes[at + 1]! & 0x3f;
          at += 2;
          need(1);
          const header = bytes[at]!;
          let keyCount: number;
          if (header >= 0x90 && header < 0xa0) {
            keyCount = header & 0x0f;
            at += 1;
          } else if (header === 0xdc || header === 0xdd) {
            // array 16/32: a count of 2 or 4 bytes.
            const width = 2 << (header & 1);
            need(1 + width);
            keyCount = readLength(bytes, view, at + 1, width);
            at += 1 + width;
          } else {
            throw new ProtocolError(
              'bad_msgpack',
              `Body is not valid msgpack: a record definition at byte ${start} has no key array.`,
            );
          }
          if (keyCount > end - at) throw truncated(at);
          const seen = new Set<string>();
          for (let k = 0; k < keyCount; k++) {
            if (++values > maxValues) throw tooManyValues(maxValues);
            const key = readKeyString(bytes, view, at, isUtf8);
            if (key === undefined) throw unsupported('a record key that is not a string', at);
            at = key.next;
            if (seen.has(key.text))
              throw new ProtocolError(
                'duplicate_key',
                `Batch repeats the key "${key.text.slice(0, 64)}" in one record definition (byte ${start}); each key may appear once.`,
              );
            seen.add(key.text);
          }
          records[id] = keyCount;
          children = keyCount;
          break;
        }
        case 0xd5:
        case 0xd6:
        case 0xd7:
        case 0xd8:
          need(1);
          throw extensionRefusal(bytes[at]!, start);
        // str 8/16/32: a length of 1, 2 or 4 bytes.
        case 0xd9:
        case 0xda:
        case 0xdb: {
          const width = 1 << (token - 0xd9);
          need(width);
          strLength = readLength(bytes, view, at, width);
          at += width;
          break;
        }
        // array 16/32 (0xdc, 0xdd) and map 16/32 (0xde, 0xdf): the low bit selects a count of 2 or 4 bytes.
        case 0xdc:
        case 0xdd:
        case 0xde:
        case 0xdf: {
          const width = 2 << (token & 1);
          need(width);
          isMap = token >= 0xde;
          children = readLength(bytes, view, at, width) * (isMap ? 2 : 1);
          at += width;
          break;
        }
      }
    }
    if (at > end) throw truncated(start);
    if (strLength >= 0) {
      need(strLength);
      if (!isUtf8(bytes, at, at + strLength))
        throw new ProtocolError('bad_utf8', `Batch holds a string that is not valid UTF-8 at byte ${start}.`);
      if (isKey) {
        const keys = mapKeys[mapKeys.length - 1]!;
        const text = keyText(bytes, at, at + strLength);
        if (keys.has(text))
          throw new ProtocolError(
            'duplicate_key',
            `Batch repeats the key "${text.slice(0, 64)}" in one map (byte ${start}); each key may appear once.`,
          );
        keys.add(text);
      }
      at += strLength;
    } else if (isKey) {
      throw unsupported('a map key that is not a string', start);
    }
    // Each child needs at least a byte: a count past the bytes left is a lie, refused before any loop trusts it.
    if (children > end - at) throw truncated(start);
    // This value is read: it counts against its container, then its own children (if any) open.
    if (depth >= 0) {
      remaining[depth]!--;
    } else {
      done = true;
    }
    while (remaining.length > 0 && remaining[remaining.length - 1] === 0) {
      remaining.pop();
      if (keyMode.pop()! >= 0) mapKeys.pop();
    }
    open(children, isMap);
  }
  if (at !== end) {
    throw new ProtocolError(
      'bad_msgpack',
      `Body holds ${end - at} bytes after the batch; a batch is exactly one msgpack value.`,
    );
  }
  return { values };
}

/** A map or record key at `at`: its text and where the next value starts, or undefined for a non-string. */
function readKeyString(
  bytes: Uint8Array,
  view: DataView,
  at: number,
  isUtf8: (bytes: Uint8Array, start: number, end: number) => boolean,
): { text: string; next: number } | undefined {
  if (at >= bytes.byteLength) throw truncated(at);
  const token = bytes[at]!;
  let length: number;
  let from: number;
  if (token >= 0xa0 && token < 0xc0) {
    length = token & 0x1f;
    from = at + 1;
  } else if (token >= 0xd9 && token <= 0xdb) {
    // str 8/16/32: a length of 1, 2 or 4 bytes.
    const width = 1 << (token - 0xd9);
    from = at + 1 + width;
    if (from > bytes.byteLength) throw truncated(at);
    length = readLength(bytes, view, at + 1, width);
  } else {
    return undefined;
  }
  if (from + length > bytes.byteLength) throw truncated(at);
  const next = from + length;
  if (!isUtf8(bytes, from, next))
    throw new ProtocolError('bad_utf8', `Batch holds a key that is not valid UTF-8 at byte ${at}.`);
  return { text: keyText(bytes, from, next), next };
}

/** Longest key read by hand when it is ASCII. */
const SHORT_KEY_BYTES = 32;

/**
 * A key's text from its (valid UTF-8) bytes. Keys are short and nearly always ASCII: read by hand,
 * one costs a fraction of a TextDecoder call.
 */
function keyText(bytes: Uint8Array, from: number, to: number): string {
  if (to - from <= SHORT_KEY_BYTES) {
    let text = '';
    let i = from;
    while (i < to && bytes[i]! < 0x80) text += String.fromCharCode(bytes[i++]!);
    if (i === to) return text;
  }
  return keyDecoder!.decode(bytes.subarray(from, to));
}
