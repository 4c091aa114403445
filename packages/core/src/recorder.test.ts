import { describe, expect, test, vi } from 'vitest';
import {
  DEFAULT_BLOCK_SELECTORS,
  DEFAULT_BREAKER_MAX_MUTATIONS,
  DEFAULT_BREAKER_RESUME_AFTER_MS,
  DEFAULT_BREAKER_WINDOW_MS,
  DEFAULT_CANVAS_FPS,
  DEFAULT_CANVAS_QUALITY,
  DEFAULT_CHECKOUT_EVERY_MS,
  DEFAULT_MASK_SELECTORS,
  DEFAULT_UNMASK_SELECTORS,
  MAX_CANVAS_FPS,
} from './defaults.js';
import {
  DEFAULT_CONSOLE_LEVELS,
  DEFAULT_CONSOLE_MAX_ARG_LENGTH,
  DEFAULT_NETWORK_MAX_BODY_LENGTH,
} from './recorder-defaults.js';
import { MAX_CONSOLE_MAX_ARG_LENGTH, MAX_DELIVERY_MAX_BATCH_BYTES, MAX_NETWORK_MAX_BODY_LENGTH } from './limits.js';
import { resolveOptions } from './resolve-options.js';
import {
  DEFAULT_MAX_DECOMPRESSED_BYTES,
  DEFAULT_MAX_STRING_LENGTH,
  EventType,
  IncrementalSource,
  type JsonValue,
} from '@reprise/protocol';
import { RecorderError } from './errors.js';
import { createRecorder } from './index.js';
import { createRecorderWith as createFullRecorder } from './recorder.js';
import { isPositionsOnly } from './recorder/pipeline.js';
import {
  CONTENTEDITABLE_SELECTOR,
  maskFieldValue,
  MASKED_VALUE_PLACEHOLDER,
  PASSWORD_PLACEHOLDER,
  protectAttributeChanges,
  protectSerializedNodes,
} from './privacy.js';

