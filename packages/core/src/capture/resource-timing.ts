/**
 * The browser's own timing of a request (Resource Timing): when its body finished arriving and how
 * big it was. It is how a fetch's duration reaches the end of the response, and its size is known
 * without a Content-Length header, without reading the body a second time.
 */

/** How long to wait for the browser's entry before falling back to what the recorder measured. */
export const RESOURCE_TIMING_WAIT_MS = 3000;
/** The browser starts its clock a little after the patched call; entries further away are other requests. */
const START_TOLERANCE_MS = 50;

export interface ResourceTimingResult {
  /** Milliseconds from the request's start to the last byte of the response. */
  duration: number;
  /** Body bytes as transferred (0 when a cross-origin server does not allow timing details). */
  encodedBodySize: number;
}

interface Pending {
  url: string;
  started: number;
  resolve(result: ResourceTimingResult | undefined): void;
  timer: ReturnType<typeof setTimeout>;
}

export interface ResourceTimings {
  /** Call before the request starts; the promise settles when the browser reports it (or gives up). */
  expect(url: string, started: number): Promise<ResourceTimingResult | undefined>;
  disconnect(): void;
}

export function observeResourceTimings(waitMs: number = RESOURCE_TIMING_WAIT_MS): ResourceTimings {
  const pending: Pending[] = [];
  const settle = (entry: Pending, result: ResourceTimingResult | undefined) => {
    clearTimeout(entry.timer);
    const index = pending.indexOf(entry);
    if (index >= 0) pending.splice(index, 1);
    entry.resolve(result);
  };
  let observer: PerformanceObserver | undefined;
  try {
    observer = new PerformanceObserver((list) => {
      for (const entry of list.getEntries() as PerformanceResourceTiming[]) {
        if (entry.initiatorType !== 'fetch' && entry.initiatorType !== 'xmlhttprequest') continue;
        // The earliest-started request for this URL whose start is close to the entry's.
        const match = pending.find(
          (candidate) =>
            candidate.url === entry.name && Math.abs(entry.startTime - candidate.started) <= START_TOLERANCE_MS,
        );
        if (match)
          settle(match, {
            duration: Math.max(0, Math.round(entry.responseEnd - entry.startTime)),
            encodedBodySize: entry.encodedBodySize,
          });
      }
    });
    observer.observe({ type: 'resource', buffered: false });
  } catch {
    observer = undefined; // no Resource Timing here: every request falls back
  }
  return {
    expect(url, started) {
      if (!observer) return Promise.resolve(undefined);
      return new Promise((resolve) => {
        const entry: Pending = { url, started, resolve, timer: setTimeout(() => settle(entry, undefined), waitMs) };
        pending.push(entry);
      });
    },
    disconnect() {
      observer?.disconnect();
      for (const entry of [...pending]) settle(entry, undefined);
    },
  };
}
