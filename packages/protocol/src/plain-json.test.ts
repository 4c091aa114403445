import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { Codec, ProtocolError, decodeBatch, encodeJsonBatchFrame, scanPlainJson } from './index.js';
import { START, refusal, sampleBatch } from './test-support.js';

const LIMITS = { timeWindow: { now: START, maxSkewMs: 86_400_000 } };
const utf8 = (text: string) => new TextEncoder().encode(text);

/** The sample batch as JSON text with `"data":PATCH` in place of its second event's data. */
function jsonWithData(patch: string): string {
  const text = JSON.stringify(sampleBatch());
  const data = JSON.stringify(sampleBatch().events[1]!.data);
  expect(text.includes(data)).toBe(true);
  return text.replace(data, patch);
}

/** Values in a parsed JSON value (each key counted, as the scan counts them), and whether every number is finite. */
function shape(value: unknown): { values: number; finite: boolean } {
  let values = 0;
  let finite = true;
  const stack = [value];
  while (stack.length > 0) {
    const item = stack.pop();
    values++;
    if (typeof item === 'number' && !Number.isFinite(item)) finite = false;
    if (Array.isArray(item)) stack.push(...(item as unknown[]));
    else if (item !== null && typeof item === 'object') {
      for (const child of Object.values(item)) {
        values++;
        stack.push(child);
      }
    }
  }
  return { values, finite };
}

const decodeJson = (text: string) => decodeBatch(utf8(text), LIMITS, Codec.json);

