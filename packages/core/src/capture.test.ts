import { describe, expect, test, vi } from 'vitest';
import {
  CLOCK_READ_EVERY,
  countNodeChanges,
  createBreakerState,
  createSlidingWindowCounter,
} from './capture/breaker.js';
import { consolePayload } from './capture/console.js';
import { capturedErrorPayload, copyUserValue, customPayload, identifyPayload } from './capture/custom.js';
import { errorPayload } from './capture/errors.js';
import { CIRCULAR_MARKER, MAX_ERROR_CAUSES, MAX_ERROR_TEXT_LENGTH, MAX_USER_VALUE_DEPTH } from './limits.js';
import { navigationPayload } from './capture/navigation.js';
import { describeBody, filterHeaders, isIgnoredUrl, isTextContentType, parseRawHeaders } from './capture/network.js';
import { patchMethod } from './capture/patch.js';
import { ELLIPSIS, serializeValue, utf8Length } from './capture/serialize.js';
import { DEFAULT_MAX_STRING_LENGTH, encodeBatch, redactInPlace, type JsonValue } from '@reprise/protocol';

describe('serializeValue', () => {
  test('strings pass through; primitives print like the console', () => {
    expect(serializeValue('plain', 100)).toEqual({ text: 'plain', truncated: false });
    expect(serializeValue(42, 100).text).toBe('42');
    expect(serializeValue(10n, 100).text).toBe('10n');
    expect(serializeValue(undefined, 100).text).toBe('undefined');
    expect(serializeValue(null, 100).text).toBe('null');
    expect(serializeValue(Symbol('s'), 100).text).toBe('Symbol(s)');
    expect(serializeValue(function named() {}, 100).text).toBe('[Function named]');
  });

  test('objects, arrays, maps and sets are shown with their content', () => {
    expect(serializeValue({ a: 1, b: 'x', c: [true, null] }, 100).text).toBe('{"a": 1, "b": "x", "c": [true, null]}');
    expect(serializeValue(new Map([['k', 1]]), 100).text).toBe('Map(1) {"k" => 1}');
    expect(serializeValue(new Set([1, 2]), 100).text).toBe('Set(2) {1, 2}');
    expect(serializeValue(new Date(0), 100).text).toBe('1970-01-01T00:00:00.000Z');
  });

  test('circular references are named, never followed', () => {
    const node: { name: string; self?: unknown; list: unknown[] } = { name: 'n', list: [] };
    node.self = node;
    node.list.push(node);
    expect(serializeValue(node, 200).text).toBe('{"name": "n", "list": [[Circular]], "self": [Circular]}');
  });

  test('a shared (non-circular) object is printed twice', () => {
    const shared = { x: 1 };
    expect(serializeValue([shared, shared], 100).text).toBe('[{"x": 1}, {"x": 1}]');
  });

  test('deep nesting is summarised past the depth limit', () => {
    const deep = { a: { b: { c: { d: { e: { f: 1 } } } } } };
    expect(serializeValue(deep, 200).text).toBe('{"a": {"b": {"c": {"d": [Object]}}}}');
  });

  test('the length cap holds for huge values and marks them truncated', () => {
    const huge = Array.from({ length: 100_000 }, (_, i) => ({ i, text: 'x'.repeat(50) }));
    const started = performance.now();
    const result = serializeValue(huge, 500);
    expect(performance.now() - started).toBeLessThan(50);
    expect(result.text.length).toBeLessThanOrEqual(500);
    expect(result.text.endsWith(ELLIPSIS)).toBe(true);
    expect(result.truncated).toBe(true);
    expect(serializeValue('y'.repeat(10), 5)).toEqual({ text: `yyyy${ELLIPSIS}`, truncated: true });
  });

  test('errors keep name, message and stack; throwing getters do not break serialization', () => {
    const error = new TypeError('bad thing');
    expect(serializeValue(error, 10_000).text).toContain('TypeError: bad thing');
    const hostile = Object.defineProperty({}, 'boom', {
      enumerable: true,
      get: () => {
        throw new Error('no');
      },
    });
    expect(serializeValue(hostile, 100).text).toBe('{"boom": "[getter threw]"}');
  });

  test('utf8Length counts bytes', () => {
    expect(utf8Length('abc')).toBe(3);
    expect(utf8Length('é')).toBe(2);
    expect(utf8Length('€')).toBe(3);
    expect(utf8Length('😀')).toBe(4);
  });
});

