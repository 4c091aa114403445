import { afterEach, describe, expect, test } from 'vitest';
import { decodeBatchFrame, encodeJsonBatchFrame, stringifyPlain, type Batch } from './index.js';

type WithToJSON = { toJSON?: () => unknown };
const arrays = Array.prototype as unknown as WithToJSON;
const objects = Object.prototype as WithToJSON;

afterEach(() => {
  delete arrays.toJSON;
  delete objects.toJSON;
});

/** Prototype.js (before 1.7): an array serialises as a string of its JSON. */
function prototypeJsArrays(): void {
  arrays.toJSON = function (this: unknown[]) {
    return `[${this.map((item) => JSON.stringify(item)).join(', ')}]`;
  };
}

const batch: Batch = {
  v: 1,
  project: 'p',
  session: 'prototype-js-session',
  tab: 'prototype-js-tab',
  seq: 0,
  start: 1,
  end: 2,
  events: [{ type: 5, data: { tag: 'reprise.custom', payload: { name: 'a', items: [1, [2, 3]] } }, timestamp: 1 }],
};

describe('stringifyPlain', () => {
  test("is JSON.stringify as if arrays and objects had no toJSON of the page's, and leaves the page's own in place", () => {
    prototypeJsArrays();
    const pageArrays = arrays.toJSON;
    objects.toJSON = () => 'every object';
    const pageObjects = objects.toJSON;
    expect(JSON.stringify({ list: [1] })).toBe('"every object"');
    expect(stringifyPlain({ list: [1, [2]], text: 'x' })).toBe('{"list":[1,[2]],"text":"x"}');
    expect(arrays.toJSON).toBe(pageArrays);
    expect(objects.toJSON).toBe(pageObjects);
    expect(Object.getOwnPropertyDescriptor(Array.prototype, 'toJSON')).toMatchObject({
      enumerable: true,
      writable: true,
      configurable: true,
    });
  });

  test('puts the methods back even when stringifying throws', () => {
    prototypeJsArrays();
    const pageArrays = arrays.toJSON;
    expect(() => stringifyPlain({ big: 1n })).toThrow(TypeError);
    expect(arrays.toJSON).toBe(pageArrays);
  });

  test("an object's own toJSON is honoured: only the prototypes' are set aside", () => {
    const list = [1, 2];
    Object.defineProperty(list, 'toJSON', { value: () => 'kept', configurable: false });
    expect(stringifyPlain({ list })).toBe('{"list":"kept"}');
  });

  test("a page's unload frame of a Prototype.js page decodes to the batch", () => {
    prototypeJsArrays();
    expect(decodeBatchFrame(encodeJsonBatchFrame(batch))).toEqual(batch);
  });
});
