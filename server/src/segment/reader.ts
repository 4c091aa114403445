import type { RecordedEvent } from '@reprise/protocol';
import { CollectorError } from '../errors.js';
import type { DataKeyService } from '../crypto/data-keys.js';
import { decryptSegment, PayloadEncoding, readSegmentHeader, type SegmentHeader } from './envelope.js';
import type { DataKeyStore } from '../crypto/types.js';
import { parseSegmentObjectKey } from '../store/keys.js';
import type { ObjectStore } from '../store/types.js';
import { batchId } from '../log/types.js';
import { decodeSegmentPayload, type SegmentPayload } from './payload.js';

/**
 * Largest stored segment the reader loads. The decompressed payload is capped at 512 MiB
 * (segment/payload.ts) and gzip never shrinks incompressible data, so a bigger object cannot
 * decode anyway: a corrupt or planted one is refused before it is read into memory.
 */
export const MAX_SEGMENT_OBJECT_BYTES = 512 * 1024 * 1024 + 64 * 1024;

export interface ReaderDeps {
  store: ObjectStore;
  dataKeys: DataKeyService;
  dataKeyStore: DataKeyStore;
}

/** The session a caller means to read: a key from an index row or an intent must lie under it. */
export interface ExpectedSegmentOwner {
  project: string;
  sessionId: string;
  /** The segment's name, when the caller knows it (an index row): the key must name it too. */
  segment?: string;
}

/**
 * Fetch, authenticate, decrypt and decode one stored segment. Errors: `segment_not_found` (404),
 * `segment_corrupt` / `segment_tampered` (422), `data_key_missing` (410, crypto-shredded).
 * With `expected`, a key of another project or session is `segment_corrupt` and is not read: it
 * would decrypt fine under its own key and path, so only this check keeps it out.
 */
export async function readStoredSegment(
  deps: ReaderDeps,
  key: string,
  expected?: ExpectedSegmentOwner,
): Promise<{ header: SegmentHeader; payload: SegmentPayload }> {
  const location = parseSegmentObjectKey(key);
  if (!location)
    throw new CollectorError(
      'bad_object_key',
      400,
      `"${key.slice(0, 100)}" is not a segment key {project}/{yyyy}/{mm}/{dd}/{sessionId}/{segment}.`,
    );
  if (
    expected &&
    (location.project !== expected.project ||
      location.sessionId !== expected.sessionId ||
      (expected.segment !== undefined && location.segment !== expected.segment))
  ) {
    const wanted = `${expected.project.slice(0, 128)}/${expected.sessionId.slice(0, 128)}${expected.segment !== undefined ? ` (segment ${expected.segment.slice(0, 40)})` : ''}`;
    throw new CollectorError(
      'segment_corrupt',
      422,
      `Segment key "${key.slice(0, 200)}" is not that segment's key: it belongs to ${location.project}/${location.sessionId} (segment ${location.segment}), not to ${wanted} it was read for. It was not read (a damaged index row or intent).`,
    );
  }
  let object;
  try {
    object = await deps.store.get(key, { maxBytes: MAX_SEGMENT_OBJECT_BYTES });
  } catch (error) {
    if (error instanceof CollectorError && error.code === 'object_too_large') {
      throw new CollectorError(
        'segment_corrupt',
        422,
        `Segment ${key} is larger than any segment the collector writes (${MAX_SEGMENT_OBJECT_BYTES} bytes at most): it was not read.`,
        { cause: error },
      );
    }
    throw error;
  }
  if (!object) throw new CollectorError('segment_not_found', 404, `Segment ${key} does not exist.`);
  if (object.byteLength > MAX_SEGMENT_OBJECT_BYTES) {
    throw new CollectorError(
      'segment_corrupt',
      422,
      `Segment ${key} is larger than any segment the collector writes (${MAX_SEGMENT_OBJECT_BYTES} bytes at most).`,
    );
  }
  const header = readSegmentHeader(object, `Segment ${key}`);
  if (header.encoding === PayloadEncoding.asset || header.encoding === PayloadEncoding.deadLetter) {
    const what = header.encoding === PayloadEncoding.asset ? 'a page asset' : 'a dead letter';
    throw new CollectorError('segment_corrupt', 422, `${key} is ${what}, not a segment of a session.`);
  }
  let dataKey;
  try {
    dataKey = await deps.dataKeys.forReading(location.project, location.sessionId, header.dataKeyId);
  } catch (error) {
    // A header naming a key the session never had is a modified object, not a deleted session.
    if (
      error instanceof CollectorError &&
      error.code === 'data_key_missing' &&
      (await deps.dataKeyStore.listSession(location.project, location.sessionId)).length > 0
    ) {
      throw new CollectorError(
        'segment_tampered',
        422,
        `Segment ${key} names data key "${header.dataKeyId.slice(0, 40)}", which its session does not have: the object was modified. It was not returned.`,
      );
    }
    throw error;
  }
  const compressed = decryptSegment(object, dataKey.key, location, header);
  return { header, payload: decodeSegmentPayload(compressed, location, header.encoding) };
}

