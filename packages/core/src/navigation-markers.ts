import type { NavigationType } from '@reprise/protocol';
import { stringParams } from './capture/navigation.js';
import type { NavigationMarker, Recorder } from './types.js';

/*
 * What every router adapter (React Router, Vue Router, Angular Router) needs between "the router
 * says it is somewhere" and `recorder.markNavigation()`: the claim on navigation markers, the
 * initial load told apart from a back/forward, relative URLs resolved, nested route patterns
 * joined, undefined params dropped and repeats skipped. An adapter only maps its router's state
 * onto a `RouteChange`. Framework-free, and touches no browser global until a change is reported
 * (and then only `location`, when there is one), so it is safe during server-side rendering.
 */

/** A router's navigation type, as the core names it or in upper case (React Router's `Action`). */
export type RouteChangeType = NavigationType | Uppercase<NavigationType>;

/** Where a router is now, in the router's own terms; `createNavigationMarkers()` does the rest. */
export interface RouteChange {
  /**
   * The URL: absolute, or relative to the page (`/users/42?tab=1`, a router's `createHref()`),
   * resolved against `location.href`. @default location.href
   */
  url?: string;
  /**
   * The matched route pattern: one string (`/users/:id`), or the patterns of the nested matches,
   * outermost first (`['/', 'users/:id']`, Angular's `['', 'users', ':id']`), which are joined. A
   * pattern starting with `/` is absolute and replaces what came before it (Vue Router's children,
   * React Router's absolute child paths); empty and missing ones (index routes) add nothing.
   */
  route?: string | ReadonlyArray<string | null | undefined>;
  /** The matched route's name (Vue Router's `name`; a symbol is recorded by its description). */
  name?: string | symbol | null;
  /**
   * Route params. Missing (`undefined` / `null`) values are dropped, and a list (a repeatable
   * param such as Vue Router's `:path+`) is joined with `/` like the path segments it matched.
   */
  params?: Readonly<Record<string, string | ReadonlyArray<string> | null | undefined>>;
  /**
   * How the router got here. The first change reported with `pop` (or no type) is recorded as
   * `initial`: routers report the page they were loaded on as a POP. Later changes without a type
   * are recorded as `push`.
   */
  type?: RouteChangeType;
  /** @default document.title */
  title?: string;
}

export interface NavigationMarkers {
  /** Report where the router is now; a change to the place reported last is skipped. Call it as often as the router notifies. */
  routeChanged(change: RouteChange): void;
  /** Give navigation back to the recorder's own history tracking; later `routeChanged()` calls do nothing. Idempotent. */
  dispose(): void;
}

const NAVIGATION_TYPES: ReadonlySet<string> = new Set<NavigationType>(['initial', 'push', 'replace', 'pop', 'reload']);

/**
 * `/users/:id` from nested route patterns, as declared (not as visited): empty and missing parts
 * are skipped, a part starting with `/` is absolute, and the result has exactly one leading `/`,
 * no doubled `/` and no trailing `/` (except the root itself).
 */
export function joinRoutePatterns(patterns: ReadonlyArray<string | null | undefined>): string {
  let joined = '';
  for (const pattern of patterns) {
    if (!pattern) continue;
    joined = pattern.startsWith('/') ? pattern : `${joined}/${pattern}`;
  }
  const normalized = `/${joined}`.replace(/\/{2,}/g, '/');
  return normalized.length > 1 ? normalized.replace(/\/$/, '') : normalized;
}

function resolveUrl(url: string | undefined): string | undefined {
  if (typeof location === 'undefined') return url;
  try {
    return new URL(url ?? location.href, location.href).href;
  } catch {
    return url;
  }
}

function navigationType(type: RouteChangeType | undefined, isFirst: boolean): NavigationType {
  const lower = type?.toLowerCase();
  if (isFirst && (lower === undefined || lower === 'pop')) return 'initial';
  return lower !== undefined && NAVIGATION_TYPES.has(lower) ? (lower as NavigationType) : 'push';
}

/** The marker a change stands for; exported for adapters' and the core's tests. */
export function routeChangeMarker(change: RouteChange, isFirst: boolean): NavigationMarker {
  const marker: NavigationMarker = { navigationType: navigationType(change.type, isFirst) };
  const url = resolveUrl(change.url);
  if (url !== undefined) marker.url = url;
  if (change.route !== undefined)
    marker.route = joinRoutePatterns(typeof change.route === 'string' ? [change.route] : change.route);
  const name = typeof change.name === 'symbol' ? change.name.description : change.name;
  if (name) marker.name = name;
  if (change.params) marker.params = stringParams(change.params);
  if (change.title !== undefined) marker.title = change.title;
  return marker;
}

/**
 * Navigation markers for a router integration. Takes over from the recorder's `history` tracking
 * at once (`recorder.claimNavigation()`), so create it before the recording starts (before
 * `mount()` / `start()`), and `dispose()` it when the router goes away.
 *
 * ```ts
 * const markers = createNavigationMarkers(recorder);
 * router.afterEach((to) => markers.routeChanged({ url: to.fullPath, route: to.matched.map((m) => m.path), params: to.params }));
 * ```
 */
export function createNavigationMarkers(
  recorder: Pick<Recorder, 'markNavigation' | 'claimNavigation'>,
): NavigationMarkers {
  const releaseClaim = recorder.claimNavigation();
  let disposed = false;
  let last: NavigationMarker | undefined;
  return {
    routeChanged(change) {
      if (disposed) return;
      const marker = routeChangeMarker(change, last === undefined);
      // Routers notify on every state change (loaders, fetchers, re-renders): only a new place counts.
      if (last && last.url === marker.url && last.route === marker.route) return;
      last = marker;
      recorder.markNavigation(marker);
    },
    dispose() {
      if (disposed) return;
      disposed = true;
      releaseClaim();
    },
  };
}