describe('resolveOptions', () => {
  test('applies every documented default', () => {
    const resolved = resolveOptions();
    expect(resolved).toMatchObject({
      requireConsent: false,
      sampleRate: 1,
      errorSampleRate: 0,
      errors: true,
      navigation: 'history',
      checkoutEveryMs: DEFAULT_CHECKOUT_EVERY_MS,
      debug: false,
      sampling: { mousemove: 50, scroll: 150, input: 'last' },
      network: {
        captureHeaders: false,
        captureBodies: false,
        maxBodyLength: DEFAULT_NETWORK_MAX_BODY_LENGTH,
        ignoreUrls: [],
      },
      console: { levels: [...DEFAULT_CONSOLE_LEVELS], maxArgLength: DEFAULT_CONSOLE_MAX_ARG_LENGTH },
      mutationBreaker: {
        maxMutations: DEFAULT_BREAKER_MAX_MUTATIONS,
        windowMs: DEFAULT_BREAKER_WINDOW_MS,
        resumeAfterMs: DEFAULT_BREAKER_RESUME_AFTER_MS,
      },
      privacy: {
        maskSelectors: [...DEFAULT_MASK_SELECTORS],
        blockSelectors: [...DEFAULT_BLOCK_SELECTORS],
        unmaskSelectors: [...DEFAULT_UNMASK_SELECTORS],
        redact: { emails: true, cards: true, patterns: [] },
      },
    });
    expect(DEFAULT_CHECKOUT_EVERY_MS).toBe(300_000);
  });

  test('extra selectors add to the defaults; false turns a plugin off; bad numbers fall back', () => {
    const resolved = resolveOptions({
      endpoint: 'https://replay.example.com//',
      sampleRate: 7,
      privacy: {
        maskSelectors: ['.secret'],
        blockSelectors: ['#ads'],
        unmaskSelectors: ['.public'],
        redact: { emails: false, patterns: ['\\d{3}-\\d{2}-\\d{4}'] },
      },
      network: false,
      console: false,
      mutationBreaker: false,
      checkoutEveryMs: -5,
      sampling: { mousemove: Number.NaN },
    });
    expect(resolved.endpoint).toBe('https://replay.example.com');
    expect(resolved.sampleRate).toBe(1);
    expect(resolved.privacy.maskSelectors).toEqual([
      '[data-reprise-mask]',
      '.reprise-mask',
      CONTENTEDITABLE_SELECTOR,
      '.rr-mask',
      '.secret',
    ]);
    expect(resolved.privacy.blockSelectors).toEqual(['[data-reprise-block]', '.reprise-block', '#ads']);
    expect(resolved.privacy.unmaskSelectors).toEqual(['[data-reprise-unmask]', '.public']);
    expect(resolved.privacy.redact).toEqual({
      emails: false,
      cards: true,
      secretFields: true,
      dropQueryStrings: false,
      ssn: true,
      phones: false,
      patterns: ['\\d{3}-\\d{2}-\\d{4}'],
    });
    expect(resolved.network).toBe(false);
    expect(resolved.console).toBe(false);
    expect(resolved.mutationBreaker).toBe(false);
    expect(resolved.checkoutEveryMs).toBe(DEFAULT_CHECKOUT_EVERY_MS);
    expect(resolved.sampling.mousemove).toBe(50);
    expect(resolveOptions({ sampleRate: -1 }).sampleRate).toBe(0);
    expect(resolveOptions({ errorSampleRate: 7 }).errorSampleRate).toBe(1);
    expect(resolveOptions({ errorSampleRate: -1 }).errorSampleRate).toBe(0);
    expect(resolveOptions({ errorSampleRate: Number.NaN }).errorSampleRate).toBe(0);
    expect(resolveOptions({ errorSampleRate: 0.25 }).errorSampleRate).toBe(0.25);
  });

  test('canvas recording is off unless asked; asked, it takes defaults, keeps quality in 0..1 and caps the frame rate', () => {
    expect(resolveOptions({}).canvas).toBe(false);
    expect(resolveOptions({ canvas: false }).canvas).toBe(false);
    expect(resolveOptions({ canvas: {} }).canvas).toEqual({ fps: DEFAULT_CANVAS_FPS, quality: DEFAULT_CANVAS_QUALITY });
    expect(resolveOptions({ canvas: { fps: 4, quality: 0.9 } }).canvas).toEqual({ fps: 4, quality: 0.9 });
    expect(resolveOptions({ canvas: { fps: -1, quality: 3 } }).canvas).toEqual({
      fps: DEFAULT_CANVAS_FPS,
      quality: DEFAULT_CANVAS_QUALITY,
    });
    expect(resolveOptions({ canvas: { fps: 60 } }).canvas).toEqual({
      fps: MAX_CANVAS_FPS,
      quality: DEFAULT_CANVAS_QUALITY,
    });
  });

  test('size options above the protocol limits are lowered to them when the full recorder is created, with an options RecorderError each', () => {
    const errors: Error[] = [];
    const warnings: unknown[] = [];
    const warn = vi.spyOn(console, 'warn').mockImplementation((...args: unknown[]) => void warnings.push(args[0]));
    try {
      createFullRecorder({
        network: { maxBodyLength: 5 * 1024 * 1024 },
        console: { maxArgLength: 1e9 },
        delivery: { maxBatchBytes: 64 * 1024 * 1024, maxBatchDelayMs: 1000 },
        onError: (error) => errors.push(error),
      });
    } finally {
      warn.mockRestore();
    }
    expect(
      errors.map((error) => [error instanceof RecorderError && error.code, error.message.match(/`([a-zA-Z.]+)`/)?.[1]]),
    ).toEqual([
      ['options', 'network.maxBodyLength'],
      ['options', 'console.maxArgLength'],
      ['options', 'delivery.maxBatchBytes'],
    ]);
    expect(errors[0]!.message).toMatch(
      /^\[@reprise\/core\] `network.maxBodyLength` is 5242880, above the protocol's limit of 2097152: using 2097152\./,
    );
    expect(warnings).toHaveLength(3); // development build: a console warning too

    const resolved = resolveOptions({
      network: { maxBodyLength: 5 * 1024 * 1024 },
      console: { maxArgLength: 1e9 },
      delivery: { maxBatchBytes: 64 * 1024 * 1024, maxBatchDelayMs: 1000 },
    });
    expect(resolved.network && resolved.network.maxBodyLength).toBe(MAX_NETWORK_MAX_BODY_LENGTH);
    expect(resolved.console && resolved.console.maxArgLength).toBe(MAX_CONSOLE_MAX_ARG_LENGTH);
    expect(resolved.delivery).toEqual({ maxBatchBytes: MAX_DELIVERY_MAX_BATCH_BYTES, maxBatchDelayMs: 1000 });
    expect([MAX_NETWORK_MAX_BODY_LENGTH, MAX_CONSOLE_MAX_ARG_LENGTH, MAX_DELIVERY_MAX_BATCH_BYTES]).toEqual([
      DEFAULT_MAX_STRING_LENGTH,
      DEFAULT_MAX_STRING_LENGTH,
      DEFAULT_MAX_DECOMPRESSED_BYTES,
    ]);

    // At the limit, nothing is said or changed.
    const quiet: Error[] = [];
    createFullRecorder({
      network: { maxBodyLength: MAX_NETWORK_MAX_BODY_LENGTH },
      console: { maxArgLength: 100 },
      onError: (error) => quiet.push(error),
    });
    expect(quiet).toEqual([]);
  });
});

