import { EventType, IncrementalSource, type RecordedEvent, type SerializedNode } from '@reprise/protocol/page';

interface TextChanges {
  source: number;
  adds?: Array<{ parentId: number; node: SerializedNode }>;
  texts?: Array<{ id: number; value: unknown }>;
}

/**
 * rrweb tells a textarea's text (its value) from page text by comparing `tagName` with
 * `'TEXTAREA'`, which an XML document (XHTML served as `application/xhtml+xml`) keeps lower case.
 * Its snapshot finds textareas by their lower-case name, but its changes do not: text a script put
 * in a textarea (`textContent`, `defaultValue`) and a textarea added after the snapshot were
 * recorded as page text, in the clear. This gives that text the field rule (`maskField`: masked,
 * or as given under an unmask), through rrweb's mirror (`nodeOf`). Text whose node has left the
 * page by the time it is decided (the early capture's, at the take-over) is masked as a field's
 * would be. Undefined in an HTML page, which pays nothing.
 */
export function createXmlTextareaMask(
  maskField: (text: string, field: Element | null) => string,
  nodeOf: (id: number) => Node | null,
): ((event: RecordedEvent) => void) | undefined {
  if (document.contentType === 'text/html') return undefined;
  /** A textarea (its text is its value); null where the node has left the page; undefined for any other node. */
  const fieldAt = (node: Node | null | undefined): Element | null | undefined =>
    !node?.isConnected ? null : (node as Element).localName === 'textarea' ? (node as Element) : undefined;
  return (event) => {
    if (event.type !== EventType.IncrementalSnapshot) return;
    const data = event.data as TextChanges;
    if (data.source !== IncrementalSource.Mutation) return;
    // rrweb adds a changed subtree node by node: a textarea's text is an add under the textarea.
    for (const add of data.adds ?? []) {
      const field = typeof add.node.textContent === 'string' ? fieldAt(nodeOf(add.parentId)) : undefined;
      if (field !== undefined) add.node.textContent = maskField(add.node.textContent as string, field);
    }
    for (const change of data.texts ?? []) {
      if (typeof change.value !== 'string') continue;
      const node = nodeOf(change.id);
      const field = node?.isConnected ? fieldAt(node.parentNode) : null;
      if (field !== undefined) change.value = maskField(change.value, field);
    }
  };
}
