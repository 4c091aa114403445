import { DOM_CAPTURE_RUNNING } from '../capture/dom.js';

/**
 * This page is in a frame that a page above it, of the same origin, is recording: rrweb records
 * same-origin frames as part of their parent, so a recording of its own would be a second page
 * stream in the same session (the frames share its sessionStorage), whose snapshot the player
 * would take for the page the visitor saw. Past a frame of another origin the page above cannot
 * see into this one, and this one records itself.
 */
export function recordedByAncestor(): boolean {
  let frame: Window = window;
  while (frame !== frame.parent) {
    frame = frame.parent;
    try {
      if ((frame as unknown as Record<symbol, unknown>)[DOM_CAPTURE_RUNNING]) return true;
    } catch {
      return false;
    }
  }
  return false;
}
