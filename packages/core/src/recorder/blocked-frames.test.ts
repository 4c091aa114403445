import { describe, expect, test } from 'vitest';
import type { RecordedEvent } from '@reprise/protocol';
import { createBlockedFrameFilter } from './blocked-frames.js';

// Stand-ins for rrweb's mirror: a page with a blocked frame (id 11) and an open one (id 12), each
// with a document (21, 22) holding a paragraph (31, 32). Only what the filter reads.
const blockedDoc = { nodeType: 9 };
const openDoc = { nodeType: 9 };
const pageDoc = { nodeType: 9 };
const frame = (blocked: boolean, doc: object) => ({
  nodeType: 1,
  ownerDocument: pageDoc,
  contentDocument: doc,
  closest: (selector: string) => (blocked && selector === '[data-reprise-block]' ? {} : null),
});
const nodes = new Map<number, object>([
  [5, { nodeType: 1, ownerDocument: pageDoc }],
  [11, frame(true, blockedDoc)],
  [12, frame(false, openDoc)],
  [21, blockedDoc],
  [22, openDoc],
  [31, { nodeType: 1, ownerDocument: blockedDoc }],
  [32, { nodeType: 1, ownerDocument: openDoc }],
]);
const nodeOf = (id: number) => (nodes.get(id) ?? null) as Node | null;
const incremental = (data: Record<string, unknown>): RecordedEvent => ({ type: 3, timestamp: 1, data });
const attach = (frameId: number, docId: number) =>
  incremental({
    source: 0,
    adds: [{ parentId: frameId, nextId: null, node: { type: 0, childNodes: [], id: docId } }],
    removes: [],
    texts: [],
    attributes: [],
    isAttachIframe: true,
  });

describe('the blocked-frame filter', () => {
  test('drops a blocked frame attach and what happens in its document, keeps the rest of each event', () => {
    const admit = createBlockedFrameFilter('[data-reprise-block]', nodeOf);
    expect(admit(incremental({ source: 2, type: 2, id: 31 }))).toBe(true);
    expect(admit(attach(12, 22))).toBe(true);
    expect(admit(attach(11, 21))).toBe(false);
    const mixed = incremental({
      source: 0,
      adds: [
        { parentId: 31, nextId: null, node: { type: 3, textContent: 'secret', id: 40 } },
        { parentId: 32, nextId: null, node: { type: 3, textContent: 'open', id: 41 } },
      ],
      removes: [{ parentId: 31, id: 33 }],
      texts: [
        { id: 31, value: 'secret' },
        { id: 5, value: 'page' },
      ],
      attributes: [{ id: 31, attributes: { title: 'secret' } }],
    });
    expect(admit(mixed)).toBe(true);
    expect(JSON.stringify(mixed)).not.toContain('secret');
    expect(mixed.data).toMatchObject({ adds: [{ parentId: 32 }], removes: [], texts: [{ id: 5 }], attributes: [] });
    expect(admit(incremental({ source: 0, adds: [{ parentId: 31 }], removes: [], texts: [], attributes: [] }))).toBe(
      false,
    );
    // Typing, clicks and scrolls in it; a selection reaching into it; pointer positions over it.
    expect(admit(incremental({ source: 5, id: 31, text: 'secret', isChecked: false }))).toBe(false);
    expect(admit(incremental({ source: 2, type: 2, id: 31 }))).toBe(false);
    expect(admit(incremental({ source: 3, id: 21, x: 0, y: 10 }))).toBe(false);
    expect(admit(incremental({ source: 14, ranges: [{ start: 5, startOffset: 0, end: 31, endOffset: 1 }] }))).toBe(
      false,
    );
    const moves = incremental({
      source: 1,
      positions: [
        { x: 1, y: 1, id: 31, timeOffset: 0 },
        { x: 2, y: 2, id: 5, timeOffset: 0 },
      ],
    });
    expect(admit(moves)).toBe(true);
    expect(moves.data).toMatchObject({ positions: [{ id: 5 }] });
    // The open frame and the page are untouched; so are events of other types.
    expect(admit(incremental({ source: 5, id: 32, text: 'typed', isChecked: false }))).toBe(true);
    expect(admit({ type: 5, timestamp: 1, data: { tag: 'reprise.custom', payload: { name: 'x' } } })).toBe(true);
  });
});
