import type { CaptureContext, Teardown } from '../capture/context.js';
import { closestMatches } from '../privacy.js';

/**
 * The mark capture/dom.ts sets on a page while it records (a registry symbol, so one across the
 * script tag's files). Not imported from there: an export of the app's first chunk costs bytes.
 */
const DOM_CAPTURE_RUNNING = Symbol.for('reprise.domCaptureRunning');

/** Where a recording page takes its same-origin frames' Reprise events (their console, errors, requests). */
const FRAME_EVENTS = Symbol.for('reprise.frameEvents');
/** What a frame that records its own stream runs when the page above it starts recording. */
const YIELD_TO_PAGE = Symbol.for('reprise.yieldToPage');

type Emit = CaptureContext['emit'];
type Marked = Record<symbol, unknown>;
/** `emit`, given the frame elements from the sending frame up to the recording page. */
type FrameEmit = (frames: readonly Element[], ...event: Parameters<Emit>) => void;

/**
 * The page above this frame, of the same origin, that is recording it, if any. rrweb records
 * same-origin frames as part of their page, so a recording of the frame's own would be a second
 * page stream in the same session (the frames share its sessionStorage), whose snapshot the player
 * would take for the page the visitor saw. Past a frame of another origin the page above cannot
 * see into this one, and this one records itself.
 */
export function recordingAncestor(): Window | undefined {
  let frame: Window = window;
  while (frame !== frame.parent) {
    frame = frame.parent;
    try {
      if ((frame as unknown as Marked)[DOM_CAPTURE_RUNNING]) return frame;
    } catch {
      return undefined;
    }
  }
  return undefined;
}

/**
 * While this page records, the Reprise events its same-origin frames send join its recording,
 * but for those of a frame it blocks (`blockSelector` matches its element or one around it, in
 * any document and past any shadow root on the way): that frame's content is not to be recorded at all.
 */
export function takeFrameEvents(emit: Emit, blockSelector: string): Teardown {
  const page = window as unknown as Marked;
  const take: FrameEmit = (frames, kind, payload) => {
    if (!frames.some((frame) => closestMatches(frame, blockSelector))) emit(kind, payload);
  };
  page[FRAME_EVENTS] = take;
  return () => {
    if (page[FRAME_EVENTS] === take) delete page[FRAME_EVENTS];
  };
}

/**
 * An `emit` into the recording of `ancestor`, through the latest one it offers: dropped while it
 * has none (its recorder stopped, or has not finished loading).
 */
export function emitInto(ancestor: Window): Emit {
  const frames: Element[] = [];
  for (let frame: Window = window; frame !== ancestor; frame = frame.parent)
    if (frame.frameElement) frames.push(frame.frameElement);
  return (kind, payload) =>
    ((ancestor as unknown as Marked)[FRAME_EVENTS] as FrameEmit | undefined)?.(frames, kind, payload);
}

/**
 * While this page records its own stream, the page above may start recording later (a recorder
 * started after `load`, as a tag manager does, starts in the frames first): `yieldToPage` then
 * ends this stream and hands on to that page's recording.
 */
export function offerToYield(yieldToPage: () => void): Teardown {
  const page = window as unknown as Marked;
  page[YIELD_TO_PAGE] = yieldToPage;
  return () => {
    if (page[YIELD_TO_PAGE] === yieldToPage) delete page[YIELD_TO_PAGE];
  };
}

/**
 * This page started recording: the same-origin frames inside it (frames of frames too) that record
 * their own streams yield to it.
 */
export function takeOverFrames(page: Window = window): void {
  for (let i = 0; i < page.frames.length; i++) {
    try {
      const frame = page.frames[i]!;
      ((frame as unknown as Marked)[YIELD_TO_PAGE] as (() => void) | undefined)?.();
      takeOverFrames(frame);
    } catch {
      // A frame of another origin: this page cannot record it, nor the frames inside it.
    }
  }
}
