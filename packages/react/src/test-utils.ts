import { cleanup } from '@testing-library/react';
import { isRepriseEvent, type RecordedEvent, type RepriseKind, type ReprisePayloads } from '@reprise/protocol';

/** An `onEvents` sink that keeps everything the recorder emits, after privacy. */
export function eventSink() {
  const events: RecordedEvent[] = [];
  return {
    events,
    onEvents: (batch: RecordedEvent[]) => void events.push(...batch),
    payloads<K extends RepriseKind>(kind: K): ReprisePayloads[K][] {
      return events.filter((event) => isRepriseEvent(event, kind)).map((event) => (event.data as { payload: ReprisePayloads[K] }).payload);
    },
    ofType(type: number): RecordedEvent[] {
      return events.filter((event) => event.type === type);
    },
  };
}

/**
 * Unmount what the test rendered and let the recorders stop before the next test: the core stops
 * an unmounted recorder a tick later (so StrictMode's remount stays one recording), and tests that
 * start a recorder with start() rather than a provider must find the page free.
 */
export async function cleanupRecorders(): Promise<void> {
  cleanup();
  await new Promise((resolve) => setTimeout(resolve, 0));
  sessionStorage.clear();
  localStorage.clear();
}
