import {
  type Batch,
  Codec,
  type CodecId,
  FRAME_HEADER_BYTES,
  PROTOCOL_VERSION,
  batchBounds,
  encodeBatch,
  readFrameHeader,
  readOwnBatchPayload,
  splitBatch,
  writeFrame,
  type RecordedEvent,
  DEFAULT_MAX_STRING_LENGTH,
} from '@reprise/protocol';
import { MAX_FRAME_BYTES } from './defaults.js';

/*
 * The engine's encoding (worker, or the page's lazily loaded fallback): msgpack with the event
 * transforms, compressed by the browser's own CompressionStream('deflate-raw'), which costs no
 * bytes to ship (PROTOCOL.md, "Compression"). A browser without it sends the msgpack uncompressed
 * (Codec.none) rather than download a compressor: every browser that runs module workers but
 * lacks deflate-raw is years old.
 */

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
  return {
    v: PROTOCOL_VERSION,
    project: identity.project,
    session: identity.session,
    seq,
    tab: identity.tab,
    ...batchBounds(events),
    events,
  };
}

let deflateRawSupported: boolean | undefined;

function canDeflateRaw(): boolean {
  if (deflateRawSupported === undefined) {
    try {
      new CompressionStream('deflate-raw');
      deflateRawSupported = true;
    } catch {
      // No CompressionStream at all, or one without the format (Chromium before 103).
      deflateRawSupported = false;
    }
  }
  return deflateRawSupported;
}

async function through(bytes: Uint8Array, stream: GenericTransformStream): Promise<Uint8Array> {
  const piped = new Blob([bytes as BlobPart])
    .stream()
    .pipeThrough(stream as unknown as ReadableWritablePair<Uint8Array, Uint8Array>);
  return new Uint8Array(await new Response(piped).arrayBuffer());
}

/** Frame a payload with the wire codec: deflate-raw where the browser has it, else uncompressed. */
export async function frameWire(payload: Uint8Array): Promise<Uint8Array> {
  if (!canDeflateRaw()) return writeFrame(Codec.none, payload.byteLength, payload);
  return writeFrame(Codec.deflateRaw, payload.byteLength, await through(payload, new CompressionStream('deflate-raw')));
}

/**
 * Encode a batch into frames that each fit a keepalive request: a frame over `maxFrameBytes` is
 * halved (same seq, `part` path) until it fits or holds a single event.
 */
export async function encodeFrames(batch: Batch, maxFrameBytes: number = MAX_FRAME_BYTES): Promise<EncodedFrame[]> {
  const frames: EncodedFrame[] = [];
  const pending: Batch[] = [batch];
  while (pending.length > 0) {
    const current = pending.shift()!;
    const body = await frameWire(encodeBatch(current));
    if (body.byteLength > maxFrameBytes && current.events.length > 1) {
      pending.unshift(...splitBatch(current));
      continue;
    }
    frames.push({ seq: current.seq, part: current.part ?? '', body, events: current.events.length });
  }
  return frames;
}

/**
 * Read back a frame this recorder wrote (to split it after a 413, or move it to another tab):
 * inflated with DecompressionStream, so the worker carries no inflater either.
 */
export async function readOwnFrame(body: Uint8Array): Promise<Batch> {
  const header = readFrameHeader(body);
  const payload = body.subarray(FRAME_HEADER_BYTES);
  const raw =
    header.codec === Codec.deflateRaw ? await through(payload, new DecompressionStream('deflate-raw')) : payload;
  if (header.codec !== Codec.deflateRaw && header.codec !== Codec.none && header.codec !== Codec.json)
    throw new Error(`codec ${header.codec} is not one this recorder writes`);
  return readOwnBatchPayload(raw, header.codec as CodecId);
}

/**
 * Approximate JSON size of an event, without serializing it: enough to decide when to cut. On the
 * way, a string longer than the protocol takes (`DEFAULT_MAX_STRING_LENGTH`: a log viewer's text
 * of megabytes, a CSS framework's development stylesheet inlined) is cut in place to that length,
 * ending with `…`: the collector refuses a batch holding one, and when it is in a full snapshot
 * the replay is lost until the next. Iterative so a deep DOM cannot overflow the stack.
 */
export function measureAndCapStrings(value: unknown, maxStringLength: number = DEFAULT_MAX_STRING_LENGTH): number {
  let total = 0;
  const stack: unknown[] = [value];
  const overLong = (item: unknown): item is string => typeof item === 'string' && item.length > maxStringLength;
  const cut = (text: string) => `${text.slice(0, maxStringLength - 1)}…`;
  while (stack.length > 0) {
    const current = stack.pop();
    if (typeof current === 'string') total += current.length + 2;
    else if (typeof current === 'number') total += 6;
    else if (typeof current === 'boolean' || current === null) total += 5;
    else if (Array.isArray(current)) {
      total += 2 + current.length;
      for (let index = 0; index < current.length; index++) {
        const item: unknown = current[index];
        if (overLong(item)) current[index] = cut(item);
        stack.push(current[index]);
      }
    } else if (typeof current === 'object' && current !== undefined) {
      total += 2;
      const holder = current as Record<string, unknown>;
      for (const key in holder) {
        const item = holder[key];
        if (item === undefined) continue;
        total += key.length + 4;
        if (overLong(item)) holder[key] = cut(item);
        stack.push(holder[key]);
      }
    }
  }
  return total;
}
