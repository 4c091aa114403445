// @vitest-environment node
import { renderToString } from 'react-dom/server';
import { StaticRouter } from 'react-router';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { Block, Mask, RecorderErrorBoundary, RecorderProvider, useRecorder } from './index.js';
import { RecordedRoutes, RouterMarkers } from './router.js';
import { Route } from 'react-router';

// Every global a browser has and Node has not: reading any of them during a render is a bug,
// because the same code would throw (or branch differently) on a real server.
const BROWSER_GLOBALS = ['window', 'document', 'location', 'history', 'sessionStorage', 'localStorage', 'indexedDB', 'MutationObserver', 'XMLHttpRequest', 'HTMLElement'];
let touched: string[] = [];

beforeEach(() => {
  touched = [];
  for (const name of BROWSER_GLOBALS) {
    expect(name in globalThis, `${name} must not exist in the node environment`).toBe(false);
    Object.defineProperty(globalThis, name, {
      configurable: true,
      get() {
        touched.push(name);
        return undefined;
      },
    });
  }
});
afterEach(() => {
  for (const name of BROWSER_GLOBALS) delete (globalThis as Record<string, unknown>)[name];
});

function SessionBadge() {
  const { sessionId } = useRecorder();
  return <small>session {sessionId ?? 'pending'}</small>;
}

describe('server-side rendering', () => {
  test('the provider, hook, privacy components and error boundary render without a browser global', () => {
    const html = renderToString(
      <RecorderProvider options={{ project: 'dev', endpoint: 'http://127.0.0.1:4400' }}>
        <RecorderErrorBoundary fallback={<p>broken</p>}>
          <SessionBadge />
          <Mask><p>card 4242</p></Mask>
          <Block>raw text</Block>
        </RecorderErrorBoundary>
      </RecorderProvider>,
    );
    expect(html).toBe('<small>session <!-- -->pending</small><p data-reprise-mask="">card 4242</p><div data-reprise-block="">raw text</div>');
    expect(touched).toEqual([]);
  });

  test('router markers render on the server under <StaticRouter>', () => {
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
    expect(touched).toEqual([]);
  });
});
