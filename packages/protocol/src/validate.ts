import { z } from 'zod';
import { type Batch, MAX_PART_LENGTH, SUPPORTED_VERSIONS } from './batch.js';
import { ProtocolError } from './errors.js';
import { DEFAULT_MAX_VALUES } from './plain.js';
import { EventType } from './events.js';
import { IncrementalSource } from './rrweb.js';
import {
  DEFAULT_MAX_DECOMPRESSED_BYTES,
  DEFAULT_MAX_DEPTH,
  DEFAULT_MAX_EVENTS,
  DEFAULT_MAX_STRING_LENGTH,
} from './limits.js';

export interface ValidationLimits {
  /** Largest decompressed batch, in bytes. @default 8 MiB */
  maxDecompressedBytes: number;
  /** Most events in one batch. @default 20000 */
  maxEvents: number;
  /** Longest string anywhere in the batch (inlined stylesheets are the long ones). @default 2 MiB */
  maxStringLength: number;
  /** Deepest nesting of arrays/objects (rrweb nests DOM children ~2 levels per DOM level). @default 512 */
  maxDepth: number;
  /**
   * Most values (every container, scalar and map key) in one batch: bounds the validation walk and
   * the memory a decoded batch takes, whatever sharing or nesting the bytes describe. @default 2000000
   */
  maxValues: number;
  /**
   * A collector's receive time: when set, the batch must be storable and indexable as it is, so
   * every timestamp (`start`, `end`, each event's) must be a safe integer within `maxSkewMs` of
   * `now` (a batch stamped years away escapes retention and pins itself to the top of a list; a
   * float or 1e21 breaks the index's integer columns and the object key), and viewport sizes
   * integers the index holds. Unset (a recorder reading its own batches): the schema only.
   */
  timeWindow?: { now: number; maxSkewMs: number };
}

export { DEFAULT_MAX_DECOMPRESSED_BYTES, DEFAULT_MAX_DEPTH, DEFAULT_MAX_EVENTS, DEFAULT_MAX_STRING_LENGTH };

export const DEFAULT_LIMITS: ValidationLimits = {
  maxDecompressedBytes: DEFAULT_MAX_DECOMPRESSED_BYTES,
  maxEvents: DEFAULT_MAX_EVENTS,
  maxStringLength: DEFAULT_MAX_STRING_LENGTH,
  maxDepth: DEFAULT_MAX_DEPTH,
  maxValues: DEFAULT_MAX_VALUES,
};

const ID_PATTERN = /^[A-Za-z0-9_-]+$/;

/**
 * The schemas are built on first use, not at import: a top-level `z.object(...)` is a call a
 * bundler must keep, which dragged all of zod into every browser app that imports the protocol
 * for its types and codec. Only the collector validates.
 */
function buildSchemas() {
  const id = (what: string) =>
    z
      .string()
      .min(1, `${what} is empty`)
      .max(128, `${what} is longer than 128 characters`)
      .regex(ID_PATTERN, `${what} may hold only letters, digits, "_" and "-"`);
  const epochMs = z.number().finite().nonnegative();
  const event = z.object({
    type: z.number().int().min(0).max(6),
    data: z.unknown(),
    timestamp: epochMs,
    delay: z.number().finite().optional(),
  });
  /** The batch, with `events` checked by `eventsSchema`. */
  const batchWith = <Events extends z.ZodType>(eventsSchema: Events) =>
    z
      .object({
        v: z.number().int(),
        project: id('project'),
        session: id('session'),
        seq: z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER),
        tab: id('tab'),
        start: epochMs,
        end: epochMs,
        events: eventsSchema,
        part: z
          .string()
          .regex(
            new RegExp(`^[01]{1,${MAX_PART_LENGTH}}$`),
            `part is a split path of 1 to ${MAX_PART_LENGTH} "0"/"1" characters`,
          )
          .optional(),
      })
      .strict()
      .refine((value) => value.end >= value.start, { message: 'end is before start', path: ['end'] });
  const batch = batchWith(z.array(event).min(1, 'a batch holds at least one event'));
  // The same batch with events left to validateBatch's per-event check (same rules as `event`).
  const envelope = batchWith(z.array(z.unknown()).min(1, 'a batch holds at least one event'));
  return { event, batch, envelope };
}

