import { h, icon, setIcon } from './dom.js';
import { formatClock, formatDuration } from './format.js';
import { Panels, type PanelData } from './panels.js';
import { Timeline } from './timeline.js';
import type { LoadProgress, Marker, PlayerOptions, PlayerState, TimeRange, UrlAtTime } from './types.js';

/** Jump of the arrow keys, in ms of recording. */
/** One formatter for the loading count (`toLocaleString` builds one per call: ~0.1 ms, hundreds of times per load). */
const EVENT_COUNT = new Intl.NumberFormat('en-US');
const ARROW_STEP = 5000;
const ARROW_STEP_FINE = 1000;

/**
 * The player's own controls, which the view drives when the viewer uses the buttons, the timeline,
 * the panels or the keyboard. The view never changes playback itself.
 */
export interface PlayerControls {
  togglePlay(): void;
  seek(time: number): Promise<void>;
  setSpeed(speed: number): void;
  getSkipInactive(): boolean;
  setSkipInactive(skip: boolean): void;
  getCurrentTime(): number;
  getDuration(): number;
  toggleFullscreen(): Promise<void>;
}

/**
 * The player's DOM: the stage the replay is drawn in, the URL bar, the timeline, the controls, the
 * panels and the screen reader announcements. It paints the state the player gives it and turns
 * what the viewer does into calls of the player's controls; it does not know how the recording is
 * loaded or replayed.
 */
export class PlayerView {
  // --- stage: the replayed page, scaled to fit
  /** Where the replayed page is mounted, scaled to fit the stage. */
  readonly frame = h('div', { class: 'rp-frame' });
  private readonly overlay = h(
    'div',
    { class: 'rp-overlay', role: 'status' },
    h('span', { class: 'rp-spinner', 'aria-hidden': 'true' }),
    h('span', { text: 'Loading recording…' }),
  );
  private readonly seekLabel = h('span', { class: 'rp-seek-label' });
  private readonly seekOverlay = h(
    'div',
    { class: 'rp-seek-overlay', role: 'status', hidden: true },
    h('span', { class: 'rp-spinner', 'aria-hidden': 'true' }),
    this.seekLabel,
  );
  private readonly skipIndicator = h('div', { class: 'rp-skip-indicator', role: 'status', hidden: true });
  private readonly gapBanner = h('div', { class: 'rp-gap-banner', role: 'status', hidden: true });
  private readonly stage = h(
    'div',
    { class: 'rp-stage' },
    this.frame,
    this.overlay,
    this.seekOverlay,
    this.skipIndicator,
    this.gapBanner,
  );
  // --- URL bar
  private readonly urlRoute = h('span', { class: 'rp-url-route', hidden: true });
  private readonly urlText = h('span', { class: 'rp-url-text', text: '' });
  private readonly viewportLabel = h('span', {
    class: 'rp-viewport',
    title: 'Recorded viewport size and current zoom',
  });
  // --- controls
  private readonly playButton = h(
    'button',
    { type: 'button', class: 'rp-button rp-play', 'aria-label': 'Play', title: 'Play (Space)' },
    icon('play'),
  );
  private readonly clock = h('span', { class: 'rp-clock', 'aria-live': 'off', text: '0:00 / 0:00' });
  private readonly speedButtons = new Map<number, HTMLButtonElement>();
  private readonly skipToggle = h(
    'button',
    { type: 'button', class: 'rp-toggle', role: 'switch', 'aria-checked': 'true', title: 'Skip inactivity (S)' },
    h('span', { class: 'rp-switch', 'aria-hidden': 'true' }),
    h('span', { text: 'Skip inactivity' }),
  );
  private readonly loadingLabel = h('span', { class: 'rp-loading', role: 'status' });
  private readonly fullscreenButton = h(
    'button',
    { type: 'button', class: 'rp-button', 'aria-label': 'Fullscreen', title: 'Fullscreen (F)' },
    icon('fullscreen'),
  );
  private readonly announcer = h('div', { class: 'rp-sr-only', 'aria-live': 'polite' });
  readonly root: HTMLDivElement;
  private readonly timeline: Timeline;
  private readonly panels: Panels | undefined;
  private resizeObserver: ResizeObserver | undefined;
  private readonly cleanups: Array<() => void> = [];
  /** The recorded viewport size, which `fit` scales to the stage. */
  private viewport = { width: 0, height: 0 };

