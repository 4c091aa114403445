import { describe, expect, test } from 'vitest';
import { createPendingReplies } from './replies.js';

/** Whether `promise` has settled by the time already-queued microtasks have run. */
async function isSettled(promise: Promise<void>): Promise<boolean> {
  let settled = false;
  void promise.then(() => (settled = true));
  await new Promise((resolve) => setTimeout(resolve, 0));
  return settled;
}

describe('createPendingReplies', () => {
  test('each request goes out under its own id and resolves on the reply to that id only', async () => {
    const replies = createPendingReplies();
    const sent: number[] = [];
    const first = replies.request((id) => sent.push(id));
    const second = replies.request((id) => sent.push(id));
    expect(new Set(sent).size).toBe(2);
    replies.settle(sent[1]!);
    expect(await isSettled(second)).toBe(true);
    expect(await isSettled(first)).toBe(false);
    replies.settle(sent[0]!);
    expect(await isSettled(first)).toBe(true);
  });

  test('an unknown or repeated reply is ignored, and settleAll releases whatever still waits', async () => {
    const replies = createPendingReplies();
    let id = -1;
    const waiting = replies.request((sentId) => (id = sentId));
    replies.settle(id + 100);
    expect(await isSettled(waiting)).toBe(false);
    replies.settleAll();
    expect(await isSettled(waiting)).toBe(true);
    replies.settle(id);
    const next = replies.request(() => {});
    replies.settleAll();
    expect(await isSettled(next)).toBe(true);
  });
});