let schemas: ReturnType<typeof buildSchemas> | undefined;

/** The zod schemas for one event and one batch (built once, on first call). */
export function getSchemas(): ReturnType<typeof buildSchemas> {
  schemas ??= buildSchemas();
  return schemas;
}

interface ShapeNode {
  value: unknown;
  depth: number;
  key: string;
  parent: ShapeNode | undefined;
}

/** The dotted path of a node, built only for an error message (not for every node walked). */
function pathOf(node: ShapeNode): string {
  const keys: string[] = [];
  for (let at: ShapeNode | undefined = node; at?.parent; at = at.parent) keys.push(at.key);
  return keys.reverse().join('.');
}

/**
 * Whether the value keeps within the limits: the same walk and rules as checkShapeLimits, but
 * without the per-node records that walk keeps for its error paths (most of the validation's
 * garbage on a valid batch). Only when this says no does checkShapeLimits run, to say where.
 */
function withinShapeLimits(value: unknown, limits: ValidationLimits): boolean {
  const values: unknown[] = [value];
  const depths: number[] = [0];
  // Every value visited counts, so the walk's cost is bounded by the budget whatever the value
  // shares: a graph of objects referring twice to the next would otherwise cost 2^depth.
  let count = 1;
  while (values.length > 0) {
    const current = values.pop();
    const depth = depths.pop()!;
    if (typeof current === 'string') {
      if (current.length > limits.maxStringLength) return false;
      continue;
    }
    if (current === null || typeof current !== 'object') continue;
    if (depth >= limits.maxDepth) return false;
    if (Array.isArray(current)) {
      count += current.length;
      if (count > limits.maxValues) return false;
      for (let i = 0; i < current.length; i++) {
        const item: unknown = current[i];
        if (typeof item === 'string' || (item !== null && typeof item === 'object')) {
          values.push(item);
          depths.push(depth + 1);
        } else if (!isPlainScalar(item)) return false;
      }
    } else {
      if (!isPlainObject(current)) return false;
      for (const key in current) {
        if (!Object.hasOwn(current, key)) continue;
        if (key.length > limits.maxStringLength || (count += 2) > limits.maxValues) return false;
        const item: unknown = (current as Record<string, unknown>)[key];
        if (typeof item === 'string' || (item !== null && typeof item === 'object')) {
          values.push(item);
          depths.push(depth + 1);
        } else if (!isPlainScalar(item)) return false;
      }
    }
  }
  return true;
}

/** A map's value as msgpack's plain data decodes it: a plain object (not a Date, Map, typed array...). */
function isPlainObject(value: object): boolean {
  const prototype: unknown = Object.getPrototypeOf(value);
  return prototype === Object.prototype || prototype === null;
}

/**
 * A scalar JSON can write. `undefined` (JSON drops it) and NaN (written as null) pass here: the
 * schema answers for them where they matter, and msgpack's undefined and NaN are refused before
 * decoding (scanPlainMsgpack). A BigInt, which makes JSON.stringify throw, or a function does not.
 */
function isPlainScalar(value: unknown): boolean {
  return typeof value === 'number' || typeof value === 'boolean' || value === null || value === undefined;
}

/** What a non-plain value is, for the refusal message. */
function describe(value: unknown): string {
  if (typeof value === 'number') return String(value);
  if (typeof value !== 'object' || value === null) return `a ${typeof value}`;
  if (value instanceof Uint8Array) return 'binary data (msgpack bin)';
  if (ArrayBuffer.isView(value) || value instanceof ArrayBuffer) return 'a typed array';
  return `a ${(value as object).constructor?.name ?? 'non-plain object'}`;
}

/**
 * Walk the value iteratively (a hostile depth must not overflow the stack) and refuse the first
 * string or nesting past the limits.
 */
