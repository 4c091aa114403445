import {
  DestroyRef,
  NgZone,
  PLATFORM_ID,
  inject,
  makeEnvironmentProviders,
  provideEnvironmentInitializer,
  type EnvironmentProviders,
  type Provider,
} from '@angular/core';
import { isPlatformBrowser } from '@angular/common';
import type { RecorderOptions } from '@reprise/core';
import { RECORDER_OPTIONS } from './options';
import { Recorder } from './recorder';

export type RecorderFeatureKind = 'router-markers' | 'error-handler';

/** What `withRouterMarkers()` and `withErrorHandler()` return, for `provideRecorder(options, ...features)`. */
export interface RecorderFeature<Kind extends RecorderFeatureKind = RecorderFeatureKind> {
  readonly kind: Kind;
  readonly providers: ReadonlyArray<Provider | EnvironmentProviders>;
}

/** @internal */
export function recorderFeature<Kind extends RecorderFeatureKind>(
  kind: Kind,
  providers: ReadonlyArray<Provider | EnvironmentProviders>,
): RecorderFeature<Kind> {
  return { kind, providers };
}

/** True in the browser; false during server-side rendering, where nothing may start. */
export function inBrowser(): boolean {
  return isPlatformBrowser(inject(PLATFORM_ID));
}

const mounted = new WeakSet<Recorder>();

function mountRecorder(): void {
  if (inject(Recorder, { optional: true, skipSelf: true })) {
    throw new Error(
      '[@reprise/angular] the recorder is provided twice (provideRecorder() or RecorderModule.forRoot() in a lazy route or module too): provide it once, in the root. Lazy NgModules import RecorderModule without forRoot() for the directives.',
    );
  }
  const recorder = inject(Recorder, { self: true });
  if (mounted.has(recorder)) {
    throw new Error(
      '[@reprise/angular] provideRecorder() / RecorderModule.forRoot() is given twice to the same injector: keep one.',
    );
  }
  mounted.add(recorder);
  if (!inBrowser()) return;
  // rrweb's listeners, observers and timers are set up here: outside the zone, no event they
  // handle (mouse moves, scrolls, mutations) schedules change detection.
  const release = inject(NgZone).runOutsideAngular(() => recorder.instance.mount());
  inject(DestroyRef).onDestroy(release);
}

/**
 * Records the app: put it in `bootstrapApplication`'s providers (or an `ApplicationConfig`).
 * Recording starts when the app's root injector is created (unless `requireConsent` is set) and
 * stops when the app is destroyed. Nothing starts on the server.
 *
 * ```ts
 * bootstrapApplication(App, { providers: [provideRouter(routes), provideRecorder({ project, endpoint }, withRouterMarkers(), withErrorHandler())] });
 * ```
 */
export function provideRecorder(options: RecorderOptions = {}, ...features: RecorderFeature[]): EnvironmentProviders {
  return makeEnvironmentProviders([
    { provide: RECORDER_OPTIONS, useValue: options },
    { provide: Recorder, useFactory: () => new Recorder() },
    // Features first: the router markers must claim navigation before recording starts, so the
    // initial page is not marked twice (once by the core's history tracking).
    ...features.flatMap((feature) => feature.providers),
    provideEnvironmentInitializer(mountRecorder),
  ]);
}
