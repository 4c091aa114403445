/**
 * The few rrweb enum values the player reads. Repeated here (as `@reprise/protocol` does for
 * `EventType`) so the pure modules can be unit-tested without loading rrweb's replayer.
 */
export const IncrementalSource = {
  Mutation: 0,
  MouseMove: 1,
  MouseInteraction: 2,
  Scroll: 3,
  ViewportResize: 4,
  Input: 5,
  TouchMove: 6,
  MediaInteraction: 7,
  Drag: 12,
  Selection: 14,
} as const;

export const MouseInteraction = {
  Click: 2,
  DblClick: 4,
  TouchEnd: 9,
} as const;

/** Incremental sources that mean a person did something (rrweb's own notion of "user interaction"). */
const USER_SOURCES = new Set<number>([
  IncrementalSource.MouseMove,
  IncrementalSource.MouseInteraction,
  IncrementalSource.Scroll,
  IncrementalSource.ViewportResize,
  IncrementalSource.Input,
  IncrementalSource.TouchMove,
  IncrementalSource.MediaInteraction,
  IncrementalSource.Drag,
  IncrementalSource.Selection,
]);

export function isUserInteractionSource(source: unknown): boolean {
  return typeof source === 'number' && USER_SOURCES.has(source);
}
