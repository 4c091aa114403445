import {
  isExpired,
  OPT_OUT_STORAGE_KEY,
  readStored,
  SESSION_IDLE_TIMEOUT_MS,
  SESSION_MAX_DURATION_MS,
  writeStored,
} from './session.js';

/*
 * What a running recording does with its session (session.ts resolves one at start()): keeps it
 * alive, learns why it ended, remembers an opt-out. Apart from session.ts because an
 * app's first chunk and the script tag's first file start recording with session.ts alone.
 */

/** Record activity; returns false when the stored session has expired (the caller should start a new one). */
export function touchSession(sessionId: string, now: number = Date.now()): boolean {
  const stored = readStored();
  if (!stored || stored.id !== sessionId || isExpired(stored, now)) return false;
  stored.lastActivityAt = now;
  writeStored(stored);
  return true;
}

/**
 * A session recorded in memory (`'buffer'`) that an error keeps: recorded in full from now on,
 * here and on the tab's next pages. Its recording starts at `from` (the first event sent), so
 * that is its start from now on: replay links count from it, as the admin's player does, and so
 * does the 24-hour bound.
 */
export function keepBufferedSession(sessionId: string, from: number): void {
  const stored = readStored();
  if (stored?.id !== sessionId) return;
  stored.sampled = true;
  stored.startedAt = from;
  writeStored(stored);
}

/** Why `touchSession()` found `sessionId` over: expired idle or by age, or no longer the stored session. */
export function sessionEndReason(sessionId: string, now: number = Date.now()): 'idle' | 'maxDuration' | 'reset' {
  const stored = readStored();
  if (!stored || stored.id !== sessionId) return 'reset';
  if (now - stored.startedAt > SESSION_MAX_DURATION_MS) return 'maxDuration';
  return now - stored.lastActivityAt > SESSION_IDLE_TIMEOUT_MS ? 'idle' : 'reset';
}

export function rememberOptOut(): void {
  try {
    globalThis.localStorage?.setItem(OPT_OUT_STORAGE_KEY, '1');
  } catch {
    // ignore
  }
}
