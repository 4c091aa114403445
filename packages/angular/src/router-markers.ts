import { DestroyRef, NgZone, inject, provideEnvironmentInitializer } from '@angular/core';
import { Location } from '@angular/common';
import { NavigationEnd, Router, type ActivatedRouteSnapshot, type Navigation } from '@angular/router';
import { createNavigationMarkers, type RouteChange, type RouteChangeType } from '@reprise/core';
import { inBrowser, recorderFeature, type RecorderFeature } from './provide-recorder';
import { Recorder } from './recorder';

// Only the mapping of the Angular Router's state onto the core's route changes lives here; the
// core's createNavigationMarkers() claims navigation from its history tracking, tells the initial
// load from a back/forward, joins nested patterns and skips repeats.

function navigationType(navigation: Navigation | null): RouteChangeType {
  if (navigation?.trigger === 'popstate' || navigation?.trigger === 'hashchange') return 'pop';
  return navigation?.extras.replaceUrl ? 'replace' : 'push';
}

/** The config paths from the root to the activated leaf (`['', 'users', ':id']`) and their params. */
function matchedRoute(root: ActivatedRouteSnapshot): Pick<RouteChange, 'route' | 'params'> {
  const route: Array<string | undefined> = [];
  let params: Record<string, string> = {};
  for (let snapshot: ActivatedRouteSnapshot | null = root; snapshot; snapshot = snapshot.firstChild) {
    route.push(snapshot.routeConfig?.path);
    params = { ...params, ...snapshot.params };
  }
  return { route, params };
}

/**
 * Marks every completed navigation of the Angular Router (`NavigationEnd`) with its URL, the
 * matched route config path (`/users/:id`, nested routes joined) and the params. Cancelled and
 * failed navigations mark nothing. Takes over from the core's own history tracking, so
 * `navigation: 'manual'` is not needed. Needs `provideRouter()` (or `RouterModule.forRoot()`).
 */
export function withRouterMarkers(): RecorderFeature<'router-markers'> {
  return recorderFeature('router-markers', [
    provideEnvironmentInitializer(() => {
      if (!inBrowser()) return;
      const recorder = inject(Recorder);
      const router = inject(Router);
      const location = inject(Location);
      const zone = inject(NgZone);
      const markers = createNavigationMarkers(recorder.instance);
      let first = true;
      const subscription = router.events.subscribe((event) => {
        if (!(event instanceof NavigationEnd)) return;
        // Still the navigation that ended: the router clears it after NavigationEnd.
        const type = first ? undefined : navigationType(router.getCurrentNavigation());
        first = false;
        const change: RouteChange = {
          url: location.prepareExternalUrl(event.urlAfterRedirects),
          type,
          ...matchedRoute(router.routerState.snapshot.root),
        };
        zone.runOutsideAngular(() => markers.routeChanged(change));
      });
      inject(DestroyRef).onDestroy(() => {
        subscription.unsubscribe();
        markers.dispose();
      });
    }),
  ]);
}