function checkShapeLimits(value: unknown, limits: ValidationLimits): void {
  const stack: ShapeNode[] = [{ value, depth: 0, key: '', parent: undefined }];
  let count = 1;
  const tooMany = () =>
    new ProtocolError('too_many_values', `Batch holds more than ${limits.maxValues} values; send smaller batches.`);
  const notPlain = (item: unknown, node: ShapeNode, key: string) => {
    const path = [pathOf(node), key].filter(Boolean).join('.');
    return new ProtocolError(
      'unsupported_type',
      `Value at ${path || '(root)'} is ${describe(item)}; a batch holds plain data only (maps, arrays, strings, finite numbers, booleans, nil).`,
      { path },
    );
  };
  while (stack.length > 0) {
    const node = stack.pop()!;
    const { value: current, depth } = node;
    if (typeof current === 'string') {
      if (current.length > limits.maxStringLength) {
        const path = pathOf(node);
        throw new ProtocolError(
          'string_too_long',
          `String at ${path || '(root)'} has ${current.length} characters; the limit is ${limits.maxStringLength}.`,
          { path },
        );
      }
      continue;
    }
    if (current === null || typeof current !== 'object') continue;
    if (depth >= limits.maxDepth) {
      const path = pathOf(node);
      throw new ProtocolError('too_deep', `Value at ${path} is nested deeper than ${limits.maxDepth} levels.`, {
        path,
      });
    }
    if (Array.isArray(current)) {
      if ((count += current.length) > limits.maxValues) throw tooMany();
      for (let i = 0; i < current.length; i++) {
        const item: unknown = current[i];
        // Numbers, booleans and null cannot break a limit: no node for them.
        if (typeof item === 'string' || (item !== null && typeof item === 'object'))
          stack.push({ value: item, depth: depth + 1, key: String(i), parent: node });
        else if (!isPlainScalar(item)) throw notPlain(item, node, String(i));
      }
    } else {
      if (!isPlainObject(current)) {
        const path = pathOf(node);
        throw new ProtocolError(
          'unsupported_type',
          `Value at ${path || '(root)'} is ${describe(current)}; a batch holds plain data only (maps, arrays, strings, finite numbers, booleans, nil).`,
          { path },
        );
      }
      for (const key in current) {
        if (!Object.hasOwn(current, key)) continue;
        if (key.length > limits.maxStringLength) {
          const path = pathOf(node);
          throw new ProtocolError(
            'string_too_long',
            `A key at ${path || '(root)'} has ${key.length} characters; the limit is ${limits.maxStringLength}.`,
            { path },
          );
        }
        if ((count += 2) > limits.maxValues) throw tooMany();
        const item: unknown = (current as Record<string, unknown>)[key];
        if (typeof item === 'string' || (item !== null && typeof item === 'object'))
          stack.push({ value: item, depth: depth + 1, key, parent: node });
        else if (!isPlainScalar(item)) throw notPlain(item, node, key);
      }
    }
  }
}

/**
 * The event schema's rules without zod, for the common case: a plain object with exactly the
 * schema's keys, each valid. Anything else (a bad field, an extra or undefined key) returns false
 * and goes through the zod event schema, which then gives the same answer and message as before.
 */
function isPlainValidEvent(value: unknown): boolean {
  if (value === null || typeof value !== 'object' || Object.getPrototypeOf(value) !== Object.prototype) return false;
  const event = value as Record<string, unknown>;
  let keys = 0;
  for (const key in event) {
    if (key !== 'type' && key !== 'data' && key !== 'timestamp' && key !== 'delay') return false;
    keys++;
  }
  const { type, timestamp, delay } = event;
  if (typeof type !== 'number' || !Number.isInteger(type) || type < 0 || type > 6) return false;
  if (typeof timestamp !== 'number' || !Number.isFinite(timestamp) || timestamp < 0) return false;
  if (!('data' in event)) return false;
  if ('delay' in event) return typeof delay === 'number' && Number.isFinite(delay) && keys === 4;
  return keys === 3;
}

interface RecordedEventFields {
  type: number;
  data: unknown;
  timestamp: number;
  delay?: number;
}

