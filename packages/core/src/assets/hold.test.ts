import type { RecordedEvent } from '@reprise/protocol/page';
import { describe, expect, test } from 'vitest';
import type { AssetCapture } from './capture.js';
import { createAssetHold } from './hold.js';

const snapshot = (timestamp: number): RecordedEvent =>
  ({ type: 2, timestamp, data: { node: { attributes: {} as Record<string, string> } } }) as RecordedEvent;
const move = (timestamp: number): RecordedEvent =>
  ({ type: 3, timestamp, data: { source: 1, positions: [] } }) as RecordedEvent;
const cssText = (event: RecordedEvent) =>
  (event.data as { node: { attributes: { _cssText?: string } } }).node.attributes._cssText;

/** A capture whose work finishes when the test says so, then marks the snapshot as captured. */
function controlledCapture() {
  const pending: Array<() => void> = [];
  const capture: AssetCapture = {
    collect(events) {
      const target = events.find((event) => event.type === 2);
      if (!target) return undefined;
      return new Promise((resolve) => {
        pending.push(() =>
          resolve(
            () =>
              void ((target.data as { node: { attributes: Record<string, string> } }).node.attributes._cssText =
                'reprise-asset:x'),
          ),
        );
      });
    },
  };
  return { capture, finishNext: () => pending.shift()?.() };
}

const tick = () => new Promise((resolve) => setTimeout(resolve, 0));

describe('asset hold', () => {
  test('events after a snapshot wait behind it, in order, and go with the captured references', async () => {
    const delivered: RecordedEvent[][] = [];
    const { capture, finishNext } = controlledCapture();
    const hold = createAssetHold(
      async () => capture,
      (events) => delivered.push(events),
      10_000,
    );
    hold.pass([move(1)]);
    hold.pass([snapshot(2)]);
    hold.pass([move(3)]);
    await tick();
    expect(delivered.map((batch) => batch[0]!.timestamp)).toEqual([1]);
    finishNext();
    await hold.settled();
    expect(delivered.map((batch) => batch[0]!.timestamp)).toEqual([1, 2, 3]);
    expect(cssText(delivered[1]![0]!)).toBe('reprise-asset:x');
  });

  test('past its bound a snapshot goes on as it is, and late capture changes nothing already sent', async () => {
    const delivered: RecordedEvent[][] = [];
    const { capture, finishNext } = controlledCapture();
    const hold = createAssetHold(
      async () => capture,
      (events) => delivered.push(events),
      20,
    );
    hold.pass([snapshot(1)]);
    await hold.settled();
    expect(delivered).toHaveLength(1);
    finishNext();
    await tick();
    expect(cssText(delivered[0]![0]!)).toBeUndefined();
  });

  test('releaseAll hands everything on at once (stop), and a capture that fails loses nothing', async () => {
    const delivered: RecordedEvent[][] = [];
    const { capture } = controlledCapture();
    const hold = createAssetHold(
      async () => capture,
      (events) => delivered.push(events),
      10_000,
    );
    hold.pass([snapshot(1)]);
    hold.pass([move(2)]);
    hold.releaseAll();
    expect(delivered.map((batch) => batch[0]!.timestamp)).toEqual([1, 2]);

    const failing = createAssetHold(
      () => Promise.reject(new Error('no module')),
      (events) => delivered.push(events),
      10_000,
    );
    failing.pass([snapshot(3)]);
    await failing.settled();
    expect(delivered.map((batch) => batch[0]!.timestamp)).toEqual([1, 2, 3]);
  });

  test('an attribute change that sets a src or an href waits for capture; other changes pass at once', async () => {
    const delivered: RecordedEvent[][] = [];
    const collected: RecordedEvent[][] = [];
    const hold = createAssetHold(
      async () => ({ collect: (events) => (collected.push([...events]), undefined) }),
      (events) => delivered.push(events),
      10_000,
    );
    const change = (timestamp: number, attributes: Record<string, string>): RecordedEvent =>
      ({ type: 3, timestamp, data: { source: 0, adds: [], attributes: [{ id: 7, attributes }] } }) as RecordedEvent;
    hold.pass([change(1, { class: 'dark' })]);
    hold.pass([change(2, { href: 'https://site.example/theme.css?dark' })]);
    hold.pass([change(3, { src: 'https://site.example/late.png' })]);
    expect(delivered.map((batch) => batch[0]!.timestamp)).toEqual([1]);
    await hold.settled();
    expect(collected.map((batch) => batch[0]!.timestamp)).toEqual([2, 3]);
    expect(delivered.map((batch) => batch[0]!.timestamp)).toEqual([1, 2, 3]);
  });

  test('once the capture has loaded, a batch that names no asset goes on in the same call, unless one is held', async () => {
    const delivered: RecordedEvent[][] = [];
    const { capture, finishNext } = controlledCapture();
    let loads = 0;
    const hold = createAssetHold(
      async () => (loads++, capture),
      (events) => delivered.push(events),
      10_000,
    );
    const adds = (timestamp: number): RecordedEvent =>
      ({
        type: 3,
        timestamp,
        data: { source: 0, adds: [{ parentId: 1, node: { id: 9 } }], attributes: [] },
      }) as RecordedEvent;
    // Before the capture is known, even a batch without assets waits for it.
    hold.pass([adds(1)]);
    expect(delivered).toHaveLength(0);
    await hold.settled();
    expect(delivered.map((batch) => batch[0]!.timestamp)).toEqual([1]);
    hold.pass([adds(2)]);
    expect(delivered.map((batch) => batch[0]!.timestamp)).toEqual([1, 2]);
    // Behind a snapshot still being captured, it keeps its place.
    hold.pass([snapshot(3)]);
    hold.pass([adds(4)]);
    expect(delivered.map((batch) => batch[0]!.timestamp)).toEqual([1, 2]);
    finishNext();
    await hold.settled();
    expect(delivered.map((batch) => batch[0]!.timestamp)).toEqual([1, 2, 3, 4]);
    expect(cssText(delivered[2]![0]!)).toBe('reprise-asset:x');
    expect(loads).toBe(1);
  });
});