describe('the JSON unload frame holds plain data only', () => {
  test("the page's own JSON frame passes the scan and decodes to the batch it encoded", () => {
    const batch = sampleBatch();
    // Strings JSON escapes, and a fraction and an exponent, as a page's JSON.stringify writes them.
    batch.events[0]!.data = { href: 'http://127.0.0.1/"x"\\\u00e9\u2028', width: 1024, height: 768 };
    (batch.events[1]!.data as { positions: unknown[] }).positions.push({ x: -1.5e-3, y: 2e30, id: 8, timeOffset: 0 });
    const payload = encodeJsonBatchFrame(batch).subarray(8);
    expect(scanPlainJson(payload, 1000).values).toBeGreaterThan(20);
    expect(decodeBatch(payload, LIMITS, Codec.json)).toEqual(batch);
  });

  test.each([
    ['1e400', '1e400'],
    ['-1e400', '-1e400'],
    ['1E+999', '1E+999'],
    ['123456789e308', '123456789e308'],
    ['400 nines', '9'.repeat(400)],
    ['309 nines and a fraction', '-' + '9'.repeat(309) + '.5'],
  ])('a number that overflows a double (%s) is refused with a 400, not stored as null', (_, number) => {
    const error = refusal(() => decodeJson(jsonWithData(`{"source":1,"x":${number}}`)));
    expect([error.code, error.status]).toEqual(['unsupported_type', 400]);
    expect(error.message).toMatch(/finite numbers only/);
  });

  test('a tiny or long number that is still finite passes', () => {
    expect(() => decodeJson(jsonWithData(`{"source":1,"x":1e-400,"y":${'9'.repeat(300)}}`))).not.toThrow();
  });

  test.each([
    ['a repeated key', '{"source":1,"x":1,"x":2}', 'x'],
    ['a key repeated through an escape', '{"source":1,"x":1,"\\u0078":2}', 'x'],
    ['a repeated key in a nested object', '{"source":1,"p":[{"id":1,"id":1}]}', 'id'],
  ])('%s is refused with a 400 naming the key', (_, patch, key) => {
    const error = refusal(() => decodeJson(jsonWithData(patch)));
    expect([error.code, error.status]).toEqual(['duplicate_key', 400]);
    expect(error.message).toContain(`"${key}"`);
  });

  test('the same key in sibling objects is not a repeat', () => {
    expect(() => decodeJson(jsonWithData('{"source":1,"p":[{"id":1},{"id":1}]}'))).not.toThrow();
  });

  test('a repeated top-level key (a second "session" overriding the first) is refused', () => {
    const text = JSON.stringify(sampleBatch()).replace(/}$/, ',"session":"other"}');
    expect(refusal(() => decodeJson(text)).code).toBe('duplicate_key');
  });

  test('more values than the budget is a 413, counted before JSON.parse builds anything', () => {
    const body = utf8(`[${'{},'.repeat(3_000_000)}{}]`);
    const started = performance.now();
    const error = refusal(() => scanPlainJson(body, 2_000_000));
    // Linear: well under a second on an idle machine; the bound leaves room for a loaded one.
    expect(performance.now() - started).toBeLessThan(15_000);
    expect([error.code, error.status]).toEqual(['too_many_values', 413]);
  }, 60_000);

  test('a million levels of nesting are scanned without a stack overflow, in bounded time', () => {
    const depth = 1_000_000;
    const started = performance.now();
    expect(scanPlainJson(utf8('['.repeat(depth) + ']'.repeat(depth)), 2 * depth).values).toBe(depth);
    expect(refusal(() => scanPlainJson(utf8('['.repeat(depth) + ']'.repeat(depth - 1)), 2 * depth)).code).toBe(
      'bad_json',
    );
    expect(performance.now() - started).toBeLessThan(20_000);
  }, 60_000);

  test.each([
    '',
    ' ',
    '{"a":1,}',
    '[1,]',
    '{,}',
    '{"a" 1}',
    '[01]',
    '[1.]',
    '[.5]',
    '[1e]',
    '[-]',
    '["\\x"]',
    '["\\u12"]',
    '["a\tb"]',
    '[tru]',
    '[1] [2]',
    '{"a":1}x',
    "{'a':1}",
    '[NaN]',
    '[Infinity]',
    '[+1]',
  ])('malformed JSON %j is a 400 bad_json', (text) => {
    const error = refusal(() => scanPlainJson(utf8(text), 1000));
    expect([error.code, error.status]).toEqual(['bad_json', 400]);
  });

  test('invalid UTF-8 is a 400 bad_json', () => {
    const error = refusal(() => decodeBatch(new Uint8Array([0x22, 0xff, 0x22]), LIMITS, Codec.json));
    expect([error.code, error.status]).toEqual(['bad_json', 400]);
  });

  test('agrees with JSON.parse on any JSON text and on mutations of it', () => {
    const mutated = fc
      .tuple(fc.json({ maxDepth: 4 }), fc.nat(), fc.constantFrom('', ',', ']', '}', '"', '\\', ':', '1e999', ' ', '{'))
      .map(([text, at, insert]) => {
        const i = text.length === 0 ? 0 : at % text.length;
        return text.slice(0, i) + insert + text.slice(i + (at % 3 === 0 ? 1 : 0));
      });
    fc.assert(
      fc.property(fc.oneof(fc.json({ maxDepth: 6 }), mutated, fc.string({ unit: 'binary' })), (text) => {
        let parsed: { ok: true; value: unknown } | { ok: false };
        try {
          parsed = { ok: true, value: JSON.parse(text) };
        } catch {
          parsed = { ok: false };
        }
        let scanned: ProtocolError | undefined;
        let values = 0;
        try {
          values = scanPlainJson(utf8(text), 1_000_000).values;
        } catch (error) {
          if (!(error instanceof ProtocolError)) throw error;
          scanned = error;
        }
        if (!parsed.ok) {
          // JSON.parse refuses: the scan refuses too (it is the gate JSON.parse stands behind), as
          // malformed or for a repeat or an overflow it met before the syntax error.
          expect(['bad_json', 'duplicate_key', 'unsupported_type']).toContain(scanned?.code);
        } else if (scanned) {
          // The scan refuses valid JSON only for what JSON.parse would silently change.
          expect(['duplicate_key', 'unsupported_type']).toContain(scanned.code);
          if (scanned.code === 'unsupported_type') expect(shape(parsed.value).finite).toBe(false);
        } else {
          // Accepted: JSON.parse read it without loss (no Infinity, no key dropped by a repeat).
          expect(shape(parsed.value)).toEqual({ values, finite: true });
        }
      }),
      { numRuns: 2_000 },
    );
  }, 60_000);
});
