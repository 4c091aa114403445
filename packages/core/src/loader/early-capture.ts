import { createRepriseEvent, type RecordedEvent } from '@reprise/protocol/capture';
import { runTeardowns, type Teardown } from '../capture/context.js';
import { resolveCaptureOptions } from '../defaults.js';
import { debugWarn, isBrowser } from '../env.js';
import type { EarlyCapture, EarlyCaptureSink } from '../capture/early.js';
import { startDomTrackers } from '../recorder/trackers.js';
import { isOptedOut, resolveSession } from '../session.js';
import { sessionReplayUrl } from '../replay-url.js';
import type { RecorderEvents, RecorderOptions } from '../types.js';

/**
 * Events kept while the rest of the recorder loads (a full snapshot and a few seconds of a busy
 * page). Past this the early capture stops and drops them, and the full recorder, when it comes,
 * starts rrweb itself with a new full snapshot: a page whose `reprise.recorder.js` never loads
 * holds no growing buffer.
 */
export const MAX_EARLY_EVENTS = 2000;

/**
 * Start DOM capture (rrweb behind the mutation breaker) at `start()`, with the recorder's privacy
 * rules and sampling, before the rest of the recorder has arrived: the script tag's first file
 * carries rrweb and this, so recording begins at once. Console, network and Reprise's own events
 * join when the rest arrives and takes over (recorder/early.ts). Undefined where nothing may be
 * recorded (outside a browser, opted out).
 */
export function startEarlyCapture(options: RecorderOptions): EarlyCapture | undefined {
  // A page prerendered for a visit that may never come starts when it is shown (the full recorder waits).
  if (!isBrowser() || isOptedOut() || (document as { prerendering?: boolean }).prerendering) return undefined;
  const config = resolveCaptureOptions(options);
  const session = resolveSession(config);
  let buffer: RecordedEvent[] | undefined = [];
  // Breaker changes before the take-over (each also a marker in the buffer, so as bounded as it).
  let breakerChanges: Array<RecorderEvents['breaker']> | undefined = [];
  let sink: EarlyCaptureSink | undefined;
  let teardowns: Teardown[] | undefined;
  let adopted = false;

  const halt = () => {
    const installed = teardowns;
    teardowns = undefined;
    buffer = undefined;
    if (installed) runTeardowns(installed, (error) => debugWarn(config.debug, 'stopping the early capture', error));
  };
  const push = (event: RecordedEvent) => {
    if (sink) return sink.push(event);
    if (!buffer) return;
    buffer.push(event);
    if (buffer.length > MAX_EARLY_EVENTS) {
      buffer = undefined;
      // Not from inside rrweb's own emit.
      queueMicrotask(() => {
        if (!adopted) halt();
      });
    }
  };

  if (session.sampled) {
    teardowns = [];
    try {
      startDomTrackers(
        config,
        {
          push,
          context: {
            emit: (kind, payload) => push(createRepriseEvent(kind, payload)),
            reportError: (error, what) => sink?.report(error, 'plugin', what),
          },
          report: (error, code, what) =>
            sink
              ? sink.report(error, code, what)
              : debugWarn(config.debug, `${what} failed while the recorder loaded`, error),
          isRecording: () => teardowns !== undefined,
          onBreaker: (event) => (sink ? sink.onBreaker(event) : breakerChanges?.push(event)),
        },
        teardowns,
      );
    } catch (error) {
      // Another recorder records this page: the full recorder reports it when it starts.
      halt();
      debugWarn(config.debug, 'could not start recording early', error);
    }
  }

  return {
    session,
    adopt(taker) {
      if (adopted || !teardowns || !buffer) return undefined;
      adopted = true;
      const events = buffer;
      buffer = undefined;
      sink = taker;
      for (const event of events) taker.push(event);
      const changes = breakerChanges!;
      breakerChanges = undefined;
      // The taker adopts while it starts: its listeners hear `start` first, then what the breaker did.
      queueMicrotask(() => {
        if (teardowns) for (const change of changes) taker.onBreaker(change);
      });
      return halt;
    },
    discard() {
      if (!adopted) halt();
    },
    replayUrl: (replayOptions) => sessionReplayUrl(options, session, replayOptions),
  };
}
