import { EventType, IncrementalSource, maskText, type RecordedEvent } from '@reprise/protocol/page';
import { closestMatches } from '../privacy.js';

interface SerializedNode {
  textContent?: unknown;
  isStyle?: boolean;
  isShadow?: boolean;
  childNodes?: unknown[];
}

interface TextChanges {
  source: number;
  adds?: Array<{ parentId: number; node: SerializedNode }>;
  texts?: Array<{ id: number; value: unknown }>;
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
 * rrweb decides whether the text of a change is masked with `closest()`, which stops at a shadow
 * root. Its full snapshot carries a mask down into shadow roots, but a change does not: text that a
 * web component renders inside its shadow root after the snapshot (a new component on a route
 * change, any update) was recorded in the clear under a masked host. This masks such added text
 * and text changes, before redaction and delivery, deciding through rrweb's mirror (`nodeOf`). An
 * event from before the take-over whose node has since left the page (gone from the mirror, or
 * detached: rrweb's mirror keeps a removed host's shadow content) cannot be placed: its text is
 * masked, since it could have been inside one.
 */
export function createShadowTextMask(
  maskSelector: string,
  nodeOf: (id: number) => Node | null,
): (event: RecordedEvent) => void {
  const inShadow = (node: Node) => !!(node.getRootNode() as ShadowRoot).host;
  return (event) => {
    if (event.type !== EventType.IncrementalSnapshot) return;
    const data = event.data as TextChanges;
    if (data.source !== IncrementalSource.Mutation) return;
    for (const add of data.adds ?? []) {
      const parent = nodeOf(add.parentId) as Element | null;
      // A shadow root's own children name its host as their parent.
      if (!parent?.isConnected || ((add.node.isShadow || inShadow(parent)) && closestMatches(parent, maskSelector)))
        maskSubtree(add.node);
    }
    for (const change of data.texts ?? []) {
      if (typeof change.value !== 'string') continue;
      const node = nodeOf(change.id);
      const root = node?.getRootNode() as ShadowRoot | undefined;
      if (!node?.isConnected || (root!.host && closestMatches(node.parentElement ?? root!.host, maskSelector)))
        change.value = maskText(change.value);
    }
  };
}
