// @vitest-environment node
import { version as reactVersion } from 'react';
import { renderToString, version as serverVersion } from 'react-dom/server';
import { StaticRouter, useLocation } from 'react-router';
import { expect, test } from 'vitest';

// The node environment resolves modules on its own path (Vite's SSR side): React 18 there too.
test('server rendering uses React 18, React Router included', () => {
  expect(reactVersion).toMatch(/^18\./);
  expect(serverVersion).toMatch(/^18\./);
  function Where() {
    return <p>at {useLocation().pathname}</p>;
  }
  expect(
    renderToString(
      <StaticRouter location="/users/7">
        <Where />
      </StaticRouter>,
    ),
  ).toBe('<p>at <!-- -->/users/7</p>');
});
