import type { CustomPayload, ErrorPayload, IdentifyPayload, JsonValue } from '@reprise/protocol';
import { errorPayload } from './errors.js';

/*
 * Payloads of the public API's events: `track`, `identify` and `captureError`. Values are copied
 * so a later change by the app does not alter what was recorded; redaction happens in the recorder.
 */

export function customPayload(name: string, props?: Record<string, JsonValue>): CustomPayload {
  return props ? { name, props: { ...props } } : { name };
}

export function identifyPayload(userId: string | null, traits?: Record<string, JsonValue>): IdentifyPayload {
  return traits ? { userId, traits: { ...traits } } : { userId };
}

/** An error the app or a framework caught: `framework` when an adapter supplies context, `manual` otherwise. */
export function capturedErrorPayload(error: unknown, context?: { componentStack?: string; framework?: string }): ErrorPayload {
  const payload = errorPayload(error, context?.framework || context?.componentStack ? 'framework' : 'manual');
  if (context?.componentStack) payload.componentStack = context.componentStack;
  if (context?.framework) payload.framework = context.framework;
  return payload;
}
