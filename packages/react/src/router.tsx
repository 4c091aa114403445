import { useEffect, useRef, type ReactElement, type ReactNode } from 'react';
import {
  createRoutesFromChildren,
  matchRoutes,
  useHref,
  useLocation,
  useNavigationType,
  useRoutes,
  type DataRouter,
  type Location,
  type NavigationType as RouterAction,
  type RouteObject,
} from 'react-router';
import type { NavigationMarker, Recorder } from '@reprise/core';
import { useRecorderInstance } from './context.js';

// React Router integration, a separate entry so that apps without React Router never load it.
// The markers below replace the core's history tracking (recorder.claimNavigation()), which would
// otherwise record every navigation a second time, without its route. The core remembers the last
// marker until recording starts, records it again on every restart and drops repeats, so the
// adapter only reports where the router is.

interface MatchLike {
  route: { path?: string };
  params: Record<string, string | undefined>;
}

const NAVIGATION_TYPES: Record<`${RouterAction}`, NavigationMarker['navigationType']> = {
  PUSH: 'push',
  REPLACE: 'replace',
  POP: 'pop',
};

/** `/users/:id` from the matched routes' paths, as declared (not as visited). */
function routePattern(matches: readonly MatchLike[]): string {
  const joined = matches.map((match) => match.route.path ?? '').filter(Boolean).join('/');
  const pattern = `/${joined}`.replace(/\/{2,}/g, '/');
  return pattern.length > 1 ? pattern.replace(/\/$/, '') : pattern;
}

function definedParams(params: Record<string, string | undefined>): Record<string, string> {
  return Object.fromEntries(Object.entries(params).filter((entry): entry is [string, string] => entry[1] !== undefined));
}

function navigationMarker(href: string, matches: readonly MatchLike[] | null, navigationType: NavigationMarker['navigationType']): NavigationMarker {
  const lastMatch = matches?.[matches.length - 1];
  return {
    url: new URL(href, window.location.href).href,
    navigationType,
    ...(matches && lastMatch ? { route: routePattern(matches), params: definedParams(lastMatch.params) } : {}),
  };
}

/**
 * Marks every navigation of the router it is called under (`<BrowserRouter>`, `<MemoryRouter>`, or
 * inside a data router's tree). Pass the app's `routes` so markers carry the matched pattern;
 * with `<Routes>` children, use `<RecordedRoutes>` instead, which knows them.
 */
export function useRouterMarkers(routes?: RouteObject[]): void {
  const recorder = useRecorderInstance('useRouterMarkers()');
  const location = useLocation();
  const action = useNavigationType();
  const href = useHref(location);
  const hasMarked = useRef(false);

  // Child effects run before the provider's mount(), so the claim precedes the recording.
  useEffect(() => recorder.claimNavigation(), [recorder]);

  useEffect(() => {
    const navigationType = !hasMarked.current && action === 'POP' ? 'initial' : NAVIGATION_TYPES[action];
    hasMarked.current = true;
    recorder.markNavigation(navigationMarker(href, routes ? matchRoutes(routes, location) : null, navigationType));
    // A navigation is a new location key; other re-renders mark nothing.
  }, [recorder, location.key]);
}

/** `useRouterMarkers()` as a component: render it anywhere inside the router. */
export function RouterMarkers({ routes }: { routes?: RouteObject[] }): null {
  useRouterMarkers(routes);
  return null;
}

/**
 * A drop-in `<Routes>` that also marks each navigation with the matched `<Route>` pattern.
 * `<RecordedRoutes><Route path="/users/:id" element={<User />} /></RecordedRoutes>`
 */
export function RecordedRoutes({ children, location }: { children?: ReactNode; location?: Partial<Location> | string }): ReactElement | null {
  const routes = createRoutesFromChildren(children);
  useRouterMarkers(routes);
  return useRoutes(routes, location);
}

type MarkableRouter = Pick<DataRouter, 'state' | 'subscribe' | 'createHref'> & Partial<Pick<DataRouter, 'dispose'>>;

/**
 * Marks every navigation of a data router (`createBrowserRouter`, `createMemoryRouter`), with the
 * matched route pattern, params and navigation type. Returns the router, so it wraps the creation:
 * `const router = withRouterMarkers(createBrowserRouter(routes), recorder)`.
 * The markers replace the recorder's history tracking until `router.dispose()`, which also ends
 * the subscription.
 */
export function withRouterMarkers<R extends MarkableRouter>(router: R, recorder: Recorder): R {
  const releaseNavigation = recorder.claimNavigation();
  let hasMarked = false;
  const markCurrent = () => {
    const { location, matches, historyAction, initialized } = router.state;
    if (!initialized) return;
    // Subscribers hear every state change (loading, fetchers); the core drops a marker that
    // repeats the last one, so only a completed navigation to a new place is recorded.
    const navigationType = !hasMarked && historyAction === 'POP' ? 'initial' : NAVIGATION_TYPES[historyAction];
    hasMarked = true;
    recorder.markNavigation(navigationMarker(router.createHref(location), matches, navigationType));
  };
  router.subscribe(markCurrent);
  markCurrent();
  const dispose = router.dispose;
  if (dispose) {
    router.dispose = () => {
      releaseNavigation();
      dispose.call(router);
    };
  }
  return router;
}
