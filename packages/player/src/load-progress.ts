import type { LoadProgress, StreamItem } from './types.js';

/**
 * While loading, the share shown never reaches 100%: the session's announced end can sit a little
 * before its last event (or after it), and "100%" must mean that everything is in.
 */
const MAX_FRACTION_WHILE_LOADING = 0.99;

/**
 * Whether a response's Content-Length counts the bytes its body reader yields. With a content
 * coding (gzip, br, ...) it counts the compressed bytes while the reader sees decompressed ones,
 * several times more. A cross-origin (`cors`) response hides Content-Encoding unless the server
 * exposes it, so its length cannot be told apart from a compressed one and is not used either.
 */
export function contentLengthOfBody(response: Pick<Response, 'headers' | 'type'>): number | undefined {
  const length = Number(response.headers.get('content-length') ?? NaN);
  if (!Number.isSafeInteger(length) || length <= 0) return undefined;
  const coding = response.headers.get('content-encoding')?.trim().toLowerCase();
  if (coding !== undefined && coding !== '' && coding !== 'identity') return undefined;
  if (coding === undefined && response.type === 'cors') return undefined;
  return length;
}

/**
 * Measures how much of a recording has loaded. `fraction` is, in this order:
 * - bytes read of the body's length, when the server sent a length that counts those bytes
 *   (identity coding; see `contentLengthOfBody`);
 * - else the time covered: the newest event (or lost segment) received, between the first one
 *   and the session's end announced by the stream's `meta` item (the collector's first line);
 * - else undefined: the total is unknown and the progress is indeterminate.
 * It never goes down, except once if the announced length proves wrong (more bytes arrive than
 * it said): the bytes-based figure was false, so the estimate starts again from time covered.
 * It stays below 1 until `finish()`.
 */
export class LoadMeter {
  private events = 0;
  private bytes = 0;
  private totalBytes: number | undefined;
  private sessionEnd: number | undefined;
  private firstTime: number | undefined;
  private coveredTime: number | undefined;
  private highest: number | undefined;
  private done = false;

  setTotalBytes(totalBytes: number | undefined): void {
    this.totalBytes = totalBytes;
  }

  addBytes(count: number): void {
    this.bytes += count;
    // More bytes than announced: the length was not the body's (a coding it could not see).
    if (this.totalBytes !== undefined && this.bytes > this.totalBytes) {
      this.totalBytes = undefined;
      this.highest = undefined;
    }
  }

  add(item: StreamItem): void {
    if (item.kind === 'meta') {
      if (item.end !== undefined) this.sessionEnd = item.end;
      return;
    }
    if (item.kind === 'segment') {
      if (item.start !== undefined) this.cover(item.start);
      return;
    }
    if (item.kind === 'gap') {
      if (item.start !== undefined) this.cover(item.start);
      if (item.end !== undefined) this.cover(item.end);
      return;
    }
    this.events += 1;
    this.cover(item.event.timestamp);
  }

  finish(): void {
    this.done = true;
  }

  /** The share loaded now (see the class comment), or undefined while the total is unknown. */
  fraction(): number | undefined {
    const fraction = this.done ? 1 : this.estimate();
    if (fraction === undefined) return undefined;
    this.highest = Math.max(this.highest ?? 0, fraction);
    return this.highest;
  }

  /** A copy, safe to hand to listeners. */
  snapshot(): LoadProgress {
    const progress: LoadProgress = { events: this.events, bytes: this.bytes, done: this.done };
    if (this.totalBytes !== undefined) progress.totalBytes = this.totalBytes;
    const fraction = this.fraction();
    if (fraction !== undefined) progress.fraction = fraction;
    return progress;
  }

  private cover(timestamp: number): void {
    this.firstTime ??= timestamp;
    this.coveredTime = Math.max(this.coveredTime ?? timestamp, timestamp);
  }

  private estimate(): number | undefined {
    let fraction: number | undefined;
    if (this.totalBytes !== undefined) {
      fraction = this.bytes / this.totalBytes;
    } else if (
      this.sessionEnd !== undefined &&
      this.firstTime !== undefined &&
      this.coveredTime !== undefined &&
      this.sessionEnd > this.firstTime
    ) {
      fraction = (this.coveredTime - this.firstTime) / (this.sessionEnd - this.firstTime);
    }
    return fraction === undefined ? undefined : Math.min(MAX_FRACTION_WHILE_LOADING, Math.max(0, fraction));
  }
}
