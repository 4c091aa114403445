import { CollectorError } from '../errors.js';

/** Path elements that end up in object keys and file names: the protocol's id alphabet. */
const SAFE_ELEMENT = /^[A-Za-z0-9_-]{1,128}$/;

export function isSafeElement(value: string): boolean {
  return SAFE_ELEMENT.test(value);
}

export function assertSafeElement(what: string, value: string): void {
  if (!isSafeElement(value)) {
    throw new CollectorError(
      'bad_key_element',
      400,
      `${what} "${value.slice(0, 40)}" may hold only letters, digits, "_" and "-" (1-128 characters).`,
    );
  }
}

export interface SegmentLocation {
  project: string;
  sessionId: string;
  segment: string;
}

const pad = (value: number, width: number) => String(value).padStart(width, '0');

/** `{project}/{yyyy}/{mm}/{dd}/{sessionId}/{segment}`, the date (UTC) of the session's first stored segment. */
export function segmentObjectKey(location: SegmentLocation & { at: number | Date }): string {
  assertSafeElement('project', location.project);
  assertSafeElement('sessionId', location.sessionId);
  assertSafeElement('segment', location.segment);
  const date = new Date(location.at);
  return `${location.project}/${pad(date.getUTCFullYear(), 4)}/${pad(date.getUTCMonth() + 1, 2)}/${pad(date.getUTCDate(), 2)}/${location.sessionId}/${location.segment}`;
}

export function parseSegmentObjectKey(key: string): (SegmentLocation & { day: string }) | undefined {
  const match = /^([A-Za-z0-9_-]+)\/(\d{4})\/(\d{2})\/(\d{2})\/([A-Za-z0-9_-]+)\/([A-Za-z0-9_-]+)$/.exec(key);
  if (!match) return undefined;
  const [, project, yyyy, mm, dd, sessionId, segment] = match as unknown as [
    string,
    string,
    string,
    string,
    string,
    string,
    string,
  ];
  return { project, sessionId, segment, day: `${yyyy}-${mm}-${dd}` };
}

/** Segment names sort in time order: zero-padded start time, then a random suffix so two writers never collide. */
export function segmentName(startTs: number, suffix: string): string {
  return `${pad(Math.max(0, Math.floor(startTs)), 13)}-${suffix}`;
}
