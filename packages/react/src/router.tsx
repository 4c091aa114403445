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
import { createNavigationMarkers, type NavigationMarkers, type Recorder, type RouteChange } from '@reprise/core';
import { useRecorderInstance } from './context.js';

// React Router integration, a separate entry so that apps without React Router never load it.
// Only the mapping of React Router's state onto the core's route changes lives here; the core's
// createNavigationMarkers() claims navigation from its history tracking, tells the initial load
// from a back/forward, joins nested patterns and skips repeats.

interface MatchLike {
  route: { path?: string };
  params: Record<string, string | undefined>;
}

function routeChange(href: string, matches: readonly MatchLike[] | null, type: `${RouterAction}`): RouteChange {
  const lastMatch = matches?.[matches.length - 1];
  return {
    url: href,
    type,
    ...(matches && lastMatch ? { route: matches.map((match) => match.route.path), params: lastMatch.params } : {}),
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
  const markers = useRef<NavigationMarkers | null>(null);

  // Child effects run before the provider's mount(), so the claim precedes the recording.
  useEffect(() => {
    const created = createNavigationMarkers(recorder);
    markers.current = created;
    return () => {
      created.dispose();
      if (markers.current === created) markers.current = null;
    };
  }, [recorder]);

  useEffect(() => {
    markers.current?.routeChanged(routeChange(href, routes ? matchRoutes(routes, location) : null, action));
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
export function RecordedRoutes({
  children,
  location,
}: {
  children?: ReactNode;
  location?: Partial<Location> | string;
}): ReactElement | null {
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
  const markers = createNavigationMarkers(recorder);
  const markCurrent = () => {
    const { location, matches, historyAction, initialized } = router.state;
    // Subscribers hear every state change (loading, fetchers); the markers skip one that repeats
    // the last place, so only a completed navigation to a new place is recorded.
    if (initialized) markers.routeChanged(routeChange(router.createHref(location), matches, historyAction));
  };
  router.subscribe(markCurrent);
  markCurrent();
  const dispose = router.dispose;
  if (dispose) {
    router.dispose = () => {
      markers.dispose();
      dispose.call(router);
    };
  }
  return router;
}
