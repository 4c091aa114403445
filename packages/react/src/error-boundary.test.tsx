import { useState } from 'react';
import { fireEvent, render, screen, waitFor } from '@testing-library/react';
import { afterEach, describe, expect, test, vi } from 'vitest';
import { createRecorder, MAX_ERROR_TEXT_LENGTH } from '@reprise/core';
import { RecorderErrorBoundary, RecorderProvider, reactErrorHandler } from './index.js';
import { cleanupRecorders, eventSink } from './test-utils.js';

afterEach(async () => {
  await cleanupRecorders();
  vi.restoreAllMocks();
});

function Exploding({ message }: { message: string }): never {
  throw new Error(message);
}

function Toggle() {
  const [broken, setBroken] = useState(false);
  return broken ? (
    <Exploding message="render went wrong" />
  ) : (
    <button type="button" onClick={() => setBroken(true)}>
      break
    </button>
  );
}

describe('RecorderErrorBoundary', () => {
  test('records the error with its component stack and renders the fallback', async () => {
    // React logs caught errors to console.error; keep the test output readable.
    vi.spyOn(console, 'error').mockImplementation(() => {});
    const sink = eventSink();
    const onError = vi.fn();
    render(
      <RecorderProvider options={{ onEvents: sink.onEvents, console: false }}>
        <RecorderErrorBoundary
          fallback={({ error, reset }) => (
            <button type="button" onClick={reset}>
              fallback: {(error as Error).message}
            </button>
          )}
          onError={onError}
        >
          <Toggle />
        </RecorderErrorBoundary>
      </RecorderProvider>,
    );
    fireEvent.click(screen.getByText('break'));
    expect(screen.getByRole('button').textContent).toBe('fallback: render went wrong');
    await waitFor(() => expect(sink.payloads('error').filter((error) => error.source === 'framework')).toHaveLength(1));
    const [recorded] = sink.payloads('error').filter((error) => error.source === 'framework');
    expect(recorded).toMatchObject({ message: 'render went wrong', framework: 'react', name: 'Error' });
    expect(recorded!.componentStack).toMatch(/Exploding[\s\S]*Toggle[\s\S]*RecorderErrorBoundary/);
    expect(onError).toHaveBeenCalledWith(
      expect.objectContaining({ message: 'render went wrong' }),
      expect.objectContaining({ componentStack: expect.any(String) }),
    );

    fireEvent.click(screen.getByRole('button'));
    expect(screen.getByText('break')).toBeTruthy();
  });

  test("a deep tree's component stack is recorded capped at the core's MAX_ERROR_TEXT_LENGTH; onError gets it whole", async () => {
    vi.spyOn(console, 'error').mockImplementation(() => {});
    const sink = eventSink();
    const onError = vi.fn();
    function Nested({ depth }: { depth: number }) {
      return depth === 0 ? <Exploding message="deep render failure" /> : <Nested depth={depth - 1} />;
    }
    // Broken after mount: an error during the first render is caught before recording starts.
    function DeepToggle() {
      const [broken, setBroken] = useState(false);
      return broken ? (
        <Nested depth={1500} />
      ) : (
        <button type="button" onClick={() => setBroken(true)}>
          go deep
        </button>
      );
    }
    render(
      <RecorderProvider options={{ onEvents: sink.onEvents, console: false }}>
        <RecorderErrorBoundary fallback={<p>deep fallback</p>} onError={onError}>
          <DeepToggle />
        </RecorderErrorBoundary>
      </RecorderProvider>,
    );
    fireEvent.click(screen.getByText('go deep'));
    expect(screen.getByText('deep fallback')).toBeTruthy();
    await waitFor(() => expect(sink.payloads('error').filter((error) => error.source === 'framework')).toHaveLength(1));
    const [recorded] = sink.payloads('error').filter((error) => error.source === 'framework');
    const fullStack = (onError.mock.calls[0]![1] as { componentStack: string }).componentStack;
    expect(fullStack.length).toBeGreaterThan(MAX_ERROR_TEXT_LENGTH);
    expect(recorded!.componentStack).toHaveLength(MAX_ERROR_TEXT_LENGTH);
    expect(recorded!.componentStack!.endsWith('…')).toBe(true);
    expect(fullStack.startsWith(recorded!.componentStack!.slice(0, -1))).toBe(true);
  });

  test('a static fallback node works too, and no provider only warns', () => {
    vi.spyOn(console, 'error').mockImplementation(() => {});
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    render(
      <RecorderErrorBoundary fallback={<p>static fallback</p>}>
        <Exploding message="no provider" />
      </RecorderErrorBoundary>,
    );
    expect(screen.getByText('static fallback')).toBeTruthy();
    expect(warn).toHaveBeenCalledWith(
      expect.stringContaining('[@reprise/react] <RecorderErrorBoundary> caught an error but has no <RecorderProvider>'),
    );
  });

  test("reactErrorHandler() records errors that the app's own boundaries catch", async () => {
    const sink = eventSink();
    const recorder = createRecorder({ onEvents: sink.onEvents, console: false });
    recorder.start();
    const next = vi.fn();
    reactErrorHandler(recorder, next)(new TypeError('caught elsewhere'), { componentStack: '\n    at Widget' });
    await waitFor(() =>
      expect(sink.payloads('error')).toContainEqual(
        expect.objectContaining({ message: 'caught elsewhere', componentStack: '\n    at Widget', framework: 'react' }),
      ),
    );
    expect(next).toHaveBeenCalledOnce();
    recorder.stop();
  });
});
