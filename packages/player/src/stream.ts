import { EventType, type RecordedEvent } from '@reprise/protocol';
import { contentLengthOfBody, LoadMeter } from './load-progress.js';
import type { LoadProgress, PlayerFetch, PlayerSource, StreamItem } from './types.js';

/**
 * The playback stream adapter. `GET /v1/sessions/:id/events` (server/src/playback, stream version 1)
 * sends newline-delimited JSON: each line is an rrweb event, or a record with a `stream` field:
 *   {"stream":"session","startedAt":..,"endedAt":..,...}   first line: the session's bounds
 *   {"stream":"segment","index":2,"startedAt":..,"endedAt":..}  a segment's events follow
 *   {"stream":"skipped","index":3,"startedAt":..,"endedAt":..,"reason":"corrupt","message":".."}
 *   {"stream":"end",...}                                    the stream is complete
 * The earlier draft form `{"type":"reprise.gap","segment":3,"reason":"..."}` is read as well.
 * Lines of unknown shape are ignored so that the server can add kinds without breaking players.
 * Everything format-specific lives in this function (and can be swapped with `options.parseLine`).
 */
export function parsePlaybackLine(line: string): StreamItem | null {
  const text = line.trim();
  if (text === '') return null;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return { kind: 'gap', reason: 'unreadable line in the playback stream' };
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return null;
  const record = value as Record<string, unknown>;
  const number = (key: string) => (typeof record[key] === 'number' ? { [key]: record[key] as number } : {});
  if (typeof record.stream === 'string') {
    if (record.stream === 'session') {
      return {
        kind: 'meta',
        ...(typeof record.startedAt === 'number' ? { start: record.startedAt } : {}),
        ...(typeof record.endedAt === 'number' ? { end: record.endedAt } : {}),
      };
    }
    if (record.stream === 'segment' && typeof record.index === 'number') {
      return {
        kind: 'segment',
        index: record.index,
        ...(typeof record.startedAt === 'number' ? { start: record.startedAt } : {}),
        ...(typeof record.endedAt === 'number' ? { end: record.endedAt } : {}),
      };
    }
    if (record.stream === 'skipped') {
      return {
        kind: 'gap',
        ...(typeof record.index === 'number' ? { segment: record.index } : {}),
        reason: describeSkip(record),
        ...(typeof record.startedAt === 'number' ? { start: record.startedAt } : {}),
        ...(typeof record.endedAt === 'number' ? { end: record.endedAt } : {}),
      };
    }
    return null;
  }
  if (typeof record.type === 'string') {
    if (record.type === 'reprise.gap') {
      return {
        kind: 'gap',
        ...number('segment'),
        reason: typeof record.reason === 'string' ? record.reason : 'segment missing',
      };
    }
    if (record.type === 'reprise.meta') return { kind: 'meta', ...number('start'), ...number('end') };
    return null;
  }
  if (isRecordedEvent(record)) return { kind: 'event', event: record };
  return null;
}

/** Words a viewer understands for the collector's skip reasons; its message, if any, follows. */
const SKIP_REASONS: Record<string, string> = {
  missing: 'a segment of this recording is missing from storage',
  corrupt: 'a segment of this recording is damaged and could not be decrypted',
  unreadable: 'a segment of this recording can no longer be decrypted (its key is gone)',
};

function describeSkip(record: Record<string, unknown>): string {
  const reason = typeof record.reason === 'string' && record.reason !== '' ? record.reason : 'missing';
  const words = SKIP_REASONS[reason] ?? `a segment could not be read (${reason})`;
  return typeof record.message === 'string' && record.message !== '' ? `${words}: ${record.message}` : words;
}

export function isRecordedEvent(value: unknown): value is RecordedEvent {
  if (typeof value !== 'object' || value === null) return false;
  const event = value as Record<string, unknown>;
  return typeof event.type === 'number' && typeof event.timestamp === 'number' && 'data' in event;
}

/**
 * Split a byte stream into text lines; the last line may end without a newline. `onDrained` runs
 * once the lines complete so far have been consumed, before waiting for the next chunk.
 */
export async function* readLines(
  chunks: AsyncIterable<Uint8Array>,
  onBytes?: (byteCount: number) => void,
  onDrained?: () => void,
): AsyncGenerator<string> {
  const decoder = new TextDecoder();
  let pending = '';
  for await (const chunk of chunks) {
    onBytes?.(chunk.byteLength);
    pending += decoder.decode(chunk, { stream: true });
    let newline = pending.indexOf('\n');
    while (newline !== -1) {
      yield pending.slice(0, newline);
      pending = pending.slice(newline + 1);
      newline = pending.indexOf('\n');
    }
    onDrained?.();
  }
  pending += decoder.decode();
  if (pending.trim() !== '') yield pending;
}

