import type { ErrorPayload } from '@reprise/protocol';
import { runTeardowns, type CaptureContext, type Teardown } from './context.js';
import { listen } from './patch.js';
import { serializeValue } from './serialize.js';
import { MAX_ERROR_TEXT_LENGTH } from '../defaults.js';

export function cappedErrorText(text: string): string {
  return serializeValue(text, MAX_ERROR_TEXT_LENGTH).text;
}

/** Describe anything thrown or rejected: Errors keep name, message and stack; other values are serialized. */
export function errorPayload(error: unknown, source: ErrorPayload['source']): ErrorPayload {
  if (
    error instanceof Error ||
    (typeof error === 'object' && error !== null && 'message' in error && typeof error.message === 'string')
  ) {
    const { name, message, stack } = error as Partial<Error> & { message: string };
    const payload: ErrorPayload = { source, message: cappedErrorText(message) };
    if (typeof name === 'string' && name) payload.name = cappedErrorText(name);
    if (typeof stack === 'string' && stack) payload.stack = cappedErrorText(stack);
    return payload;
  }
  return { source, message: serializeValue(error, MAX_ERROR_TEXT_LENGTH).text };
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
        context.emit('error', payload);
      } catch (error) {
        context.reportError(error, 'recording an uncaught error');
      }
    }),
    listen(target, 'unhandledrejection', (event) => {
      try {
        context.emit('error', errorPayload((event as PromiseRejectionEvent).reason, 'unhandledrejection'));
      } catch (error) {
        context.reportError(error, 'recording an unhandled rejection');
      }
    }),
  ];
  return () => runTeardowns(teardowns, (error) => context.reportError(error, 'removing error listeners'));
}
