import { mount } from '@vue/test-utils';
import { createApp, defineComponent, h } from 'vue';
import {
  createMemoryHistory,
  createRouter,
  createWebHistory,
  RouterView,
  type Router,
  type RouteRecordRaw,
} from 'vue-router';
import { afterEach, describe, expect, test, vi } from 'vitest';
import { createRecorder, useRouterMarkers } from './index.js';
import { cleanupRecorders, eventSink, mountApp } from './test-utils.js';

afterEach(async () => {
  await cleanupRecorders();
  vi.restoreAllMocks();
  window.history.replaceState(null, '', '/');
});

const waitFor = (check: () => void) => vi.waitFor(check, { timeout: 5000, interval: 10 });
const Page = (name: string) => defineComponent({ name, render: () => h('h1', name) });

const routes: RouteRecordRaw[] = [
  { path: '/', name: 'home', component: Page('Home') },
  { path: '/users/:userId', name: 'user', component: Page('User') },
  {
    path: '/teams/:teamId',
    component: { render: () => h(RouterView) },
    children: [{ path: 'members/:memberId', name: 'member', component: Page('Member') }],
  },
  { path: '/files/:path+', name: 'files', component: Page('Files') },
  { path: '/private', name: 'private', component: Page('Private'), beforeEnter: () => false },
  {
    path: '/broken',
    name: 'broken',
    component: Page('Broken'),
    beforeEnter: () => {
      throw new Error('guard broke');
    },
  },
];

const App = defineComponent({ render: () => h(RouterView) });

/** router.back(), resolved once the router has navigated (back() itself returns nothing to wait for). */
async function goBack(router: Router) {
  const back = new Promise<void>((resolve) => {
    const remove = router.afterEach(() => {
      remove();
      resolve();
    });
  });
  router.back();
  await back;
}

/** Visits: initial `/`, push a user, push a nested member, replace with a file path, go back (pop). */
async function drive(router: Router) {
  await router.push('/users/42');
  await router.push('/teams/7/members/9?tab=roles#top');
  await router.replace('/files/docs/readme.md');
  await goBack(router);
}

const EXPECTED = [
  { route: '/', name: 'home', params: {}, navigationType: 'initial', path: '/' },
  { route: '/users/:userId', name: 'user', params: { userId: '42' }, navigationType: 'push', path: '/users/42' },
  {
    route: '/teams/:teamId/members/:memberId',
    name: 'member',
    params: { teamId: '7', memberId: '9' },
    navigationType: 'push',
    path: '/teams/7/members/9?tab=roles#top',
  },
  {
    route: '/files/:path+',
    name: 'files',
    params: { path: 'docs/readme.md' },
    navigationType: 'replace',
    path: '/files/docs/readme.md',
  },
  // The replace took the member page's place in the history: back is the user page.
  { route: '/users/:userId', name: 'user', params: { userId: '42' }, navigationType: 'pop', path: '/users/42' },
];

function expectMarkers(sink: ReturnType<typeof eventSink>, expected = EXPECTED) {
  const markers = sink.payloads('navigation');
  expect(markers.map(({ route, name, params, navigationType }) => ({ route, name, params, navigationType }))).toEqual(
    expected.map(({ route, name, params, navigationType }) => ({ route, name, params, navigationType })),
  );
  markers.forEach((marker, index) =>
    expect(new URL(marker.url).href).toBe(new URL(expected[index]!.path, window.location.origin).href),
  );
}

