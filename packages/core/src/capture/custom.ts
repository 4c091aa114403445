import {
  DEFAULT_MAX_STRING_LENGTH,
  type CustomPayload,
  type ErrorPayload,
  type IdentifyPayload,
  type JsonValue,
} from '@reprise/protocol/page';
import { cappedErrorText, errorPayload } from './errors.js';
import { truncate } from './serialize.js';
import { CIRCULAR_MARKER, MAX_USER_VALUE_DEPTH } from '../limits.js';
import type { CapturedErrorContext } from '../types.js';

/*
 * Payloads of the public API's events: `track`, `identify` and `captureError`. Values are copied
 * so a later change by the app does not alter what was recorded; redaction happens in the recorder.
 */

/**
 * A JSON-safe deep copy of values the app hands in (typed as JSON, but anything at runtime): a
 * reference cycle would hang redaction and overflow the encoder's stack, so it becomes
 * `[Circular]`; nesting past MAX_USER_VALUE_DEPTH is summarised; `undefined`, functions and
 * symbols are dropped from objects (`null` in arrays, as JSON does); a Date becomes its ISO string,
 * a bigint its digits; a string longer than the protocol allows is cut (the collector would refuse
 * the whole batch). An object shared (not cyclic) is copied at each place.
 */
export function copyUserValue(value: unknown, depth = 0, ancestors: object[] = []): JsonValue | undefined {
  switch (typeof value) {
    case 'string':
      return truncate(value, DEFAULT_MAX_STRING_LENGTH).text;
    case 'number':
    case 'boolean':
      return value;
    case 'bigint':
      return value.toString();
    case 'undefined':
    case 'function':
    case 'symbol':
      return undefined;
  }
  if (value === null) return null;
  const object = value as object;
  if (object instanceof Date) return Number.isNaN(object.getTime()) ? null : object.toISOString();
  if (ancestors.includes(object)) return CIRCULAR_MARKER;
  if (depth >= MAX_USER_VALUE_DEPTH) return Array.isArray(object) ? '[Array]' : '[Object]';
  ancestors.push(object);
  try {
    if (Array.isArray(object)) return object.map((item: unknown) => copyUserValue(item, depth + 1, ancestors) ?? null);
    const out: Record<string, JsonValue> = {};
    for (const key of Object.keys(object)) {
      let item: unknown;
      try {
        item = (object as Record<string, unknown>)[key];
      } catch {
        item = '[getter threw]';
      }
      const copy = copyUserValue(item, depth + 1, ancestors);
      if (copy !== undefined) out[key] = copy;
    }
    return out;
  } finally {
    ancestors.pop();
  }
}

function copyRecord(record: Record<string, JsonValue>): Record<string, JsonValue> {
  const copy = copyUserValue(record);
  return copy !== null && typeof copy === 'object' && !Array.isArray(copy) ? copy : {};
}

// Names and ids are strings whatever was passed at runtime (an object there could be cyclic too).
export function customPayload(name: string, props?: Record<string, JsonValue>): CustomPayload {
  return props ? { name: String(name), props: copyRecord(props) } : { name: String(name) };
}

export function identifyPayload(userId: string | null, traits?: Record<string, JsonValue>): IdentifyPayload {
  const id = userId === null ? null : String(userId);
  return traits ? { userId: id, traits: copyRecord(traits) } : { userId: id };
}

/** An error the app or a framework caught: `framework` when an adapter supplies context, `manual` otherwise. */
export function capturedErrorPayload(error: unknown, context?: CapturedErrorContext): ErrorPayload {
  const payload = errorPayload(error, context?.framework || context?.componentStack ? 'framework' : 'manual');
  // Capped like the stack: a deep component tree gives a stack of any length.
  if (context?.componentStack) payload.componentStack = cappedErrorText(String(context.componentStack));
  if (context?.framework) payload.framework = cappedErrorText(String(context.framework));
  if (context?.component) payload.component = cappedErrorText(String(context.component));
  if (context?.info) payload.info = cappedErrorText(String(context.info));
  return payload;
}
