import { z } from 'zod';
import { type Batch, MAX_PART_LENGTH, SUPPORTED_VERSIONS } from './batch.js';
import { ProtocolError } from './errors.js';

export interface ValidationLimits {
  /** Largest decompressed batch, in bytes. @default 8 MiB */
  maxDecompressedBytes: number;
  /** Most events in one batch. @default 20000 */
  maxEvents: number;
  /** Longest string anywhere in the batch (inlined stylesheets are the long ones). @default 2 MiB */
  maxStringLength: number;
  /** Deepest nesting of arrays/objects (rrweb nests DOM children ~2 levels per DOM level). @default 512 */
  maxDepth: number;
}

export const DEFAULT_MAX_DECOMPRESSED_BYTES = 8 * 1024 * 1024;
export const DEFAULT_MAX_EVENTS = 20_000;
export const DEFAULT_MAX_STRING_LENGTH = 2 * 1024 * 1024;
export const DEFAULT_MAX_DEPTH = 512;

export const DEFAULT_LIMITS: ValidationLimits = {
  maxDecompressedBytes: DEFAULT_MAX_DECOMPRESSED_BYTES,
  maxEvents: DEFAULT_MAX_EVENTS,
  maxStringLength: DEFAULT_MAX_STRING_LENGTH,
  maxDepth: DEFAULT_MAX_DEPTH,
};

const ID_PATTERN = /^[A-Za-z0-9_-]+$/;

/**
 * The schemas are built on first use, not at import: a top-level `z.object(...)` is a call a
 * bundler must keep, which dragged all of zod into every browser app that imports the protocol
 * for its types and codec. Only the collector validates.
 */
function buildSchemas() {
  const id = (what: string) =>
    z.string().min(1, `${what} is empty`).max(128, `${what} is longer than 128 characters`).regex(ID_PATTERN, `${what} may hold only letters, digits, "_" and "-"`);
  const epochMs = z.number().finite().nonnegative();
  const event = z.object({
    type: z.number().int().min(0).max(6),
    data: z.unknown(),
    timestamp: epochMs,
    delay: z.number().finite().optional(),
  });
  const batch = z
    .object({
      v: z.number().int(),
      project: id('project'),
      session: id('session'),
      seq: z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER),
      tab: id('tab'),
      start: epochMs,
      end: epochMs,
      events: z.array(event).min(1, 'a batch holds at least one event'),
      part: z.string().regex(new RegExp(`^[01]{1,${MAX_PART_LENGTH}}$`), `part is a split path of 1 to ${MAX_PART_LENGTH} "0"/"1" characters`).optional(),
    })
    .strict()
    .refine((value) => value.end >= value.start, { message: 'end is before start', path: ['end'] });
  return { event, batch };
}

let schemas: ReturnType<typeof buildSchemas> | undefined;

/** The zod schemas for one event and one batch (built once, on first call). */
export function getSchemas(): ReturnType<typeof buildSchemas> {
  schemas ??= buildSchemas();
  return schemas;
}

/**
 * Walk the value iteratively (a hostile depth must not overflow the stack) and refuse the first
 * string or nesting past the limits.
 */
function checkShapeLimits(value: unknown, limits: ValidationLimits): void {
  const stack: Array<{ value: unknown; depth: number; path: string }> = [{ value, depth: 0, path: '' }];
  while (stack.length > 0) {
    const { value: current, depth, path } = stack.pop()!;
    if (typeof current === 'string') {
      if (current.length > limits.maxStringLength) {
        throw new ProtocolError('string_too_long', `String at ${path || '(root)'} has ${current.length} characters; the limit is ${limits.maxStringLength}.`, { path });
      }
      continue;
    }
    if (current === null || typeof current !== 'object') continue;
    if (depth >= limits.maxDepth) {
      throw new ProtocolError('too_deep', `Value at ${path} is nested deeper than ${limits.maxDepth} levels.`, { path });
    }
    if (Array.isArray(current)) {
      for (let i = 0; i < current.length; i++) stack.push({ value: current[i], depth: depth + 1, path: path ? `${path}.${i}` : String(i) });
    } else if (!ArrayBuffer.isView(current)) {
      for (const [key, item] of Object.entries(current)) {
        if (key.length > limits.maxStringLength) {
          throw new ProtocolError('string_too_long', `A key at ${path || '(root)'} has ${key.length} characters; the limit is ${limits.maxStringLength}.`, { path });
        }
        stack.push({ value: item, depth: depth + 1, path: path ? `${path}.${key}` : key });
      }
    }
  }
}

/** Check an unpacked value against the batch schema and limits; returns it typed or throws ProtocolError. */
export function validateBatch(value: unknown, limits: Partial<ValidationLimits> = {}): Batch {
  const resolved = { ...DEFAULT_LIMITS, ...limits };
  if (value === null || typeof value !== 'object' || Object.getPrototypeOf(value) !== Object.prototype) {
    throw new ProtocolError('invalid_batch', 'A batch is a msgpack map { v, project, session, seq, tab, start, end, events }.');
  }
  const version = (value as { v?: unknown }).v;
  if (typeof version !== 'number' || !SUPPORTED_VERSIONS.includes(version)) {
    throw new ProtocolError('unsupported_version', `Protocol version ${JSON.stringify(version)} is not supported; this collector speaks v${SUPPORTED_VERSIONS.join(', v')}. Upgrade the collector or pin the recorder.`, { path: 'v' });
  }
  const events = (value as { events?: unknown }).events;
  if (Array.isArray(events) && events.length > resolved.maxEvents) {
    throw new ProtocolError('too_many_events', `Batch has ${events.length} events; the limit is ${resolved.maxEvents}.`, { path: 'events' });
  }
  checkShapeLimits(value, resolved);
  const parsed = getSchemas().batch.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const path = issue.path.map(String).join('.');
    throw new ProtocolError('invalid_batch', `Invalid batch at ${path || '(root)'}: ${issue.message}.`, { path });
  }
  return parsed.data as Batch;
}
