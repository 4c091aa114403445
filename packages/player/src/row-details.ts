import { formatClock, formatDuration } from './format.js';
import type { ConsoleRow, NetworkRow } from './markers.js';
import { MARKER_KIND_LABELS } from './timeline.js';
import type { Marker } from './types.js';

/** A part of a row's details: a text shown as written (a message, a stack, a body) or name/value pairs. */
export interface DetailSection {
  heading: string;
  text?: string;
  pairs?: Array<[string, string]>;
}

/** What the details pane shows for the row opened in a panel. */
export interface RowDetails {
  title: string;
  sections: DetailSection[];
}

/**
 * Longest text the pane shows of one body or message (characters): the recorder bounds bodies,
 * but the pane must stay responsive on any recording.
 */
export const MAX_DETAIL_TEXT = 100_000;

function bounded(text: string): string {
  return text.length > MAX_DETAIL_TEXT
    ? `${text.slice(0, MAX_DETAIL_TEXT)}\n… ${text.length - MAX_DETAIL_TEXT} more characters`
    : text;
}

/** A body as a reader wants it: JSON indented, anything else as recorded. */
export function readableBody(body: string): string {
  const start = body.trimStart()[0];
  if (start === '{' || start === '[') {
    try {
      return bounded(JSON.stringify(JSON.parse(body), null, 2));
    } catch {
      // Not JSON after all (or cut by the recorder's body bound): shown as recorded.
    }
  }
  return bounded(body);
}

function formatBytes(bytes: number): string {
  return bytes < 1024 ? `${bytes} B` : `${(bytes / 1024).toFixed(bytes < 10_240 ? 1 : 0)} kB`;
}

const pairsOf = (record: Record<string, string>): Array<[string, string]> =>
  Object.entries(record).map(([name, value]) => [name, String(value)]);

export function consoleDetails(row: ConsoleRow): RowDetails {
  const sections: DetailSection[] = [{ heading: 'Message', text: bounded(row.text) }];
  if (row.trace) sections.push({ heading: 'Trace', text: bounded(row.trace) });
  return { title: `console.${row.level} at ${formatClock(row.time)}`, sections };
}

export function networkDetails(row: NetworkRow): RowDetails {
  const status = row.status === 0 ? 'no response' : String(row.status);
  const general: Array<[string, string | undefined]> = [
    ['URL', row.url],
    ['Method', row.method],
    ['Status', status],
    ['Error', row.error],
    ['Operation', row.operation],
    ['Started', formatClock(row.time)],
    ['Duration', formatDuration(row.duration)],
    ['Request size', row.requestSize === undefined ? undefined : formatBytes(row.requestSize)],
    ['Response size', row.responseSize === undefined ? undefined : formatBytes(row.responseSize)],
    ['Initiator', row.initiator],
  ];
  const sections: DetailSection[] = [
    { heading: 'Request', pairs: general.filter((pair): pair is [string, string] => pair[1] !== undefined) },
  ];
  if (row.requestHeaders) sections.push({ heading: 'Request headers', pairs: pairsOf(row.requestHeaders) });
  if (row.requestBody !== undefined) sections.push({ heading: 'Request body', text: readableBody(row.requestBody) });
  if (row.responseHeaders) sections.push({ heading: 'Response headers', pairs: pairsOf(row.responseHeaders) });
  if (row.responseBody !== undefined) sections.push({ heading: 'Response body', text: readableBody(row.responseBody) });
  if (!row.requestHeaders && !row.responseHeaders && row.requestBody === undefined && row.responseBody === undefined)
    sections.push({ heading: 'Headers and bodies', text: whyNoHeadersOrBodies(row) });
  return { title: `${row.method} ${row.url}`, sections };
}

const CAPTURE_OPTIONS = "the recorder's network.captureHeaders and network.captureBodies options";

/** Not always the options: a file the page loaded has none to record, and a request without a response has only its own. */
function whyNoHeadersOrBodies(row: NetworkRow): string {
  if (row.initiator === 'resource')
    return 'None: a file the page loaded (a picture, a script, a style sheet) is recorded without them.';
  if (row.status === 0)
    return `None recorded: no response came. Whatever the request sent is recorded when ${CAPTURE_OPTIONS} are on.`;
  return `Not recorded: ${CAPTURE_OPTIONS} turn them on.`;
}

export function eventDetails(marker: Marker): RowDetails {
  const kind = MARKER_KIND_LABELS[marker.kind];
  const title = marker.label.startsWith(kind) ? marker.label : `${kind} ${marker.label}`;
  const sections: DetailSection[] = [{ heading: 'At', text: formatClock(marker.time) }];
  // A custom event's properties and identify's traits are one line of JSON: indented here.
  if (marker.detail)
    sections.push({ heading: 'Details', text: bounded(marker.detail.split('\n').map(readableBody).join('\n')) });
  return { title, sections };
}
