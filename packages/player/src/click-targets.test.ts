import { EventType, IncrementalSource, MouseInteractions, type RecordedEvent } from '@reprise/protocol';
import { describe, expect, test } from 'vitest';
import { RecordedDom } from './click-targets.js';
import { extractMarkers, RecordingIndex } from './markers.js';
import { reprise, T0 } from './test-events.js';

type Node = Record<string, unknown>;
let nextId = 100;
const el = (
  tagName: string,
  attributes: Record<string, unknown> = {},
  childNodes: Node[] = [],
  id = nextId++,
): Node => ({
  type: 2,
  tagName,
  attributes,
  childNodes,
  id,
});
const text = (textContent: string, id = nextId++): Node => ({ type: 3, textContent, id });

const snapshot = (at: number, body: Node[]): RecordedEvent => ({
  type: EventType.FullSnapshot,
  timestamp: T0 + at,
  data: {
    node: { type: 0, id: 1, childNodes: [el('html', {}, [el('body', {}, body, 3)], 2)] },
    initialOffset: { left: 0, top: 0 },
  },
});
const mutation = (at: number, data: Record<string, unknown>): RecordedEvent => ({
  type: EventType.IncrementalSnapshot,
  timestamp: T0 + at,
  data: { source: IncrementalSource.Mutation, adds: [], removes: [], texts: [], attributes: [], ...data },
});
const clickOn = (at: number, id: number, x = 40, y = 20): RecordedEvent => ({
  type: EventType.IncrementalSnapshot,
  timestamp: T0 + at,
  data: { source: IncrementalSource.MouseInteraction, type: MouseInteractions.Click, id, x, y },
});
// Dead clicks have tests of their own: here every click is named as it is.
const labels = (events: RecordedEvent[]) =>
  extractMarkers(events, { deadClickTimeout: 0 })
    .filter((marker) => marker.kind === 'click' || marker.kind === 'rage-click')
    .map((marker) => marker.label);
const move = (at: number): RecordedEvent => ({
  type: EventType.IncrementalSnapshot,
  timestamp: T0 + at,
  data: { source: IncrementalSource.MouseMove, positions: [{ x: 1, y: 1, id: 3, timeOffset: 0 }] },
});
const clickKinds = (events: RecordedEvent[], options = {}) =>
  extractMarkers(events, options)
    .filter((marker) => marker.kind.endsWith('click'))
    .map((marker) => [marker.kind, marker.time, marker.label]);

