import type { ConsolePayload } from '@reprise/protocol';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import {
  DEFAULT_CONSOLE_LEVELS,
  DEFAULT_CONSOLE_MAX_ARGS,
  DEFAULT_CONSOLE_MAX_ARG_LENGTH,
} from '../recorder-defaults.js';
import type { CaptureContext } from './context.js';
import { MAX_CONSOLE_LABELS, startConsoleCapture } from './console.js';
import { noteRecordedError } from './errors.js';

const METHODS = [...DEFAULT_CONSOLE_LEVELS, 'groupCollapsed', 'groupEnd', 'countReset', 'time'] as const;
type Method = (typeof METHODS)[number];

describe('startConsoleCapture', () => {
  const silenced = new Map<Method, unknown>();
  const calls: Array<[Method, unknown[]]> = [];
  beforeEach(() => {
    // Quiet originals that remember their calls: the page's console must still get every call.
    for (const method of METHODS) {
      silenced.set(method, console[method]);
      (console as unknown as Record<string, unknown>)[method] = (...args: unknown[]) => void calls.push([method, args]);
    }
  });
  afterEach(() => {
    for (const [method, original] of silenced) (console as unknown as Record<string, unknown>)[method] = original;
    calls.length = 0;
  });

  function capture(levels = DEFAULT_CONSOLE_LEVELS) {
    const emitted: ConsolePayload[] = [];
    const context: CaptureContext = {
      emit: (kind, payload) => void (kind === 'console' && emitted.push(payload as ConsolePayload)),
      reportError: (error) => {
        throw error;
      },
    };
    const stop = startConsoleCapture(context, {
      levels: [...levels],
      maxArgs: DEFAULT_CONSOLE_MAX_ARGS,
      maxArgLength: DEFAULT_CONSOLE_MAX_ARG_LENGTH,
    });
    return { emitted, stop, lines: () => emitted.map((payload) => [payload.level, ...payload.args]) };
  }

  test('logging an error already recorded as one (a framework adapter does) is not a second, console error', () => {
    const { lines, stop } = capture();
    const reported = new TypeError('cart is undefined');
    noteRecordedError(reported);
    console.error(reported);
    // Anything more than the error itself, or another error, is the page's own message.
    console.error('Saving failed:', reported);
    console.error(new TypeError('another'));
    console.warn(reported);
    stop();
    expect(lines().map(([level, first]) => [level, String(first).split('\n')[0]])).toEqual([
      ['error', 'Saving failed:'],
      ['error', 'TypeError: another'],
      ['warn', 'TypeError: cart is undefined'],
    ]);
    // The page's console still got every call.
    expect(calls.filter(([method]) => method === 'error')).toHaveLength(3);
  });

  test('count, timeLog and timeEnd record the line the browser prints; countReset and time record nothing', () => {
    const { lines, stop } = capture();
    console.count();
    console.count('clicks');
    console.count('clicks');
    console.countReset('clicks');
    console.count('clicks');
    console.time('load');
    console.timeLog('load', 'halfway', { step: 2 });
    console.timeEnd('load');
    // Ended, or never started in this recording: the browser only warns, and nothing is recorded.
    console.timeEnd('load');
    console.timeLog('never started');
    stop();
    const recorded = lines();
    expect(recorded.slice(0, 4)).toEqual([
      ['count', 'default: 1'],
      ['count', 'clicks: 1'],
      ['count', 'clicks: 2'],
      ['count', 'clicks: 1'],
    ]);
    expect(recorded[4]).toEqual(['timeLog', expect.stringMatching(/^load: \d+(\.\d+)? ms$/), 'halfway', '{"step": 2}']);
    expect(recorded[5]).toEqual(['timeEnd', expect.stringMatching(/^load: \d+(\.\d+)? ms$/)]);
    expect(recorded).toHaveLength(6);
    // The page's console got every call, unchanged.
    expect(calls.map(([method]) => method)).toEqual([
      'count',
      'count',
      'count',
      'countReset',
      'count',
      'time',
      'timeLog',
      'timeEnd',
      'timeEnd',
      'timeLog',
    ]);
  });

  test('table and dir record their data; group and groupCollapsed record their label as group; groupEnd nothing', () => {
    const { lines, stop } = capture();
    console.table([{ sku: 'a', qty: 2 }], ['sku']);
    console.dir({ cart: [1, 2] });
    console.group('Checkout');
    console.groupCollapsed();
    console.groupEnd();
    console.groupEnd();
    stop();
    expect(lines()).toEqual([
      ['table', '[{"sku": "a", "qty": 2}]', '["sku"]'],
      ['dir', '{"cart": [1, 2]}'],
      ['group', 'Checkout'],
      ['group', 'console.group'],
    ]);
  });

  test('labels counted and timed are bounded: past the cap the oldest is forgotten, the newest kept', () => {
    const { lines, stop } = capture(['count', 'timeEnd']);
    for (let i = 0; i <= MAX_CONSOLE_LABELS; i++) console.time(`request ${i}`);
    console.timeEnd('request 0');
    console.timeEnd(`request ${MAX_CONSOLE_LABELS}`);
    for (let i = 0; i <= MAX_CONSOLE_LABELS; i++) console.count(`item ${i}`);
    console.count('item 0');
    console.count(`item ${MAX_CONSOLE_LABELS}`);
    stop();
    const recorded = lines();
    // request 0 fell out (no line); the newest timer is still there.
    expect(recorded.filter(([level]) => level === 'timeEnd')).toEqual([
      ['timeEnd', expect.stringMatching(new RegExp(`^request ${MAX_CONSOLE_LABELS}: `))],
    ]);
    // item 0 fell out and counts again from 1; the newest counts on.
    expect(recorded.slice(-2)).toEqual([
      ['count', 'item 0: 1'],
      ['count', `item ${MAX_CONSOLE_LABELS}: 2`],
    ]);
  });

  test('only the levels asked for are patched, and stop() puts every method back exactly', () => {
    const before = new Map(METHODS.map((method) => [method, console[method]]));
    const { lines, stop } = capture(['log', 'count']);
    expect(console.log).not.toBe(before.get('log'));
    expect(console.countReset).not.toBe(before.get('countReset'));
    for (const method of ['table', 'time', 'timeEnd', 'group', 'groupCollapsed'] as const)
      expect(console[method]).toBe(before.get(method));
    console.table([1]);
    console.count('x');
    stop();
    expect(lines()).toEqual([['count', 'x: 1']]);

    const all = capture();
    all.stop();
    for (const method of METHODS) expect(console[method]).toBe(before.get(method));
  });
});
