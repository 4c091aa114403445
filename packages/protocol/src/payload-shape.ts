import { EventType, RepriseTag, type RecordedEvent, type RepriseKind } from './events.js';

/*
 * The ingest validator bounds a batch's size and depth but takes each event's `data` as it comes:
 * anyone holding the public ingest key can store a Reprise event whose payload is not the shape
 * the recorder writes. A reader that trusts the type (`args.join`, `url.length`) then throws, and
 * one such event made a whole session unplayable. Readers ask this first.
 */

/**
 * The type of every payload field the protocol names, whatever the kind (no name has two types):
 * `s` string, `n` number, `b` boolean, `o` object, `a` array, `z` string or null. Written as text,
 * not as objects: the player's script tag carries this table.
 */
const FIELD_TYPES =
  'url:s route:s name:s params:o navigationType:s title:s skipped:n level:s args:a truncated:b trace:s ' +
  'method:s status:n initiator:s startTime:n duration:n requestSize:n responseSize:n requestHeaders:o ' +
  'responseHeaders:o requestBody:s responseBody:s operation:s error:s message:s source:s stack:s causes:a ' +
  'filename:s lineno:n colno:n componentStack:s framework:s component:s info:s userId:z traits:o props:o ' +
  'state:s mutations:n windowMs:n reason:s nextSessionId:s previousSessionId:s';

/** The fields a reader of each kind cannot do without. */
const REQUIRED: Partial<Record<RepriseKind, string[]>> = {
  navigation: ['url'],
  console: ['level', 'args'],
  network: ['method', 'url', 'status'],
  error: ['message'],
  custom: ['name'],
};

let fieldTypes: Map<string, string> | undefined;

function typeOf(field: string): string | undefined {
  fieldTypes ??= new Map(FIELD_TYPES.split(' ').map((entry) => entry.split(':') as [string, string]));
  return fieldTypes.get(field);
}

const KIND_BY_TAG = new Map<string, RepriseKind>(
  Object.entries(RepriseTag).map(([kind, tag]) => [tag, kind as RepriseKind]),
);

function hasType(value: unknown, type: string | undefined): boolean {
  if (type === 'a') return Array.isArray(value);
  if (type === 'o') return typeof value === 'object' && value !== null && !Array.isArray(value);
  if (type === 'z' && value === null) return true;
  return typeof value === (type === 'n' ? 'number' : type === 'b' ? 'boolean' : 'string');
}

/**
 * The event as readers can take it, by its protocol type. Every event but a Reprise event of a
 * known kind is returned as it is (rrweb's own data is rrweb's to read). A Reprise event is
 * returned as it is when each field of its payload is of its type; as a copy without the fields
 * of another type when only optional ones are wrong; and not at all (undefined) when the payload
 * is not an object or lacks a field its kind cannot do without. Checks the top level only: each reader
 * still bounds what it reads inside an array or object (`causes`, `props`).
 */
export function toWellFormedEvent(event: RecordedEvent): RecordedEvent | undefined {
  if (event.type !== EventType.Custom) return event;
  const data = event.data as { tag?: unknown; payload?: unknown } | null | undefined;
  const kind = typeof data?.tag === 'string' ? KIND_BY_TAG.get(data.tag) : undefined;
  if (kind === undefined) return event;
  const payload = data!.payload;
  if (typeof payload !== 'object' || payload === null || Array.isArray(payload)) return undefined;
  const fields = payload as Record<string, unknown>;
  for (const name of REQUIRED[kind] ?? []) if (!hasType(fields[name], typeOf(name))) return undefined;
  let wrong: string[] | undefined;
  for (const name in fields) {
    const type = typeOf(name);
    if (type && fields[name] !== undefined && !hasType(fields[name], type)) (wrong ??= []).push(name);
  }
  if (!wrong) return event;
  const kept = { ...fields };
  for (const name of wrong) delete kept[name];
  return { ...event, data: { ...data, payload: kept } };
}
