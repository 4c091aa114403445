/*
 * The batch encoder: msgpack with msgpackr's records, written here rather than by msgpackr's Packr.
 * Why hand-written: msgpackr's Packr extends its Unpackr, so encoding with it ships both, about
 * 11 kB gzip, more than the delivery worker's whole 10 kB budget (issue 15); with this module
 * (~3.9 kB minified) the worker went from 19.0 to 8.8 kB gzip. What keeps it honest: for plain
 * data it writes the very bytes Packr({ useRecords: true }) writes (pack.test.ts checks that over
 * generated values and batches, and that the collector's scan and msgpackr read them back), namely
 * msgpackr's one-byte record definitions (`0xd4 0x72 id keys`, ids 0x40-0x7f reused round-robin,
 * integers 0x40-0x7f as uint8 because those bytes read as records). The collector still decodes
 * with msgpackr (codec.ts). Nesting is bounded as the collector bounds it (DEFAULT_MAX_DEPTH); size
 * by the recorder's batch cut. `unpackOwnValue` reads back only what this side wrote (a recorder
 * splitting or re-tabbing a batch from its own outbox), without the collector's checks.
 */

import { ProtocolError } from './errors.js';
import { DEFAULT_MAX_DEPTH } from './limits.js';

/** Own record ids: msgpackr reads 0x40-0x7f as a record once one is defined there. */
const RECORD_IDS = 64;
const RECORD_BASE = 0x40;
const RECORD_EXTENSION = 0x72;

interface Shape {
  /** The record id this key sequence is defined as, or -1. */
  id: number;
  next: Map<string, Shape>;
}

const utf8 = new TextEncoder();