/**
 * Every segment key of a session, in time order. The writer files a session's segments under the
 * day its data key was created, so only those day folders are listed.
 */
export async function listSessionSegments(
  deps: Pick<ReaderDeps, 'store' | 'dataKeyStore'>,
  project: string,
  sessionId: string,
): Promise<string[]> {
  const days = new Set(
    (await deps.dataKeyStore.listSession(project, sessionId)).map((key) =>
      new Date(key.createdAt).toISOString().slice(0, 10),
    ),
  );
  const keys: string[] = [];
  for (const day of days) {
    for await (const object of deps.store.list(`${project}/${day.replaceAll('-', '/')}/${sessionId}/`)) {
      if (parseSegmentObjectKey(object.key)) keys.push(object.key);
    }
  }
  const name = (key: string) => key.slice(key.lastIndexOf('/') + 1);
  return keys.sort((a, b) => (name(a) < name(b) ? -1 : name(a) > name(b) ? 1 : 0));
}

/** The id of a batch stored in a segment of `owner`'s session (the log's `batchId`, part included). */
export function storedBatchId(
  owner: ExpectedSegmentOwner,
  batch: Pick<SegmentPayload['batches'][number], 'tab' | 'seq' | 'part'>,
): string {
  return batchId({
    project: owner.project,
    session: owner.sessionId,
    tab: batch.tab,
    seq: batch.seq,
    part: batch.part,
  });
}

/**
 * The events of a segment's batches not in `seen` (batch ids, added to), appended to `events`.
 * A crash can make the writer store a batch in two segments: it is read once. The id has the
 * part: the halves of a batch the recorder split after a 413 share tab and seq.
 */
export function collectUnseenBatches(
  payload: SegmentPayload,
  owner: ExpectedSegmentOwner,
  seen: Set<string>,
  events: RecordedEvent[] = [],
): RecordedEvent[] {
  for (const batch of payload.batches) {
    const id = storedBatchId(owner, batch);
    if (seen.has(id)) continue;
    seen.add(id);
    // A loop, not push(...events): spreading a batch of ~120k+ events (REPRISE_MAX_EVENTS has no
    // upper bound) as call arguments overflows the stack.
    for (const event of batch.events) events.push(event);
  }
  return events;
}

/** A whole session's events in timestamp order, each batch once (`collectUnseenBatches`). */
export async function readSessionEvents(
  deps: ReaderDeps,
  project: string,
  sessionId: string,
): Promise<RecordedEvent[]> {
  const seen = new Set<string>();
  const events: RecordedEvent[] = [];
  for (const key of await listSessionSegments(deps, project, sessionId)) {
    const { payload } = await readStoredSegment(deps, key, { project, sessionId });
    collectUnseenBatches(payload, { project, sessionId }, seen, events);
  }
  // Stable sort: several tabs interleave by time, events of one tab keep their order.
  return events.sort((a, b) => a.timestamp - b.timestamp);
}
