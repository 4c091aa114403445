import { afterEach, beforeEach, describe, expect, test, vi } from 'vitest';
import { createRepriseEvent, EventType, type RecordedEvent } from '@reprise/protocol/page';
import { BUFFER_CHECKOUT_MS, createErrorBuffer, MAX_BUFFERED_CHARACTERS, MAX_BUFFERED_EVENTS } from './error-buffer.js';

let clock = 1_000;
const meta = (): RecordedEvent => ({
  type: EventType.Meta,
  timestamp: clock++,
  data: { href: 'https://shop.test/', width: 1, height: 1 },
});
const snapshot = (): RecordedEvent => ({
  type: EventType.FullSnapshot,
  timestamp: clock++,
  data: { node: {}, initialOffset: { top: 0, left: 0 } },
});
const move = (): RecordedEvent => ({
  type: EventType.IncrementalSnapshot,
  timestamp: clock++,
  data: { source: 1, positions: [] },
});
/** A mutation adding a text of `characters` characters: a page rewriting a large part of itself. */
const bulkyChange = (characters: number): RecordedEvent => ({
  type: EventType.IncrementalSnapshot,
  timestamp: clock++,
  data: {
    source: 0,
    adds: [{ parentId: 1, nextId: null, node: { type: 3, id: clock, textContent: 'x'.repeat(characters) } }],
    removes: [],
    texts: [],
    attributes: [],
  },
});
const error = (message = 'boom') => createRepriseEvent('error', { source: 'manual', message }, clock++);
const identify = (userId: string) => createRepriseEvent('identify', { userId }, clock++);
const checkoutEvents = () => [meta(), snapshot()];
const tags = (events: RecordedEvent[]) =>
  events.map((event) => (event.type === EventType.Custom ? (event.data as { tag: string }).tag : event.type));

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

