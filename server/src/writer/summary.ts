import { EventType, RepriseTag, REPRISE_TAG_PREFIX, type RecordedEvent } from '@reprise/protocol';
import type { SegmentBatch, SegmentSummary } from '../segment/types.js';

const MAX_ERRORS = 50;
const MAX_CUSTOM = 200;
const MAX_URLS = 500;

function payloadOf(event: RecordedEvent): Record<string, unknown> | undefined {
  const data = event.data as { tag?: unknown; payload?: unknown } | null;
  return data && typeof data.payload === 'object' && data.payload !== null
    ? (data.payload as Record<string, unknown>)
    : undefined;
}

/** Counts and the searchable facts of a segment's events: what an index stores per session. */
export function summarizeBatches(batches: readonly SegmentBatch[]): SegmentSummary {
  const summary: SegmentSummary = {
    eventCount: 0,
    eventsByType: {},
    eventsByKind: {},
    hasFullSnapshot: false,
    urls: [],
    errors: [],
    customEvents: [],
    tabs: [],
  };
  const tabs = new Set<string>();
  const pushUrl = (url: unknown) => {
    if (
      typeof url === 'string' &&
      url &&
      summary.urls[summary.urls.length - 1] !== url &&
      summary.urls.length < MAX_URLS
    )
      summary.urls.push(url);
  };
  for (const batch of batches) {
    tabs.add(batch.tab);
    for (const event of batch.events) {
      summary.eventCount++;
      summary.eventsByType[event.type] = (summary.eventsByType[event.type] ?? 0) + 1;
      if (event.type === EventType.FullSnapshot) summary.hasFullSnapshot = true;
      if (event.type === EventType.Meta) pushUrl((event.data as { href?: unknown } | null)?.href);
      if (event.type !== EventType.Custom) continue;
      const tag = (event.data as { tag?: unknown } | null)?.tag;
      if (typeof tag !== 'string' || !tag.startsWith(REPRISE_TAG_PREFIX)) continue;
      const kind = tag.slice(REPRISE_TAG_PREFIX.length);
      summary.eventsByKind[kind] = (summary.eventsByKind[kind] ?? 0) + 1;
      const payload = payloadOf(event);
      if (!payload) continue;
      if (tag === RepriseTag.navigation) pushUrl(payload.url);
      else if (tag === RepriseTag.identify && (typeof payload.userId === 'string' || payload.userId === null))
        summary.userId = payload.userId;
      else if (tag === RepriseTag.error && typeof payload.message === 'string' && summary.errors.length < MAX_ERRORS)
        summary.errors.push(payload.message.slice(0, 500));
      else if (
        tag === RepriseTag.custom &&
        typeof payload.name === 'string' &&
        summary.customEvents.length < MAX_CUSTOM
      )
        summary.customEvents.push(payload.name.slice(0, 200));
    }
  }
  summary.tabs = [...tabs];
  return summary;
}
