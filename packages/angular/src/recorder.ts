import { DestroyRef, Injectable, NgZone, computed, inject, signal, type Signal } from '@angular/core';
import {
  createRecorder,
  recorderMethods,
  RECORDER_METHODS,
  type Recorder as CoreRecorder,
  type RecorderMethods,
} from '@reprise/core';
import { RECORDER_OPTIONS } from './options';

/**
 * The app's recorder, injectable anywhere under `provideRecorder()` / `RecorderModule.forRoot()`:
 * `inject(Recorder).track('checkout', { items: 3 })`. Every call runs outside Angular's zone, so
 * the timers and workers it starts never trigger change detection.
 */
@Injectable({
  providedIn: 'root',
  // Without provideRecorder() there is no recorder to give: say so instead of Angular's generic NullInjectorError.
  useFactory: () => {
    throw new Error(
      '[@reprise/angular] inject(Recorder) needs provideRecorder(options) in bootstrapApplication providers, or RecorderModule.forRoot(options) in the root NgModule',
    );
  },
})
export class Recorder implements RecorderMethods {
  // The core's RECORDER_METHODS, each run outside the zone (assigned in the constructor).
  /** Attach a user id (and traits) to the session; `null` forgets the user. */
  declare readonly identify: RecorderMethods['identify'];
  /** Record a custom event. */
  declare readonly track: RecorderMethods['track'];
  /** Record a navigation marker yourself (`withRouterMarkers()` does it for the Angular Router). */
  declare readonly markNavigation: RecorderMethods['markNavigation'];
  /** Start recording (gives consent when `requireConsent` is set). */
  declare readonly start: RecorderMethods['start'];
  /** Stop recording. */
  declare readonly stop: RecorderMethods['stop'];
  /** Stop, drop what has not been sent, and remember the choice for this browser. */
  declare readonly optOut: RecorderMethods['optOut'];
  /** A link to this session's replay in the admin UI, opening at `{ at }` when given (or null). */
  declare readonly replayUrl: RecorderMethods['replayUrl'];

  /** The `@reprise/core` recorder, for the rest of its API (`on`, `subscribe`). */
  readonly instance: CoreRecorder = createRecorder(inject(RECORDER_OPTIONS));
  private readonly zone = inject(NgZone);
  private readonly state = signal({ sessionId: this.instance.sessionId, isRecording: this.instance.isRecording });
  /** The session id (null until recording starts); changes on start, a new session and `optOut()`. */
  readonly sessionId: Signal<string | null> = computed(() => this.state().sessionId);
  /** Whether capture is running. */
  readonly isRecording: Signal<boolean> = computed(() => this.state().isRecording);

  constructor() {
    const methods = recorderMethods(this.instance);
    for (const name of RECORDER_METHODS) {
      Object.defineProperty(this, name, {
        value: (...args: never[]) => this.outside(() => (methods[name] as (...args: never[]) => void)(...args)),
      });
    }
    inject(DestroyRef).onDestroy(
      this.instance.subscribe(({ sessionId, isRecording }) => this.state.set({ sessionId, isRecording })),
    );
  }

  private outside<T>(run: () => T): T {
    return this.zone.runOutsideAngular(run);
  }

  /** Record an error the app caught. */
  captureError(error: unknown, context?: Parameters<CoreRecorder['captureError']>[1]): void {
    this.outside(() => this.instance.captureError(error, { framework: 'angular', ...context }));
  }
  /** Send everything recorded so far. */
  flush(): Promise<void> {
    return this.outside(() => this.instance.flush());
  }
}

/** `inject(Recorder)`, for injection contexts (field initializers, constructors, `runInInjectionContext`). */
export function injectRecorder(): Recorder {
  return inject(Recorder);
}
