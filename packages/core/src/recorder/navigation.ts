import type { NavigationPayload } from '@reprise/protocol/page';
import type { CaptureContext, Teardown } from '../capture/context.js';
import { isSameNavigation, startHistoryCapture } from '../capture/navigation.js';
import { listen } from '../capture/patch.js';
import type { ResolvedOptions } from '../defaults.js';

export interface NavigationTracker {
  /**
   * Every navigation marker, from history tracking and from markNavigation(): remembered (also
   * while not recording), and recorded unless it repeats the one recorded last.
   */
  navigate(payload: NavigationPayload): void;
  /**
   * A recording starts knowing where the app is: the page itself with automatic tracking, else the
   * last marker a router gave (before start() too), recorded again as `initial`. A page shown again
   * from the back/forward cache records that marker again as `restore` (no router sees it). The
   * teardown stops history tracking and that listener.
   */
  begin(): Teardown;
  /** The recording ended: the next one records its marker again. */
  end(): void;
  /** A router integration takes over (automatic history tracking is off until every claim is released). */
  claim(): () => void;
}

export function createNavigationTracker(
  config: Pick<ResolvedOptions, 'navigation'>,
  context: CaptureContext,
  isRecording: () => boolean,
): NavigationTracker {
  /** The last navigation marker, kept across recordings so each (re)start can record it. */
  let current: NavigationPayload | undefined;
  /** `current` has been recorded in the running recording. */
  let recorded = false;
  /** Router integrations holding `claim()`. */
  let claims = 0;
  let stopHistory: Teardown | undefined;

  function navigate(payload: NavigationPayload): void {
    if (recorded && isSameNavigation(current, payload)) return;
    current = payload;
    recorded = isRecording();
    // A copy: redaction rewrites the event in place, and the remembered marker is compared as given.
    if (recorded)
      context.emit('navigation', { ...payload, ...(payload.params ? { params: { ...payload.params } } : {}) });
  }

  function startHistory(markInitial: boolean): void {
    stopHistory = startHistoryCapture(context, window, navigate, markInitial);
  }

  function stopHistoryNow(): void {
    const stop = stopHistory;
    stopHistory = undefined;
    stop?.();
  }

  return {
    navigate,
    begin() {
      recorded = false;
      if (config.navigation === 'history' && claims === 0) startHistory(true);
      else if (current) navigate({ ...current, navigationType: 'initial' });
      const stopRestores = listen(window, 'pageshow', (event) => {
        if (!(event as PageTransitionEvent).persisted || !current) return;
        // The same place as the marker before the page was hidden, visited again: not a repeat.
        recorded = false;
        try {
          navigate({ ...current, navigationType: 'restore' });
        } catch (error) {
          context.reportError(error, 'recording a return from the back/forward cache');
        }
      });
      return () => {
        stopRestores();
        stopHistoryNow();
      };
    },
    end() {
      recorded = false;
    },
    claim() {
      claims++;
      stopHistoryNow();
      let released = false;
      return () => {
        if (released) return;
        released = true;
        claims--;
        if (claims === 0 && isRecording() && config.navigation === 'history' && !stopHistory) startHistory(false);
      };
    },
  };
}