const PART_PATTERN = new RegExp(`^[01]{1,${MAX_PART_LENGTH}}$`);
const ENVELOPE_KEYS = new Set(['v', 'project', 'session', 'seq', 'tab', 'start', 'end', 'events', 'part']);

const isId = (value: unknown): value is string =>
  typeof value === 'string' && value.length >= 1 && value.length <= 128 && ID_PATTERN.test(value);
const isEpochMs = (value: unknown): value is number =>
  typeof value === 'number' && Number.isFinite(value) && value >= 0;

/**
 * The envelope schema's rules without zod, for the common case (a well-formed batch): only keys
 * the schema knows, each valid, `end >= start`. Anything else returns false and goes through the
 * zod envelope schema, which then refuses with the same message and path as before. The caller
 * has checked that the value is a plain object with a supported `v`.
 */
function isPlainValidEnvelope(batch: Record<string, unknown>): boolean {
  for (const key in batch) {
    if (!ENVELOPE_KEYS.has(key)) return false;
  }
  const { v, project, session, seq, tab, start, end, events } = batch;
  if (typeof v !== 'number' || !Number.isSafeInteger(v)) return false;
  if (!isId(project) || !isId(session) || !isId(tab)) return false;
  if (typeof seq !== 'number' || !Number.isSafeInteger(seq) || seq < 0) return false;
  if (!isEpochMs(start) || !isEpochMs(end) || end < start) return false;
  if (!Array.isArray(events) || events.length === 0) return false;
  // An explicit `part: undefined` (msgpackr can carry one) is left to zod.
  return !('part' in batch) || (typeof batch.part === 'string' && PART_PATTERN.test(batch.part));
}

/** The envelope as zod's output has it: the schema's key order, `part` only when present. */
function envelopeOutput(batch: Record<string, unknown>, events: unknown[]): Batch {
  const { v, project, session, seq, tab, start, end, part } = batch as unknown as Batch;
  const out: Batch = { v, project, session, seq, tab, start, end, events: events as Batch['events'] };
  if (part !== undefined) out.part = part;
  return out;
}

/** Envelope fields zod checks before `events`: their issues come first, as with the whole-batch schema. */
const FIELDS_BEFORE_EVENTS = new Set(['v', 'project', 'session', 'seq', 'tab', 'start', 'end']);

function invalid(path: readonly PropertyKey[], message: string): ProtocolError {
  const joined = path.map(String).join('.');
  return new ProtocolError('invalid_batch', `Invalid batch at ${joined || '(root)'}: ${message}.`, { path: joined });
}

/** Largest viewport side the index stores (an `integer` column); no real screen comes near it. */
export const MAX_VIEWPORT_PIXELS = 1_000_000;

/**
 * Rules beyond the schema that make an accepted batch storable and indexable as it is: every
 * timestamp a safe integer (a float or 1e21 would break the index's `bigint` columns and the
 * object keys built from them), inside the time window when one is set, and viewport sizes (Meta
 * and viewport-resize events) integers the index's `integer` columns hold.
 */
function checkStorable(batch: Batch, window: NonNullable<ValidationLimits['timeWindow']>): void {
  const checkTime = (value: number, path: string) => {
    if (!Number.isSafeInteger(value)) {
      throw new ProtocolError(
        'bad_timestamp',
        `Timestamp at ${path} is ${value}; timestamps are whole epoch milliseconds.`,
        { path },
      );
    }
    if (Math.abs(value - window.now) > window.maxSkewMs) {
      throw new ProtocolError(
        'bad_timestamp',
        `Timestamp at ${path} (${new Date(value).toISOString()}) is more than ${window.maxSkewMs} ms from the collector's clock; check the device's clock or drop batches that old.`,
        { path },
      );
    }
  };
  checkTime(batch.start, 'start');
  checkTime(batch.end, 'end');
  const { events } = batch;
  for (let i = 0; i < events.length; i++) {
    const event = events[i]!;
    checkTime(event.timestamp, `events.${i}.timestamp`);
    const data = event.data as { source?: unknown; width?: unknown; height?: unknown } | null;
    if (
      event.type === EventType.Meta ||
      (event.type === EventType.IncrementalSnapshot &&
        data !== null &&
        typeof data === 'object' &&
        data.source === IncrementalSource.ViewportResize)
    ) {
      if (data === null || typeof data !== 'object') continue;
      for (const side of ['width', 'height'] as const) {
        const size = data[side];
        if (
          size !== undefined &&
          !(typeof size === 'number' && Number.isSafeInteger(size) && size >= 0 && size <= MAX_VIEWPORT_PIXELS)
        ) {
          throw invalid(
            ['events', i, 'data', side],
            `a viewport ${side} is a whole number of pixels from 0 to ${MAX_VIEWPORT_PIXELS}`,
          );
        }
      }
    }
  }
}

