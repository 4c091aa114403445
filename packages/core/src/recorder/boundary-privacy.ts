import {
  EventType,
  IncrementalSource,
  maskText,
  NodeType,
  type RecordedEvent,
  type SerializedNode,
} from '@reprise/protocol/page';
import { closestMatches, maskTextAttributes } from '../privacy.js';

interface RecordedChanges {
  source: number;
  id?: unknown;
  adds?: Array<{ parentId: number; node: SerializedNode }>;
  removes?: unknown[];
  texts?: Array<{ id: number; value: unknown }>;
  attributes?: Array<{ id: number; attributes: Record<string, unknown> }>;
}

/** Every text of a serialized subtree masked as rrweb masks it (not `<style>` text), and its text attributes. */
function maskSubtree(root: SerializedNode): void {
  const stack: unknown[] = [root];
  while (stack.length > 0) {
    const node = stack.pop() as SerializedNode | null | undefined;
    if (!node || typeof node !== 'object') continue;
    if (typeof node.textContent === 'string' && !node.isStyle) node.textContent = maskText(node.textContent);
    if (node.attributes) maskTextAttributes(node.attributes);
    if (Array.isArray(node.childNodes)) for (const child of node.childNodes) stack.push(child);
  }
}

/**
 * Where a node is, for the rules rrweb cannot apply past a shadow root or a frame: `open` in the
 * page's own document outside shadow roots, or where no mark reaches from outside (rrweb's own
 * rules hold there).
 */
type Place = 'open' | 'masked' | 'blocked';

/**
 * rrweb applies block and mask selectors with `closest()`, which stops at a shadow root and at a
 * frame's document. Its full snapshot carries them down into both, but a change does not: what a
 * web component renders inside its shadow root after the snapshot (a component created on a route
 * change, a shadow root attached after its host was recorded, any update), and the document of a
 * same-origin frame added after the snapshot or changed since, was recorded in the clear under a
 * mask, and recorded at all under a block. This applies both before redaction and delivery, through
 * rrweb's mirror (`nodeOf`): changes inside a blocked host's shadow root and the events of its
 * nodes (typing, clicks, scrolls, canvas frames...) are dropped, added text and text changes under
 * a mask are masked (blocked frames' documents are `blocked-frames.ts`'s). An event from before the
 * take-over whose node has since left the page (gone from the mirror, or detached: the mirror keeps
 * a removed host's shadow content) cannot be placed: its text is masked, since it could have been
 * under a mask.
 *
 * Returns whether to keep the event (a mutation keeps what lies outside blocked shadow roots).
 */
export function createBoundaryPrivacy(
  maskSelector: string,
  blockSelector: string,
  nodeOf: (id: number) => Node | null,
): (event: RecordedEvent) => boolean {
  /** A node past a shadow root or a frame has been met: until then no interaction can be inside a blocked one. */
  let pastBoundary = false;
  /**
   * `around`: the element to match from; `crossing`: the node is the parent of what crossed a
   * boundary (a shadow root's children name its host as their parent, a frame's document its element).
   */
  const place = (node: Node | null, around: Element | null | undefined, crossing = false): Place | undefined => {
    if (!node) return undefined;
    // In the page's own document and outside shadow roots, rrweb's own rules hold: one walk up
    // the tree decides it for nearly every node.
    if (!crossing && node.getRootNode() === document) return 'open';
    if (!node.isConnected) return undefined;
    pastBoundary = true;
    if (!around) return 'open';
    if (closestMatches(around, blockSelector)) return 'blocked';
    return closestMatches(around, maskSelector) ? 'masked' : 'open';
  };
  const placeOfElement = (id: number) => {
    const node = nodeOf(id);
    return place(node, node as Element | null);
  };
  const placeOfText = (id: number) => {
    const node = nodeOf(id);
    return place(node, node?.parentElement ?? ((node?.getRootNode() as ShadowRoot | undefined)?.host || null));
  };

  return (event) => {
    if (event.type !== EventType.IncrementalSnapshot) return true;
    const data = event.data as RecordedChanges;
    // An interaction, a scroll, a canvas frame, a media change... of a node inside a blocked host.
    if (data.source !== IncrementalSource.Mutation)
      return !pastBoundary || typeof data.id !== 'number' || placeOfElement(data.id) !== 'blocked';
    let dropped = false;
    /** `items` without the blocked ones: the same array (no copy) while none is. */
    const keep = <T>(items: T[] | undefined, placeOf: (item: T) => Place | undefined): T[] | undefined => {
      if (!items) return items;
      let kept: T[] | undefined;
      for (let i = 0; i < items.length; i++) {
        if (placeOf(items[i]!) !== 'blocked') kept?.push(items[i]!);
        else kept ??= items.slice(0, i);
      }
      if (kept) dropped = true;
      return kept ?? items;
    };
    data.adds = keep(data.adds, (add) => {
      const parent = nodeOf(add.parentId);
      // A shadow root's children, and a frame's document (0) attached under its element, cross a boundary.
      const where = place(parent, parent as Element | null, add.node.isShadow || add.node.type === NodeType.Document);
      if (where === undefined || where === 'masked') maskSubtree(add.node);
      return where;
    });
    // Removals are left as they are: they carry ids only, of nodes a replay never had.
    data.attributes = keep(data.attributes, (change) => {
      const where = placeOfElement(change.id);
      if (where === undefined || where === 'masked') maskTextAttributes(change.attributes);
      return where;
    });
    data.texts = keep(data.texts, (change) => {
      const where = placeOfText(change.id);
      if ((where === undefined || where === 'masked') && typeof change.value === 'string')
        change.value = maskText(change.value);
      return where;
    });
    return !dropped || [data.adds, data.removes, data.texts, data.attributes].some((list) => list && list.length > 0);
  };
}