describe('consolePayload', () => {
  test('serializes each argument and caps their number and length', () => {
    const payload = consolePayload('log', ['hello', { a: 1 }, 3], { maxArgLength: 100, maxArgs: 50 });
    expect(payload).toEqual({ level: 'log', args: ['hello', '{"a": 1}', '3'] });
    const capped = consolePayload('warn', ['x'.repeat(20), 'y', 'z'], { maxArgLength: 10, maxArgs: 2 });
    expect(capped.args).toEqual([`xxxxxxxxx${ELLIPSIS}`, 'y']);
    expect(capped.truncated).toBe(true);
  });
});

describe('network helpers', () => {
  test('headers: nothing by default, all or an allow-list when asked, never credentials', () => {
    const headers: Array<[string, string]> = [
      ['Content-Type', 'application/json'],
      ['Authorization', 'Bearer secret'],
      ['Cookie', 'sid=1'],
      ['Set-Cookie', 'sid=2'],
      ['Proxy-Authorization', 'Basic x'],
      ['X-Request-Id', 'r1'],
    ];
    expect(filterHeaders(headers, false)).toBeUndefined();
    expect(filterHeaders(headers, true)).toEqual({ 'content-type': 'application/json', 'x-request-id': 'r1' });
    expect(filterHeaders(headers, ['x-request-id', 'AUTHORIZATION', 'cookie'])).toEqual({ 'x-request-id': 'r1' });
    expect(filterHeaders([['authorization', 'x']], true)).toBeUndefined();
  });

  test('headers whose names carry credentials by convention are never recorded, even when allow-listed', () => {
    const secret = [
      'X-Api-Key',
      'X-Auth-Token',
      'X-Amz-Security-Token',
      'X-Amz-Date',
      'X-CSRF-Token',
      'X-Api-Version',
      'Api-Key',
      'X-Session',
      'X-Client-Secret',
      'X-Goog-Signature',
      'X-Refresh-Token',
      'Auth',
      'X-Auth',
      'X-Authorization',
      'X-Hub-Signature',
      'Private-Token',
    ];
    const kept = ['Content-Type', 'X-Request-Id', 'Accept', 'X-Keyboard-Layout', 'Cache-Control', 'X-Author'];
    const headers = [...secret, ...kept].map((name): [string, string] => [name, 'v']);
    expect(Object.keys(filterHeaders(headers, true)!)).toEqual(kept.map((name) => name.toLowerCase()));
    expect(filterHeaders(headers, secret)).toBeUndefined();
  });

  test('raw XHR header blocks are parsed', () => {
    expect(parseRawHeaders('content-type: text/plain\r\nx-a: 1: 2\r\n\r\n')).toEqual([
      ['content-type', 'text/plain'],
      ['x-a', '1: 2'],
    ]);
  });

  test('the collector endpoint and ignoreUrls are never recorded', () => {
    const endpoint = 'https://replay.example.com';
    expect(isIgnoredUrl('https://replay.example.com/v1/ingest', endpoint, [])).toBe(true);
    expect(isIgnoredUrl('https://replay.example.com', endpoint, [])).toBe(true);
    expect(isIgnoredUrl('https://replay.example.com.evil.test/x', endpoint, [])).toBe(false);
    expect(isIgnoredUrl('https://api.example.com/health', undefined, ['/health'])).toBe(true);
    expect(isIgnoredUrl('https://api.example.com/users/1', undefined, [/\/users\/\d+/])).toBe(true);
    expect(isIgnoredUrl('https://api.example.com/users', undefined, ['/health', /\/users\/\d+/])).toBe(false);
  });

  test('text content types are recognised', () => {
    for (const type of [
      'text/html; charset=utf-8',
      'application/json',
      'application/problem+json',
      'application/x-www-form-urlencoded',
      'image/svg+xml',
    ]) {
      expect(isTextContentType(type), type).toBe(true);
    }
    for (const type of ['image/png', 'application/octet-stream', null, ''])
      expect(isTextContentType(type), String(type)).toBe(false);
  });

  test('request bodies report their byte size and, when text, their content', () => {
    expect(describeBody('héllo')).toEqual({ size: 6, text: 'héllo' });
    expect(describeBody(new URLSearchParams({ a: '1' }))).toEqual({ size: 3, text: 'a=1' });
    expect(describeBody(new Uint8Array(4))).toEqual({ size: 4, text: '[Uint8Array 4 bytes]' });
    expect(describeBody(new Blob(['abc']))).toEqual({ size: 3, text: '[Blob 3 bytes]' });
    expect(describeBody(undefined)).toEqual({});
  });
});

