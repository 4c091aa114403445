import type { IncomingMessage } from 'node:http';
import { CollectorError } from '../errors.js';

export interface BoundedBodyOptions {
  /** Most bytes accepted. */
  limit: number;
  /** The refusal for a body over `limit`: each route names its own code and what to do. */
  tooLarge: (limit: number) => CollectorError;
  /** Refuse a body that has not arrived in full within this time (a client trickling bytes). */
  timeoutMs?: number;
}

/**
 * A request body read into memory, refused with a CollectorError as soon as it is over the limit,
 * late, or cut off. After a refusal nothing more is buffered; what happens to the rest of the body
 * is the caller's choice (ingest drains it so that a browser can read the 413, assets let it go).
 */
export function readBoundedBody(req: IncomingMessage, options: BoundedBodyOptions): Promise<Buffer> {
  const { limit, timeoutMs } = options;
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let total = 0;
    let done = false;
    const finish = (error?: CollectorError) => {
      if (done) return;
      done = true;
      if (timer) clearTimeout(timer);
      req.off('data', onData);
      if (error) reject(error);
      else resolve(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, total));
    };
    const onData = (chunk: Buffer) => {
      total += chunk.byteLength;
      if (total > limit) finish(options.tooLarge(limit));
      else chunks.push(chunk);
    };
    const timer =
      timeoutMs === undefined
        ? undefined
        : setTimeout(
            () => finish(new CollectorError('body_timeout', 408, `The body did not arrive within ${timeoutMs} ms.`)),
            timeoutMs,
          );
    req.on('data', onData);
    req.once('end', () => finish());
    // The refusals are built only when they are the answer: 'close' follows every request's 'end',
    // and an error's stack trace costs more than the rest of this function per batch.
    req.once('error', (error) => {
      if (!done)
        finish(new CollectorError('body_unreadable', 400, `The request body could not be read: ${error.message}.`));
    });
    // A client that goes away mid-body: what it sent is let go at once, not after a timeout.
    req.once('close', () => {
      if (!done) finish(new CollectorError('body_unreadable', 400, 'The request ended before its body.'));
    });
  });
}
