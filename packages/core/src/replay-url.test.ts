import { describe, expect, test, vi } from 'vitest';
import type { EarlyCapture } from './capture/early.js';
import { createQueueingRecorder } from './loader/queueing-recorder.js';
import { sessionReplayUrl } from './replay-url.js';
import type { SessionInfo } from './session.js';
import type { Recorder } from './types.js';

const session: SessionInfo = { sessionId: 'f00d', tabId: 't1', sampled: true, isNew: true, startedAt: 1_000_000 };
const options = { project: 'shop', endpoint: 'https://replay.example.com' };

describe('sessionReplayUrl', () => {
  test("links to the admin UI's session page, at the moment given, in seconds from the session's start", () => {
    expect(sessionReplayUrl(options, session)).toBe('https://replay.example.com/sessions/f00d?project=shop');
    expect(sessionReplayUrl(options, session, { at: 1_093_540 })).toBe(
      'https://replay.example.com/sessions/f00d?project=shop#t=93.54',
    );
    // To the millisecond: an error 2.509 s in, linked as 2.5, opened the replay just before it.
    expect(sessionReplayUrl(options, session, { at: 1_002_509 })).toMatch(/#t=2\.509$/);
    expect(sessionReplayUrl(options, session, { at: new Date(1_002_000) })).toMatch(/#t=2$/);
    // A moment before the session began (another clock, a stale timestamp) opens at its start.
    expect(sessionReplayUrl(options, session, { at: 5 })).toMatch(/#t=0$/);
    // An invalid Date (a moment parsed from bad input) opens at the start too.
    expect(sessionReplayUrl(options, session, { at: new Date('not a date') })).toMatch(/#t=0$/);
  });

  test('adminUrl wins over endpoint; a path prefix is kept, with or without its slash; the id is encoded', () => {
    const behindProxy = { ...options, adminUrl: 'https://ops.example.com/replay' };
    expect(sessionReplayUrl(behindProxy, session)).toBe('https://ops.example.com/replay/sessions/f00d?project=shop');
    expect(sessionReplayUrl({ ...behindProxy, adminUrl: 'https://ops.example.com/replay//' }, session)).toBe(
      'https://ops.example.com/replay/sessions/f00d?project=shop',
    );
    expect(sessionReplayUrl({ ...options, project: 'a b&c' }, { ...session, sessionId: 'x/y' })).toBe(
      'https://replay.example.com/sessions/x%2Fy?project=a%20b%26c',
    );
  });

  test('null without a recorded session, a project or an address', () => {
    expect(sessionReplayUrl(options, null)).toBeNull();
    expect(sessionReplayUrl(options, { ...session, sampled: false })).toBeNull();
    expect(sessionReplayUrl({ endpoint: options.endpoint }, session)).toBeNull();
    expect(sessionReplayUrl({ project: 'shop' }, session)).toBeNull();
  });

  test('a relative endpoint gives a link relative to the page, as the endpoint is', () => {
    expect(sessionReplayUrl({ project: 'shop', endpoint: '/collector/' }, session)).toBe(
      '/collector/sessions/f00d?project=shop',
    );
  });

  test('before the rest of the recorder arrives, the early capture answers (capture-early.test.ts: the real one); after, the full recorder', async () => {
    const early = {
      session,
      adopt: () => undefined,
      discard: () => undefined,
      replayUrl: (at) => sessionReplayUrl(options, session, at),
    } satisfies EarlyCapture;
    let handOver: (() => void) | undefined;
    const lazy = createQueueingRecorder(
      options,
      () =>
        new Promise((resolve) => {
          handOver = () =>
            resolve({
              createRecorder: () =>
                ({
                  replayUrl: () => 'from the full recorder',
                  isRecording: true,
                  sessionId: 'f00d',
                }) as unknown as Recorder,
            });
        }),
      { startEarly: () => early },
    );
    expect(lazy.replayUrl()).toBeNull();
    lazy.start();
    expect(lazy.replayUrl({ at: 1_010_000 })).toBe('https://replay.example.com/sessions/f00d?project=shop#t=10');
    const loaded = lazy.load();
    await vi.waitFor(() => expect(handOver).toBeDefined());
    handOver!();
    expect(await loaded).toBe(true);
    expect(lazy.replayUrl()).toBe('from the full recorder');
  });
});