describe('mutation breaker logic', () => {
  test('the sliding window forgets counts older than the window', () => {
    const counter = createSlidingWindowCounter(1000);
    expect(counter.add(400, 0)).toBe(400);
    expect(counter.add(400, 500)).toBe(800);
    expect(counter.add(400, 999)).toBe(1200);
    expect(counter.total(1000)).toBe(800);
    expect(counter.total(1500)).toBe(400);
    expect(counter.total(5000)).toBe(0);
  });

  test('node changes count added and removed nodes, attribute and text changes', () => {
    const nodes = (n: number) => ({ length: n }) as NodeList;
    const records = [
      { type: 'childList', addedNodes: nodes(3), removedNodes: nodes(2) },
      { type: 'attributes', addedNodes: nodes(0), removedNodes: nodes(0) },
      { type: 'characterData', addedNodes: nodes(0), removedNodes: nodes(0) },
    ] as const;
    expect(countNodeChanges(records)).toBe(7);
  });

  test('trips once over the limit, stays paused through the storm, resumes after the quiet period', () => {
    const state = createBreakerState({ maxMutations: 1000, windowMs: 1000, resumeAfterMs: 500 });
    expect(state.onMutations(600, () => 0)).toBe('none');
    expect(state.onMutations(400, () => 100)).toBe('none'); // exactly at the limit is fine
    expect(state.onMutations(1, () => 200)).toBe('trip');
    expect(state.trippedAt).toBe(1001);
    expect(state.isPaused).toBe(true);
    expect(state.onMutations(5000, () => 300)).toBe('none'); // still paused: no second trip
    expect(state.resumeDelay(300)).toBe(500);
    expect(state.resumeDelay(600)).toBe(200);
    // A calm trickle does not hold resumption back.
    expect(state.onMutations(10, () => 1400)).toBe('none');
    expect(state.resumeDelay(800)).toBe(0);
    state.resume();
    expect(state.isPaused).toBe(false);
    expect(state.current(1401)).toBe(0);
    expect(state.onMutations(1001, () => 1500)).toBe('trip');
  });

  test('the clock is read every few batches far from the limit, and for every batch that could trip', () => {
    const state = createBreakerState({ maxMutations: 1000, windowMs: 1000, resumeAfterMs: 500 });
    let t = 0;
    let readings = 0;
    const clock = () => (readings++, t);
    // A calm page: 10 changes every 20 ms for 10 s.
    for (; t < 10_000; t += 20) expect(state.onMutations(10, clock)).toBe('none');
    expect(readings).toBe(Math.ceil(500 / CLOCK_READ_EVERY));
    // A large batch is stamped with a fresh reading.
    readings = 0;
    expect(state.onMutations(100, clock)).toBe('none');
    expect(readings).toBe(1);
    // A storm of small batches, 1 ms apart: once the window could exceed the limit every batch
    // reads the clock, and the breaker trips as soon as the window truly holds more than 1000.
    let tripped: number | undefined;
    for (let batch = 0; batch < 200 && tripped === undefined; batch++) {
      t += 1;
      if (state.onMutations(50, clock) === 'trip') tripped = t;
    }
    expect(tripped).toBeDefined();
    expect(state.trippedAt).toBeGreaterThan(1000);
    expect(state.current(t)).toBe(state.trippedAt);
    // Tripped within the batches that brought the window over the limit, give or take the
    // small batches stamped with an older reading (fewer than CLOCK_READ_EVERY).
    expect(state.trippedAt).toBeLessThanOrEqual(1000 + 50 * CLOCK_READ_EVERY);
  });

  test('a steady rate under the limit never trips', () => {
    const state = createBreakerState({ maxMutations: 10_000, windowMs: 1000, resumeAfterMs: 1000 });
    for (let t = 0; t < 10_000; t += 16) expect(state.onMutations(150, () => t)).toBe('none');
  });
});

