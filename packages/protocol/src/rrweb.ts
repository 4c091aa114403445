import { EventType, isRepriseEvent, type RecordedEvent } from './events.js';

/**
 * rrweb's numbers inside incremental snapshots, and what Reprise counts as a person's activity.
 * Repeated from rrweb (like `EventType`) so the protocol keeps no runtime dependency on it; the
 * recorder, the collector's index and the player all read these, so they agree on what a click
 * is and when a session goes idle.
 */

/** rrweb's `IncrementalSource`: `data.source` of an incremental snapshot (`type: 3`). */
export const IncrementalSource = {
  Mutation: 0,
  MouseMove: 1,
  MouseInteraction: 2,
  Scroll: 3,
  ViewportResize: 4,
  Input: 5,
  TouchMove: 6,
  MediaInteraction: 7,
  StyleSheetRule: 8,
  CanvasMutation: 9,
  Font: 10,
  Log: 11,
  Drag: 12,
  StyleDeclaration: 13,
  Selection: 14,
  AdoptedStyleSheet: 15,
  CustomElement: 16,
} as const;
export type IncrementalSourceValue = (typeof IncrementalSource)[keyof typeof IncrementalSource];

/** rrweb's `MouseInteractions`: `data.type` of a mouse interaction (`source: 2`). */
export const MouseInteractions = {
  MouseUp: 0,
  MouseDown: 1,
  Click: 2,
  ContextMenu: 3,
  DblClick: 4,
  Focus: 5,
  Blur: 6,
  TouchStart: 7,
  TouchMove_Departed: 8,
  TouchEnd: 9,
  TouchCancel: 10,
} as const;
export type MouseInteractionsValue = (typeof MouseInteractions)[keyof typeof MouseInteractions];

/** rrweb's `NodeType`: `type` of a node in a full snapshot or a mutation's `adds`. */
export const NodeType = {
  Document: 0,
  DocumentType: 1,
  Element: 2,
  Text: 3,
  CDATA: 4,
  Comment: 5,
} as const;

/**
 * A node of a full snapshot (`data.node`) or of a mutation's `adds`, as a reader finds it: rrweb's
 * `serializedNodeWithId` with every field optional, since a recording comes from the network and
 * any field may be missing or of another type. Check each before use.
 */
export interface SerializedNode {
  type?: number;
  id?: number;
  tagName?: string;
  attributes?: Record<string, unknown>;
  childNodes?: SerializedNode[];
  textContent?: unknown;
  /** A text node inside `<style>`: CSS, not words. */
  isStyle?: boolean;
  /** The node is in its host's shadow root. */
  isShadow?: boolean;
}

/** Incremental sources that mean a person did something (rrweb's own notion of user interaction). */
export const USER_INTERACTION_SOURCES: ReadonlySet<number> = new Set<number>([
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
  return typeof source === 'number' && USER_INTERACTION_SOURCES.has(source);
}

/**
 * Activity: input, scrolling, pointer movement, a page load (full snapshot) or a route change:
 * something a viewer wants to see. Stretches without any are idle.
 */
export function isUserActivity(event: RecordedEvent): boolean {
  if (event.type === EventType.FullSnapshot) return true;
  if (event.type === EventType.IncrementalSnapshot) {
    return isUserInteractionSource((event.data as { source?: unknown } | null)?.source);
  }
  return isRepriseEvent(event, 'navigation');
}

/**
 * A gap longer than this between two activities (or between the last activity and the end) is
 * idle: the player shades and skips it, and the index leaves it out of a session's active time,
 * so "active time" is what a viewer watches with skip-inactivity on. The session's first event,
 * whatever it is, starts the clock. 5 s: long enough that reading a page is not skipped, short
 * enough that a coffee break is.
 */
export const INACTIVITY_THRESHOLD_MS = 5_000;