describe('maskFieldValue', () => {
  /** Just enough of an Element for the privacy rules. */
  function field(options: { type?: string; matches?: string[]; attributes?: string[] }): Element {
    return {
      localName: 'input',
      type: options.type ?? 'text',
      closest: (selector: string) =>
        selector.split(',').some((part) => options.matches?.includes(part)) ? ({} as Element) : null,
      hasAttribute: (name: string) => options.attributes?.includes(name) ?? false,
    } as unknown as Element;
  }
  const mask = '[data-reprise-mask],.reprise-mask';
  const unmask = '[data-reprise-unmask]';

  test('values are masked with a fixed-length placeholder by default: the length of a value is not recorded either', () => {
    expect(maskFieldValue('hello world', field({}), mask, unmask)).toBe(MASKED_VALUE_PLACEHOLDER);
    expect(maskFieldValue('a', field({}), mask, unmask)).toBe(MASKED_VALUE_PLACEHOLDER);
    expect(maskFieldValue('', field({}), mask, unmask)).toBe('');
  });

  test('passwords become a fixed placeholder whatever their length, even when unmasked', () => {
    expect(maskFieldValue('a', field({ type: 'password' }), mask, unmask)).toBe(PASSWORD_PLACEHOLDER);
    expect(
      maskFieldValue(
        'a much longer password',
        field({ type: 'password', matches: ['[data-reprise-unmask]'] }),
        mask,
        unmask,
      ),
    ).toBe(PASSWORD_PLACEHOLDER);
    expect(
      maskFieldValue('was a password', field({ type: 'text', attributes: ['data-rr-is-password'] }), mask, unmask),
    ).toBe(PASSWORD_PLACEHOLDER);
    expect(maskFieldValue('', field({ type: 'password' }), mask, unmask)).toBe('');
  });

  test('unmask opts a field back in, unless it sits in a masked subtree', () => {
    expect(maskFieldValue('Paris', field({ matches: ['[data-reprise-unmask]'] }), mask, unmask)).toBe('Paris');
    expect(maskFieldValue('Paris', field({ matches: ['[data-reprise-unmask]', '.reprise-mask'] }), mask, unmask)).toBe(
      MASKED_VALUE_PLACEHOLDER,
    );
  });
});