describe('Vue Router markers', () => {
  test('createRecorder({ router }) with web history: one marker per navigation with pattern, name, params and type', async () => {
    const sink = eventSink();
    const router = createRouter({ history: createWebHistory(), routes });
    // No `navigation: 'manual'`: the markers claim navigation from the core's history tracking.
    mountApp(App, (app) => app.use(router).use(createRecorder({ onEvents: sink.onEvents, router })));
    await router.isReady();
    await drive(router);
    await waitFor(() => expect(sink.payloads('navigation')).toHaveLength(EXPECTED.length));
    // Real pushState / replaceState / popstate happened: the core's own tracking stayed out.
    await new Promise((resolve) => setTimeout(resolve, 20));
    expectMarkers(sink);
    expect(window.location.pathname).toBe('/users/42');
  });

  test('failed, aborted and duplicated navigations give no marker', async () => {
    // Vue Router logs the guard's error before rejecting the push.
    vi.spyOn(console, 'error').mockImplementation(() => {});
    vi.spyOn(console, 'warn').mockImplementation(() => {});
    const sink = eventSink();
    const router = createRouter({ history: createWebHistory(), routes });
    mountApp(App, (app) => app.use(router).use(createRecorder({ onEvents: sink.onEvents, router })));
    await router.isReady();
    await router.push('/users/1');
    expect(await router.push('/users/1')).toBeDefined(); // duplicated: a NavigationFailure
    expect(await router.push('/private')).toBeDefined(); // aborted by its guard
    await expect(router.push('/broken')).rejects.toThrow('guard broke');
    await router.push({ name: 'user', params: { userId: '2' } });
    await waitFor(() => expect(sink.payloads('navigation')).toHaveLength(3));
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(
      sink.payloads('navigation').map(({ route, params, navigationType }) => ({ route, params, navigationType })),
    ).toEqual([
      { route: '/', params: {}, navigationType: 'initial' },
      { route: '/users/:userId', params: { userId: '1' }, navigationType: 'push' },
      { route: '/users/:userId', params: { userId: '2' }, navigationType: 'push' },
    ]);
  });

  test("a router with a base: the marker's URL is the page's, base included", async () => {
    const sink = eventSink();
    window.history.replaceState(null, '', '/app/');
    const router = createRouter({ history: createWebHistory('/app/'), routes });
    mountApp(App, (app) => app.use(router).use(createRecorder({ onEvents: sink.onEvents, router })));
    await router.isReady();
    await router.push('/users/5');
    await waitFor(() => expect(sink.payloads('navigation')).toHaveLength(2));
    expect(sink.payloads('navigation').map((marker) => new URL(marker.url).pathname)).toEqual([
      '/app/',
      '/app/users/5',
    ]);
  });

  test('useRouterMarkers(router) in a component, with memory history, after the router is ready', async () => {
    const sink = eventSink();
    const router = createRouter({ history: createMemoryHistory(), routes });
    await router.push('/users/3');
    const Root = defineComponent({
      setup() {
        useRouterMarkers(router);
        return () => h(RouterView);
      },
    });
    const wrapper = mount(Root, {
      global: { plugins: [router, createRecorder({ onEvents: sink.onEvents })] },
      attachTo: document.body,
    });
    await router.push('/');
    await waitFor(() => expect(sink.payloads('navigation')).toHaveLength(2));
    // Memory history has no history state to tell a replace: it is a push; its go() is a pop.
    await goBack(router);
    await waitFor(() => expect(sink.payloads('navigation')).toHaveLength(3));
    expect(
      sink.payloads('navigation').map(({ route, name, navigationType }) => ({ route, name, navigationType })),
    ).toEqual([
      { route: '/users/:userId', name: 'user', navigationType: 'initial' },
      { route: '/', name: 'home', navigationType: 'push' },
      { route: '/users/:userId', name: 'user', navigationType: 'pop' },
    ]);
    // Unmounted, the markers give navigation back to the core (which is stopping anyway).
    wrapper.unmount();
    await router.push('/files/a');
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(sink.payloads('navigation')).toHaveLength(3);
  });

  test('useRouterMarkers() without the plugin names the fix', () => {
    vi.spyOn(console, 'warn').mockImplementation(() => {});
    const router = createRouter({ history: createMemoryHistory(), routes });
    const Root = defineComponent({
      setup: () => {
        useRouterMarkers(router);
        return () => null;
      },
    });
    expect(() => createApp(Root).mount(document.createElement('div'))).toThrow(
      '[@reprise/vue] useRouterMarkers() needs app.use(createRecorder()) first',
    );
  });
});
