import type { Emitter } from '@reprise/protocol';
import type { Marker, PlayerEventMap, TimeRange } from './types.js';
import type { PlayerControls, PlayerView } from './view.js';
import type { Loader, RecordingParts } from './windows.js';

/** The panels and markers are rebuilt at most this often while the stream is still arriving. */
const UI_REFRESH_MS = 250;

/** What the timeline and the panels show of the whole recording. */
export interface RecordingOverview {
  readonly markers: readonly Marker[];
  /** The inactive stretches, in player time. */
  readonly inactivePeriods: readonly TimeRange[];
  /** Something it shows has changed: rebuilt by the next `schedule` or `refresh`. */
  changed(): void;
  /** Rebuild soon if anything changed. */
  schedule(): void;
  /** Rebuild now if anything changed. */
  refresh(): void;
  /** The player was destroyed: nothing is rebuilt afterwards. */
  stop(): void;
}

/**
 * The markers, the inactive stretches, what has loaded, the console and network rows and the
 * duration, rebuilt from the recording's indexes. Rebuilding walks them all, so while the stream
 * arrives it happens at most every UI_REFRESH_MS, not on every event.
 */
export function createRecordingOverview(
  recording: Pick<RecordingParts, 'index' | 'inactivity' | 'store'>,
  loader: Loader,
  view: PlayerView,
  emitter: Emitter<PlayerEventMap>,
  player: Pick<PlayerControls, 'getDuration' | 'getCurrentTime'>,
): RecordingOverview {
  const { index, inactivity, store } = recording;
  let markers: readonly Marker[] = [];
  let inactivePeriods: TimeRange[] = [];
  let uiDirty = false;
  let uiTimer: ReturnType<typeof setTimeout> | undefined;
  let stopped = false;

  /** Rebuild what depends on the whole recording: markers, shading, panels, duration. */
  const refresh = () => {
    if (stopped || !uiDirty) return;
    uiDirty = false;
    const start = index.start ?? 0;
    const end = loader.progress.done ? index.end : undefined;
    inactivePeriods = inactivity
      .getPeriods(end)
      .map((period) => ({ start: period.start - start, end: period.end - start }));
    markers = index.getMarkers();
    const duration = player.getDuration();
    const first = index.start ?? 0;
    view.paintRecording(
      duration,
      store
        .coveredRanges()
        .map((range) => ({ start: Math.max(0, range.start - first), end: Math.min(duration, range.end - first) })),
      inactivePeriods,
      {
        consoleRows: index.getConsoleRows(),
        networkRows: index.getNetworkRows(),
        markers,
      },
      player.getCurrentTime(),
    );
    emitter.emit('markers', markers);
  };

  return {
    changed() {
      uiDirty = true;
    },
    schedule() {
      if (uiTimer || !uiDirty) return;
      uiTimer = setTimeout(
        () => {
          uiTimer = undefined;
          refresh();
        },
        markers.length === 0 ? 0 : UI_REFRESH_MS,
      );
    },
    refresh,
    stop() {
      stopped = true;
      if (uiTimer) clearTimeout(uiTimer);
    },
    get markers() {
      return markers;
    },
    get inactivePeriods() {
      return inactivePeriods;
    },
  };
}
