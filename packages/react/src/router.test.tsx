import { StrictMode } from 'react';
import { act, render, screen, waitFor } from '@testing-library/react';
import { afterEach, describe, expect, test } from 'vitest';
import {
  BrowserRouter,
  MemoryRouter,
  Outlet,
  Route,
  RouterProvider,
  createBrowserRouter,
  createMemoryRouter,
  useNavigate,
  useRoutes,
  type NavigateFunction,
  type RouteObject,
} from 'react-router';
import { createRecorder } from '@reprise/core';
import { RecorderProvider } from './index.js';
import { RecordedRoutes, RouterMarkers, withRouterMarkers } from './router.js';
import { cleanupRecorders, eventSink } from './test-utils.js';

afterEach(async () => {
  await cleanupRecorders();
  window.history.replaceState(null, '', '/');
});

const navigateRef: { current: NavigateFunction | null } = { current: null };
function NavigateProbe() {
  navigateRef.current = useNavigate();
  return null;
}

function Page({ name }: { name: string }) {
  return <h1>{name}</h1>;
}

function appRoutes(userRoute: RouteObject = { path: 'users/:userId', element: <Page name="user" /> }): RouteObject[] {
  return [
    {
      path: '/',
      element: (
        <>
          <NavigateProbe />
          <Outlet />
        </>
      ),
      children: [
        { index: true, element: <Page name="home" /> },
        userRoute,
        { path: 'teams/:teamId/members/:memberId', element: <Page name="member" /> },
        { path: 'files/*', element: <Page name="files" /> },
      ],
    },
  ];
}
const routes = appRoutes();

/** Visits: initial `/`, push a user, push a member, replace with a file path, go back (pop). */
async function drive(navigate: () => NavigateFunction) {
  await act(async () => navigate()('/users/42'));
  await screen.findByText('user');
  await act(async () => navigate()('/teams/7/members/9?tab=roles#top'));
  await screen.findByText('member');
  await act(async () => navigate()('/files/docs/readme.md', { replace: true }));
  await screen.findByText('files');
  await act(async () => navigate()(-1));
  await screen.findByText('user');
}

const EXPECTED_MARKERS = [
  { route: '/', params: {}, navigationType: 'initial', path: '/' },
  { route: '/users/:userId', params: { userId: '42' }, navigationType: 'push', path: '/users/42' },
  {
    route: '/teams/:teamId/members/:memberId',
    params: { teamId: '7', memberId: '9' },
    navigationType: 'push',
    path: '/teams/7/members/9?tab=roles#top',
  },
  { route: '/files/*', params: { '*': 'docs/readme.md' }, navigationType: 'replace', path: '/files/docs/readme.md' },
  { route: '/users/:userId', params: { userId: '42' }, navigationType: 'pop', path: '/users/42' },
];

function expectMarkers(sink: ReturnType<typeof eventSink>) {
  const markers = sink.payloads('navigation');
  expect(markers.map(({ route, params, navigationType }) => ({ route, params, navigationType }))).toEqual(
    EXPECTED_MARKERS.map(({ route, params, navigationType }) => ({ route, params, navigationType })),
  );
  markers.forEach((marker, index) =>
    expect(new URL(marker.url).href).toBe(new URL(EXPECTED_MARKERS[index]!.path, window.location.origin).href),
  );
}

function RoutesFromObjects() {
  return useRoutes(routes);
}

