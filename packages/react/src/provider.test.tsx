import { StrictMode, type ReactNode } from 'react';
import { act, render, renderHook, screen, waitFor } from '@testing-library/react';
import { afterEach, describe, expect, test } from 'vitest';
import { createRecorder, type Recorder } from '@reprise/core';
import { EventType } from '@reprise/protocol';
import { RecorderProvider, useRecorder, type UseRecorderResult } from './index.js';
import { cleanupRecorders, eventSink } from './test-utils.js';

afterEach(cleanupRecorders);

/** Renders the provider and hands back what useRecorder() returned on the last render. */
function renderWithProvider(provider: (children: ReactNode) => ReactNode) {
  const seen: { current: UseRecorderResult | null } = { current: null };
  function Probe() {
    seen.current = useRecorder();
    return <p data-testid="session">{seen.current.sessionId ?? 'none'}</p>;
  }
  const view = render(provider(<Probe />));
  return { ...view, seen };
}

describe('RecorderProvider lifecycle', () => {
  test('records from mount and stops on unmount', async () => {
    const sink = eventSink();
    const { seen, unmount } = renderWithProvider((children) => (
      <RecorderProvider options={{ onEvents: sink.onEvents }}>{children}</RecorderProvider>
    ));
    const recorder = seen.current!.recorder;
    expect(recorder.isRecording).toBe(true);
    await waitFor(() => expect(sink.ofType(EventType.FullSnapshot)).toHaveLength(1));
    unmount();
    // The core waits a tick before stopping, so that StrictMode's unmount-remount stays one recording.
    await waitFor(() => expect(recorder.isRecording).toBe(false));
  });

  test('re-renders with the session id once recording starts', async () => {
    const { seen } = renderWithProvider((children) => <RecorderProvider options={{}}>{children}</RecorderProvider>);
    await waitFor(() => expect(screen.getByTestId('session').textContent).toBe(seen.current!.recorder.sessionId));
    expect(seen.current!.sessionId).toMatch(/^[0-9a-f]{16,}$/);
  });

  test('StrictMode double mount: one recorder, one session, one set of listeners', async () => {
    const sink = eventSink();
    const recordersSeen = new Set<Recorder>();
    const sessionIds = new Set<string | null>();
    function Probe() {
      const { recorder, sessionId } = useRecorder();
      recordersSeen.add(recorder);
      sessionIds.add(sessionId);
      return <button type="button">press</button>;
    }
    render(
      <StrictMode>
        <RecorderProvider options={{ onEvents: sink.onEvents }}>
          <Probe />
        </RecorderProvider>
      </StrictMode>,
    );
    await waitFor(() => expect(sink.ofType(EventType.FullSnapshot).length).toBeGreaterThan(0));
    const [recorder] = recordersSeen;
    expect(recordersSeen.size).toBe(1);
    expect(recorder!.isRecording).toBe(true);
    // One uncaught error must give one error event: a second listener set would record it twice.
    act(() => {
      window.dispatchEvent(new ErrorEvent('error', { error: new Error('strict boom'), message: 'strict boom' }));
    });
    await waitFor(() =>
      expect(sink.payloads('error').filter((error) => error.message.includes('strict boom'))).toHaveLength(1),
    );
    expect(sink.ofType(EventType.FullSnapshot)).toHaveLength(1);
    expect([...sessionIds].filter(Boolean)).toEqual([recorder!.sessionId]);
  });

  test('a recorder created outside React is mounted and released by the provider', async () => {
    const sink = eventSink();
    const recorder = createRecorder({ onEvents: sink.onEvents });
    expect(recorder.isRecording).toBe(false);
    const { seen, unmount } = renderWithProvider((children) => (
      <RecorderProvider recorder={recorder}>{children}</RecorderProvider>
    ));
    expect(seen.current!.recorder).toBe(recorder);
    expect(recorder.isRecording).toBe(true);
    unmount();
    await waitFor(() => expect(recorder.isRecording).toBe(false));
  });

  test('a provider remounted with a new key, or toggled off and on, keeps recording in the same session', async () => {
    const sink = eventSink();
    const recorders: Recorder[] = [];
    function Probe() {
      const { recorder } = useRecorder();
      if (!recorders.includes(recorder)) recorders.push(recorder);
      return null;
    }
    function App({ providerKey, show = true }: { providerKey: string; show?: boolean }) {
      return show ? (
        <RecorderProvider key={providerKey} options={{ onEvents: sink.onEvents }}>
          <Probe />
        </RecorderProvider>
      ) : null;
    }
    const { rerender } = render(<App providerKey="first" />);
    await waitFor(() => expect(sink.ofType(EventType.FullSnapshot)).toHaveLength(1));
    const sessionId = recorders[0]!.sessionId;

    // The first recorder is released (it would stop a tick later): the new one must not be refused.
    rerender(<App providerKey="second" />);
    expect(recorders).toHaveLength(2);
    expect(recorders[0]!.isRecording).toBe(false);
    expect(recorders[1]!.isRecording).toBe(true);
    expect(recorders[1]!.sessionId).toBe(sessionId);

    rerender(<App providerKey="second" show={false} />);
    rerender(<App providerKey="second" />);
    expect(recorders).toHaveLength(3);
    expect(recorders[2]!.isRecording).toBe(true);
    expect(recorders[2]!.sessionId).toBe(sessionId);

    // Still recording after the released recorders' tick: a full snapshot each, and new events.
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(recorders.map((recorder) => recorder.isRecording)).toEqual([false, false, true]);
    expect(sink.ofType(EventType.FullSnapshot)).toHaveLength(3);
    act(() => recorders[2]!.track('after remount'));
    await waitFor(() => expect(sink.payloads('custom')).toContainEqual({ name: 'after remount' }));
  });

  test('with requireConsent nothing records until start() from the hook', async () => {
    const sink = eventSink();
    const { seen } = renderWithProvider((children) => (
      <RecorderProvider options={{ requireConsent: true, onEvents: sink.onEvents }}>{children}</RecorderProvider>
    ));
    expect(seen.current!.recorder.isRecording).toBe(false);
    expect(screen.getByTestId('session').textContent).toBe('none');
    act(() => seen.current!.start());
    expect(seen.current!.recorder.isRecording).toBe(true);
    await waitFor(() => expect(screen.getByTestId('session').textContent).not.toBe('none'));
    act(() => seen.current!.stop());
    expect(seen.current!.recorder.isRecording).toBe(false);
  });
});

