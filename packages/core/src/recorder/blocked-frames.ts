import { EventType, IncrementalSource, type RecordedEvent } from '@reprise/protocol/page';
import { closestMatches } from '../privacy.js';

interface RecordedChanges {
  source: number;
  isAttachIframe?: boolean;
  adds?: Array<{ parentId: number }>;
  removes?: Array<{ parentId: number }>;
  texts?: Array<{ id: number }>;
  attributes?: Array<{ id: number }>;
  id?: unknown;
  positions?: Array<{ id?: unknown }>;
  ranges?: Array<{ start?: unknown; end?: unknown }>;
}

/**
 * rrweb records the document of a same-origin frame once it loads, even when the frame's element
 * is blocked: the block stops at the element's own snapshot (a placeholder), while the frame's
 * document is attached after it (`isAttachIframe`) and observed from then on. A blocked element's
 * content must not be recorded, so this drops, before anything else sees them, such a frame's
 * attach and every change and interaction inside its document (a frame inside a blocked web
 * component's shadow root too). Events that refer to nodes are
 * told apart by rrweb's mirror (`nodeOf`), while their nodes are still in it.
 *
 * Returns whether to keep the event (a mutation keeps what lies outside the blocked frames).
 */
export function createBlockedFrameFilter(
  blockSelector: string,
  nodeOf: (id: number) => Node | null,
): (event: RecordedEvent) => boolean {
  const blocked = new WeakSet<Document>();
  let anyBlocked = false;
  const inBlocked = (id: unknown): boolean => {
    if (typeof id !== 'number') return false;
    const node = nodeOf(id);
    if (!node) return false;
    // 9: a document (a frame's scroll names its document).
    return blocked.has(node.nodeType === 9 ? (node as Document) : node.ownerDocument!);
  };
  const outside = <T>(items: T[] | undefined, id: (item: T) => unknown): T[] | undefined =>
    items?.filter((item) => !inBlocked(id(item)));

  return (event) => {
    if (event.type !== EventType.IncrementalSnapshot) return true;
    const data = event.data as RecordedChanges;
    if (data.source === IncrementalSource.Mutation && data.isAttachIframe) {
      const frame = nodeOf(data.adds?.[0]?.parentId ?? -1) as HTMLIFrameElement | null;
      if (!frame || !closestMatches(frame, blockSelector)) return true;
      if (frame.contentDocument) blocked.add(frame.contentDocument);
      anyBlocked = true;
      return false;
    }
    if (!anyBlocked) return true;
    if (data.source === IncrementalSource.Mutation) {
      data.adds = outside(data.adds, (add) => add.parentId);
      data.removes = outside(data.removes, (remove) => remove.parentId);
      data.texts = outside(data.texts, (text) => text.id);
      data.attributes = outside(data.attributes, (attribute) => attribute.id);
      return [data.adds, data.removes, data.texts, data.attributes].some((list) => list && list.length > 0);
    }
    if (inBlocked(data.id)) return false;
    if (data.ranges?.some((range) => inBlocked(range.start) || inBlocked(range.end))) return false;
    if (Array.isArray(data.positions)) {
      data.positions = outside(data.positions, (position) => position.id);
      return data.positions!.length > 0;
    }
    return true;
  };
}