/** A plain value (what JSON can hold, plus Uint8Array as `bin`) -> msgpack bytes with records. */
export function packValue(value: unknown): Uint8Array {
  let buffer = new Uint8Array(16384);
  let view = new DataView(buffer.buffer);
  let length = 0;
  const shapes: Shape = { id: -1, next: new Map() };
  const owners: (Shape | undefined)[] = [];
  let nextId = 0;

  const reserve = (bytes: number): void => {
    if (length + bytes <= buffer.length) return;
    const grown = new Uint8Array(Math.max(buffer.length * 2, length + bytes));
    grown.set(buffer.subarray(0, length));
    buffer = grown;
    view = new DataView(buffer.buffer);
  };
  const byte = (token: number): void => {
    reserve(1);
    buffer[length++] = token;
  };
  /** A header with an 8-, 16- or 32-bit size after one of `codes` (null where a width has none). */
  const sized = (size: number, codes: readonly [number | null, number, number]): void => {
    reserve(5);
    if (size < 0x100 && codes[0] !== null) {
      buffer[length++] = codes[0];
      buffer[length++] = size;
    } else if (size < 0x10000) {
      buffer[length++] = codes[1];
      view.setUint16(length, size);
      length += 2;
    } else {
      buffer[length++] = codes[2];
      view.setUint32(length, size);
      length += 4;
    }
  };
  const float = (n: number): void => {
    reserve(9);
    buffer[length++] = 0xcb;
    view.setFloat64(length, n);
    length += 8;
  };
  const integer = (n: number, code: number, width: 1 | 2 | 4, signed: boolean): void => {
    reserve(5);
    buffer[length++] = code;
    if (width === 1) buffer[length] = n & 0xff;
    else if (width === 2) view[signed ? 'setInt16' : 'setUint16'](length, n);
    else view[signed ? 'setInt32' : 'setUint32'](length, n);
    length += width;
  };
  const number = (n: number): void => {
    // -0 is written as 0, as msgpackr's Packr does (and JSON would).
    if (!Number.isInteger(n)) return float(n);
    // Positive fixints stop at 0x3f: 0x40-0x7f are record references.
    if (n >= 0) {
      if (n < RECORD_BASE) byte(n);
      else if (n < 0x100) integer(n, 0xcc, 1, false);
      else if (n < 0x10000) integer(n, 0xcd, 2, false);
      else if (n <= 0xffffffff) integer(n, 0xce, 4, false);
      else float(n);
    } else if (n >= -0x20) byte(n & 0xff);
    else if (n >= -0x80) integer(n, 0xd0, 1, true);
    else if (n >= -0x8000) integer(n, 0xd1, 2, true);
    else if (n >= -0x80000000) integer(n, 0xd2, 4, true);
    else float(n);
  };
  const string = (text: string): void => {
    // Short ASCII (most keys and attribute values) is written in place, without an encoder call.
    if (text.length < 32) {
      reserve(1 + text.length);
      const start = length;
      buffer[length++] = 0xa0 | text.length;
      let i = 0;
      for (; i < text.length; i++) {
        const code = text.charCodeAt(i);
        if (code >= 0x80) break;
        buffer[length++] = code;
      }
      if (i === text.length) return;
      length = start;
    }
    // Encoded in place after a header sized for the worst case (3 bytes a UTF-16 unit), then
    // moved back if the real length needs a shorter header.
    const most = text.length * 3;
    const room = most < 0x100 ? 2 : most < 0x10000 ? 3 : 5;
    reserve(room + most);
    const { written } = utf8.encodeInto(text, buffer.subarray(length + room));
    const header = written < 32 ? 1 : written < 0x100 ? 2 : written < 0x10000 ? 3 : 5;
    if (header !== room) buffer.copyWithin(length + header, length + room, length + room + written);
    if (header === 1) buffer[length++] = 0xa0 | written;
    else sized(written, [0xd9, 0xda, 0xdb]);
    length += written;
  };
  const record = (keys: string[]): Shape => {
    let shape = shapes;
    for (const key of keys) {
      let next = shape.next.get(key);
      if (!next) shape.next.set(key, (next = { id: -1, next: new Map() }));
      shape = next;
    }
    return shape;
  };
  const write = (item: unknown, depth: number): void => {
    if (item === null || item === undefined) return byte(0xc0);
    switch (typeof item) {
      case 'string':
        return string(item);
      case 'number':
        return number(item);
      case 'boolean':
        return byte(item ? 0xc3 : 0xc2);
      case 'object':
        break;
      default:
        throw new TypeError(`A batch holds plain data only; found a ${typeof item}.`);
    }
    // The collector refuses deeper values (validate.ts), and the recursion stays far from the stack's end.
    if (depth >= DEFAULT_MAX_DEPTH)
      throw new ProtocolError(
        'too_deep',
        `A batch value is nested deeper than ${DEFAULT_MAX_DEPTH} levels; the collector would refuse it.`,
      );
    if (item instanceof Uint8Array) {
      sized(item.length, [0xc4, 0xc5, 0xc6]);
      reserve(item.length);
      buffer.set(item, length);
      length += item.length;
      return;
    }
    if (Array.isArray(item)) {
      if (item.length < 16) byte(0x90 | item.length);
      else sized(item.length, [null, 0xdc, 0xdd]);
      for (const element of item) write(element, depth + 1);
      return;
    }
    const object = item as Record<string, unknown> & { toJSON?: () => unknown };
    // As JSON would: a Date (or anything with toJSON) as what it serialises to.
    if (typeof object.toJSON === 'function') return write(object.toJSON(), depth);
    const keys: string[] = [];
    for (const key of Object.keys(object)) {
      const kind = typeof object[key];
      if (kind !== 'undefined' && kind !== 'function' && kind !== 'symbol') keys.push(key);
    }
    const shape = record(keys);
    if (shape.id >= 0) {
      byte(RECORD_BASE | shape.id);
    } else {
      const id = nextId;
      nextId = (nextId + 1) % RECORD_IDS;
      const evicted = owners[id];
      if (evicted) evicted.id = -1;
      owners[id] = shape;
      shape.id = id;
      reserve(3);
      buffer[length++] = 0xd4;
      buffer[length++] = RECORD_EXTENSION;
      buffer[length++] = RECORD_BASE | id;
      write(keys, depth);
    }
    for (const key of keys) write(object[key], depth + 1);
  };

  write(value, 0);
  return buffer.slice(0, length);
}

const utf8Decoder = new TextDecoder();

