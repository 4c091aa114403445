import { type Batch, Codec, PROTOCOL_VERSION, batchBounds, encodeBatchFrame, splitBatch, type RecordedEvent } from '@reprise/protocol';
import { MAX_FRAME_BYTES } from './defaults.js';

/**
 * The wire codec, chosen by measurement (PROTOCOL.md, "Compression"): raw DEFLATE (fflate,
 * synchronous, so the page can also encode its last batch inside `pagehide`).
 */
export const WIRE_CODEC = Codec.deflateRaw;

export interface EncodedFrame {
  seq: number;
  /** Split path ('' when whole). */
  part: string;
  body: Uint8Array;
  events: number;
}

export interface BatchIdentity {
  project: string;
  session: string;
  tab: string;
}

export function makeBatch(identity: BatchIdentity, seq: number, events: RecordedEvent[]): Batch {
  return { v: PROTOCOL_VERSION, project: identity.project, session: identity.session, seq, tab: identity.tab, ...batchBounds(events), events };
}

/**
 * Encode a batch into frames that each fit a keepalive request: a frame over `maxFrameBytes` is
 * halved (same seq, `part` path) until it fits or holds a single event.
 */
export function encodeFrames(batch: Batch, maxFrameBytes: number = MAX_FRAME_BYTES): EncodedFrame[] {
  const frames: EncodedFrame[] = [];
  const pending: Batch[] = [batch];
  while (pending.length > 0) {
    const current = pending.shift()!;
    const body = encodeBatchFrame(current, WIRE_CODEC);
    if (body.byteLength > maxFrameBytes && current.events.length > 1) {
      pending.unshift(...splitBatch(current));
      continue;
    }
    frames.push({ seq: current.seq, part: current.part ?? '', body, events: current.events.length });
  }
  return frames;
}

/**
 * Approximate JSON size of a value, without serializing it: enough to decide when to cut.
 * Iterative so a deep DOM cannot overflow the stack.
 */
export function estimateBytes(value: unknown): number {
  let total = 0;
  const stack: unknown[] = [value];
  while (stack.length > 0) {
    const current = stack.pop();
    if (typeof current === 'string') total += current.length + 2;
    else if (typeof current === 'number') total += 6;
    else if (typeof current === 'boolean' || current === null) total += 5;
    else if (Array.isArray(current)) {
      total += 2 + current.length;
      for (const item of current) stack.push(item);
    } else if (typeof current === 'object' && current !== undefined) {
      total += 2;
      for (const key in current as Record<string, unknown>) {
        const item = (current as Record<string, unknown>)[key];
        if (item === undefined) continue;
        total += key.length + 4;
        stack.push(item);
      }
    }
  }
  return total;
}
