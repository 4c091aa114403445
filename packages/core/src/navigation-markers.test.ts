import { afterEach, describe, expect, test, vi } from 'vitest';
import { createNavigationMarkers, joinRoutePatterns, routeChangeMarker } from './navigation-markers.js';
import { createRecorder, type NavigationMarker } from './index.js';

/** The two recorder methods the markers use, recording what they were asked. */
function recorderSpy() {
  const marked: NavigationMarker[] = [];
  const claims = { held: 0, taken: 0 };
  return {
    marked,
    claims,
    recorder: {
      markNavigation: (marker?: NavigationMarker) => void marked.push(marker ?? {}),
      claimNavigation: () => {
        claims.held++;
        claims.taken++;
        let released = false;
        return () => {
          if (released) return;
          released = true;
          claims.held--;
        };
      },
    },
  };
}

afterEach(() => {
  vi.unstubAllGlobals();
});

describe('joinRoutePatterns', () => {
  test('joins nested patterns as declared, skipping index routes and empty parts', () => {
    expect(joinRoutePatterns(['/', 'users/:userId'])).toBe('/users/:userId');
    expect(joinRoutePatterns(['/', undefined])).toBe('/');
    expect(joinRoutePatterns([])).toBe('/');
    expect(joinRoutePatterns(['/', 'teams/:teamId', 'members/:memberId/'])).toBe('/teams/:teamId/members/:memberId');
    expect(joinRoutePatterns(['', 'users', ':id'])).toBe('/users/:id'); // Angular's route config
    expect(joinRoutePatterns(['files/*'])).toBe('/files/*');
    expect(joinRoutePatterns([null, 'a//b', ''])).toBe('/a/b');
  });

  test('an absolute part replaces its parents (Vue Router matched records, React Router absolute children)', () => {
    expect(joinRoutePatterns(['/users', '/users/:id'])).toBe('/users/:id');
    expect(joinRoutePatterns(['/app', '/app/settings', 'profile'])).toBe('/app/settings/profile');
  });
});

describe('routeChangeMarker', () => {
  test('the first POP (or a change without type) is the initial load; router types are mapped', () => {
    expect(routeChangeMarker({ url: '/a', type: 'POP' }, true).navigationType).toBe('initial');
    expect(routeChangeMarker({ url: '/a' }, true).navigationType).toBe('initial');
    expect(routeChangeMarker({ url: '/a', type: 'REPLACE' }, true).navigationType).toBe('replace');
    expect(routeChangeMarker({ url: '/a', type: 'POP' }, false).navigationType).toBe('pop');
    expect(routeChangeMarker({ url: '/a', type: 'PUSH' }, false).navigationType).toBe('push');
    expect(routeChangeMarker({ url: '/a', type: 'replace' }, false).navigationType).toBe('replace');
    expect(routeChangeMarker({ url: '/a' }, false).navigationType).toBe('push');
  });

  test('undefined and null params are dropped; repeatable params are joined like path segments', () => {
    const marker = routeChangeMarker(
      { url: '/x', route: '/files/:path+', params: { path: ['docs', 'a.md'], tab: undefined, id: '7', gone: null } },
      false,
    );
    expect(marker.params).toEqual({ path: 'docs/a.md', id: '7' });
    expect(marker.route).toBe('/files/:path+');
    expect('params' in routeChangeMarker({ url: '/x' }, false)).toBe(false);
    expect('route' in routeChangeMarker({ url: '/x' }, false)).toBe(false);
  });

  test('relative URLs resolve against the page; without a page (SSR) the URL is kept as given', () => {
    expect(routeChangeMarker({ url: '/users/1?tab=2' }, false).url).toBe('/users/1?tab=2');
    vi.stubGlobal('location', new URL('https://app.example.com/base/page?q=1'));
    expect(routeChangeMarker({ url: '/users/1?tab=2#top' }, false).url).toBe(
      'https://app.example.com/users/1?tab=2#top',
    );
    expect(routeChangeMarker({ url: 'detail' }, false).url).toBe('https://app.example.com/base/detail');
    expect(routeChangeMarker({}, false).url).toBe('https://app.example.com/base/page?q=1');
  });
});

describe('createNavigationMarkers', () => {
  test('claims navigation at once, marks each new place once, and gives the claim back on dispose', () => {
    const { recorder, marked, claims } = recorderSpy();
    const markers = createNavigationMarkers(recorder);
    expect(claims.held).toBe(1);

    markers.routeChanged({ url: '/', route: ['/', undefined], params: {}, type: 'POP' });
    // A router notifying again about the same place (a loader, a fetcher, a re-render): skipped.
    markers.routeChanged({ url: '/', route: ['/', undefined], params: {}, type: 'POP' });
    markers.routeChanged({
      url: '/users/42',
      route: ['/', 'users/:userId'],
      params: { userId: '42', extra: undefined },
      type: 'PUSH',
    });
    markers.routeChanged({ url: '/users/42', route: ['/', 'users/:userId'], params: { userId: '42' }, type: 'PUSH' });
    markers.routeChanged({ url: '/', route: ['/'], params: {}, type: 'POP' });
    expect(marked).toEqual([
      { url: '/', route: '/', params: {}, navigationType: 'initial' },
      { url: '/users/42', route: '/users/:userId', params: { userId: '42' }, navigationType: 'push' },
      { url: '/', route: '/', params: {}, navigationType: 'pop' },
    ]);

    markers.dispose();
    markers.dispose();
    expect(claims).toEqual({ held: 0, taken: 1 });
    markers.routeChanged({ url: '/after', type: 'PUSH' });
    expect(marked).toHaveLength(3);
  });

  test('the same URL under another route pattern is a new place', () => {
    const { recorder, marked } = recorderSpy();
    const markers = createNavigationMarkers(recorder);
    markers.routeChanged({ url: '/p', route: '/:slug' });
    markers.routeChanged({ url: '/p', route: '/p' });
    expect(marked.map((marker) => marker.route)).toEqual(['/:slug', '/p']);
  });

  test('works on a real recorder outside a browser (SSR): nothing is touched, nothing thrown', () => {
    const recorder = createRecorder({ navigation: 'history' });
    const markers = createNavigationMarkers(recorder);
    expect(() =>
      markers.routeChanged({ url: '/server-rendered', route: '/server-rendered', type: 'POP' }),
    ).not.toThrow();
    markers.dispose();
    expect(recorder.isRecording).toBe(false);
  });
});