describe('click targets', () => {
  test('a click inside a control names the control by its text, label or value', () => {
    const events = [
      snapshot(0, [
        el('nav', {}, [el('a', { href: '/users' }, [el('span', {}, [text('Users')], 10)])]),
        el('button', { 'aria-label': 'Close dialog' }, [el('svg', {}, [el('path', {}, [], 11)])]),
        el('form', {}, [
          el('input', { type: 'email', value: 'typed by the person', placeholder: 'E-mail' }, [], 12),
          el('input', { type: 'submit', value: 'Create account' }, [], 13),
          el('input', { type: 'checkbox' }, [], 14),
        ]),
        el(
          'div',
          { role: 'button' },
          [el('style', {}, [{ type: 3, textContent: '.x{}', isStyle: true, id: 20 }]), text('  Save\n  draft ')],
          15,
        ),
        el('p', {}, [text('Total')], 16),
        el('div', { contenteditable: 'true', title: 'Message' }, [el('p', {}, [text('my secret draft')], 18)]),
        el('div', { role: 'textbox' }, [text('typed into it')], 19),
        el('input', { type: 'text', value: 'typed', title: 'Name' }, [], 21),
        el('main', {}, [text('A long paragraph that no one would call a control by its name, surely not')], 17),
      ]),
      clickOn(1000, 10),
      clickOn(2000, 11),
      clickOn(3000, 12),
      clickOn(4000, 13),
      clickOn(5000, 14),
      clickOn(6000, 20),
      clickOn(7000, 16),
      clickOn(8000, 17, 5, 6),
      clickOn(9000, 9999, 7, 8),
      clickOn(10000, 18),
      clickOn(11000, 19),
      clickOn(12000, 21),
    ];
    expect(labels(events)).toEqual([
      'Click on link "Users"',
      'Click on button "Close dialog"',
      'Click on field "E-mail"',
      'Click on button "Create account"',
      'Click on checkbox',
      'Click on button "Save draft"',
      'Click on p "Total"',
      'Click at 5, 6',
      'Click at 7, 8',
      // What was typed names nothing: an editor, a role="textbox", a field's value.
      'Click on text field "Message"',
      'Click on textbox',
      'Click on field "Name"',
    ]);
  });

  test('the page as it stood at the click: added, changed and removed nodes', () => {
    const events = [
      snapshot(0, [el('div', {}, [], 30)]),
      mutation(1000, {
        adds: [
          { parentId: 30, nextId: null, node: el('button', {}, [], 31) },
          { parentId: 31, nextId: null, node: text('world', 33) },
          { parentId: 31, nextId: 33, node: text('Hello', 32) },
        ],
      }),
      clickOn(2000, 31),
      mutation(3000, { texts: [{ id: 32, value: 'Goodbye' }], attributes: [{ id: 31, attributes: { title: 't' } }] }),
      clickOn(4000, 33),
      mutation(5000, { attributes: [{ id: 31, attributes: { 'aria-label': 'Leave' } }] }),
      clickOn(6000, 31),
      mutation(7000, { removes: [{ parentId: 30, id: 31 }] }),
      clickOn(8000, 33, 1, 2),
      // A new page: what the last one held names nothing.
      snapshot(9000, [el('a', { href: '/' }, [text('Home')], 40)]),
      clickOn(10000, 40),
      clickOn(11000, 30, 3, 4),
    ];
    expect(labels(events)).toEqual([
      'Click on button "Hello world"',
      'Click on button "Goodbye world"',
      'Click on button "Leave"',
      'Click at 1, 2',
      'Click on link "Home"',
      'Click at 3, 4',
    ]);
  });

  test('a rage click names what was clicked, and a long name is cut', () => {
    const long = 'Continue to payment and accept the terms of this very long button';
    const events = [
      snapshot(0, [el('button', {}, [text(long)], 50)]),
      ...[0, 1, 2].map((i) => clickOn(20_000 + i * 100, 50)),
    ];
    const [label] = labels(events);
    expect(label).toMatch(/^Rage click ×3 on button "Continue to payment and accept the terms of thi…"$/);
    expect(label!.length).toBeLessThan(long.length + 20);
  });

  test('hostile shapes name nothing and break nothing', () => {
    const dom = new RecordedDom();
    const hostile = [
      { type: EventType.FullSnapshot, timestamp: T0, data: null },
      { type: EventType.FullSnapshot, timestamp: T0, data: { node: { type: 2, id: 'x', tagName: 5 } } },
      mutation(1, {
        adds: [null, { parentId: 'a', node: { id: 7, type: 2, tagName: 'button', childNodes: [null, 4] } }],
      }),
      mutation(2, { removes: [{ id: {} }], texts: [{ id: 7, value: {} }], attributes: [{ id: 7, attributes: 'x' }] }),
    ] as unknown as RecordedEvent[];
    for (const event of hostile) expect(() => dom.add(event)).not.toThrow();
    expect(dom.describe(7)).toEqual({ text: 'button', control: 'button' });
    // A node added under its own child: a loop that naming and removing must get out of.
    dom.add(snapshot(0, [el('button', {}, [el('span', {}, [text('Go', 62)], 61)], 60)]));
    dom.add(mutation(1, { adds: [{ parentId: 61, nextId: null, node: { type: 2, id: 60, tagName: 'div' } }] }));
    expect(() => dom.describe(62)).not.toThrow();
    dom.add(mutation(2, { removes: [{ parentId: 61, id: 60 }] }));
    expect(dom.describe(62)).toBeUndefined();
    expect(dom.describe('7')).toBeUndefined();
    expect(dom.describe(undefined)).toBeUndefined();
    // Text that is not a string names nothing.
    dom.add(snapshot(0, [el('button', {}, [{ type: 3, id: 81, textContent: {} }], 80)]));
    expect(dom.describe(81)).toEqual({ text: 'button', control: 'button' });
  });

  describe('dead clicks', () => {
    const page = () =>
      snapshot(0, [
        el('button', {}, [text('Save')], 70),
        el('a', { href: '/help', target: '_blank' }, [text('Help')], 71),
        el('a', { href: '/report.pdf', download: '' }, [text('Report')], 72),
        el('input', { type: 'email', placeholder: 'E-mail' }, [], 73),
        el('ul', {}, [], 74),
      ]);

    test('a click on a button the page never answers is dead once the timeout has passed', () => {
      expect(clickKinds([page(), clickOn(1000, 70), move(8001)])).toEqual([
        ['dead-click', 1000, 'Dead click on button "Save"'],
      ]);
      const [marker] = extractMarkers([page(), clickOn(1000, 70), move(8001)]).filter((m) => m.kind === 'dead-click');
      expect(marker!.detail).toBe('Nothing on the page changed for 7 s after it.');
      // Not yet past the timeout, or the recording ends: unknown, so a click.
      expect(clickKinds([page(), clickOn(1000, 70), move(8000)])).toEqual([['click', 1000, 'Click on button "Save"']]);
      expect(clickKinds([page(), clickOn(1000, 70)])).toEqual([['click', 1000, 'Click on button "Save"']]);
    });

    test('any change of the page answers it: the DOM, a scroll, a route change, a page load', () => {
      const answers: RecordedEvent[] = [
        mutation(1300, { adds: [{ parentId: 74, nextId: null, node: el('li', {}, [], 75) }] }),
        mutation(1300, { attributes: [{ id: 70, attributes: { class: 'busy' } }] }),
        {
          type: EventType.IncrementalSnapshot,
          timestamp: T0 + 6000,
          data: { source: IncrementalSource.Scroll, id: 1, x: 0, y: 400 },
        },
        reprise(2000, 'navigation', { url: 'http://a.test/saved' }),
        { type: EventType.Meta, timestamp: T0 + 5000, data: { href: 'http://a.test/next', width: 800, height: 600 } },
      ];
      for (const answer of answers)
        expect(clickKinds([page(), clickOn(1000, 70), answer, move(9000)])).toEqual([
          ['click', 1000, 'Click on button "Save"'],
        ]);
      // A mutation that changes nothing does not.
      expect(clickKinds([page(), clickOn(1000, 70), mutation(1300, {}), move(9000)])[0]![0]).toBe('dead-click');
      // A change after the timeout comes too late: the click is dead all the same.
      expect(
        clickKinds([
          page(),
          clickOn(1000, 70),
          mutation(9000, { attributes: [{ id: 70, attributes: { class: 'x' } }] }),
        ])[0]![0],
      ).toBe('dead-click');
    });

    test('links that open elsewhere, fields and plain text are never dead; a gap or a timeout of 0 leaves it unknown', () => {
      const quiet = (id: number) => [page(), clickOn(1000, id), move(9000)];
      expect(clickKinds(quiet(71))).toEqual([['click', 1000, 'Click on link "Help"']]);
      expect(clickKinds(quiet(72))).toEqual([['click', 1000, 'Click on link "Report"']]);
      expect(clickKinds(quiet(73))).toEqual([['click', 1000, 'Click on field "E-mail"']]);
      expect(clickKinds(quiet(70), { deadClickTimeout: 0 })).toEqual([['click', 1000, 'Click on button "Save"']]);
      expect(clickKinds(quiet(70), { deadClickTimeout: 2000 })[0]![0]).toBe('dead-click');
      const index = new RecordingIndex();
      for (const event of [page(), clickOn(1000, 70)]) index.add(event);
      index.addGap(1, 'not delivered', { start: T0 + 2000, end: T0 + 20_000 });
      index.add(move(20_000));
      expect(
        index
          .getMarkers()
          .filter((m) => m.kind.endsWith('click'))
          .map((m) => m.kind),
      ).toEqual(['click']);
    });

    test('a flood of clicks the page never answers is indexed in bounded time', () => {
      // Hostile or broken pages can record tens of thousands of clicks with no change between
      // them: each later event must not walk every click still waiting for an answer.
      const index = new RecordingIndex();
      index.add(page());
      const started = performance.now();
      for (let i = 0; i < 20_000; i++) index.add(clickOn(1000 + i / 10, 70, 40 + (i % 2) * 300));
      for (let i = 0; i < 20_000; i++) index.add(move(8000 + i / 10));
      const elapsed = performance.now() - started;
      const kinds = index.getMarkers().map((marker) => marker.kind);
      expect(kinds).toHaveLength(20_000);
      // The last clicks waiting turn dead; those past the cap stay clicks: never a wrong answer.
      expect(kinds.filter((kind) => kind === 'dead-click').length).toBeGreaterThan(0);
      expect(elapsed).toBeLessThan(3_000);
    });

    test('fast dead clicks on one spot are one rage click', () => {
      const events = [page(), ...[0, 1, 2, 3].map((i) => clickOn(1000 + i * 150, 70)), move(20_000)];
      expect(clickKinds(events)).toEqual([['rage-click', 1000, 'Rage click ×4 on button "Save"']]);
    });
  });
});