  /** Build the parts above into the player's layout, inside `container`, and listen to the viewer. */
  constructor(
    container: HTMLElement,
    private readonly options: PlayerOptions,
    private readonly speeds: readonly number[],
    private readonly controls: PlayerControls,
    /** A moment under the pointer while the timeline is dragged; the drag ends with a `seek`. */
    preview: (time: number) => void,
  ) {
    this.stage.addEventListener('click', () => controls.togglePlay());
    const urlBar = h(
      'div',
      { class: 'rp-urlbar', 'aria-label': 'Page address at this moment' },
      h('span', { class: 'rp-url-dots', 'aria-hidden': 'true' }, h('span'), h('span'), h('span')),
      h('div', { class: 'rp-url-field' }, this.urlRoute, this.urlText),
      this.viewportLabel,
    );

    // --- timeline and controls
    this.timeline = new Timeline({
      seek: (time, final) => {
        if (final) controls.seek(time);
        else preview(time);
      },
      markerClick: (marker) => controls.seek(marker.time),
    });
    this.playButton.addEventListener('click', () => controls.togglePlay());
    const speedGroup = h('div', { class: 'rp-speeds', role: 'group', 'aria-label': 'Playback speed' });
    speeds.forEach((speed) => {
      const button = h('button', {
        type: 'button',
        class: 'rp-chip',
        'aria-pressed': 'false',
        'aria-label': `Speed ${speed}×`,
        title: `Speed ${speed}×`,
        'data-speed': speed,
        text: `${speed}×`,
      });
      button.addEventListener('click', () => controls.setSpeed(speed));
      this.speedButtons.set(speed, button);
      speedGroup.append(button);
    });
    this.skipToggle.addEventListener('click', () => controls.setSkipInactive(!controls.getSkipInactive()));
    this.fullscreenButton.addEventListener('click', () => void controls.toggleFullscreen());
    const controlBar = h(
      'div',
      { class: 'rp-controls' },
      this.playButton,
      this.clock,
      speedGroup,
      this.skipToggle,
      h('span', { class: 'rp-spacer' }),
      this.loadingLabel,
      this.fullscreenButton,
    );

    const main = h('div', { class: 'rp-main' }, urlBar, this.stage, this.timeline.element, controlBar);
    const layout = h('div', { class: 'rp-layout' }, main);
    this.root = h(
      'div',
      {
        class: 'rp-player',
        tabindex: 0,
        role: 'region',
        'aria-label': 'Session replay',
        'aria-keyshortcuts': 'Space ArrowLeft ArrowRight 1 2 4 8 S F',
      },
      layout,
    );
    if (options.panels !== false) {
      this.panels = new Panels((time) => controls.seek(time));
      layout.append(this.panels.element);
    } else {
      this.root.classList.add('rp-no-panels');
    }
    this.root.append(this.announcer);
    this.root.addEventListener('keydown', (event) => this.onKey(event));
    // A click on the replay or the timeline gives the player the keyboard, so shortcuts work at once.
    this.root.addEventListener('pointerdown', (event) => {
      const target = event.target as Element;
      if (!target.closest('button, select, input, textarea, [tabindex]:not(.rp-player)'))
        this.root.focus({ preventScroll: true });
    });
    const onFullscreen = () => {
      const active = this.root.ownerDocument.fullscreenElement === this.root;
      setIcon(this.fullscreenButton, active ? 'exitFullscreen' : 'fullscreen');
      this.fullscreenButton.setAttribute('aria-label', active ? 'Exit fullscreen' : 'Fullscreen');
    };
    this.root.ownerDocument.addEventListener('fullscreenchange', onFullscreen);
    this.cleanups.push(() => this.root.ownerDocument.removeEventListener('fullscreenchange', onFullscreen));
    container.append(this.root);

    if (typeof ResizeObserver !== 'undefined') {
      this.resizeObserver = new ResizeObserver(() => {
        this.fit();
        this.timeline.relayout();
      });
      this.resizeObserver.observe(this.stage);
    }
  }

