// @vitest-environment node
import { renderToString } from 'react-dom/server';
import { Route, StaticRouter } from 'react-router';
import { afterAll, beforeAll, beforeEach, describe, expect, test } from 'vitest';
import { trapBrowserGlobals, type BrowserGlobalTraps } from '@reprise/test-support';

// Every global a browser has and Node has not: reading any of them during a render is a bug,
// because the same code would throw (or branch differently) on a real server.
let traps: BrowserGlobalTraps;
// Imported once the traps are set: every trap answers undefined, so any use of a browser global
// while importing would throw (dependencies probe with `typeof window`, which is fine).
let reprise: typeof import('./index.js');
let router: typeof import('./router.js');

beforeAll(async () => {
  traps = trapBrowserGlobals();
  reprise = await import('./index.js');
  router = await import('./router.js');
});
beforeEach(() => traps.reset());
afterAll(() => traps.restore());

function SessionBadge() {
  const { sessionId } = reprise.useRecorder();
  return <small>session {sessionId ?? 'pending'}</small>;
}

describe('server-side rendering', () => {
  test('@reprise/react, its router entry and the core import where no browser global exists', () => {
    expect(typeof reprise.RecorderProvider).toBe('function');
    expect(typeof router.withRouterMarkers).toBe('function');
  });

  test('the provider, hook, privacy components and error boundary render without a browser global', () => {
    const { Block, Mask, RecorderErrorBoundary, RecorderProvider } = reprise;
    const html = renderToString(
      <RecorderProvider options={{ project: 'dev', endpoint: 'http://127.0.0.1:4400' }}>
        <RecorderErrorBoundary fallback={<p>broken</p>}>
          <SessionBadge />
          <Mask>
            <p>card 4242</p>
          </Mask>
          <Block>raw text</Block>
        </RecorderErrorBoundary>
      </RecorderProvider>,
    );
    expect(html).toBe(
      '<small>session <!-- -->pending</small><p data-reprise-mask="">card 4242</p><div data-reprise-block="">raw text</div>',
    );
    expect(traps.touched).toEqual([]);
  });

  test('router markers render on the server under <StaticRouter>', () => {
    const { RecorderProvider } = reprise;
    const { RecordedRoutes, RouterMarkers } = router;
    const html = renderToString(
      <RecorderProvider options={{ navigation: 'manual' }}>
        <StaticRouter location="/users/42">
          <RouterMarkers />
          <RecordedRoutes>
            <Route path="/users/:userId" element={<h1>user page</h1>} />
          </RecordedRoutes>
        </StaticRouter>
      </RecorderProvider>,
    );
    expect(html).toBe('<h1>user page</h1>');
    expect(traps.touched).toEqual([]);
  });
});
