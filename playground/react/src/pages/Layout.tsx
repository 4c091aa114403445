import { NavLink, Outlet } from 'react-router';
import { RecorderErrorBoundary, useRecorder } from '@reprise/react';

export function Layout() {
  const { sessionId } = useRecorder();
  return (
    <div className="app">
      <header>
        <strong>Reprise playground</strong>
        <nav>
          <NavLink to="/" end>
            Home
          </NavLink>
          <NavLink to="/users">Users</NavLink>
          <NavLink to="/signup">Sign up</NavLink>
          <NavLink to="/settings">Settings</NavLink>
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
