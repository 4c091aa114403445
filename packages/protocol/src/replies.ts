/**
 * Requests sent over a message port that the other side answers by id: the recorder's page asking
 * its delivery worker to flush, the player's host asking its frame to seek. One copy of the rule
 * "a reply settles its request once, and an unknown or repeated id is ignored".
 */
export interface PendingReplies {
  /** Sends a request under a new id; the promise resolves when `settle(id)` is called. */
  request(send: (id: number) => void): Promise<void>;
  /** The reply to `id` arrived. */
  settle(id: number): void;
  /** No reply will come (the other side is gone): resolve every request still waiting. */
  settleAll(): void;
}

export function createPendingReplies(): PendingReplies {
  const waiting = new Map<number, () => void>();
  let lastId = 0;
  return {
    request(send) {
      const id = ++lastId;
      return new Promise<void>((resolve) => {
        waiting.set(id, resolve);
        send(id);
      });
    },
    settle(id) {
      const resolve = waiting.get(id);
      waiting.delete(id);
      resolve?.();
    },
    settleAll() {
      for (const resolve of waiting.values()) resolve();
      waiting.clear();
    },
  };
}
