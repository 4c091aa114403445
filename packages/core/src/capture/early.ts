import type { RecordedEvent } from '@reprise/protocol/page';
import type { RecorderErrorCode } from '../errors.js';
import type { Teardown } from './context.js';
import type { SessionInfo } from '../session.js';
import type { RecorderEvents, ReplayUrlOptions } from '../types.js';

/** Where an early capture's events, breaker changes and failures go once it is taken over. */
export interface EarlyCaptureSink {
  push(event: RecordedEvent): void;
  onBreaker(event: RecorderEvents['breaker']): void;
  report(error: unknown, code: RecorderErrorCode, what: string): void;
}

/**
 * DOM capture (rrweb behind the mutation breaker) that the script tag's first file
 * (`reprise.iife.js`) started at `start()`, before the rest of the recorder
 * (`reprise.recorder.js`) arrived. The full recorder takes it over instead of starting rrweb
 * again, so the page is snapshotted once and nothing that happened while the rest loaded is
 * missing from the replay.
 */
export interface EarlyCapture {
  /** The session the early capture records into (resolved, and its sampling decided, at start()). */
  readonly session: SessionInfo;
  /**
   * Hand the events buffered so far to `sink`, in order, and every later one as it comes; returns
   * the teardown that stops the capture. Undefined when there is nothing left to take over (the
   * buffer overflowed and capture was stopped, or the session is not sampled).
   */
  adopt(sink: EarlyCaptureSink): Teardown | undefined;
  /** Stop capture and drop the buffer: recording was stopped, or the rest of the recorder never came. */
  discard(): void;
  /** `Recorder.replayUrl()` for the early capture's session, before the rest of the recorder is here. */
  replayUrl(options?: ReplayUrlOptions): string | null;
}