describe('protectSerializedNodes', () => {
  test('re-masks raw value attributes of fields in a serialized tree, leaving static values and masked ones as they are', () => {
    const tree = {
      id: 1,
      tagName: 'form',
      attributes: {},
      childNodes: [
        { id: 2, tagName: 'input', attributes: { value: 'Cleared Carl' } },
        { id: 3, tagName: 'input', attributes: { type: 'submit', value: 'Send' } },
        { id: 4, tagName: 'textarea', attributes: { value: '*****' } },
        { id: 5, tagName: 'input', attributes: { type: 'password', value: 'hunter2' } },
        { id: 6, tagName: 'option', attributes: { value: 'pt' } },
        { id: 7, tagName: 'input', attributes: { value: 'gone' } },
      ],
    };
    const elements: Record<number, Element> = {
      2: { localName: 'input', type: 'text', closest: () => null, hasAttribute: () => false } as unknown as Element,
      5: { localName: 'input', type: 'password', closest: () => null, hasAttribute: () => false } as unknown as Element,
    };
    protectSerializedNodes(tree, {
      elementById: (id) => elements[id] ?? null,
      maskSelector: '[data-reprise-mask]',
      unmaskSelector: '[data-reprise-unmask]',
    });
    expect(tree.childNodes.map((node) => node.attributes.value)).toEqual([
      MASKED_VALUE_PLACEHOLDER,
      'Send',
      MASKED_VALUE_PLACEHOLDER,
      PASSWORD_PLACEHOLDER,
      'pt',
      MASKED_VALUE_PLACEHOLDER,
    ]);
  });

  test('text attributes are masked inside a masked subtree only', () => {
    const inside = {
      closest: (selector: string) => (selector.includes('[data-reprise-mask]') ? ({} as Element) : null),
    } as unknown as Element;
    const outside = { closest: () => null } as unknown as Element;
    const elements: Record<number, Element> = { 1: inside, 2: outside, 3: inside };
    const tree = {
      id: 1,
      tagName: 'img',
      attributes: { alt: 'X-ray of Ann', src: 'a.png', title: 'Ann B.' },
      childNodes: [{ id: 2, tagName: 'span', attributes: { title: 'public title' } }],
    };
    const privacy = {
      elementById: (id: number) => elements[id] ?? null,
      maskSelector: '[data-reprise-mask]',
      unmaskSelector: '',
    };
    protectSerializedNodes(tree, privacy);
    expect(tree.attributes).toEqual({ alt: '***** ** ***', src: 'a.png', title: '*** **' });
    expect(tree.childNodes[0]!.attributes.title).toBe('public title');
    const changes = [
      { id: 3, attributes: { 'aria-label': 'Ann B.', class: 'x' } },
      { id: 2, attributes: { title: 'kept' } },
    ];
    protectAttributeChanges(changes, privacy);
    expect(changes.map((change) => change.attributes)).toEqual([
      { 'aria-label': '*** **', class: 'x' },
      { title: 'kept' },
    ]);
  });

  test('secret-looking attributes are masked everywhere: csrf / token metas, data-*token* / data-*key* attributes, nonces', () => {
    const tree = {
      id: 1,
      tagName: 'head',
      attributes: {},
      childNodes: [
        { id: 2, tagName: 'meta', attributes: { name: 'csrf-token', content: 'k9Xq2' } },
        { id: 3, tagName: 'meta', attributes: { name: 'description', content: 'A shop' } },
        {
          id: 4,
          tagName: 'div',
          attributes: {
            'data-api-key': 'pk_live_1',
            'data-session-token': 's1',
            'data-keyboard': 'qwerty',
            'data-id': '7',
          },
        },
        { id: 5, tagName: 'style', attributes: { nonce: 'r4nd0m' } },
      ],
    };
    const privacy = { elementById: () => null, maskSelector: '', unmaskSelector: '' };
    protectSerializedNodes(tree, privacy);
    expect(tree.childNodes.map((node) => node.attributes)).toEqual([
      { name: 'csrf-token', content: MASKED_VALUE_PLACEHOLDER },
      { name: 'description', content: 'A shop' },
      {
        'data-api-key': MASKED_VALUE_PLACEHOLDER,
        'data-session-token': MASKED_VALUE_PLACEHOLDER,
        'data-keyboard': MASKED_VALUE_PLACEHOLDER,
        'data-id': '7',
      },
      { nonce: MASKED_VALUE_PLACEHOLDER },
    ]);
    const changes = [{ id: 9, attributes: { 'data-auth-token': 'new', title: 't' } }];
    protectAttributeChanges(changes, privacy);
    expect(changes[0]!.attributes).toEqual({ 'data-auth-token': MASKED_VALUE_PLACEHOLDER, title: 't' });
    // A meta's content changed later (a rotated token): the change carries the content alone, the
    // element tells it is a meta and what it is named.
    const element = (tagName: string, name: string) =>
      ({ tagName, getAttribute: (attribute: string) => (attribute === 'name' ? name : null) }) as unknown as Element;
    const elements: Record<number, Element> = {
      2: element('META', 'csrf-token'),
      3: element('META', 'description'),
      6: element('DIV', 'csrf-token'),
    };
    const withElements = { ...privacy, elementById: (id: number) => elements[id] ?? null };
    const later = [
      { id: 2, attributes: { content: 'k9Xq3' } },
      { id: 3, attributes: { content: 'Another shop' } },
      { id: 6, attributes: { content: 'csrf-token text' } },
    ];
    protectAttributeChanges(later, withElements);
    expect(later.map((change) => change.attributes.content)).toEqual([
      MASKED_VALUE_PLACEHOLDER,
      'Another shop',
      'csrf-token text',
    ]);
  });
});

