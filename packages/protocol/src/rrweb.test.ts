import * as rrweb from '@rrweb/types';
import { describe, expect, it } from 'vitest';
import { createRepriseEvent, EventType } from './events.js';
import {
  IncrementalSource,
  isUserActivity,
  isUserInteractionSource,
  MouseInteractions,
  USER_INTERACTION_SOURCES,
} from './rrweb.js';

/** The protocol repeats rrweb's numbers to stay free of it at runtime: they must stay rrweb's. */
const numericMembers = (enumObject: object) =>
  Object.fromEntries(Object.entries(enumObject).filter(([, value]) => typeof value === 'number'));

describe('rrweb numbers', () => {
  it("are rrweb's own EventType, IncrementalSource and MouseInteractions values", () => {
    expect(IncrementalSource).toEqual(numericMembers(rrweb.IncrementalSource));
    expect(MouseInteractions).toEqual(numericMembers(rrweb.MouseInteractions));
    // EventType: rrweb 2 added Asset (7), which Reprise does not record.
    expect(EventType).toEqual(
      Object.fromEntries(Object.entries(numericMembers(rrweb.EventType)).filter(([name]) => name !== 'Asset')),
    );
  });

  it('counts input, pointer, scroll, resize, media, drag and selection as activity; DOM changes, styles and logs not', () => {
    const sources = Object.entries(IncrementalSource)
      .filter(([, value]) => isUserInteractionSource(value))
      .map(([name]) => name);
    expect(sources).toEqual([
      'MouseMove',
      'MouseInteraction',
      'Scroll',
      'ViewportResize',
      'Input',
      'TouchMove',
      'MediaInteraction',
      'Drag',
      'Selection',
    ]);
    expect(USER_INTERACTION_SOURCES.size).toBe(sources.length);
    expect(isUserInteractionSource('1')).toBe(false);
  });

  it('calls a full snapshot, a user source or a navigation activity, and nothing else', () => {
    const incremental = (source: number) => ({ type: EventType.IncrementalSnapshot, timestamp: 1, data: { source } });
    expect(isUserActivity({ type: EventType.FullSnapshot, timestamp: 1, data: {} })).toBe(true);
    expect(isUserActivity(incremental(IncrementalSource.Input))).toBe(true);
    expect(isUserActivity(incremental(IncrementalSource.Mutation))).toBe(false);
    expect(isUserActivity(createRepriseEvent('navigation', { url: 'https://a.test/x' }, 1))).toBe(true);
    expect(isUserActivity(createRepriseEvent('console', { level: 'log', args: ['x'] }, 1))).toBe(false);
    expect(isUserActivity({ type: EventType.Meta, timestamp: 1, data: { href: 'https://a.test/' } })).toBe(false);
    expect(isUserActivity({ type: EventType.IncrementalSnapshot, timestamp: 1, data: null })).toBe(false);
  });
});
