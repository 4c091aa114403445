import { onMounted, onUnmounted, type Ref } from 'vue';
import { createNavigationMarkers, type Recorder } from '@reprise/core';
import { injectRecorder } from './keys.js';

// Vue Router 4 markers. Only the mapping of Vue Router's routes onto the core's route changes lives
// here; createNavigationMarkers() claims navigation from the core's history tracking, tells the
// initial load apart, joins the matched patterns and skips repeats. Typed structurally, so this
// package never imports vue-router (an optional peer).

/** The part of a Vue Router route location the markers read. */
export interface MarkableRoute {
  fullPath: string;
  name?: string | symbol | null;
  params: Readonly<Record<string, string | readonly string[]>>;
  matched: ReadonlyArray<{ path: string }>;
}

/** The part of a Vue Router 4 `Router` the markers use: any `createRouter()` result fits. */
export interface MarkableRouter {
  readonly currentRoute: Readonly<Ref<MarkableRoute>>;
  afterEach(guard: (to: MarkableRoute, from: MarkableRoute, failure?: unknown) => unknown): () => void;
  readonly options: {
    readonly history: {
      createHref(location: string): string;
      listen(callback: (to: string, from: string, information: unknown) => void): () => void;
      readonly state: Readonly<Record<string, unknown>>;
    };
  };
}

/**
 * Marks each completed navigation of `router` with its URL, matched pattern (`/users/:id`), route
 * name, params and type; failed, aborted and duplicated navigations give none. Returns the stop
 * function, which also gives navigation back to the core's history tracking. The plugin's
 * `router` option and `useRouterMarkers()` call it for you.
 */
export function routerMarkers(router: MarkableRouter, recorder: Recorder): () => void {
  const markers = createNavigationMarkers(recorder);
  const { history } = router.options;
  let marked = false;
  let popped = false;
  const mark = (to: MarkableRoute, type?: 'push' | 'replace' | 'pop') => {
    marked = true;
    markers.routeChanged({
      url: history.createHref(to.fullPath),
      route: to.matched.map((record) => record.path),
      name: to.name,
      params: to.params,
      type,
    });
  };
  // The history calls its listeners for back / forward only (popstate, or go() in memory history), before the router navigates.
  const stopListening = history.listen(() => {
    popped = true;
  });
  const removeHook = router.afterEach((to, _from, failure) => {
    // Vue Router keeps `replaced` in the history entry's state; its first entry is always "replaced", hence no type for it.
    const type = !marked ? undefined : popped ? 'pop' : history.state.replaced === true ? 'replace' : 'push';
    popped = false;
    if (!failure) mark(to, type);
  });
  // Started after the router's first navigation (an app mounted after `router.isReady()`): mark where it is.
  if (router.currentRoute.value.matched.length > 0) mark(router.currentRoute.value);
  return () => {
    removeHook();
    stopListening();
    markers.dispose();
  };
}

/**
 * In a component's setup: marks `router`'s navigations while the component is mounted (so only in
 * a browser), with the app's recorder. The plugin's `createRecorder({ router })` does the same for
 * the whole app; use one or the other.
 */
export function useRouterMarkers(router: MarkableRouter): void {
  const recorder = injectRecorder('useRouterMarkers()');
  let stop: (() => void) | undefined;
  // Mounted hooks run before the plugin's recorder starts (it starts once app.mount() is done), so the claim comes first.
  onMounted(() => {
    stop = routerMarkers(router, recorder);
  });
  onUnmounted(() => stop?.());
}
