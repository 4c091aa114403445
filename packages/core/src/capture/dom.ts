import { record } from '@rrweb/record';
import { EventType, type RecordedEvent } from '@reprise/protocol/capture';
import type { ResolvedCaptureOptions } from '../defaults.js';
import { RecorderError } from '../errors.js';
import { domPrivacy, protectAttributeChanges, protectSerializedNodes, type SerializedPrivacy } from '../privacy.js';
import type { Teardown } from './context.js';

type RecordOptions = NonNullable<Parameters<typeof record>[0]>;

/** rrweb's IncrementalSource.Mutation and .Input, as numbers: the first chunk leaves out the protocol's rrweb module. */
const MUTATION_SOURCE = 0;
const INPUT_SOURCE = 5;
/**
 * With `sampling.input: 'last'`, a field being typed into is recorded at most this often, with its
 * value at that moment, and once more with its last value: the replay shows the text while it is
 * typed (rrweb's own 'last' waits for `change`, i.e. blur, so a field that keeps focus showed its
 * placeholder), with a few events a second instead of one per key.
 */
export const INPUT_COALESCE_MS = 250;

interface MutationLike {
  source?: number;
  adds?: Array<{ node: unknown }>;
  attributes?: Array<{ id: number; attributes: Record<string, unknown> }>;
}

/** The page's node with this recorded id (asset capture reads stylesheets through it). */
export function recordedNode(id: number): Node | null {
  return record.mirror.getNode(id);
}

/**
 * Set on the page while DOM capture records it. rrweb keeps one mirror of the page, and the script
 * tag's two files share one rrweb: two recordings at once would corrupt each other. Kept on the
 * page, not in this module, which each of those files carries a copy of. A frame of a recorded
 * page reads it on its parent (recorder/frames.ts).
 */
const DOM_CAPTURE_RUNNING = Symbol.for('reprise.domCaptureRunning');
const page = globalThis as typeof globalThis & { [DOM_CAPTURE_RUNNING]?: boolean };

/** Whether the page enforces Trusted Types for script URLs (a detached script loads nothing). */
export function scriptUrlsRefused(): boolean {
  try {
    document.createElement('script').src = 'data:,';
    return false;
  } catch {
    return true;
  }
}

/**
 * DOM capture with rrweb: snapshots and incremental changes, same-origin iframes, shadow DOM
 * (adopted stylesheets included), inline stylesheets, sampled mouse moves and scrolls, and a full
 * snapshot every `checkoutEveryMs`. Returns rrweb's stop function.
 */
