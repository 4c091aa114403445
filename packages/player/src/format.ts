import { upperBound } from './sorted.js';

/** 0:07, 1:05:09 — the clock format of video players. */
export function formatClock(ms: number): string {
  const totalSeconds = Math.max(0, Math.floor(ms / 1000));
  const hours = Math.floor(totalSeconds / 3600);
  const minutes = Math.floor((totalSeconds % 3600) / 60);
  const seconds = totalSeconds % 60;
  const pad = (value: number) => String(value).padStart(2, '0');
  return hours > 0 ? `${hours}:${pad(minutes)}:${pad(seconds)}` : `${minutes}:${pad(seconds)}`;
}

/** 850 ms, 1.2 s, 2 min — short human durations for the network panel and skip indicator. */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return '—';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(ms < 10_000 ? 1 : 0)} s`;
  return `${Math.round(ms / 60_000)} min`;
}

/** `text` cut to `limit` characters, the last one an ellipsis when it was longer. */
export function clip(text: string, limit: number): string {
  return text.length > limit ? `${text.slice(0, limit - 1)}…` : text;
}

/** Last index whose `time` is at or before `time` (items sorted by time), or -1. */
export function lastIndexAtOrBefore(items: readonly { time: number }[], time: number): number {
  return upperBound(items, time, (item) => item.time) - 1;
}