describe('payload builders', () => {
  test('errorPayload records the cause chain, direct cause first: bounded, cycle-safe, and a throwing getter keeps what was read', () => {
    const network = new TypeError('Failed to fetch');
    const error = new Error('checkout failed', { cause: new Error('payment refused', { cause: network }) });
    expect(errorPayload(error, 'manual').causes).toEqual([
      { name: 'Error', message: 'payment refused', stack: expect.stringContaining('payment refused') },
      { name: 'TypeError', message: 'Failed to fetch', stack: expect.stringContaining('Failed to fetch') },
    ]);
    expect(errorPayload(new Error('plain'), 'manual')).not.toHaveProperty('causes');
    expect(errorPayload(new Error('coded', { cause: { code: 7 } }), 'manual').causes).toEqual([
      // Described as a thrown value would be.
      { message: errorPayload({ code: 7 }, 'manual').message },
    ]);
    // A cycle stops where it comes back; a long chain stops at MAX_ERROR_CAUSES.
    const a = new Error('a');
    const b = new Error('b', { cause: a });
    (a as { cause?: unknown }).cause = b;
    expect(errorPayload(a, 'manual').causes!.map((cause) => cause.message)).toEqual(['b']);
    let deep: Error = new Error('root');
    for (let i = 0; i < 20; i++) deep = new Error(`level ${i}`, { cause: deep });
    expect(errorPayload(deep, 'manual').causes).toHaveLength(MAX_ERROR_CAUSES);
    const hostile = new Error('outer', { cause: new Error('inner') });
    Object.defineProperty(hostile.cause, 'cause', {
      get() {
        throw new Error('no');
      },
    });
    expect(errorPayload(hostile, 'manual').causes!.map((cause) => cause.message)).toEqual(['inner']);
  });

  test('errorPayload keeps Error fields and serializes anything else', () => {
    const error = new RangeError('out of range');
    const payload = errorPayload(error, 'manual');
    expect(payload).toMatchObject({ source: 'manual', name: 'RangeError', message: 'out of range' });
    expect(payload.stack).toContain('out of range');
    expect(errorPayload({ code: 7 }, 'unhandledrejection')).toEqual({
      source: 'unhandledrejection',
      message: '{"code": 7}',
    });
    expect(errorPayload('just a string', 'error')).toEqual({ source: 'error', message: 'just a string' });
    expect(errorPayload({ message: 'error-like' }, 'error')).toEqual({ source: 'error', message: 'error-like' });
    // Every string is capped: one oversized field would get the whole batch refused by the collector.
    const huge = 'x'.repeat(MAX_ERROR_TEXT_LENGTH * 3);
    const capped = errorPayload({ name: huge, message: huge, stack: huge }, 'manual');
    for (const field of [capped.name, capped.message, capped.stack]) expect(field).toHaveLength(MAX_ERROR_TEXT_LENGTH);
  });

  test('track, identify and captureError payloads copy their values and classify the source', () => {
    const props = { total: 1 };
    const custom = customPayload('checkout', props);
    props.total = 2;
    expect(custom).toEqual({ name: 'checkout', props: { total: 1 } });
    expect(customPayload('ping')).toEqual({ name: 'ping' });
    expect(identifyPayload(null)).toEqual({ userId: null });
    expect(identifyPayload('u1', { plan: 'pro' })).toEqual({ userId: 'u1', traits: { plan: 'pro' } });
    expect(capturedErrorPayload(new Error('x'))).toMatchObject({ source: 'manual', message: 'x' });
    expect(capturedErrorPayload(new Error('y'), { framework: 'vue' })).toMatchObject({
      source: 'framework',
      framework: 'vue',
      message: 'y',
    });
    expect(capturedErrorPayload('z', { componentStack: 'at App' })).toEqual({
      source: 'framework',
      message: 'z',
      componentStack: 'at App',
    });
  });

  test('track props and identify traits with reference cycles are recorded with a marker, and encode', () => {
    const cart: Record<string, unknown> = { total: 3, items: [{ sku: 'a' }] };
    cart.self = cart;
    (cart.items as Array<Record<string, unknown>>)[0]!.cart = cart;
    const user: Record<string, unknown> = { plan: 'pro' };
    user.manager = { name: 'boss', reports: [user] };
    const custom = customPayload('checkout', { cart } as unknown as Record<string, JsonValue>);
    const identify = identifyPayload('u1', user as unknown as Record<string, JsonValue>);
    expect(custom.props).toEqual({
      cart: { total: 3, items: [{ sku: 'a', cart: CIRCULAR_MARKER }], self: CIRCULAR_MARKER },
    });
    expect(identify.traits).toEqual({ plan: 'pro', manager: { name: 'boss', reports: [CIRCULAR_MARKER] } });
    // What the payload goes through next: redaction (an iterative walk that looped forever on a
    // cycle) and the encoder (a recursive copy that overflowed the stack).
    expect(redactInPlace(custom, (text) => text)).toBe(0);
    const events = [custom, identify].map((payload, i) => ({
      type: 5,
      timestamp: 1 + i,
      data: { tag: 'reprise.custom', payload },
    }));
    expect(
      encodeBatch({ v: 1, project: 'p', session: 's', tab: 't', seq: 0, start: 1, end: 2, events }).byteLength,
    ).toBeGreaterThan(0);
  });

  test('user values: depth is bounded, non-JSON values are dropped or converted, a shared object is kept', () => {
    let deep: Record<string, unknown> = { leaf: true };
    for (let i = 0; i < 10_000; i++) deep = { next: deep };
    const copied = customPayload('deep', { deep } as unknown as Record<string, JsonValue>).props!;
    let level: unknown = copied.deep;
    let depth = 1;
    while (level && typeof level === 'object') {
      level = (level as { next?: unknown }).next;
      depth++;
    }
    expect(depth).toBe(MAX_USER_VALUE_DEPTH);
    expect(level).toBe('[Object]');

    const shared = { x: 1 };
    expect(
      copyUserValue({
        a: shared,
        b: shared,
        list: [shared, undefined, () => 1],
        u: undefined,
        f: () => 1,
        s: Symbol('s'),
        n: 10n,
        d: new Date(0),
      }),
    ).toEqual({
      a: { x: 1 },
      b: { x: 1 },
      list: [{ x: 1 }, null, null],
      n: '10',
      d: '1970-01-01T00:00:00.000Z',
    });
    // Copied, not referenced: a later change by the app does not alter the event.
    const props = { nested: { v: 1 } };
    const recorded = customPayload('copy', props);
    props.nested.v = 2;
    expect(recorded.props).toEqual({ nested: { v: 1 } });
    // A string the collector would refuse (and with it the whole batch) is cut to the protocol's limit.
    expect((copyUserValue({ big: 'x'.repeat(DEFAULT_MAX_STRING_LENGTH + 10) }) as { big: string }).big).toHaveLength(
      DEFAULT_MAX_STRING_LENGTH,
    );
  });

  test('a component stack is capped like the error stack', () => {
    const componentStack = '\n    at Row (app.js:1:1)'.repeat(50_000);
    const payload = capturedErrorPayload(new Error('render failed'), { componentStack, framework: 'react' });
    expect(payload.componentStack).toHaveLength(MAX_ERROR_TEXT_LENGTH);
    expect(payload.componentStack!.endsWith(ELLIPSIS)).toBe(true);
    expect(payload.componentStack!.startsWith('\n    at Row (app.js:1:1)')).toBe(true);
    expect(capturedErrorPayload('x', { framework: 'f'.repeat(MAX_ERROR_TEXT_LENGTH * 2) }).framework).toHaveLength(
      MAX_ERROR_TEXT_LENGTH,
    );
  });

  test('values that are not what the types say are made strings (or dropped) before they can hang redaction', () => {
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    const marker = navigationPayload({
      url: '/files/a',
      route: '/files/:path+',
      params: { path: ['docs', 'a.md'], page: 2, loop: cyclic, none: undefined } as never,
    });
    expect(marker).toEqual({ url: '/files/a', route: '/files/:path+', params: { path: 'docs/a.md', page: '2' } });
    expect(redactInPlace(marker, (text) => text)).toBe(0);
    expect(customPayload(cyclic as never)).toEqual({ name: '[object Object]' });
    expect(identifyPayload(42 as never)).toEqual({ userId: '42' });
  });

  test('navigationPayload fills url and title from the page unless given', () => {
    const page = { href: 'https://app.test/a', title: 'A' };
    expect(navigationPayload(undefined, page)).toEqual({ url: 'https://app.test/a', title: 'A' });
    expect(
      navigationPayload({ url: '/users/7', route: '/users/:id', params: { id: '7' }, navigationType: 'push' }, page),
    ).toEqual({
      url: '/users/7',
      route: '/users/:id',
      params: { id: '7' },
      navigationType: 'push',
      title: 'A',
    });
  });
});

