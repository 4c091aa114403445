import type { RepriseKind, ReprisePayloads } from '@reprise/protocol';
import { afterEach, beforeEach, describe, expect, test, vi } from 'vitest';
import { RATE_BOUND_BURST, RATE_BOUND_PER_SECOND } from '../limits.js';
import { createRateBounds } from './rate-bounds.js';

type Emitted = { kind: RepriseKind; payload: ReprisePayloads[RepriseKind]; at: number };

function setUp() {
  const emitted: Emitted[] = [];
  const bounds = createRateBounds((kind, payload) => emitted.push({ kind, payload, at: Date.now() }));
  const log = (text: string) => bounds.emit('console', { level: 'log', args: [text] });
  const consoleEvents = () =>
    emitted.filter((event) => event.kind === 'console').map((event) => event.payload as ReprisePayloads['console']);
  /** Messages recorded plus those counted as left out: every call is accounted for. */
  const accountedFor = () => consoleEvents().reduce((sum, payload) => sum + 1 + (payload.skipped ?? 0), 0);
  return { emitted, bounds, log, consoleEvents, accountedFor };
}

describe('createRateBounds', () => {
  beforeEach(() => vi.useFakeTimers({ now: 1_000_000 }));
  afterEach(() => vi.useRealTimers());

  test('a burst is recorded as it comes; a loop beyond it is cut, and every call is accounted for', () => {
    const { log, consoleEvents, accountedFor } = setUp();
    for (let i = 0; i < 5000; i++) log(`message ${i}`);
    expect(consoleEvents()).toHaveLength(RATE_BOUND_BURST);
    expect(consoleEvents().every((payload) => payload.skipped === undefined)).toBe(true);

    // The loop has stopped: the last message left out is recorded once the bucket has room.
    vi.advanceTimersByTime(1000 / RATE_BOUND_PER_SECOND);
    const last = consoleEvents().at(-1)!;
    expect(last.args).toEqual(['message 4999']);
    expect(last.skipped).toBe(5000 - RATE_BOUND_BURST - 1);
    expect(accountedFor()).toBe(5000);
  });

  test('a steady flood is recorded at the rate, each message saying how many it follows', () => {
    const { log, consoleEvents, accountedFor } = setUp();
    let calls = 0;
    // 100 a second for 20 seconds.
    for (let ms = 0; ms < 20_000; ms += 10) {
      log(`tick ${calls++}`);
      vi.advanceTimersByTime(10);
    }
    vi.advanceTimersByTime(1000);
    const recorded = consoleEvents().length;
    expect(recorded).toBeGreaterThanOrEqual(RATE_BOUND_BURST + 19 * RATE_BOUND_PER_SECOND);
    expect(recorded).toBeLessThanOrEqual(RATE_BOUND_BURST + 21 * RATE_BOUND_PER_SECOND);
    // Once the burst is spent, each message recorded stands for the ones left out before it.
    const steady = consoleEvents().slice(-10 * RATE_BOUND_PER_SECOND);
    expect(steady.every((payload) => (payload.skipped ?? 0) > 0)).toBe(true);
    expect(accountedFor()).toBe(calls);
  });

  test('a page that logs at the rate loses nothing, and the burst comes back after a calm spell', () => {
    const { log, consoleEvents } = setUp();
    for (let i = 0; i < 300; i++) {
      log(`steady ${i}`);
      vi.advanceTimersByTime(1000 / RATE_BOUND_PER_SECOND);
    }
    expect(consoleEvents()).toHaveLength(300);
    vi.advanceTimersByTime((RATE_BOUND_BURST / RATE_BOUND_PER_SECOND) * 1000);
    for (let i = 0; i < RATE_BOUND_BURST; i++) log(`burst ${i}`);
    expect(consoleEvents()).toHaveLength(300 + RATE_BOUND_BURST);
    expect(consoleEvents().some((payload) => payload.skipped !== undefined)).toBe(false);
  });

  test('errors, custom events, requests and route changes have a bucket each, and other kinds are never bounded', () => {
    const { emitted, bounds, log } = setUp();
    const count = (kind: RepriseKind) => emitted.filter((event) => event.kind === kind).length;
    for (let i = 0; i < 1000; i++) log('noise');
    bounds.emit('error', { source: 'manual', message: 'the one that matters' });
    bounds.emit('custom', { name: 'checkout' });
    expect(count('error')).toBe(1);
    expect(count('custom')).toBe(1);

    for (let i = 0; i < 1000; i++) bounds.emit('error', { source: 'error', message: `thrown ${i}` });
    expect(count('error')).toBe(RATE_BOUND_BURST);
    for (let i = 0; i < 1000; i++) bounds.emit('custom', { name: `event ${i}` });
    expect(count('custom')).toBe(RATE_BOUND_BURST);
    const request = (i: number) => ({
      initiator: 'fetch' as const,
      method: 'GET',
      url: `https://a.test/poll?${i}`,
      status: 200,
      startTime: Date.now(),
      duration: 1,
    });
    for (let i = 0; i < 1000; i++) bounds.emit('network', request(i));
    expect(count('network')).toBe(RATE_BOUND_BURST);
    // A router redirecting in a loop.
    for (let i = 0; i < 1000; i++) bounds.emit('navigation', { url: `https://a.test/${i}`, navigationType: 'replace' });
    expect(count('navigation')).toBe(RATE_BOUND_BURST);
    for (let i = 0; i < 1000; i++) bounds.emit('identify', { userId: `user ${i}` });
    expect(count('identify')).toBe(1000);

    // The app's last event of the loop, counting the ones left out.
    bounds.flush();
    const custom = emitted
      .filter((event) => event.kind === 'custom')
      .map((event) => event.payload as ReprisePayloads['custom']);
    expect(custom.at(-1)).toMatchObject({ name: 'event 999', skipped: 1000 - RATE_BOUND_BURST });
    const requests = emitted.filter((event) => event.kind === 'network').map((event) => event.payload);
    expect(requests.at(-1)).toMatchObject({ url: 'https://a.test/poll?999', skipped: 1000 - RATE_BOUND_BURST - 1 });
    // The loop's last route is recorded: the replay ends where the app did.
    const routes = emitted.filter((event) => event.kind === 'navigation').map((event) => event.payload);
    expect(routes.at(-1)).toMatchObject({ url: 'https://a.test/999', skipped: 1000 - RATE_BOUND_BURST - 1 });
  });

  test('flush() records the message held back at once; reset() forgets it and refills the bucket', () => {
    const { bounds, log, consoleEvents, accountedFor } = setUp();
    for (let i = 0; i < RATE_BOUND_BURST + 3; i++) log(`m ${i}`);
    bounds.flush();
    expect(consoleEvents().at(-1)).toMatchObject({ args: [`m ${RATE_BOUND_BURST + 2}`], skipped: 2 });
    expect(accountedFor()).toBe(RATE_BOUND_BURST + 3);
    vi.advanceTimersByTime(10_000);
    expect(consoleEvents()).toHaveLength(RATE_BOUND_BURST + 1);

    log('held');
    log('held too');
    const before = consoleEvents().length;
    bounds.reset();
    vi.advanceTimersByTime(10_000);
    expect(consoleEvents()).toHaveLength(before);
    for (let i = 0; i < RATE_BOUND_BURST; i++) log(`after reset ${i}`);
    expect(consoleEvents()).toHaveLength(before + RATE_BOUND_BURST);
  });

  test('a clock set back does not empty the bucket', () => {
    const { log, consoleEvents } = setUp();
    vi.setSystemTime(1_000_000 - 3_600_000);
    for (let i = 0; i < RATE_BOUND_BURST; i++) log(`m ${i}`);
    expect(consoleEvents()).toHaveLength(RATE_BOUND_BURST);
  });
});
