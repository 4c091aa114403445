import { EventType, type RecordedEvent } from '@reprise/protocol';
import { describe, expect, test } from 'vitest';
import { CanvasFrames } from './canvas.js';

const PNG = 'data:image/png;base64,iVBORw0KGgo=';

/** A snapshot whose body has `count` children, the last a canvas with content. */
function snapshot(count: number): RecordedEvent {
  const children: unknown[] = Array.from({ length: count - 1 }, (_, i) => ({
    type: 2,
    id: 10 + i,
    tagName: 'li',
    attributes: {},
    childNodes: [],
  }));
  children.push({ type: 2, id: 5, tagName: 'canvas', attributes: { width: '10', rr_dataURL: PNG }, childNodes: [] });
  return {
    type: EventType.FullSnapshot,
    timestamp: 1,
    data: {
      node: { type: 0, id: 1, childNodes: [{ type: 2, id: 2, tagName: 'ul', attributes: {}, childNodes: children }] },
      initialOffset: { top: 0, left: 0 },
    },
  };
}

describe('CanvasFrames.prepare', () => {
  test("takes a canvas's content out of a copy of the snapshot, leaving the given event as it was", () => {
    const event = snapshot(3);
    const prepared = new CanvasFrames().prepare(event, false);
    expect(prepared).not.toBe(event);
    expect(JSON.stringify(event)).toContain('rr_dataURL');
    expect(JSON.stringify(prepared)).not.toContain('rr_dataURL');
    expect(new CanvasFrames().prepare(snapshot(1), true)).toBeDefined();
  });

  test('walks a node with more children than a call can take arguments (a long list), without throwing', () => {
    const event = snapshot(300_000);
    const prepared = new CanvasFrames().prepare(event, true);
    expect(JSON.stringify((prepared.data as { node: unknown }).node).includes('rr_dataURL')).toBe(false);
  });
});