/** Check an unpacked value against the batch schema and limits; returns it typed or throws ProtocolError. */
export function validateBatch(value: unknown, limits: Partial<ValidationLimits> = {}): Batch {
  const resolved = { ...DEFAULT_LIMITS, ...limits };
  if (value === null || typeof value !== 'object' || Object.getPrototypeOf(value) !== Object.prototype) {
    throw new ProtocolError(
      'invalid_batch',
      'A batch is a msgpack map { v, project, session, seq, tab, start, end, events }.',
    );
  }
  const version = (value as { v?: unknown }).v;
  if (typeof version !== 'number' || !SUPPORTED_VERSIONS.includes(version)) {
    throw new ProtocolError(
      'unsupported_version',
      `Protocol version ${JSON.stringify(version)} is not supported; this collector speaks v${SUPPORTED_VERSIONS.join(', v')}. Upgrade the collector or pin the recorder.`,
      { path: 'v' },
    );
  }
  const events = (value as { events?: unknown }).events;
  if (Array.isArray(events) && events.length > resolved.maxEvents) {
    throw new ProtocolError(
      'too_many_events',
      `Batch has ${events.length} events; the limit is ${resolved.maxEvents}.`,
      { path: 'events' },
    );
  }
  if (!withinShapeLimits(value, resolved)) checkShapeLimits(value, resolved);
  // Envelope and events (most of the batch) get the hand-written checks above; zod runs only for
  // what they do not pass, so a refusal's message and path (and the output) are zod's as before.
  const { envelope, event } = getSchemas();
  const fastEnvelope = isPlainValidEnvelope(value as Record<string, unknown>);
  const parsed = fastEnvelope ? undefined : envelope.safeParse(value);
  const firstIssue = parsed === undefined || parsed.success ? undefined : parsed.error.issues[0]!;
  // The `end >= start` refinement (code custom) ran only once events were valid: it comes last.
  if (firstIssue && firstIssue.code !== 'custom' && FIELDS_BEFORE_EVENTS.has(String(firstIssue.path[0])))
    throw invalid(firstIssue.path, firstIssue.message);
  const validEvents: unknown[] = [];
  if (Array.isArray(events)) {
    for (let i = 0; i < events.length; i++) {
      const item: unknown = events[i];
      if (isPlainValidEvent(item)) {
        // A fresh object in the schema's key order, as zod's output was: stored bytes do not change.
        const { type, data, timestamp, delay } = item as RecordedEventFields;
        validEvents.push(delay === undefined ? { type, data, timestamp } : { type, data, timestamp, delay });
        continue;
      }
      const checked = event.safeParse(item);
      if (!checked.success) {
        const issue = checked.error.issues[0]!;
        throw invalid(['events', i, ...issue.path], issue.message);
      }
      validEvents.push(checked.data);
    }
  }
  if (parsed !== undefined && !parsed.success) throw invalid(firstIssue!.path, firstIssue!.message);
  const batch =
    parsed === undefined
      ? envelopeOutput(value as Record<string, unknown>, validEvents)
      : ({ ...parsed.data, events: validEvents } as Batch);
  // A collector's rules (it passes its receive time): a recorder reading its own batches back keeps the schema's.
  if (resolved.timeWindow) checkStorable(batch, resolved.timeWindow);
  return batch;
}
