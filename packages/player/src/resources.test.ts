import { EventType, type RecordedEvent } from '@reprise/protocol';
import { describe, expect, test } from 'vitest';
import { ResourcePolicy, type ResourceKind } from './resources.js';

const snapshot = (childNodes: unknown[]): RecordedEvent => ({
  type: EventType.FullSnapshot,
  timestamp: 1,
  data: { node: { type: 0, id: 1, childNodes }, initialOffset: { left: 0, top: 0 } },
});
const element = (id: number, tagName: string, attributes: Record<string, unknown>, childNodes: unknown[] = []) => ({
  type: 2,
  id,
  tagName,
  attributes,
  childNodes,
});
const json = (event: RecordedEvent) => JSON.stringify(event);

describe('ResourcePolicy', () => {
  const page = snapshot([
    element(2, 'img', {
      src: 'http://127.0.0.1:9/pixel.png',
      srcset: 'http://a.test/1.png 1x, http://a.test/2.png 2x',
      alt: 'x',
    }),
    element(3, 'link', { rel: 'stylesheet', href: 'http://127.0.0.1:9/v1/sessions/s/export' }),
    element(4, 'a', { href: 'http://a.test/next' }),
    element(5, 'div', { style: 'background: url("http://a.test/bg.png") no-repeat' }),
    element(6, 'video', { src: 'http://a.test/v.mp4', poster: 'http://a.test/p.png' }),
    element(7, 'style', {}, [
      {
        type: 3,
        id: 8,
        isStyle: true,
        textContent: '@font-face{src:url(http://a.test/f.woff2)} @import "http://a.test/x.css";',
      },
    ]),
    element(9, 'img', { src: 'data:image/png;base64,AAAA' }),
    element(10, 'base', { href: 'http://a.test/app/', target: '_self' }),
  ]);

  test('by default every fetched URL is dropped; data: URLs and links stay', () => {
    const original = json(page);
    const out = json(new ResourcePolicy().prepare(page));
    expect(json(page)).toBe(original); // the input is not modified
    for (const host of [
      '127.0.0.1:9',
      'a.test/1',
      'a.test/bg',
      'a.test/v.mp4',
      'a.test/p.png',
      'a.test/f.woff2',
      'a.test/x.css',
      'a.test/app/',
    ])
      expect(out).not.toContain(host);
    // The recorded URLs are absolute: a <base> has nothing left to resolve, its target stays.
    expect(out).toContain('"target":"_self"');
    expect(out).toContain('http://a.test/next');
    expect(out).toContain('data:image/png;base64,AAAA');
    expect(out).toContain('"alt":"x"');
    expect(out).toContain('no-repeat');
  });

  test('hostile shapes throw nothing, and what rrweb could still load is dropped', () => {
    const hostile = [
      { type: EventType.FullSnapshot, timestamp: 1, data: null },
      snapshot([element(2, 5 as unknown as string, { src: 'http://a.test/numeric-tag.png' }), null, 3]),
      { type: EventType.FullSnapshot, timestamp: 1, data: { node: { type: 0, id: 1, childNodes: 4 } } },
      { type: EventType.IncrementalSnapshot, timestamp: 1, data: { source: 0, adds: 5, attributes: null, texts: {} } },
      {
        type: EventType.IncrementalSnapshot,
        timestamp: 1,
        data: {
          source: 0,
          adds: [null, { node: 3 }, { parentId: 1, node: element(4, 'img', { src: 'http://a.test/added.png' }) }],
          attributes: [null, { id: 1, attributes: null }, { id: 4, attributes: { src: 'http://a.test/changed.png' } }],
          texts: [null],
        },
      },
    ] as unknown as RecordedEvent[];
    for (const options of [{}, { resolveUrl: () => undefined }])
      for (const event of hostile) {
        const out = json(new ResourcePolicy(options).prepare(event));
        expect(out).not.toContain('a.test');
      }
  });

  test('an event the caller owns is rewritten in place, the same as a copy would be', () => {
    const copied = json(new ResourcePolicy().prepare(page));
    const owned = structuredClone(page);
    const out = new ResourcePolicy().prepare(owned, true);
    expect(out).toBe(owned);
    expect(json(out)).toBe(copied);
    expect(json(out)).not.toBe(json(page));
  });

  test('originalResources keeps the recorded URLs', () => {
    const policy = new ResourcePolicy({ originalResources: true });
    expect(policy.active).toBe(false);
    expect(policy.prepare(page)).toBe(page);
  });

  test('resolveUrl maps URLs with their kind, the rest is dropped', () => {
    const seen: Array<[string, ResourceKind]> = [];
    const policy = new ResourcePolicy({
      resolveUrl: (url, kind) => {
        seen.push([url, kind]);
        return url.endsWith('.woff2') || url.endsWith('bg.png') ? `/assets/${url.split('/').pop()}` : undefined;
      },
    });
    const out = json(policy.prepare(page));
    expect(out).toContain('url(\\"/assets/f.woff2\\")');
    expect(out).toContain('url(\\"/assets/bg.png\\")');
    expect(out).not.toContain('http://a.test/bg.png');
    expect(seen).toContainEqual(['http://a.test/f.woff2', 'css']);
    expect(seen).toContainEqual(['http://a.test/x.css', 'stylesheet']);
    expect(seen).toContainEqual(['http://a.test/bg.png', 'css']);
    expect(seen).toContainEqual(['http://127.0.0.1:9/v1/sessions/s/export', 'stylesheet']);
    expect(seen).toContainEqual(['http://a.test/v.mp4', 'media']);
    expect(seen).toContainEqual(['http://a.test/p.png', 'image']);
  });

  test('mutations: added nodes, attribute changes (removed with null), style text, rules, declarations, fonts', () => {
    const policy = new ResourcePolicy();
    policy.prepare(page);
    const incremental = (data: Record<string, unknown>): RecordedEvent => ({
      type: EventType.IncrementalSnapshot,
      timestamp: 2,
      data,
    });
    const mutation = policy.prepare(
      incremental({
        source: 0,
        adds: [{ parentId: 1, nextId: null, node: element(20, 'img', { src: 'http://a.test/new.png' }) }],
        attributes: [
          { id: 4, attributes: { href: 'http://a.test/still-a-link' } },
          { id: 3, attributes: { href: 'http://a.test/other.css' } },
          { id: 5, attributes: { style: { background: 'url(http://a.test/x.png)', color: 'red' } } },
        ],
        texts: [{ id: 8, value: 'b{background:url(http://a.test/t.png)}' }],
        removes: [],
      }),
    );
    const data = mutation.data as {
      adds: Array<{ node: { attributes: object } }>;
      attributes: Array<{ attributes: Record<string, unknown> }>;
    };
    expect(data.adds[0]!.node.attributes).toEqual({});
    expect(data.attributes[0]!.attributes.href).toBe('http://a.test/still-a-link');
    expect(data.attributes[1]!.attributes.href).toBeNull();
    expect(data.attributes[2]!.attributes.style).toEqual({ background: 'url("data:,")', color: 'red' });
    expect(json(mutation)).not.toContain('t.png');
    for (const data of [
      { source: 8, id: 7, adds: [{ rule: 'a{background:url(http://a.test/r.png)}', index: 0 }] },
      { source: 13, id: 7, index: [0], set: { property: 'background', value: 'url(http://a.test/d.png)' } },
      { source: 10, family: 'F', fontSource: 'url(http://a.test/font.woff)', buffer: false },
      {
        source: 15,
        id: 1,
        styleIds: [1],
        styles: [{ styleId: 1, rules: [{ rule: 'a{background:url(http://a.test/s.png)}' }] }],
      },
    ]) {
      expect(json(policy.prepare(incremental(data)))).not.toContain('a.test');
    }
  });
});
