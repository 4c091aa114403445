import { EventType, type RecordedEvent } from '@reprise/protocol';
import type { Replayer } from '@rrweb/replay';

/**
 * rrweb's incremental sources that move the page under a still pointer: mutation, scroll, viewport
 * resize, style rules, style declarations (1 and 2, mouse moves and interactions, move the pointer).
 */
const HOVER_LAYOUT_SOURCES = new Set([0, 3, 4, 8, 13]);

/**
 * rrweb hovers the element a mouse event named, so when the page scrolls or changes under a
 * still pointer the old element stays hovered (a header shown on hover stayed open). After a
 * scroll, a mutation or a resize, the element under the last pointer position is hovered
 * instead, once per task however many events were applied (a seek applies thousands).
 */
export class HoverFollower {
  /** The replayed pointer's last position in the page's viewport, for matching hover after layout changes. */
  private pointer: { x: number; y: number } | undefined;
  private queued = false;
  /** For the replayed page's scroll events (the same function each time, so never added twice). */
  readonly onScroll = () => this.queue();

  constructor(private readonly replayer: () => Replayer | undefined) {}

  /** Follow an event the replayer has just applied. */
  track(event: RecordedEvent): void {
    if (event.type !== EventType.IncrementalSnapshot) return;
    const data = event.data as { source: number; positions?: Array<{ x: number; y: number; id: number }> };
    // A click carries its own position; a mouse move the path since the last one.
    const pointer =
      data.source === 1
        ? data.positions?.at(-1)
        : data.source === 2
          ? (data as unknown as { x: number; y: number; id: number })
          : undefined;
    if (pointer?.x !== undefined) {
      // Positions inside a nested frame are that frame's: not matched against the page's layout.
      const replayer = this.replayer()!;
      this.pointer =
        replayer.getMirror().getNode(pointer.id)?.ownerDocument === replayer.iframe.contentDocument
          ? { ...pointer }
          : undefined;
    } else if (HOVER_LAYOUT_SOURCES.has(data.source)) this.queue();
  }

  private queue(): void {
    if (!this.pointer || this.queued) return;
    this.queued = true;
    queueMicrotask(() => {
      this.queued = false;
      const replayer = this.replayer();
      // The replay's iframe is inert for the viewer; hit testing in its own document is unaffected.
      const element =
        this.pointer && replayer?.iframe.contentDocument?.elementFromPoint(this.pointer.x, this.pointer.y);
      if (element) (replayer as unknown as { hoverElements(el: Element): void }).hoverElements(element);
    });
  }
}
