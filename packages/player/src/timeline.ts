import { h } from './dom.js';
import { formatClock } from './format.js';
import type { Marker, MarkerKind, TimeRange } from './types.js';

export const MARKER_KIND_LABELS: Record<MarkerKind, string> = {
  navigation: 'Navigation',
  click: 'Click',
  'rage-click': 'Rage click',
  'dead-click': 'Dead click',
  error: 'Error',
  'console-error': 'Console error',
  'network-error': 'Failed request',
  custom: 'Custom event',
  identify: 'Identify',
  gap: 'Missing data',
};

export interface TimelineCallbacks {
  /** `final` is false for the previews sent while dragging. */
  seek(time: number, final: boolean): void;
  markerClick(marker: Marker): void;
}

/** The scrubber: played / loaded bars, shaded inactive stretches, gaps and clickable markers. */
export class Timeline {
  readonly element: HTMLDivElement;
  private readonly track: HTMLDivElement;
  private readonly played: HTMLDivElement;
  private readonly buffered: HTMLDivElement;
  private readonly pending: HTMLDivElement;
  private loaded: readonly TimeRange[] = [];
  private pendingTime: number | undefined;
  private readonly thumb: HTMLDivElement;
  private readonly shading: HTMLDivElement;
  private readonly markerLayer: HTMLDivElement;
  private readonly hoverLabel: HTMLDivElement;
  private duration = 0;
  private time = 0;
  private markers: readonly Marker[] = [];
  private inactive: readonly TimeRange[] = [];
  private dragging = false;
  private paintedWidth = 0;
  private lastDragSeek = 0;

  constructor(private readonly callbacks: TimelineCallbacks) {
    // The loaded stretches: several while windows around seek targets load beside the main stream.
    this.buffered = h('div', { class: 'rp-track-loaded' });
    this.pending = h('div', { class: 'rp-track-pending', hidden: true, title: 'Loading this moment' });
    this.shading = h('div', { class: 'rp-track-shading' });
    this.played = h('div', { class: 'rp-track-played' });
    this.thumb = h('div', { class: 'rp-track-thumb' });
    this.hoverLabel = h('div', { class: 'rp-track-hover', 'aria-hidden': 'true' });
    this.track = h(
      'div',
      {
        class: 'rp-track',
        role: 'slider',
        tabindex: 0,
        'aria-label': 'Seek',
        'aria-valuemin': 0,
        'aria-valuemax': 0,
        'aria-valuenow': 0,
        'aria-valuetext': '0:00 of 0:00',
      },
      h('div', { class: 'rp-track-rail' }, this.buffered, this.shading, this.played, this.pending),
      this.thumb,
      this.hoverLabel,
    );
    this.markerLayer = h('div', { class: 'rp-markers', role: 'group', 'aria-label': 'Timeline markers' });
    this.element = h('div', { class: 'rp-timeline' }, this.markerLayer, this.track);
    this.bindPointer();
  }

  private timeAt(clientX: number): number {
    const rect = this.track.getBoundingClientRect();
    const fraction = rect.width > 0 ? Math.min(1, Math.max(0, (clientX - rect.left) / rect.width)) : 0;
    return fraction * this.duration;
  }

  private bindPointer(): void {
    this.track.addEventListener('pointerdown', (event) => {
      if (event.button !== 0 || this.duration <= 0) return;
      event.preventDefault();
      this.track.focus();
      this.track.setPointerCapture(event.pointerId);
      this.dragging = true;
      this.element.classList.add('rp-dragging');
      this.preview(this.timeAt(event.clientX));
    });
    this.track.addEventListener('pointermove', (event) => {
      const time = this.timeAt(event.clientX);
      this.hoverLabel.textContent = formatClock(time);
      this.hoverLabel.style.left = `${this.percent(time)}%`;
      if (!this.dragging) return;
      this.preview(time);
      // Rebuilding the replayed DOM costs a few ms, so scrubbing previews at most ~8 times a second.
      if (performance.now() - this.lastDragSeek > 120) {
        this.lastDragSeek = performance.now();
        this.callbacks.seek(time, false);
      }
    });
    const finish = (event: PointerEvent) => {
      if (!this.dragging) return;
      this.dragging = false;
      this.element.classList.remove('rp-dragging');
      this.callbacks.seek(this.timeAt(event.clientX), true);
    };
    this.track.addEventListener('pointerup', finish);
    this.track.addEventListener('pointercancel', finish);
  }

  private preview(time: number): void {
    this.time = time;
    this.paintTime();
  }

  private percent(time: number): number {
    return this.duration > 0 ? Math.min(100, Math.max(0, (time / this.duration) * 100)) : 0;
  }

  setTime(time: number): void {
    if (this.dragging) return;
    this.time = time;
    this.paintTime();
  }

  private paintTime(): void {
    const percent = this.percent(this.time);
    this.played.style.width = `${percent}%`;
    this.thumb.style.left = `${percent}%`;
    this.track.setAttribute('aria-valuenow', String(Math.round(this.time)));
    this.track.setAttribute('aria-valuetext', `${formatClock(this.time)} of ${formatClock(this.duration)}`);
  }