describe('useRecorder()', () => {
  test('outside a provider it throws an error that names the fix', () => {
    expect(() => renderHook(() => useRecorder())).toThrow(
      '[@reprise/react] useRecorder() needs <RecorderProvider> above it',
    );
  });

  test('track, identify and markNavigation reach the recording', async () => {
    const sink = eventSink();
    const { seen } = renderWithProvider((children) => (
      <RecorderProvider options={{ onEvents: sink.onEvents, navigation: 'manual' }}>{children}</RecorderProvider>
    ));
    act(() => {
      seen.current!.identify('user-7', { plan: 'team' });
      seen.current!.track('checkout', { items: 3 });
      seen.current!.markNavigation({ url: 'http://localhost/cart', route: '/cart' });
    });
    await waitFor(() => expect(sink.payloads('custom')).toContainEqual({ name: 'checkout', props: { items: 3 } }));
    expect(sink.payloads('identify')).toContainEqual({ userId: 'user-7', traits: { plan: 'team' } });
    expect(sink.payloads('navigation')).toContainEqual(
      expect.objectContaining({ url: 'http://localhost/cart', route: '/cart' }),
    );
  });

  test('returns the same functions across re-renders', () => {
    const results: UseRecorderResult[] = [];
    const { rerender } = renderHook(() => results.push(useRecorder()), {
      wrapper: ({ children }) => <RecorderProvider options={{ requireConsent: true }}>{children}</RecorderProvider>,
    });
    rerender();
    expect(results.length).toBeGreaterThanOrEqual(2);
    expect(results[0]!.track).toBe(results.at(-1)!.track);
    expect(results[0]).toBe(results.at(-1));
  });

  test('optOut() stops recording and the session id goes with it', async () => {
    const { seen } = renderWithProvider((children) => <RecorderProvider options={{}}>{children}</RecorderProvider>);
    expect(seen.current!.recorder.isRecording).toBe(true);
    await waitFor(() => expect(screen.getByTestId('session').textContent).toMatch(/^[0-9a-f]{16,}$/));
    act(() => seen.current!.optOut());
    expect(seen.current!.recorder.isRecording).toBe(false);
    // The hook follows the core's state subscription, which also reports the forgotten session.
    expect(screen.getByTestId('session').textContent).toBe('none');
    expect(seen.current!.sessionId).toBeNull();
  });
});
