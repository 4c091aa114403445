import { version as reactVersion } from 'react';
import { version as domVersion } from 'react-dom';
import { version as serverVersion } from 'react-dom/server';
import { render, screen } from '@testing-library/react';
import { MemoryRouter, useLocation } from 'react-router';
import { expect, test } from 'vitest';

// Without these, a wrong alias would quietly run the suite on the repository's React 19 again.
test('the suite renders with React 18, through Testing Library and React Router too', () => {
  expect(reactVersion).toMatch(/^18\./);
  expect(domVersion).toMatch(/^18\./);
  expect(serverVersion).toMatch(/^18\./);
  // React Router's hooks only work when it shares this React: a second copy throws "Invalid hook call".
  function Where() {
    return <p>at {useLocation().pathname}</p>;
  }
  render(
    <MemoryRouter initialEntries={['/users/7']}>
      <Where />
    </MemoryRouter>,
  );
  expect(screen.getByText('at /users/7')).toBeTruthy();
});