/**
 * msgpack this side wrote (packValue, or msgpackr's Packr in an older outbox) -> value. Not for
 * bytes from anyone else: a collector scans and decodes with msgpackr (codec.ts).
 */
export function unpackOwnValue(bytes: Uint8Array): unknown {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const records: string[][] = [];
  let at = 0;

  const text = (size: number): string => utf8Decoder.decode(bytes.subarray(at, (at += size)));
  const array = (size: number): unknown[] => {
    const out = new Array<unknown>(size);
    for (let i = 0; i < size; i++) out[i] = read();
    return out;
  };
  // defineProperty: a key named __proto__ (an element may have such an attribute) stays a key.
  const put = (out: Record<string, unknown>, key: string, value: unknown): void => {
    Object.defineProperty(out, key, { value, enumerable: true, writable: true, configurable: true });
  };
  const map = (size: number): Record<string, unknown> => {
    const out: Record<string, unknown> = {};
    for (let i = 0; i < size; i++) put(out, String(read()), read());
    return out;
  };
  const fill = (keys: string[]): Record<string, unknown> => {
    const out: Record<string, unknown> = {};
    for (const key of keys) put(out, key, read());
    return out;
  };
  const u8 = (): number => bytes[at++]!;
  /** The big-endian integer of `width` (1, 2, 4 or 8) bytes, unsigned unless `signed`: a length, a count or an int. */
  const integer = (width: number, signed: boolean): number => {
    const from = at;
    at += width;
    switch (width) {
      case 1:
        return signed ? view.getInt8(from) : bytes[from]!;
      case 2:
        return signed ? view.getInt16(from) : view.getUint16(from);
      case 4:
        return signed ? view.getInt32(from) : view.getUint32(from);
      default:
        return Number(signed ? view.getBigInt64(from) : view.getBigUint64(from));
    }
  };
  const bin = (size: number): Uint8Array => bytes.slice(at, (at += size));

  const read = (): unknown => {
    if (at >= bytes.length) throw new RangeError('msgpack ends inside a value');
    const token = u8();
    if (token < 0x40) return token;
    if (token < 0x80) {
      const keys = records[token & 0x3f];
      return keys ? fill(keys) : token;
    }
    if (token < 0x90) return map(token & 0x0f);
    if (token < 0xa0) return array(token & 0x0f);
    if (token < 0xc0) return text(token & 0x1f);
    if (token >= 0xe0) return token - 0x100;
    switch (token) {
      case 0xc0:
        return null;
      case 0xc2:
        return false;
      case 0xc3:
        return true;
      // Within a family the low bits of the token select the width: bin 8/16/32 (0xc4-0xc6).
      case 0xc4:
      case 0xc5:
      case 0xc6:
        return bin(integer(1 << (token - 0xc4), false));
      case 0xca:
        return ((at += 4), view.getFloat32(at - 4));
      case 0xcb:
        return ((at += 8), view.getFloat64(at - 8));
      // uint 8/16/32/64 (0xcc-0xcf), int 8/16/32/64 (0xd0-0xd3).
      case 0xcc:
      case 0xcd:
      case 0xce:
      case 0xcf:
        return integer(1 << (token & 3), false);
      case 0xd0:
      case 0xd1:
      case 0xd2:
      case 0xd3:
        return integer(1 << (token & 3), true);
      case 0xd4: {
        if (u8() !== RECORD_EXTENSION) break;
        const id = u8() & 0x3f;
        const keys = (records[id] = (read() as unknown[]).map(String));
        return fill(keys);
      }
      // str 8/16/32 (0xd9-0xdb), array 16/32 (0xdc, 0xdd), map 16/32 (0xde, 0xdf).
      case 0xd9:
      case 0xda:
      case 0xdb:
        return text(integer(1 << (token - 0xd9), false));
      case 0xdc:
      case 0xdd:
        return array(integer(2 << (token & 1), false));
      case 0xde:
      case 0xdf:
        return map(integer(2 << (token & 1), false));
    }
    throw new RangeError(`msgpack token 0x${token.toString(16)} at byte ${at - 1} is not one this side writes`);
  };

  const value = read();
  if (at !== bytes.length) throw new RangeError('msgpack holds more than one value');
  return value;
}
