// Builders for recorded events in unit tests (not exported from the package).
import {
  createRepriseEvent,
  EventType,
  IncrementalSource,
  MouseInteractions,
  type RecordedEvent,
  type ReprisePayloads,
  type RepriseKind,
} from '@reprise/protocol';

export const T0 = 1_700_000_000_000;

export const meta = (at: number, href: string): RecordedEvent => ({
  type: EventType.Meta,
  timestamp: T0 + at,
  data: { href, width: 800, height: 600 },
});
export const full = (at: number): RecordedEvent => ({
  type: EventType.FullSnapshot,
  timestamp: T0 + at,
  data: { node: { type: 0, childNodes: [], id: 1 }, initialOffset: { left: 0, top: 0 } },
});
export const mutation = (at: number): RecordedEvent => ({
  type: EventType.IncrementalSnapshot,
  timestamp: T0 + at,
  data: { source: IncrementalSource.Mutation, adds: [], removes: [], texts: [], attributes: [] },
});
export const move = (at: number): RecordedEvent => ({
  type: EventType.IncrementalSnapshot,
  timestamp: T0 + at,
  data: { source: IncrementalSource.MouseMove, positions: [{ x: 1, y: 1, id: 1, timeOffset: 0 }] },
});
export const click = (at: number, x = 10, y = 10): RecordedEvent => ({
  type: EventType.IncrementalSnapshot,
  timestamp: T0 + at,
  data: { source: IncrementalSource.MouseInteraction, type: MouseInteractions.Click, id: 5, x, y },
});
export const reprise = <K extends RepriseKind>(at: number, kind: K, payload: ReprisePayloads[K]): RecordedEvent =>
  createRepriseEvent(kind, payload, T0 + at);
