import { afterEach, beforeEach, describe, expect, test, vi } from 'vitest';
import { MemoryStorage } from '@reprise/test-support';
import { resolveSession, SESSION_STORAGE_KEY, TAB_STORAGE_KEY } from './session.js';
import { keepBufferedSession, touchSession } from './session-lifetime.js';

// Chromium's real sessionStorage is exercised by test/e2e/capture*.

let storage: MemoryStorage;
const NOW = Date.UTC(2026, 0, 15, 12);
const GOOD_ID = 'a'.repeat(32);

beforeEach(() => {
  storage = new MemoryStorage();
  vi.stubGlobal('sessionStorage', storage);
});
afterEach(() => {
  vi.unstubAllGlobals();
  vi.restoreAllMocks();
});

function store(value: unknown): void {
  storage.setItem(SESSION_STORAGE_KEY, typeof value === 'string' ? value : JSON.stringify(value));
}

describe('stored session and tab ids', () => {
  test('a well-formed stored session is continued', () => {
    store({ id: GOOD_ID, startedAt: NOW - 1000, lastActivityAt: NOW - 500, sampled: true });
    storage.setItem(TAB_STORAGE_KEY, 'b'.repeat(32));
    expect(resolveSession({ sampleRate: 1, errorSampleRate: 0, now: NOW })).toMatchObject({
      sessionId: GOOD_ID,
      tabId: 'b'.repeat(32),
      isNew: false,
    });
  });

  test.each([
    [
      'an id with characters the protocol refuses',
      { id: '../../etc"<script>', startedAt: NOW - 1000, lastActivityAt: NOW - 500 },
    ],
    ['a too short id', { id: 'abc', startedAt: NOW - 1000, lastActivityAt: NOW - 500 }],
    ['a too long id', { id: 'x'.repeat(10_000), startedAt: NOW - 1000, lastActivityAt: NOW - 500 }],
    ['a non-string id', { id: 1234567890123456, startedAt: NOW - 1000, lastActivityAt: NOW - 500 }],
    ['times that are not finite numbers', { id: GOOD_ID, startedAt: 'yesterday', lastActivityAt: NOW }],
    ['negative times', { id: GOOD_ID, startedAt: -5, lastActivityAt: NOW }],
    [
      'a start in the future, which would never expire',
      { id: GOOD_ID, startedAt: NOW + 365 * 86_400_000, lastActivityAt: NOW + 365 * 86_400_000 },
    ],
    ['JSON that is not an object', 'null'],
    ['corrupt JSON', '{"id": "aaaa'],
  ])('%s starts a fresh session', (_what, value) => {
    store(value);
    const session = resolveSession({ sampleRate: 1, errorSampleRate: 0, now: NOW });
    expect(session.isNew).toBe(true);
    expect(session.sessionId).toMatch(/^[0-9a-f]{32}$/);
    // The bad value is replaced, so the next page load continues the fresh session.
    expect(JSON.parse(storage.getItem(SESSION_STORAGE_KEY)!)).toMatchObject({ id: session.sessionId, startedAt: NOW });
    expect(touchSession(session.sessionId, NOW + 1000)).toBe(true);
  });

  test('a tampered tab id is replaced by a fresh one', () => {
    for (const bad of ['', 'short', 'has spaces in it, 1234567890', 'é'.repeat(32), 'z'.repeat(65)]) {
      storage.setItem(TAB_STORAGE_KEY, bad);
      const { tabId } = resolveSession({ sampleRate: 1, errorSampleRate: 0, now: NOW });
      expect(tabId).toMatch(/^[0-9a-f]{32}$/);
      expect(storage.getItem(TAB_STORAGE_KEY)).toBe(tabId);
    }
  });
});

describe('sampling, decided once per session', () => {
  test.each([
    // [sampleRate, errorSampleRate, the two draws, decided]
    [1, 0, [0.99], true],
    [0.5, 1, [0.49, 0.99], true],
    [0.5, 1, [0.5, 0.99], 'buffer'],
    [0, 0.25, [0, 0.24], 'buffer'],
    [0, 0.25, [0, 0.25], false],
    [0, 0, [0, 0], false],
  ] as const)('sampleRate %s, errorSampleRate %s, draws %j: %s', (sampleRate, errorSampleRate, draws, decided) => {
    const random = vi.spyOn(Math, 'random');
    for (const draw of draws) random.mockReturnValueOnce(draw);
    const session = resolveSession({ sampleRate, errorSampleRate, now: NOW });
    expect(session.sampled).toBe(decided);
    // Kept with the session: its next pages do not draw again.
    random.mockReturnValue(0.999);
    expect(resolveSession({ sampleRate, errorSampleRate, now: NOW + 1000 })).toMatchObject({
      sessionId: session.sessionId,
      sampled: decided,
    });
  });

  test('a session held in memory that an error keeps is recorded in full on its next pages, starting where it was kept from', () => {
    store({ id: GOOD_ID, startedAt: NOW - 600_000, lastActivityAt: NOW - 500, sampled: 'buffer' });
    // Held anew on each page: what it may send starts on this one.
    expect(resolveSession({ sampleRate: 0, errorSampleRate: 1, now: NOW })).toMatchObject({
      sampled: 'buffer',
      startedAt: NOW,
    });
    keepBufferedSession('c'.repeat(32), NOW + 10);
    expect(resolveSession({ sampleRate: 0, errorSampleRate: 1, now: NOW + 20 }).sampled).toBe('buffer');
    keepBufferedSession(GOOD_ID, NOW + 30);
    expect(resolveSession({ sampleRate: 0, errorSampleRate: 1, now: NOW + 40 })).toMatchObject({
      sessionId: GOOD_ID,
      sampled: true,
      startedAt: NOW + 30,
    });
  });

  test.each([
    ['true', true, true],
    ['false', false, false],
    ['"buffer"', 'buffer', 'buffer'],
    ['missing (sessions stored before sampling had three states)', undefined, true],
    ['another string', 'everything', true],
  ])('a stored sampling of %s is read as %s', (_what, stored, read) => {
    store({ id: GOOD_ID, startedAt: NOW - 1000, lastActivityAt: NOW - 500, sampled: stored });
    expect(resolveSession({ sampleRate: 0, errorSampleRate: 0, now: NOW }).sampled).toBe(read);
  });
});
