import { describe, expect, test } from 'vitest';
import { ACTION_EFFECT_WINDOW_MS, FrameIndex } from './frames.js';
import { click, full, meta, move, mutation, T0 } from './test-events.js';

const indexOf = (...events: Parameters<FrameIndex['add']>[0][]) => {
  const frames = new FrameIndex();
  for (const event of events) frames.add(event);
  return frames;
};

describe('FrameIndex', () => {
  test("an action's effect: the DOM changes that follow it within the window, up to the next input", () => {
    const frames = indexOf(
      meta(0, 'http://a/'),
      full(0),
      click(1046),
      move(1050),
      mutation(1055),
      click(1504),
      mutation(1505),
      click(2000),
      mutation(2000 + ACTION_EFFECT_WINDOW_MS + 20),
      click(3000),
      mutation(3000),
    );
    expect(frames.effectEnd(T0 + 1046)).toBe(T0 + 1055); // a mouse move is not a new action
    expect(frames.effectEnd(T0 + 1504)).toBe(T0 + 1505);
    expect(frames.effectEnd(T0 + 2000)).toBe(T0 + 2000); // a later change (after a request) is not this click's
    expect(frames.effectEnd(T0 + 3000)).toBe(T0 + 3000); // same timestamp
    expect(frames.effectEnd(T0 + 1500)).toBe(T0 + 1500); // the next click's change is not this moment's
  });
});