describe('createRecorder outside a browser (SSR)', () => {
  test('importing and creating touch no window; start() is a no-op with a warning', async () => {
    expect(typeof (globalThis as { window?: unknown }).window).toBe('undefined');
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    try {
      const onEvents = vi.fn();
      const recorder = createRecorder({ onEvents });
      recorder.start();
      recorder.start();
      expect(recorder.isRecording).toBe(false);
      expect(recorder.sessionId).toBeNull();
      // The full recorder arrives by import() (loader/split.ts), on the server too, and says so.
      await vi.waitFor(() =>
        expect(warn).toHaveBeenCalledWith(
          expect.stringContaining('[@reprise/core] start() was called outside a browser'),
        ),
      );
      recorder.track('ignored');
      recorder.stop();
      recorder.stop();
      await recorder.flush();
      expect(recorder.isRecording).toBe(false);
      expect(onEvents).not.toHaveBeenCalled();
    } finally {
      warn.mockRestore();
    }
  });

  test('a redaction pattern that does not compile does not make createRecorder() throw into the app', () => {
    const recorder = createFullRecorder({ privacy: { redact: { patterns: ['(unclosed'] } } });
    expect(recorder.isRecording).toBe(false);
  });

  test('node-environment tests resolve workspace packages to their sources (vitest.shared.mjs)', async () => {
    // Through the package name, the same module as the relative import: not a possibly stale dist/.
    const byName = await import('@reprise/core');
    expect(byName.createRecorder).toBe(createRecorder);
  });
});

