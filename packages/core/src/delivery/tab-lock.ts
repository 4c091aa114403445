import { randomId, replaceTabId } from '../session.js';

export const TAB_LOCK_PREFIX = 'reprise:tab:';
/** The tab id whose Web Lock this page holds (for its whole life): claiming it again is ours already. */
let claimedTabId: string | undefined;

/**
 * Make sure no other live page numbers batches under `tabId`, then call `onClaimed` once with the
 * tab id this page sends as. A tab opened with window.open, or duplicated, starts with a copy of
 * sessionStorage, tab id included. Each page holds a Web Lock named after its tab id for its life;
 * when another page holds it, this page takes a fresh tab id (same session: a duplicated tab is the
 * same visit), stores it for its reloads, and holds that one. Without Web Locks (or if the request
 * is refused) `onClaimed` gets `tabId` at once: the collector's 409 and delivery's retab then cover it.
 */
export function claimTabId(tabId: string, onClaimed: (tabId: string) => void): void {
  const locks = (globalThis.navigator as Navigator | undefined)?.locks;
  if (!locks || claimedTabId === tabId) return onClaimed(tabId);
  let settled = false;
  const settle = (id: string): void => {
    if (settled) return;
    settled = true;
    onClaimed(id);
  };
  // Granted locks are never released: the page's end releases them.
  const hold = (id: string) => (): Promise<never> => {
    claimedTabId = id;
    settle(id);
    return new Promise<never>(() => undefined);
  };
  try {
    locks
      .request(TAB_LOCK_PREFIX + tabId, { ifAvailable: true }, (lock) => {
        if (lock) return hold(tabId)();
        const fresh = randomId();
        replaceTabId(fresh);
        // A fresh random id is free: this is granted at once.
        void locks.request(TAB_LOCK_PREFIX + fresh, hold(fresh)).catch(() => settle(fresh));
        return undefined;
      })
      .catch(() => settle(tabId));
  } catch {
    // A document of an opaque origin (a sandboxed frame) has the API and is refused it, at once.
    settle(tabId);
  }
}