describe('the error buffer (errorSampleRate)', () => {
  test('holds events until an error, then lets out everything held, in order, and is done', () => {
    const onKeep = vi.fn();
    const checkout = vi.fn();
    const buffer = createErrorBuffer({ onKeep, checkout });
    const first = [...checkoutEvents(), move(), move()];
    expect(buffer.add(first)).toBeUndefined();
    const middle = [move()];
    expect(buffer.add(middle)).toBeUndefined();
    expect(onKeep).not.toHaveBeenCalled();
    const failing = [move(), error()];
    expect(buffer.heldFrom()).toBe(first[0]!.timestamp);
    const released = buffer.add(failing)!;
    expect(onKeep).toHaveBeenCalledExactlyOnceWith(first[0]!.timestamp);
    expect(released).toHaveLength(7);
    [...first, ...middle, ...failing].forEach((event, index) => expect(released[index]).toBe(event));
    // It began with a full snapshot: none is needed for the rest.
    expect(checkout).not.toHaveBeenCalled();
    // Done: an error after is not let out again.
    expect(buffer.add([error()])).toBeUndefined();
    expect(onKeep).toHaveBeenCalledOnce();
  });

  test('takes a full snapshot every BUFFER_CHECKOUT_MS when something happened, and keeps only from the one before last', async () => {
    const checkout = vi.fn();
    const buffer = createErrorBuffer({ onKeep: vi.fn(), checkout });
    buffer.add([...checkoutEvents(), move()]);
    await vi.advanceTimersByTimeAsync(BUFFER_CHECKOUT_MS);
    expect(checkout).toHaveBeenCalledTimes(1);
    const second = checkoutEvents();
    buffer.add([...second, move()]);
    // Nothing happened since that checkout but the snapshot itself and one move: another is taken.
    await vi.advanceTimersByTimeAsync(BUFFER_CHECKOUT_MS);
    expect(checkout).toHaveBeenCalledTimes(2);
    const third = checkoutEvents();
    buffer.add(third);
    // A minute with nothing after the snapshot: no checkout.
    await vi.advanceTimersByTimeAsync(BUFFER_CHECKOUT_MS);
    expect(checkout).toHaveBeenCalledTimes(2);
    expect(buffer.heldFrom()).toBe(second[0]!.timestamp);
    const released = buffer.add([error()])!;
    // From the one but last snapshot: the first minute is forgotten.
    expect(released[0]).toBe(second[0]);
    expect(tags(released)).toEqual([
      EventType.Meta,
      EventType.FullSnapshot,
      EventType.IncrementalSnapshot,
      EventType.Meta,
      EventType.FullSnapshot,
      'reprise.error',
    ]);
  });

  test('who the user is outlives the window: the latest forgotten identify follows the kept snapshot', () => {
    const buffer = createErrorBuffer({ onKeep: vi.fn(), checkout: vi.fn() });
    buffer.add([...checkoutEvents(), identify('old'), identify('ada'), move()]);
    const second = checkoutEvents();
    buffer.add([...second, move()]);
    buffer.add([...checkoutEvents(), move()]);
    const released = buffer.add([error()])!;
    expect(released[0]).toBe(second[0]);
    expect(tags(released).slice(0, 3)).toEqual([EventType.Meta, EventType.FullSnapshot, 'reprise.identify']);
    const carried = released[2] as ReturnType<typeof identify>;
    expect(carried.data.payload.userId).toBe('ada');
    // At the kept snapshot's time, so the replay's timeline starts where it did.
    expect(carried.timestamp).toBe(second[1]!.timestamp);
    expect(tags(released).filter((tag) => tag === 'reprise.identify')).toHaveLength(1);
  });

  test('an identify still inside the window is not doubled', () => {
    const buffer = createErrorBuffer({ onKeep: vi.fn(), checkout: vi.fn() });
    buffer.add([...checkoutEvents(), identify('old')]);
    buffer.add([...checkoutEvents(), identify('ada')]);
    buffer.add(checkoutEvents());
    const released = buffer.add([error()])!;
    expect(
      released
        .filter((event) => event.type === EventType.Custom)
        .map((event) => (event.data as { payload: { userId?: string } }).payload.userId),
    ).toEqual(['ada', undefined]);
  });

  test('a busy minute asks for a full snapshot early, once, outside the handing over', async () => {
    const checkout = vi.fn();
    const buffer = createErrorBuffer({ onKeep: vi.fn(), checkout });
    buffer.add(checkoutEvents());
    buffer.add(Array.from({ length: MAX_BUFFERED_EVENTS / 2 }, move));
    buffer.add([move()]);
    expect(checkout).not.toHaveBeenCalled();
    await Promise.resolve();
    expect(checkout).toHaveBeenCalledTimes(1);
  });

  test('past MAX_BUFFERED_EVENTS without a snapshot (rrweb paused), everything held is forgotten until the next one', async () => {
    const checkout = vi.fn();
    const buffer = createErrorBuffer({ onKeep: vi.fn(), checkout });
    buffer.add(checkoutEvents());
    buffer.add(Array.from({ length: MAX_BUFFERED_EVENTS }, move));
    await Promise.resolve();
    expect(checkout).toHaveBeenCalled();
    // No snapshot came: these are dropped.
    buffer.add([move(), move()]);
    const next = checkoutEvents();
    buffer.add([...next, move()]);
    const released = buffer.add([error()])!;
    expect(released).toHaveLength(4);
    expect(released[0]).toBe(next[0]);
  });

  test('past MAX_BUFFERED_EVENTS, what came before the last snapshot goes first, and the window after it stays', () => {
    const buffer = createErrorBuffer({ onKeep: vi.fn(), checkout: vi.fn() });
    buffer.add(checkoutEvents());
    buffer.add(Array.from({ length: MAX_BUFFERED_EVENTS / 2 - 10 }, move));
    const last = checkoutEvents();
    buffer.add(last);
    // rrweb is paused: the snapshot asked for early does not come, and the total passes the bound.
    buffer.add(Array.from({ length: MAX_BUFFERED_EVENTS / 2 + 100 }, move));
    const released = buffer.add([error()])!;
    expect(released[0]).toBe(last[0]);
    expect(released).toHaveLength(2 + MAX_BUFFERED_EVENTS / 2 + 100 + 1);
  });

  test('an error while nothing is held lets the error out and asks for a full snapshot for the rest of the session', async () => {
    const checkout = vi.fn();
    const buffer = createErrorBuffer({ onKeep: vi.fn(), checkout });
    buffer.add(checkoutEvents());
    buffer.add(Array.from({ length: MAX_BUFFERED_EVENTS }, move));
    await Promise.resolve();
    checkout.mockClear();
    const failing = [error()];
    expect(buffer.add(failing)).toBe(failing);
    expect(checkout).toHaveBeenCalledOnce();
  });

  test('a page changing large parts of itself asks for a full snapshot past half MAX_BUFFERED_CHARACTERS, long before the event count', async () => {
    const checkout = vi.fn();
    const buffer = createErrorBuffer({ onKeep: vi.fn(), checkout });
    const quarter = MAX_BUFFERED_CHARACTERS / 4;
    buffer.add([...checkoutEvents(), bulkyChange(quarter), bulkyChange(quarter - 1_000)]);
    await Promise.resolve();
    expect(checkout).not.toHaveBeenCalled();
    buffer.add([bulkyChange(2_000)]);
    await Promise.resolve();
    expect(checkout).toHaveBeenCalledOnce();
  });

  test('past MAX_BUFFERED_CHARACTERS without a snapshot (rrweb paused), everything held is forgotten until the next one', async () => {
    const checkout = vi.fn();
    const buffer = createErrorBuffer({ onKeep: vi.fn(), checkout });
    buffer.add(checkoutEvents());
    const quarter = MAX_BUFFERED_CHARACTERS / 4;
    for (let i = 0; i < 4; i++) buffer.add([bulkyChange(quarter)]);
    await Promise.resolve();
    expect(checkout).toHaveBeenCalled();
    expect(buffer.heldFrom()).toBeUndefined();
    buffer.add([bulkyChange(10)]);
    const next = checkoutEvents();
    buffer.add([...next, move()]);
    const released = buffer.add([error()])!;
    expect(released).toHaveLength(4);
    expect(released[0]).toBe(next[0]);
  });

  test('past MAX_BUFFERED_CHARACTERS, what came before the last snapshot goes first, and the window after it stays', () => {
    const buffer = createErrorBuffer({ onKeep: vi.fn(), checkout: vi.fn() });
    const third = Math.floor(MAX_BUFFERED_CHARACTERS / 3);
    buffer.add([...checkoutEvents(), bulkyChange(third)]);
    const last = checkoutEvents();
    buffer.add(last);
    // With the window before the last snapshot, more than the bound is held now: that window goes.
    buffer.add([bulkyChange(third), bulkyChange(third)]);
    buffer.add([move()]);
    const released = buffer.add([error()])!;
    expect(released[0]).toBe(last[0]);
    expect(tags(released)).toEqual([
      EventType.Meta,
      EventType.FullSnapshot,
      EventType.IncrementalSnapshot,
      EventType.IncrementalSnapshot,
      EventType.IncrementalSnapshot,
      'reprise.error',
    ]);
  });

  test('a full snapshot weighs nothing: one larger than MAX_BUFFERED_CHARACTERS is held, and asks for no other', async () => {
    const checkout = vi.fn();
    const buffer = createErrorBuffer({ onKeep: vi.fn(), checkout });
    const large: RecordedEvent = {
      type: EventType.FullSnapshot,
      timestamp: clock++,
      data: {
        node: { type: 3, id: 1, textContent: 'x'.repeat(MAX_BUFFERED_CHARACTERS + 1) },
        initialOffset: { top: 0, left: 0 },
      },
    };
    const first = [meta(), large, move()];
    buffer.add(first);
    await Promise.resolve();
    expect(checkout).not.toHaveBeenCalled();
    const released = buffer.add([error()])!;
    expect(released.slice(0, 3)).toEqual(first);
  });

  test("an error the app's keepSessionOnError turns down is held with the rest; the next one that it takes sends both", () => {
    const onKeep = vi.fn();
    const keeps = vi.fn((payload: { message: string }) => !payload.message.startsWith('ResizeObserver loop'));
    const buffer = createErrorBuffer({ onKeep, keeps, checkout: vi.fn() });
    const benign = error('ResizeObserver loop completed with undelivered notifications');
    expect(buffer.add([...checkoutEvents(), benign, move()])).toBeUndefined();
    expect(onKeep).not.toHaveBeenCalled();
    expect(keeps).toHaveBeenCalledWith(benign.data.payload);
    // Only errors are asked about.
    expect(keeps).toHaveBeenCalledTimes(1);
    const real = error('TypeError: cart is undefined');
    const released = buffer.add([real])!;
    expect(onKeep).toHaveBeenCalledOnce();
    expect(released).toContain(benign);
    expect(released.at(-1)).toBe(real);
  });

  test('the replay starts at the earliest event held, which is not always the first to come', () => {
    const onKeep = vi.fn();
    const buffer = createErrorBuffer({ onKeep, checkout: vi.fn() });
    const early = { ...move(), timestamp: 10 };
    buffer.add([...checkoutEvents(), early]);
    expect(buffer.heldFrom()).toBe(10);
    buffer.add([error()]);
    expect(onKeep).toHaveBeenCalledExactlyOnceWith(10);
  });

  test('stop() forgets what is held and takes no more snapshots', async () => {
    const checkout = vi.fn();
    const buffer = createErrorBuffer({ onKeep: vi.fn(), checkout });
    buffer.add([...checkoutEvents(), move()]);
    buffer.stop();
    await vi.advanceTimersByTimeAsync(BUFFER_CHECKOUT_MS * 3);
    expect(checkout).not.toHaveBeenCalled();
    expect(vi.getTimerCount()).toBe(0);
  });
});