describe('loader queue', () => {
  test('start() and optOut() made after the queue is full of tracks still reach the full recorder', async () => {
    const { createQueueingRecorder, MAX_QUEUED_CALLS } = await import('./loader/queueing-recorder.js');
    const reached: string[] = [];
    const errors: string[] = [];
    const lazy = createQueueingRecorder(
      { errors: false, onError: (error) => errors.push(error.message) },
      async () => ({
        createRecorder(options) {
          // The real recorder, with its handed-over calls noted (in node it cannot record itself).
          const recorder = createFullRecorder(options ?? {});
          return {
            ...recorder,
            start: () => reached.push('start'),
            track: () => reached.push('track'),
            optOut: () => reached.push('optOut'),
          };
        },
      }),
      { waitToLoad: (load) => load() },
    );
    for (let i = 0; i < MAX_QUEUED_CALLS + 10; i++) lazy.track(`event ${i}`);
    lazy.start();
    lazy.optOut();
    expect(await lazy.load()).toBe(true);
    expect(reached.filter((call) => call === 'track')).toHaveLength(MAX_QUEUED_CALLS);
    expect(reached.slice(-2)).toEqual(['start', 'optOut']);
    expect(errors).toEqual([expect.stringContaining('10 calls made before the full recorder loaded were dropped')]);
  });

  test('track() props and identify() traits are handed over as they were at the call, not as the app changed them before the load', async () => {
    const { createQueueingRecorder } = await import('./loader/queueing-recorder.js');
    const handedOver: unknown[] = [];
    const lazy = createQueueingRecorder(
      { errors: false },
      async () => ({
        createRecorder(options) {
          const recorder = createFullRecorder(options ?? {});
          return {
            ...recorder,
            track: (_name, props) => void handedOver.push(props),
            identify: (_id, traits) => void handedOver.push(traits),
          };
        },
      }),
      { waitToLoad: (load) => load() },
    );
    const props = { step: 1, nested: { items: ['a'] } };
    const traits = { plan: 'free' };
    const withFunction = { step: 9, callback: () => 'kept' };
    lazy.track('checkout', props);
    lazy.identify('user-1', traits);
    lazy.track('no props');
    // Typed as JSON, but a page may pass anything at runtime.
    lazy.track('not cloneable', withFunction as unknown as Record<string, JsonValue>);
    props.step = 2;
    props.nested.items.push('b');
    traits.plan = 'paid';
    expect(await lazy.load()).toBe(true);
    expect(handedOver).toEqual([{ step: 1, nested: { items: ['a'] } }, { plan: 'free' }, undefined, withFunction]);
    expect(handedOver[3]).toBe(withFunction);
  });
});

describe('which events redaction walks', () => {
  const incremental = (data: Record<string, unknown>) => ({ type: EventType.IncrementalSnapshot, timestamp: 1, data });
  test('positions, clicks, scrolls and resizes carry numbers only and are skipped', () => {
    expect(
      isPositionsOnly(
        incremental({ source: IncrementalSource.MouseMove, positions: [{ x: 1, y: 2, id: 3, timeOffset: 0 }] }),
      ),
    ).toBe(true);
    expect(
      isPositionsOnly(incremental({ source: IncrementalSource.MouseInteraction, type: 2, id: 3, x: 1, y: 2 })),
    ).toBe(true);
    expect(isPositionsOnly(incremental({ source: IncrementalSource.Scroll, id: 1, x: 0, y: 100 }))).toBe(true);
  });
  test('anything that can carry text is walked: inputs, mutations, style rules, meta, custom events, an unknown source', () => {
    for (const source of [
      IncrementalSource.Input,
      IncrementalSource.Mutation,
      IncrementalSource.StyleSheetRule,
      IncrementalSource.Log,
      99,
    ]) {
      expect(isPositionsOnly(incremental({ source, text: 'a@b.example' }))).toBe(false);
    }
    expect(
      isPositionsOnly({
        type: EventType.Meta,
        timestamp: 1,
        data: { href: 'https://x.test/?email=a@b.example', width: 1, height: 1 },
      }),
    ).toBe(false);
    expect(
      isPositionsOnly({ type: EventType.Custom, timestamp: 1, data: { tag: 'reprise.custom', payload: {} } }),
    ).toBe(false);
  });
});
