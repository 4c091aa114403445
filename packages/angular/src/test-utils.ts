import { vi } from 'vitest';
import { isRepriseEvent, type RecordedEvent, type RepriseKind, type ReprisePayloads } from '@reprise/protocol';

/** An `onEvents` sink that keeps everything the recorder emits, after privacy. */
export function eventSink() {
  const events: RecordedEvent[] = [];
  return {
    events,
    onEvents: (batch: RecordedEvent[]) => void events.push(...batch),
    payloads<K extends RepriseKind>(kind: K): ReprisePayloads[K][] {
      return events
        .filter((event) => isRepriseEvent(event, kind))
        .map((event) => (event.data as { payload: ReprisePayloads[K] }).payload);
    },
    ofType(type: number): RecordedEvent[] {
      return events.filter((event) => event.type === type);
    },
  };
}

/** The core stops a released recorder a tick later; let it, and forget the session, before the next test. */
export async function settle(): Promise<void> {
  await new Promise((resolve) => setTimeout(resolve, 0));
  sessionStorage.clear();
  localStorage.clear();
}

/** `vi.waitFor` with room for a busy machine: its default one second is too short under load. */
export function eventually<T>(check: () => T | Promise<T>): Promise<T> {
  return vi.waitFor(check, { timeout: 10_000, interval: 20 });
}
