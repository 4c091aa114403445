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
