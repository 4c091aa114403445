import { NavLink, Outlet } from 'react-router';
import { RecorderErrorBoundary, useRecorder } from '@reprise/react';
import { NAV_LINKS } from '../../../shared/app.js';

export function Layout() {
  const { sessionId } = useRecorder();
  return (
    <div className="app">
      <header>
        <strong>Reprise playground</strong>
        <nav>
          {NAV_LINKS.map(({ path, label, exact }) => (
            <NavLink key={path} to={path} end={exact}>
              {label}
            </NavLink>
          ))}
        </nav>
      </header>
      <main>
        <RecorderErrorBoundary
          fallback={({ error, reset }) => (
            <div role="alert" className="panel">
              <p>Something broke: {error instanceof Error ? error.message : String(error)}</p>
              <button type="button" onClick={reset}>
                Try again
              </button>
            </div>
          )}
        >
          <Outlet />
        </RecorderErrorBoundary>
      </main>
      <footer>
        Session <code data-testid="session-id">{sessionId ?? 'not recording'}</code>
      </footer>
    </div>
  );
}