describe('patchMethod', () => {
  const refusalNotExpected = (error: unknown) => {
    throw new Error(`the patch was refused: ${String(error)}`);
  };

  test('a method the page made read-only is left as it is: the refusal is heard, nothing throws, the teardown does nothing', () => {
    const frozen = Object.freeze({ log: () => 'native' });
    const readOnly = {} as { send(): string };
    Object.defineProperty(readOnly, 'send', { value: () => 'native', writable: false, configurable: false });
    let stored: unknown;
    const ignoring = {
      get fetch() {
        return () => 'native';
      },
      set fetch(value: unknown) {
        stored = value;
      },
    };
    for (const [target, name] of [
      [frozen, 'log'],
      [readOnly, 'send'],
      [ignoring, 'fetch'],
    ] as const) {
      const around = vi.fn();
      const refusals: unknown[] = [];
      const restore = patchMethod(
        target as Record<string, () => string>,
        name,
        (error) => refusals.push(error),
        around,
      );
      expect(refusals).toEqual([expect.any(TypeError)]);
      expect((target as Record<string, () => string>)[name]!()).toBe('native');
      expect(() => restore()).not.toThrow();
      expect(around).not.toHaveBeenCalled();
    }
    // The setter kept our wrapper: it passes calls through, recording nothing.
    expect((stored as () => string)()).toBe('native');
  });

  test("runs the original with the call's own this, and restores the exact original own function", () => {
    const target = {
      salutation: 'hi',
      greet(this: { salutation: string }, name: string) {
        return `${this.salutation} ${name}`;
      },
    };
    const original = target.greet;
    const seen: unknown[] = [];
    const restore = patchMethod(target, 'greet', refusalNotExpected, (orig, thisArg, args) => {
      seen.push(args[0]);
      return orig.apply(thisArg, args);
    });
    expect(target.greet).not.toBe(original);
    expect(target.greet('a')).toBe('hi a');
    restore();
    expect(target.greet).toBe(original);
    expect(seen).toEqual(['a']);
  });

  test('an inherited method is restored by deleting the own property', () => {
    class Base {
      method() {
        return 1;
      }
    }
    const instance = new Base();
    const restore = patchMethod(
      instance,
      'method',
      refusalNotExpected,
      (orig, thisArg, args) => (orig.apply(thisArg, args) as number) + 1,
    );
    expect(instance.method()).toBe(2);
    restore();
    expect(Object.prototype.hasOwnProperty.call(instance, 'method')).toBe(false);
    expect(instance.method).toBe(Base.prototype.method);
  });

  test('when wrapped again by someone else, ours turns into a pass-through instead of dropping theirs', () => {
    const target = { run: () => 'base' };
    const spy = vi.fn();
    const restore = patchMethod(target, 'run', refusalNotExpected, (orig, thisArg, args) => {
      spy();
      return orig.apply(thisArg, args);
    });
    const ours = target.run;
    target.run = () => `theirs(${ours()})`;
    restore();
    expect(target.run()).toBe('theirs(base)');
    expect(spy).not.toHaveBeenCalled();
  });
});

describe('session without sessionStorage (node has none, like a sandboxed iframe)', () => {
  test('the session continues in memory, still expires when idle, and clearSession ends it', async () => {
    const { clearSession, resolveSession, SESSION_IDLE_TIMEOUT_MS } = await import('./session.js');
    const { touchSession } = await import('./session-lifetime.js');
    expect(globalThis.sessionStorage).toBeUndefined();
    const first = resolveSession({ sampleRate: 1, errorSampleRate: 0, now: 1_000 });
    expect(first.isNew).toBe(true);
    // Before the fix every activity check found no session, so capture restarted every 5 seconds.
    expect(touchSession(first.sessionId, 7_000)).toBe(true);
    const again = resolveSession({ sampleRate: 1, errorSampleRate: 0, now: 8_000 });
    expect(again).toMatchObject({ sessionId: first.sessionId, tabId: first.tabId, isNew: false });
    expect(touchSession(first.sessionId, 8_000 + SESSION_IDLE_TIMEOUT_MS + 1)).toBe(false);
    clearSession();
    expect(resolveSession({ sampleRate: 1, errorSampleRate: 0, now: 9_000 }).sessionId).not.toBe(first.sessionId);
  });
});