  setDuration(duration: number): void {
    if (duration === this.duration) return;
    this.duration = duration;
    this.track.setAttribute('aria-valuemax', String(Math.round(duration)));
    this.paintTime();
    this.paintShading();
    this.paintMarkers();
    this.paintLoaded();
  }

  /** The stretches that have loaded (ms from the start); the rest of the rail is still loading. */
  setLoaded(ranges: readonly TimeRange[]): void {
    this.loaded = ranges;
    this.paintLoaded();
  }

  /** A seek target still loading (ms from the start), marked on the rail; undefined when none. */
  setPending(time: number | undefined): void {
    this.pendingTime = time;
    this.paintLoaded();
  }

  private paintLoaded(): void {
    this.buffered.replaceChildren(
      ...this.loaded.map((range) => {
        const left = this.percent(range.start);
        return h('div', {
          class: 'rp-track-buffered',
          style: `left:${left}%;width:${Math.max(0, this.percent(range.end) - left)}%`,
        });
      }),
    );
    this.pending.hidden = this.pendingTime === undefined;
    if (this.pendingTime !== undefined) this.pending.style.left = `${this.percent(this.pendingTime)}%`;
  }

  setInactive(periods: readonly TimeRange[]): void {
    this.inactive = periods;
    this.paintShading();
  }

  setMarkers(markers: readonly Marker[]): void {
    this.markers = markers;
    this.paintShading();
    this.paintMarkers();
  }

  private span(range: TimeRange, className: string, title: string): HTMLDivElement {
    const left = this.percent(range.start);
    const width = Math.max(0.3, this.percent(range.end) - left);
    return h('div', { class: className, title, style: `left:${left}%;width:${width}%` });
  }

  private paintShading(): void {
    const spans: HTMLElement[] = this.inactive.map((period) => this.span(period, 'rp-inactive', 'Inactive'));
    for (const marker of this.markers) {
      if (marker.kind === 'gap') {
        spans.push(this.span({ start: marker.time, end: marker.endTime ?? this.duration }, 'rp-gap', marker.label));
      }
    }
    this.shading.replaceChildren(...spans);
  }

  /** Re-place markers after the timeline changed width (dense timelines group by pixel). */
  relayout(): void {
    const width = this.track.clientWidth;
    if (width !== this.paintedWidth) this.paintMarkers();
  }

  private paintMarkers(): void {
    this.paintedWidth = this.track.clientWidth;
    const buttons = groupMarkers(this.markers, this.duration, this.paintedWidth).map((group) => {
      // A group shows and seeks to its most important marker, and stands where it starts: groups
      // start a marker's width apart, so no button covers another.
      const marker = group[0]!;
      const first = group.reduce((earliest, item) => (item.time < earliest.time ? item : earliest));
      const describe = (item: Marker) => `${MARKER_KIND_LABELS[item.kind]}: ${item.label} at ${formatClock(item.time)}`;
      const text =
        group.length === 1
          ? describe(marker)
          : `${group.length} events from ${formatClock(first.time)}, most important ${describe(marker)}`;
      const title =
        group.length === 1
          ? marker.detail
            ? `${text}\n${marker.detail}`
            : text
          : group.slice(0, 8).map(describe).join('\n') + (group.length > 8 ? `\n… ${group.length - 8} more` : '');
      const button = h('button', {
        type: 'button',
        class: `rp-marker rp-marker--${marker.kind}${group.length > 1 ? ' rp-marker-group' : ''}`,
        style: `left:${this.percent(first.time)}%`,
        'aria-label': text,
        title,
        // Out of the tab order: a long session has hundreds of markers; the events panel is the keyboard path.
        tabindex: -1,
        'data-kind': marker.kind,
        'data-time': Math.round(marker.time),
        'data-start': Math.round(first.time),
        'data-count': group.length,
      });
      button.addEventListener('click', (event) => {
        event.stopPropagation();
        this.callbacks.markerClick(marker);
      });
      return button;
    });
    this.markerLayer.replaceChildren(...buttons);
  }
}

/** Which kinds stand for a group of nearby markers: what a viewer most needs to find. */
const KIND_PRIORITY: MarkerKind[] = [
  'error',
  'rage-click',
  'dead-click',
  'console-error',
  'network-error',
  'gap',
  'navigation',
  'custom',
  'identify',
  'click',
];

/**
 * Markers closer than this many pixels share one button: a marker is 8 px wide, so two nearer
 * than that overlapped, and a click meant for one landed on the other.
 */
const GROUP_PIXELS = 8;

/**
 * Marker groups for the timeline: each marker on its own where it has room, the markers that would
 * overlap grouped, the most important kind first. Sorted input.
 */
export function groupMarkers(markers: readonly Marker[], duration: number, widthPx: number): Marker[][] {
  if (widthPx <= 0 || duration <= 0) return markers.map((marker) => [marker]);
  const groups: Marker[][] = [];
  let groupStart = -Infinity;
  for (const marker of markers) {
    const x = (marker.time / duration) * widthPx;
    const current = groups[groups.length - 1];
    if (current && x - groupStart < GROUP_PIXELS) current.push(marker);
    else {
      groups.push([marker]);
      groupStart = x;
    }
  }
  const rank = (marker: Marker) => KIND_PRIORITY.indexOf(marker.kind);
  return groups.map((group) => [...group].sort((a, b) => rank(a) - rank(b) || a.time - b.time));
}
