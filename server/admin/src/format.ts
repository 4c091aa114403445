/** Display helpers: every number a person reads goes through one of these. */

/** `2m 40s`: whole seconds, cut as the player's clock cuts them, so the two read the same length. */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return '–';
  const totalSeconds = Math.floor(ms / 1000);
  if (totalSeconds < 60) return `${totalSeconds}s`;
  const hours = Math.floor(totalSeconds / 3600);
  const minutes = Math.floor((totalSeconds % 3600) / 60);
  const seconds = totalSeconds % 60;
  if (hours > 0) return `${hours}h ${String(minutes).padStart(2, '0')}m`;
  return `${minutes}m ${String(seconds).padStart(2, '0')}s`;
}

const dateTime = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'medium' });
const shortDateTime = new Intl.DateTimeFormat(undefined, {
  month: 'short',
  day: 'numeric',
  hour: '2-digit',
  minute: '2-digit',
});

export function formatDateTime(epochMs: number): string {
  return Number.isFinite(epochMs) && epochMs > 0 ? dateTime.format(epochMs) : '–';
}

export function formatShortDateTime(epochMs: number): string {
  return Number.isFinite(epochMs) && epochMs > 0 ? shortDateTime.format(epochMs) : '–';
}

const relative = new Intl.RelativeTimeFormat(undefined, { numeric: 'auto' });

export function formatRelative(epochMs: number, now = Date.now()): string {
  const seconds = Math.round((epochMs - now) / 1000);
  const abs = Math.abs(seconds);
  if (abs < 60) return relative.format(seconds, 'second');
  if (abs < 3600) return relative.format(Math.round(seconds / 60), 'minute');
  if (abs < 86_400) return relative.format(Math.round(seconds / 3600), 'hour');
  return relative.format(Math.round(seconds / 86_400), 'day');
}

export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}

/**
 * How many errors a session threw, for the heading over its list of messages (one line each, at
 * its first time): `3, 2 distinct` when some message came more than once.
 */
export function errorsThrownCount(errorCount: number, distinctMessages: number): string {
  return errorCount > distinctMessages ? `${errorCount}, ${distinctMessages} distinct` : String(distinctMessages);
}

/**
 * A moment in a replay as it appears in links and the copy button: seconds, to the millisecond
 * (`2.509`). Rounded to a tenth, a link to an error 2.509 s in opened the replay before it.
 */
export function formatMoment(ms: number): string {
  return String(Math.round(Math.max(0, ms)) / 1000);
}

/**
 * The moment a link points at, in ms: `t=93.5` (seconds), `t=1:33.5`, or `t=1m33s`, read from
 * the hash (`#t=`) first, then the query (`?t=`). Undefined when absent or unreadable.
 */
export function parseMoment(hash: string, search: string): number | undefined {
  const fromHash = new URLSearchParams(hash.replace(/^#/, '')).get('t');
  const value = fromHash ?? new URLSearchParams(search).get('t');
  if (value === null || value.trim() === '') return undefined;
  const text = value.trim();
  let seconds: number;
  if (/^\d+(\.\d+)?$/.test(text)) seconds = Number(text);
  else if (/^(\d+:)?\d{1,2}:\d{1,2}(\.\d+)?$/.test(text))
    seconds = text.split(':').reduce((total, part) => total * 60 + Number(part), 0);
  else {
    const match = /^(?:(\d+)h)?(?:(\d+)m)?(?:(\d+(?:\.\d+)?)s)?$/.exec(text);
    if (!match || text === '') return undefined;
    seconds = Number(match[1] ?? 0) * 3600 + Number(match[2] ?? 0) * 60 + Number(match[3] ?? 0);
  }
  return Number.isFinite(seconds) ? Math.round(seconds * 1000) : undefined;
}

/** `https://shop.example/cart?x=1` → `shop.example/cart?x=1`: the part a person scans for. */
export function shortUrl(url: string | null | undefined): string {
  if (!url) return '–';
  try {
    const parsed = new URL(url);
    return `${parsed.host}${parsed.pathname}${parsed.search}`;
  } catch {
    return url;
  }
}

/** `1 error`, `3 errors`. */
export function plural(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? '' : 's'}`;
}
