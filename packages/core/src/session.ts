/**
 * Session identity. The session id lives in sessionStorage so same-origin reloads and navigations
 * in one tab continue one session; a new session starts after 30 minutes without activity or 24
 * hours after it began. The tab id is per tab (also in sessionStorage, under its own key) so
 * batches from a duplicated tab never collide on seq. Sampling is decided once per session:
 * recorded (`true`), recorded in memory until an error keeps it (`'buffer'`), or not (`false`).
 */

/** `'buffer'`: recorded in memory and sent only once an error is recorded (`errorSampleRate`). */
export type Sampling = boolean | 'buffer';

export const SESSION_STORAGE_KEY = 'reprise:session';
export const TAB_STORAGE_KEY = 'reprise:tab';
export const OPT_OUT_STORAGE_KEY = 'reprise:opt-out';
/** A session ends after this long without recorded activity. */
export const SESSION_IDLE_TIMEOUT_MS = 30 * 60 * 1000;
/** A session never lasts longer than this. */
export const SESSION_MAX_DURATION_MS = 24 * 60 * 60 * 1000;

/**
 * What a stored session or tab id must look like to be used: the protocol's id characters
 * (letters, digits, `_`, `-`), 16 to 64 of them (ours are 32 hex digits). Anything else in storage
 * (a value edited by hand or by another script, a truncated write) is ignored and a fresh id made,
 * so a tampered value never reaches a batch, where the collector would refuse it.
 */
export const STORED_ID_PATTERN = /^[A-Za-z0-9_-]{16,64}$/;
/** A stored session whose times lie further ahead than this (a tampered value) is not continued. */
export const SESSION_CLOCK_SKEW_MS = 60 * 1000;

export function isValidStoredId(value: unknown): value is string {
  return typeof value === 'string' && STORED_ID_PATTERN.test(value);
}

function isTime(value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value) && value >= 0;
}

export interface StoredSession {
  id: string;
  startedAt: number;
  lastActivityAt: number;
  sampled: Sampling;
}

export interface SessionInfo {
  sessionId: string;
  tabId: string;
  sampled: Sampling;
  /** True when this call started a new session (first visit, expiry, or a reset). */
  isNew: boolean;
  startedAt: number;
}

/**
 * Random URL-safe id: 128 bits from getRandomValues, as 32 hex digits. Not randomUUID, which
 * exists only in secure contexts, so a page served over http needed this way anyway.
 */
export function randomId(): string {
  const bytes = globalThis.crypto.getRandomValues(new Uint8Array(16));
  return Array.from(bytes, (byte) => byte.toString(16).padStart(2, '0')).join('');
}

function storage(): Storage | undefined {
  try {
    return globalThis.sessionStorage;
  } catch {
    // Sandboxed iframes and some privacy modes throw on access.
    return undefined;
  }
}

/**
 * The session, kept for this page's lifetime when sessionStorage could not take it (sandboxed
 * iframes, some privacy modes, a full quota): the session then still continues while the page
 * lives, instead of every activity check finding no session and starting a new one.
 */
let unstoredSession: StoredSession | undefined;
let unstoredTabId: string | undefined;

export function readStored(): StoredSession | undefined {
  // The last write failed: this copy is newer than anything sessionStorage holds.
  if (unstoredSession) return { ...unstoredSession };
  try {
    const raw = storage()?.getItem(SESSION_STORAGE_KEY);
    if (!raw) return undefined;
    const parsed = JSON.parse(raw) as Partial<StoredSession>;
    if (parsed === null || typeof parsed !== 'object') return undefined;
    if (!isValidStoredId(parsed.id) || !isTime(parsed.startedAt) || !isTime(parsed.lastActivityAt)) return undefined;
    return {
      id: parsed.id,
      startedAt: parsed.startedAt,
      lastActivityAt: parsed.lastActivityAt,
      sampled: parsed.sampled === 'buffer' ? 'buffer' : parsed.sampled !== false,
    };
  } catch {
    return undefined;
  }
}

export function writeStored(session: StoredSession): void {
  try {
    // Without sessionStorage this throws too, and the catch keeps the session in memory.
    storage()!.setItem(SESSION_STORAGE_KEY, JSON.stringify(session));
    unstoredSession = undefined;
  } catch {
    // Quota or access errors: the session lives in memory and will not survive a reload.
    unstoredSession = { ...session };
  }
}

export function isExpired(session: StoredSession, now: number): boolean {
  // A session from the future cannot be trusted (its idle and age checks would never fire).
  if (session.startedAt > now + SESSION_CLOCK_SKEW_MS || session.lastActivityAt > now + SESSION_CLOCK_SKEW_MS)
    return true;
  return now - session.lastActivityAt > SESSION_IDLE_TIMEOUT_MS || now - session.startedAt > SESSION_MAX_DURATION_MS;
}

function tabId(): string {
  const store = storage();
  try {
    const existing = store?.getItem(TAB_STORAGE_KEY);
    if (isValidStoredId(existing)) return existing;
  } catch {
    // ignore, make a new one
  }
  if (unstoredTabId) return unstoredTabId;
  const id = randomId();
  storeTabId(id);
  return id;
}

/** This page's tab id from now on (and for its reloads): a fresh one, when another live page holds the stored one. */
export function replaceTabId(id: string): void {
  unstoredTabId = undefined;
  storeTabId(id);
}

function storeTabId(id: string): void {
  try {
    storage()!.setItem(TAB_STORAGE_KEY, id);
  } catch {
    // Kept in memory instead, so this page keeps one tab id.
    unstoredTabId = id;
  }
}

/** Continue the stored session or start a new one (deciding sampling for it). */
export function resolveSession(options: {
  sampleRate: number;
  errorSampleRate: number;
  now?: number;
  forceNew?: boolean;
}): SessionInfo {
  const now = options.now ?? Date.now();
  const stored = readStored();
  if (stored && !options.forceNew && !isExpired(stored, now)) {
    stored.lastActivityAt = now;
    writeStored(stored);
    return {
      sessionId: stored.id,
      tabId: tabId(),
      sampled: stored.sampled,
      isNew: false,
      // A session held in memory is held anew on each page: what it may send starts here.
      startedAt: stored.sampled === 'buffer' ? now : stored.startedAt,
    };
  }
  const sampled: Sampling = Math.random() < options.sampleRate || (Math.random() < options.errorSampleRate && 'buffer');
  const session: StoredSession = { id: randomId(), startedAt: now, lastActivityAt: now, sampled };
  writeStored(session);
  return { sessionId: session.id, tabId: tabId(), sampled, isNew: true, startedAt: now };
}

/** Opt-out is remembered per browser (localStorage), not per session. */
export function isOptedOut(): boolean {
  try {
    return globalThis.localStorage?.getItem(OPT_OUT_STORAGE_KEY) === '1';
  } catch {
    return false;
  }
}

/** End the stored session (and the in-memory copy kept when sessionStorage failed): the next start() begins a new one. */
export function clearSession(): void {
  unstoredSession = undefined;
  try {
    storage()?.removeItem(SESSION_STORAGE_KEY);
  } catch {
    // ignore
  }
}
