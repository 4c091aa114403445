import { Component, provideZonelessChangeDetection } from '@angular/core';
import { BrowserPlatformLocation, PlatformLocation } from '@angular/common';
import { TestBed } from '@angular/core/testing';
import { provideRouter, Router, RouterOutlet, withRouterConfig, type Routes } from '@angular/router';
import { afterEach, describe, expect, test } from 'vitest';
import { provideRecorder, withRouterMarkers } from './index';
import { eventSink, eventually, settle } from './test-utils';

afterEach(async () => {
  TestBed.resetTestingModule();
  await settle();
  window.history.replaceState(null, '', '/');
});

@Component({ selector: 'app-page', template: `<h1>page</h1>` })
class Page {}

@Component({ selector: 'app-shell', imports: [RouterOutlet], template: `<router-outlet />` })
class Shell {}

const routes: Routes = [
  {
    path: '',
    component: Shell,
    children: [
      { path: '', component: Page },
      { path: 'users/:userId', component: Page },
      { path: 'teams/:teamId', component: Shell, children: [{ path: 'members/:memberId', component: Page }] },
      { path: 'old-users/:userId', redirectTo: 'users/:userId' },
      { path: 'forbidden', component: Page, canActivate: [() => false] },
      {
        path: 'broken',
        component: Page,
        resolve: {
          data: () => {
            throw new Error('the resolver failed');
          },
        },
      },
    ],
  },
];

function setUp(sink: ReturnType<typeof eventSink>, options: { navigation?: 'manual' } = {}) {
  TestBed.configureTestingModule({
    providers: [
      provideZonelessChangeDetection(),
      // The page's real history (TestBed's default is a mock), so the core's own history tracking
      // sees every pushState / replaceState / popstate and must stay out of the markers' way.
      { provide: PlatformLocation, useClass: BrowserPlatformLocation },
      // A failed navigation resolves to false instead of rejecting: the app keeps running.
      provideRouter(routes, withRouterConfig({ resolveNavigationPromiseOnError: true })),
      provideRecorder({ onEvents: sink.onEvents, console: false, ...options }, withRouterMarkers()),
    ],
  });
  const router = TestBed.inject(Router);
  TestBed.createComponent(Shell);
  return router;
}

describe('withRouterMarkers()', () => {
  test("each NavigationEnd is one marker with the joined config path, params and type; nothing from the core's history tracking", async () => {
    const sink = eventSink();
    const router = setUp(sink);
    router.initialNavigation();
    await eventually(() => expect(sink.payloads('navigation')).toHaveLength(1));
    expect(await router.navigateByUrl('/users/42')).toBe(true);
    expect(await router.navigateByUrl('/teams/7/members/9?tab=roles#top')).toBe(true);
    expect(await router.navigateByUrl('/old-users/5', { replaceUrl: true })).toBe(true);
    window.history.back();
    await eventually(() => expect(sink.payloads('navigation')).toHaveLength(5));
    // Real pushState / replaceState / popstate happened in the page: give the core's own history
    // tracking a chance to mark them too (it must not, the markers hold the claim).
    await new Promise((resolve) => setTimeout(resolve, 30));
    const markers = sink.payloads('navigation');
    expect(markers.map(({ route, params, navigationType }) => ({ route, params, navigationType }))).toEqual([
      { route: '/', params: {}, navigationType: 'initial' },
      { route: '/users/:userId', params: { userId: '42' }, navigationType: 'push' },
      { route: '/teams/:teamId/members/:memberId', params: { teamId: '7', memberId: '9' }, navigationType: 'push' },
      { route: '/users/:userId', params: { userId: '5' }, navigationType: 'replace' },
      // The replace took the members page's place in the history: back is the first user.
      { route: '/users/:userId', params: { userId: '42' }, navigationType: 'pop' },
    ]);
    expect(
      markers.map((marker) => new URL(marker.url).pathname + new URL(marker.url).search + new URL(marker.url).hash),
    ).toEqual(['/', '/users/42', '/teams/7/members/9?tab=roles#top', '/users/5', '/users/42']);
  });

  test('cancelled and failed navigations give no marker', async () => {
    const sink = eventSink();
    const router = setUp(sink);
    expect(await router.navigateByUrl('/users/1')).toBe(true);
    expect(await router.navigateByUrl('/forbidden')).toBe(false);
    expect(await router.navigateByUrl('/broken')).toBe(false);
    expect(await router.navigateByUrl('/users/2')).toBe(true);
    await eventually(() => expect(sink.payloads('navigation')).toHaveLength(2));
    await new Promise((resolve) => setTimeout(resolve, 30));
    expect(sink.payloads('navigation').map(({ route, params }) => ({ route, params }))).toEqual([
      { route: '/users/:userId', params: { userId: '1' } },
      { route: '/users/:userId', params: { userId: '2' } },
    ]);
  });

  test("with navigation: 'manual' the markers still record", async () => {
    const sink = eventSink();
    const router = setUp(sink, { navigation: 'manual' });
    expect(await router.navigateByUrl('/teams/3/members/4')).toBe(true);
    await eventually(() =>
      expect(sink.payloads('navigation')).toEqual([
        expect.objectContaining({ route: '/teams/:teamId/members/:memberId', navigationType: 'initial' }),
      ]),
    );
  });

  test("when the app is destroyed, the core's history tracking is back", async () => {
    const sink = eventSink();
    const router = setUp(sink);
    expect(await router.navigateByUrl('/users/1')).toBe(true);
    const { Recorder } = await import('./index.js');
    const core = TestBed.inject(Recorder).instance;
    TestBed.resetTestingModule();
    // The same core recorder, now without any router: it marks pushState by itself.
    core.start();
    window.history.pushState(null, '', '/after-router');
    await eventually(() => expect(sink.payloads('navigation').at(-1)).toMatchObject({ navigationType: 'push' }));
    expect(new URL(sink.payloads('navigation').at(-1)!.url).pathname).toBe('/after-router');
    expect(sink.payloads('navigation').at(-1)!.route).toBeUndefined();
    core.stop();
  });
});