export interface ReadSourceOptions {
  fetchInit?: RequestInit;
  /** Fetches a URL source instead of the global `fetch` (PlayerOptions.fetch). */
  fetch?: PlayerFetch;
  /** A request for a URL `source` already under way: read instead of fetching. */
  response?: Promise<Response | undefined>;
  parseLine?: (line: string) => StreamItem | null;
  /** Told each line of a URL source before its item is yielded. */
  onLine?: (line: string) => void;
  signal?: AbortSignal;
  onProgress?: (progress: LoadProgress) => void;
}

/** Listeners hear about progress every this many events, or sooner when the share grew a percent. */
const PROGRESS_EVERY_EVENTS = 200;
const PROGRESS_EVERY_FRACTION = 0.01;

/** Turn any supported source into one async stream of items, reporting load progress as it goes. */
export async function* readSource(source: PlayerSource, options: ReadSourceOptions = {}): AsyncGenerator<StreamItem> {
  const meter = new LoadMeter();
  let reported: LoadProgress = { events: -1, bytes: -1, done: false };
  const report = (progress = meter.snapshot()) => {
    reported = progress;
    options.onProgress?.(progress);
  };
  // Reporting per item would flood listeners on a fast connection.
  const measure = (item: StreamItem) => {
    meter.add(item);
    const progress = meter.snapshot();
    if (
      progress.events - reported.events >= PROGRESS_EVERY_EVENTS ||
      (progress.fraction ?? -1) - (reported.fraction ?? -1) >= PROGRESS_EVERY_FRACTION
    ) {
      report(progress);
    }
    return item;
  };
  // When a stream stalls (the collector reads the next segment), what came before it is counted.
  const reportIfChanged = () => {
    const progress = meter.snapshot();
    if (progress.events !== reported.events || progress.bytes !== reported.bytes) report(progress);
  };

  if (Array.isArray(source)) {
    for (const event of source as readonly RecordedEvent[]) yield measure({ kind: 'event', event });
  } else if (typeof source === 'string' || source instanceof URL) {
    const init: RequestInit = { ...options.fetchInit, signal: options.signal ?? null };
    const response =
      (await options.response) ?? (await (options.fetch ? options.fetch(String(source), init) : fetch(source, init)));
    // A response started by the page does not carry the player's signal: stop reading it on destroy.
    options.signal?.addEventListener('abort', () => void response.body?.cancel().catch(() => {}), { once: true });
    if (!response.ok || response.body === null) {
      throw new Error(
        `[@reprise/player] the playback stream answered ${response.status} ${response.statusText} for ${String(source)}; check the URL and that the viewer may see this session`,
      );
    }
    meter.setTotalBytes(contentLengthOfBody(response));
    const parse = options.parseLine ?? parsePlaybackLine;
    const lines = readLines(iterateStream(response.body), (bytes) => meter.addBytes(bytes), reportIfChanged);
    for await (const line of lines) {
      options.onLine?.(line);
      const item = parse(line);
      if (item !== null) yield measure(item);
    }
  } else {
    for await (const value of source as AsyncIterable<RecordedEvent | StreamItem>) {
      yield measure(isRecordedEvent(value) ? { kind: 'event', event: value } : (value as StreamItem));
    }
  }
  meter.finish();
  report();
}

async function* iterateStream(body: ReadableStream<Uint8Array>): AsyncGenerator<Uint8Array> {
  const reader = body.getReader();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return;
      if (value) yield value;
    }
  } finally {
    reader.releaseLock();
  }
}

/**
 * After a lost segment the DOM changes that follow refer to nodes the replayer never saw, so they
 * are dropped until the next full snapshot rebuilds the page. Reprise's own events (console,
 * network, ...) do not depend on the DOM and always pass.
 */
export class GapFilter {
  private waitingForSnapshot = false;

  noteGap(): void {
    this.waitingForSnapshot = true;
  }

  /** True when the event should reach the replayer. */
  accept(event: RecordedEvent): boolean {
    if (!this.waitingForSnapshot) return true;
    if (event.type === EventType.Meta || event.type === EventType.Custom) return true;
    if (event.type === EventType.FullSnapshot) {
      this.waitingForSnapshot = false;
      return true;
    }
    return false;
  }

  get isWaiting(): boolean {
    return this.waitingForSnapshot;
  }
}