  /** Stop listening to the page and the panels; `root` stays in the document until removed. */
  destroy(): void {
    this.resizeObserver?.disconnect();
    this.panels?.destroy();
    for (const cleanup of this.cleanups) cleanup();
  }

  // ---------------------------------------------------------------- stage

  /** The first frame is on screen: the loading overlay goes. */
  showReady(): void {
    this.overlay.hidden = true;
    this.root.classList.add('rp-ready');
  }

  showError(message: string): void {
    this.overlay.hidden = false;
    this.overlay.replaceChildren(h('span', { class: 'rp-error-text', text: message }));
  }

  /**
   * A seek to `time` waits for its part of the recording, of which `share` (0 to 1) has loaded; or
   * no seek waits (`time` undefined).
   */
  paintSeek(time: number | undefined, share = 0): void {
    this.root.classList.toggle('rp-seeking', time !== undefined);
    this.seekOverlay.hidden = time === undefined;
    if (time !== undefined) this.seekLabel.textContent = `Loading ${formatClock(time)}… ${Math.round(share * 100)}%`;
    this.timeline.setPending(time);
  }

  /** An inactive stretch is being fast-forwarded with `remaining` ms of it left, or none is (undefined). */
  paintSkipping(remaining: number | undefined): void {
    this.skipIndicator.hidden = remaining === undefined;
    this.root.classList.toggle('rp-skipping', remaining !== undefined);
    if (remaining !== undefined)
      this.skipIndicator.replaceChildren(
        icon('skip'),
        h('span', { text: `Skipping ${formatDuration(remaining)} of inactivity` }),
      );
  }

  paintGap(gap: Marker | undefined): void {
    this.gapBanner.hidden = !gap;
    if (gap)
      this.gapBanner.textContent = `${gap.label}: ${gap.detail ?? 'segment missing'}. Playback resumes at the next snapshot.`;
  }

  /** The recorded viewport size changed: scale it to the stage again. */
  setViewport(viewport: { width: number; height: number }): void {
    this.viewport = { ...viewport };
    this.fit();
  }

  /** Scale the recorded viewport to fit the stage, centred, never above `maxScale`. */
  private fit(): void {
    const { width, height } = this.viewport;
    if (!width || !height) return;
    const available = this.stage.getBoundingClientRect();
    const scale = Math.min(this.options.maxScale ?? 1, available.width / width, available.height / height);
    const safeScale = Number.isFinite(scale) && scale > 0 ? scale : 1;
    // Whole-pixel offsets: a frame at half a pixel would be resampled and look blurry.
    this.frame.style.width = `${width}px`;
    this.frame.style.height = `${height}px`;
    // Rounded in page coordinates, since the stage itself may sit at a fractional position.
    const left = Math.round(available.left + (available.width - width * safeScale) / 2) - available.left;
    const top = Math.round(available.top + (available.height - height * safeScale) / 2) - available.top;
    this.frame.style.left = `${left}px`;
    this.frame.style.top = `${top}px`;
    this.frame.style.transform = `scale(${safeScale})`;
    this.viewportLabel.textContent = `${width} × ${height} · ${Math.round(safeScale * 100)}%`;
  }

  // ---------------------------------------------------------------- controls and timeline

  /** The moment on screen moved: the timeline, the panels and the clock follow. */
  paintTime(time: number, duration: number): void {
    this.timeline.setTime(time);
    this.panels?.setTime(time);
    this.paintClock(time, duration);
  }

