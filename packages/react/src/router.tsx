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
// Use it with `navigation: 'manual'` in the recorder options: the markers below replace the core's
// history tracking, which would otherwise record every navigation a second time without its route.

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
  const current = useRef({ location, action, href, routes });
  current.current = { location, action, href, routes };
  const lastMarkedKey = useRef<string | null>(null);

  const mark = (navigationType: NavigationMarker['navigationType']) => {
    const { location: at, href: atHref, routes: routeList } = current.current;
    lastMarkedKey.current = at.key;
    recorder.markNavigation(navigationMarker(atHref, routeList ? matchRoutes(routeList, at) : null, navigationType));
  };

  useEffect(() => {
    // The location key dedupes StrictMode's second effect run and re-renders without navigation.
    if (!recorder.isRecording || lastMarkedKey.current === location.key) return;
    const isFirst = lastMarkedKey.current === null && action === 'POP';
    mark(isFirst ? 'initial' : NAVIGATION_TYPES[action]);
  }, [recorder, location.key]);

  // Child effects run before the provider's mount(): mark where the app is once recording starts,
  // and again on every restart so each recording knows its route.
  useEffect(() => recorder.on('start', () => mark('initial')), [recorder]);
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

type MarkableRouter = Pick<DataRouter, 'state' | 'subscribe' | 'createHref'>;

/**
 * Marks every navigation of a data router (`createBrowserRouter`, `createMemoryRouter`), with the
 * matched route pattern, params and navigation type. Returns the router, so it wraps the creation:
 * `const router = withRouterMarkers(createBrowserRouter(routes), recorder)`.
 * The subscription ends with the router (`router.dispose()`).
 */
export function withRouterMarkers<R extends MarkableRouter>(router: R, recorder: Recorder): R {
  let lastMarkedKey: string | null = null;
  const mark = (navigationType: NavigationMarker['navigationType']) => {
    const { location, matches } = router.state;
    lastMarkedKey = location.key;
    recorder.markNavigation(navigationMarker(router.createHref(location), matches, navigationType));
  };
  const markIfNew = () => {
    const { location, historyAction, initialized } = router.state;
    // Subscribers hear every state change (loading, fetchers); a navigation is a new location key.
    if (!initialized || !recorder.isRecording || lastMarkedKey === location.key) return;
    mark(lastMarkedKey === null && historyAction === 'POP' ? 'initial' : NAVIGATION_TYPES[historyAction]);
  };
  router.subscribe(markIfNew);
  recorder.on('start', () => {
    if (router.state.initialized) mark('initial');
  });
  markIfNew();
  return router;
}