describe('React Router markers', () => {
  test('<RecordedRoutes> under <MemoryRouter>: one marker per navigation with pattern, params and type', async () => {
    const sink = eventSink();
    // No `navigation: 'manual'`: the markers claim navigation from the core's history tracking.
    render(
      <StrictMode>
        <RecorderProvider options={{ onEvents: sink.onEvents }}>
          <MemoryRouter>
            <RecordedRoutes>
              <Route
                path="/"
                element={
                  <>
                    <NavigateProbe />
                    <Outlet />
                  </>
                }
              >
                <Route index element={<Page name="home" />} />
                <Route path="users/:userId" element={<Page name="user" />} />
                <Route path="teams/:teamId/members/:memberId" element={<Page name="member" />} />
                <Route path="files/*" element={<Page name="files" />} />
              </Route>
            </RecordedRoutes>
          </MemoryRouter>
        </RecorderProvider>
      </StrictMode>,
    );
    await screen.findByText('home');
    await drive(() => navigateRef.current!);
    await waitFor(() => expect(sink.payloads('navigation')).toHaveLength(EXPECTED_MARKERS.length));
    expectMarkers(sink);
  });

  test('<BrowserRouter> in the default history mode: each navigation is marked once, by the router', async () => {
    const sink = eventSink();
    render(
      <RecorderProvider options={{ onEvents: sink.onEvents }}>
        <BrowserRouter>
          <RouterMarkers routes={routes} />
          <RoutesFromObjects />
        </BrowserRouter>
      </RecorderProvider>,
    );
    await screen.findByText('home');
    await drive(() => navigateRef.current!);
    await waitFor(() => expect(sink.payloads('navigation').length).toBeGreaterThanOrEqual(EXPECTED_MARKERS.length));
    // Real pushState / replaceState / popstate happened: the core's own tracking stayed out.
    await new Promise((resolve) => setTimeout(resolve, 20));
    expectMarkers(sink);
    expect(window.location.pathname).toBe('/users/42');
  });

  test('<RouterMarkers routes> beside useRoutes() records the same markers', async () => {
    const sink = eventSink();
    render(
      <RecorderProvider options={{ onEvents: sink.onEvents, navigation: 'manual' }}>
        <MemoryRouter>
          <RouterMarkers routes={routes} />
          <RoutesFromObjects />
        </MemoryRouter>
      </RecorderProvider>,
    );
    await screen.findByText('home');
    await drive(() => navigateRef.current!);
    await waitFor(() => expect(sink.payloads('navigation')).toHaveLength(EXPECTED_MARKERS.length));
    expectMarkers(sink);
  });

  test('<RouterMarkers> without routes still marks URL and type', async () => {
    const sink = eventSink();
    render(
      <RecorderProvider options={{ onEvents: sink.onEvents, navigation: 'manual' }}>
        <MemoryRouter initialEntries={['/users/5']}>
          <RouterMarkers />
          <RoutesFromObjects />
        </MemoryRouter>
      </RecorderProvider>,
    );
    await screen.findByText('user');
    await waitFor(() => expect(sink.payloads('navigation')).toHaveLength(1));
    const [marker] = sink.payloads('navigation');
    expect(marker).toMatchObject({ navigationType: 'initial' });
    expect(marker!.route).toBeUndefined();
    expect(marker!.url.endsWith('/users/5')).toBe(true);
  });

  test('withRouterMarkers() on a data router marks after loaders finish, with pattern, params and type', async () => {
    const sink = eventSink();
    const recorder = createRecorder({ onEvents: sink.onEvents, navigation: 'manual' });
    // A slow loader: the marker must carry the new route only once the navigation completes.
    const dataRoutes = appRoutes({
      path: 'users/:userId',
      loader: () => new Promise((resolve) => setTimeout(() => resolve(null), 20)),
      element: <Page name="user" />,
    });
    const router = withRouterMarkers(createMemoryRouter(dataRoutes), recorder);
    render(
      <StrictMode>
        <RecorderProvider recorder={recorder}>
          <RouterProvider router={router} />
        </RecorderProvider>
      </StrictMode>,
    );
    await screen.findByText('home');
    await drive(() => router.navigate as NavigateFunction);
    await waitFor(() => expect(sink.payloads('navigation')).toHaveLength(EXPECTED_MARKERS.length));
    expectMarkers(sink);
    router.dispose();
  });

  test('withRouterMarkers() on a browser router claims navigation until router.dispose()', async () => {
    const sink = eventSink();
    const recorder = createRecorder({ onEvents: sink.onEvents });
    const router = withRouterMarkers(createBrowserRouter(routes), recorder);
    render(
      <RecorderProvider recorder={recorder}>
        <RouterProvider router={router} />
      </RecorderProvider>,
    );
    await screen.findByText('home');
    await drive(() => router.navigate as NavigateFunction);
    await waitFor(() => expect(sink.payloads('navigation').length).toBeGreaterThanOrEqual(EXPECTED_MARKERS.length));
    await new Promise((resolve) => setTimeout(resolve, 20));
    expectMarkers(sink);

    // Once the router is gone, the core's history tracking is back.
    router.dispose();
    act(() => window.history.pushState(null, '', '/after-router'));
    await waitFor(() => expect(sink.payloads('navigation')).toHaveLength(EXPECTED_MARKERS.length + 1));
    expect(sink.payloads('navigation').at(-1)).toMatchObject({
      url: new URL('/after-router', window.location.origin).href,
      navigationType: 'push',
    });
    expect(sink.payloads('navigation').at(-1)!.route).toBeUndefined();
  });

  test("absolute child paths are not joined onto their parent's (the core's joinRoutePatterns)", async () => {
    const sink = eventSink();
    const recorder = createRecorder({ onEvents: sink.onEvents, navigation: 'manual' });
    const nested: RouteObject[] = [
      {
        path: '/app',
        element: <Outlet />,
        children: [{ path: '/app/users/:userId', element: <Page name="absolute child" /> }],
      },
    ];
    const router = withRouterMarkers(createMemoryRouter(nested, { initialEntries: ['/app/users/8'] }), recorder);
    render(
      <RecorderProvider recorder={recorder}>
        <RouterProvider router={router} />
      </RecorderProvider>,
    );
    await screen.findByText('absolute child');
    await waitFor(() => expect(sink.payloads('navigation')).toHaveLength(1));
    expect(sink.payloads('navigation')[0]).toMatchObject({
      route: '/app/users/:userId',
      params: { userId: '8' },
      navigationType: 'initial',
    });
    router.dispose();
  });

  test('a marker given before consent is recorded when recording starts', async () => {
    const sink = eventSink();
    const recorder = createRecorder({ onEvents: sink.onEvents, requireConsent: true });
    const router = withRouterMarkers(createMemoryRouter(routes, { initialEntries: ['/teams/1/members/2'] }), recorder);
    render(
      <RecorderProvider recorder={recorder}>
        <RouterProvider router={router} />
      </RecorderProvider>,
    );
    await screen.findByText('member');
    expect(recorder.isRecording).toBe(false);
    act(() => recorder.start());
    await waitFor(() => expect(sink.payloads('navigation')).toHaveLength(1));
    expect(sink.payloads('navigation')[0]).toMatchObject({
      route: '/teams/:teamId/members/:memberId',
      params: { teamId: '1', memberId: '2' },
      navigationType: 'initial',
    });
    router.dispose();
  });

  test('a restarted recording marks where the app is', async () => {
    const sink = eventSink();
    const recorder = createRecorder({ onEvents: sink.onEvents, navigation: 'manual' });
    const router = withRouterMarkers(createMemoryRouter(routes, { initialEntries: ['/users/3'] }), recorder);
    render(
      <RecorderProvider recorder={recorder}>
        <RouterProvider router={router} />
      </RecorderProvider>,
    );
    await screen.findByText('user');
    act(() => {
      recorder.stop();
      recorder.start();
    });
    await waitFor(() => expect(sink.payloads('navigation')).toHaveLength(2));
    expect(sink.payloads('navigation').map((marker) => [marker.route, marker.navigationType])).toEqual([
      ['/users/:userId', 'initial'],
      ['/users/:userId', 'initial'],
    ]);
    router.dispose();
  });
});