  /**
   * Rebuild what depends on the whole recording: the duration, what has loaded, the inactive
   * stretches and the markers (player time), and the panels' rows, shown at `time`.
   */
  paintRecording(
    duration: number,
    loaded: TimeRange[],
    inactive: readonly TimeRange[],
    data: PanelData,
    time: number,
  ): void {
    this.timeline.setDuration(duration);
    this.timeline.setLoaded(loaded);
    this.timeline.setInactive(inactive);
    this.timeline.setMarkers(data.markers);
    this.panels?.setData(data);
    this.panels?.setTime(time);
    this.paintClock(time, duration);
  }

  paintClock(time: number, duration: number): void {
    this.clock.textContent = `${formatClock(time)} / ${formatClock(duration)}`;
  }

  paintState(state: PlayerState): void {
    const playing = state === 'playing' || state === 'buffering';
    setIcon(this.playButton, playing ? 'pause' : state === 'ended' ? 'replay' : 'play');
    const label = playing ? 'Pause' : state === 'ended' ? 'Replay' : 'Play';
    this.playButton.setAttribute('aria-label', label);
    this.playButton.title = `${label} (Space)`;
    this.root.dataset.state = state;
  }

  paintSpeed(current: number): void {
    for (const [speed, button] of this.speedButtons) button.setAttribute('aria-pressed', String(speed === current));
  }

  paintSkip(skip: boolean): void {
    this.skipToggle.setAttribute('aria-checked', String(skip));
  }

  paintLoading(progress: LoadProgress): void {
    // fraction is undefined when the total is unknown (see LoadMeter): then the count is shown.
    const { done, events, fraction } = progress;
    this.root.classList.toggle('rp-streaming', !done);
    if (done) {
      this.loadingLabel.hidden = true;
      return;
    }
    this.loadingLabel.hidden = false;
    const label =
      fraction !== undefined
        ? `Loading ${Math.round(fraction * 100)}%`
        : `Loading… ${EVENT_COUNT.format(events)} events`;
    // Painted after every slice of the stream: a text that did not change is not written again.
    if (this.loadingLabel.textContent !== label) this.loadingLabel.textContent = label;
  }

  paintUrl(url: UrlAtTime | undefined): void {
    this.urlText.textContent = url?.url ?? '';
    this.urlText.title = url?.url ?? '';
    this.urlRoute.hidden = !url?.route;
    this.urlRoute.textContent = url?.route ?? '';
  }

  // ---------------------------------------------------------------- keyboard

  private onKey(event: KeyboardEvent): void {
    if (event.defaultPrevented || event.ctrlKey || event.metaKey || event.altKey) return;
    const target = event.target as HTMLElement;
    const tag = target.tagName;
    if (tag === 'INPUT' || tag === 'SELECT' || tag === 'TEXTAREA') return;
    // Space and Enter on a focused button or row belong to that control.
    const onControl = tag === 'BUTTON' || target.classList.contains('rp-row');
    switch (event.key) {
      case ' ':
      case 'k':
        if (onControl && event.key === ' ') return;
        this.controls.togglePlay();
        break;
      case 'ArrowLeft':
      case 'ArrowRight': {
        const step = event.shiftKey ? ARROW_STEP_FINE : ARROW_STEP;
        this.controls.seek(this.controls.getCurrentTime() + (event.key === 'ArrowLeft' ? -step : step));
        break;
      }
      case 'Home':
        this.controls.seek(0);
        break;
      case 'End':
        this.controls.seek(this.controls.getDuration());
        break;
      case 's':
      case 'S':
        this.controls.setSkipInactive(!this.controls.getSkipInactive());
        this.announcer.textContent = `Skip inactivity ${this.controls.getSkipInactive() ? 'on' : 'off'}`;
        break;
      case 'f':
      case 'F':
        void this.controls.toggleFullscreen();
        break;
      default: {
        if (!/^[0-9]$/.test(event.key)) return;
        // A digit that is one of the speeds selects it ("4" is 4×); other digits pick the n-th speed.
        const digit = Number(event.key);
        const speed = this.speeds.includes(digit) ? digit : this.speeds[digit - 1];
        if (speed === undefined) return;
        this.controls.setSpeed(speed);
        this.announcer.textContent = `Speed ${speed}×`;
      }
    }
    event.preventDefault();
  }
}