export function startDomCapture(
  options: ResolvedCaptureOptions,
  emit: (event: RecordedEvent) => void,
  onError: (error: unknown) => void,
): Teardown {
  const { unmaskSelector, ...privacy } = domPrivacy(options.privacy);
  const serialized: SerializedPrivacy = {
    elementById: (id) => {
      const node = record.mirror.getNode(id);
      return node && node.nodeType === 1 ? (node as Element) : null;
    },
    maskSelector: privacy.maskTextSelector,
    unmaskSelector,
  };
  // Trusted Types refuse rrweb's canvas worker (a plain blob: URL): its constructor would throw
  // inside record(), after rrweb has patched getContext, and nothing would be recorded. (The
  // recorder says so: this may run before onError is reachable.)
  const canvas = options.canvas && !scriptUrlsRefused() ? options.canvas : undefined;
  const coalesceInput = options.sampling.input === 'last';
  let pendingInput: (RecordedEvent & { data: { id?: number } }) | undefined;
  let inputTimer: ReturnType<typeof setTimeout> | undefined;
  // Called before every event rrweb emits: with nothing held (most of the time) it does nothing,
  // not even clear a timer that is not there (inputTimer is set exactly while pendingInput is).
  const flushInput = () => {
    const event = pendingInput;
    if (!event) return;
    clearTimeout(inputTimer);
    inputTimer = undefined;
    pendingInput = undefined;
    emit(event);
  };
  // Capture phase: before the delivery's own pagehide handler sends the last batch.
  const onPageHide = () => flushInput();
  if (coalesceInput) window.addEventListener('pagehide', onPageHide, true);
  const config: RecordOptions = {
    emit: (raw) => {
      const event = raw as RecordedEvent & { data: MutationLike & { node?: unknown; id?: number } };
      if (coalesceInput && event.type === EventType.IncrementalSnapshot && event.data.source === INPUT_SOURCE) {
        if (pendingInput && pendingInput.data.id !== event.data.id) flushInput();
        if (!pendingInput) inputTimer = setTimeout(flushInput, INPUT_COALESCE_MS);
        pendingInput = event;
        return;
      }
      // Anything else keeps its order after the typing that came before it.
      flushInput();
      if (event.type === EventType.FullSnapshot) protectSerializedNodes(event.data.node, serialized);
      else if (event.type === EventType.IncrementalSnapshot && event.data.source === MUTATION_SOURCE) {
        for (const add of event.data.adds ?? []) protectSerializedNodes(add.node, serialized);
        if (event.data.attributes) protectAttributeChanges(event.data.attributes, serialized);
      }
      emit(event);
    },
    checkoutEveryNms: options.checkoutEveryMs,
    // rrweb waits for `load` by default; DOMContentLoaded starts as soon as the DOM is there.
    recordAfter: 'DOMContentLoaded',
    sampling: {
      mousemove: options.sampling.mousemove,
      scroll: options.sampling.scroll,
      // 'all' listens to `input` as well as `change`: `input` is composed, so it also reaches rrweb
      // from fields inside shadow roots (`change` stays inside them), and it fires while typing.
      // 'last' is this module's coalescing above.
      input: 'all',
      canvas: canvas?.fps,
    },
    inlineStylesheet: true,
    recordCrossOriginIframes: false,
    // A number of frames a second: rrweb reads each changed canvas as a bitmap and encodes it in a
    // worker (its other mode records every drawing call, on the main thread).
    recordCanvas: !!canvas,
    dataURLOptions: { type: 'image/webp', quality: canvas?.quality },
    inlineImages: false,
    collectFonts: false,
    // Scripts never replay, and comments can hold anything; favicons and head whitespace are noise.
    slimDOMOptions: { script: true, comment: true, headFavicon: true, headWhitespace: true },
    ...privacy,
    // rrweb's own failures are reported, never thrown into the page.
    errorHandler: (error: unknown) => {
      onError(error);
      return true;
    },
  };
  // rrweb takes a mask selector that the browser cannot parse for "no match" (nothing masked) and
  // fails on every node for a block selector: refuse to record rather than guess at a privacy rule.
  const parsesIn = document.createDocumentFragment();
  for (const [name, selector] of Object.entries({
    maskSelectors: privacy.maskTextSelector,
    blockSelectors: privacy.blockSelector,
    unmaskSelectors: unmaskSelector,
  })) {
    try {
      parsesIn.querySelector(selector);
    } catch {
      throw new RecorderError(
        'options',
        `privacy.${name} holds a selector this browser cannot parse ("${selector}"): fix it. Nothing is recorded until then.`,
      );
    }
  }
  if (page[DOM_CAPTURE_RUNNING]) {
    throw new RecorderError(
      'capture',
      'another recorder is already recording this page. Create one recorder per page and share it (the framework adapters do this for you).',
    );
  }
  page[DOM_CAPTURE_RUNNING] = true;
  let stop: (() => void) | undefined;
  try {
    stop = record(config);
  } catch (error) {
    page[DOM_CAPTURE_RUNNING] = false;
    throw error;
  }
  let stopped = false;
  return () => {
    if (stopped) return;
    stopped = true;
    page[DOM_CAPTURE_RUNNING] = false;
    window.removeEventListener('pagehide', onPageHide, true);
    flushInput();
    stop?.();
  };
}
