import { EventType, IncrementalSource, maskText, type RecordedEvent } from '@reprise/protocol/page';
import { closestMatches } from '../privacy.js';

interface SerializedNode {
  textContent?: unknown;
  isStyle?: boolean;
  isShadow?: boolean;
  childNodes?: unknown[];
}

interface RecordedChanges {
  source: number;
  id?: unknown;
  adds?: Array<{ parentId: number; node: SerializedNode }>;
  removes?: Array<{ parentId: number }>;
  texts?: Array<{ id: number; value: unknown }>;
  attributes?: Array<{ id: number }>;
}

/** Every text of a serialized subtree masked as rrweb masks it (not `<style>` text). */
function maskSubtree(root: SerializedNode): void {
  const stack: unknown[] = [root];
  while (stack.length > 0) {
    const node = stack.pop() as SerializedNode | null | undefined;
    if (!node || typeof node !== 'object') continue;
    if (typeof node.textContent === 'string' && !node.isStyle) node.textContent = maskText(node.textContent);
    if (Array.isArray(node.childNodes)) for (const child of node.childNodes) stack.push(child);
  }
}

/**
 * Where a node is, for the rules rrweb cannot apply inside a shadow root: `open` outside any shadow
 * root, or inside one that no mark reaches from outside (rrweb's own rules hold there).
 */
type Place = 'open' | 'masked' | 'blocked';

/**
 * rrweb applies block and mask selectors with `closest()`, which stops at a shadow root. Its full
 * snapshot carries them down into shadow roots, but a change does not: what a web component
 * renders inside its shadow root after the snapshot (a component created on a route change, a
 * shadow root attached after its host was recorded, any update) was recorded in the clear under a
 * masked host, and recorded at all under a blocked one. This applies both before redaction and
 * delivery, through rrweb's mirror (`nodeOf`): changes inside a blocked host's shadow root and the
 * events of its nodes (typing, clicks, scrolls, canvas frames...) are dropped, added text and text
 * changes inside a masked one are masked. An event from before the take-over whose node has since left the page (gone from the
 * mirror, or detached: the mirror keeps a removed host's shadow content) cannot be placed: its text
 * is masked, since it could have been inside a masked host.
 *
 * Returns whether to keep the event (a mutation keeps what lies outside blocked shadow roots).
 */
export function createShadowPrivacy(
  maskSelector: string,
  blockSelector: string,
  nodeOf: (id: number) => Node | null,
): (event: RecordedEvent) => boolean {
  /** `around`: the element to match from (a shadow root's own children name its host as their parent). */
  const place = (node: Node | null, around: Element | null | undefined, inShadow = false): Place | undefined => {
    if (!node?.isConnected) return undefined;
    if (!inShadow && !(node.getRootNode() as ShadowRoot).host) return 'open';
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
      return typeof data.id !== 'number' || placeOfElement(data.id) !== 'blocked';
    let dropped = false;
    const keep = <T>(items: T[] | undefined, placeOf: (item: T) => Place | undefined): T[] | undefined =>
      items?.filter((item) => {
        const blocked = placeOf(item) === 'blocked';
        dropped ||= blocked;
        return !blocked;
      });
    data.adds = keep(data.adds, (add) => {
      const parent = nodeOf(add.parentId);
      const where = place(parent, parent as Element | null, add.node.isShadow);
      if (where === undefined || where === 'masked') maskSubtree(add.node);
      return where;
    });
    data.removes = keep(data.removes, (remove) => placeOfElement(remove.parentId));
    data.attributes = keep(data.attributes, (change) => placeOfElement(change.id));
    data.texts = keep(data.texts, (change) => {
      const where = placeOfText(change.id);
      if ((where === undefined || where === 'masked') && typeof change.value === 'string')
        change.value = maskText(change.value);
      return where;
    });
    return !dropped || [data.adds, data.removes, data.texts, data.attributes].some((list) => list && list.length > 0);
  };
}
