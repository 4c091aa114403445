import type { ErrorCause, ErrorPayload } from '@reprise/protocol';
import { runTeardowns, type CaptureContext, type Teardown } from './context.js';
import { listen } from './patch.js';
import { serializeValue } from './serialize.js';
import { MAX_ERROR_CAUSES, MAX_ERROR_TEXT_LENGTH } from '../limits.js';

export function cappedErrorText(text: string): string {
  return serializeValue(text, MAX_ERROR_TEXT_LENGTH).text;
}

/** Errors keep name, message and stack; other values are serialized. */
function describeThrown(error: unknown): ErrorCause {
  if (
    error instanceof Error ||
    (typeof error === 'object' && error !== null && 'message' in error && typeof error.message === 'string')
  ) {
    const { name, message, stack } = error as Partial<Error> & { message: string };
    const described: ErrorCause = { message: cappedErrorText(message) };
    if (typeof name === 'string' && name) described.name = cappedErrorText(name);
    if (typeof stack === 'string' && stack) described.stack = cappedErrorText(stack);
    return described;
  }
  return { message: serializeValue(error, MAX_ERROR_TEXT_LENGTH).text };
}

/**
 * The `cause` chain below `error`, direct cause first: often the real failure ("checkout failed"
 * caused by "Failed to fetch"). Bounded, and safe against a cycle or a `cause` getter that throws.
 */
function causeChain(error: unknown): ErrorCause[] {
  const causes: ErrorCause[] = [];
  const seen = new Set<unknown>([error]);
  let current = error;
  try {
    while (causes.length < MAX_ERROR_CAUSES && typeof current === 'object' && current !== null) {
      const cause = (current as { cause?: unknown }).cause;
      if (cause === undefined || seen.has(cause)) break;
      seen.add(cause);
      causes.push(describeThrown(cause));
      current = cause;
    }
  } catch {
    // A hostile `cause` getter: keep the links read so far.
  }
  return causes;
}

/** Describe anything thrown or rejected, with its `cause` chain. */
export function errorPayload(error: unknown, source: ErrorPayload['source']): ErrorPayload {
  const payload: ErrorPayload = { source, ...describeThrown(error) };
  const causes = causeChain(error);
  if (causes.length > 0) payload.causes = causes;
  return payload;
}

/**
 * Errors already recorded as error events. A framework adapter logs the error it reported, as the
 * framework would without it (`console.error(error)`): recorded again as a console error, every
 * component error counted twice and drew two markers at one moment.
 */
const recordedErrors = new WeakSet<object>();

export function noteRecordedError(error: unknown): void {
  if (typeof error === 'object' && error !== null) recordedErrors.add(error);
}

/** Whether a console call only logs an error already recorded as one: `console.error(error)`. */
export function logsRecordedError(args: readonly unknown[]): boolean {
  return args.length === 1 && typeof args[0] === 'object' && args[0] !== null && recordedErrors.has(args[0]);
}

/** Uncaught errors (`error` on window) and unhandled promise rejections. */
export function startErrorCapture(context: CaptureContext, target: Window): Teardown {
  const teardowns: Teardown[] = [
    listen(target, 'error', (event) => {
      // Resource load failures also reach window listeners in the capture phase only; we listen in
      // the bubble phase, so only script errors (ErrorEvent) arrive here.
      if (!(event instanceof ErrorEvent)) return;
      try {
        const payload =
          event.error !== undefined && event.error !== null
            ? errorPayload(event.error, 'error')
            : { source: 'error' as const, message: cappedErrorText(event.message || 'Script error') };
        if (event.filename) payload.filename = cappedErrorText(event.filename);
        if (event.lineno) payload.lineno = event.lineno;
        if (event.colno) payload.colno = event.colno;
        noteRecordedError(event.error);
        context.emit('error', payload);
      } catch (error) {
        context.reportError(error, 'recording an uncaught error');
      }
    }),
    listen(target, 'unhandledrejection', (event) => {
      try {
        const reason = (event as PromiseRejectionEvent).reason;
        noteRecordedError(reason);
        context.emit('error', errorPayload(reason, 'unhandledrejection'));
      } catch (error) {
        context.reportError(error, 'recording an unhandled rejection');
      }
    }),
  ];
  return () => runTeardowns(teardowns, (error) => context.reportError(error, 'removing error listeners'));
}
